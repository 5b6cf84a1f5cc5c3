// One schema for both backends; timestamps are UTC without a zone
// (TIMESTAMP on PostgreSQL, text on SQLite).

diesel::table! {
    users (id) {
        id -> BigInt,
        username -> Text,
        is_active -> Bool,
        is_staff -> Bool,
        date_joined -> Timestamp,
    }
}

diesel::table! {
    tasks (id) {
        id -> BigInt,
        name -> Text,
        done -> Bool,
        created -> Timestamp,
    }
}

diesel::allow_tables_to_appear_in_same_query!(users, tasks);
