// The original's tables as Django 2.1 made them, on both backends. Only the
// columns this server reads or writes through diesel are listed: auth_user's
// timestamps are written by SQL of each backend (see models.rs).

diesel::table! {
    auth_user (id) {
        id -> Integer,
        username -> Text,
        is_active -> Bool,
        is_staff -> Bool,
    }
}

diesel::table! {
    /// `created_by` is the original's v1.14 column: ours have it, a database
    /// the original made at v1.11 does not, so queries name it only where
    /// `TaskTable` says it is there.
    task (id) {
        id -> Integer,
        title -> Text,
        content -> Text,
        created_on -> Date,
        due_date -> Date,
        created_by -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(auth_user, task);
