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
    task (id) {
        id -> Integer,
        title -> Text,
        content -> Text,
        created_on -> Date,
        due_date -> Date,
    }
}

diesel::table! {
    /// The same table in a database made by the original at v1.14, which
    /// added `created_by` (NOT NULL, no default): only inserts use this.
    #[sql_name = "task"]
    task_v1_14 (id) {
        id -> Integer,
        title -> Text,
        content -> Text,
        created_on -> Date,
        due_date -> Date,
        created_by -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(auth_user, task);
