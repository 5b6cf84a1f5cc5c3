//! `[database]`: which database (the backend follows the URL), its pool,
//! migrations at start-up, and a call's time budget.

use crate::settings::DatabaseUrl;
use crate::settings::declare::{positive, section};

section! {
    pub struct DatabaseSettings at "database" {
        /// a SQLite path (sqlite:// optional) or postgres://user:pass@host/db
        #[alias = "DATABASE_URL"]
        pub url: DatabaseUrl = r#""var/todoapi.sqlite3""#;
        /// connections; 0 = one per CPU core (at least 2)
        pub pool_size: u32 = "0";
        /// serve applies pending migrations first
        pub migrate_on_start: bool = "true";
        /// budget of a database call (a pooled connection and the query); then 503
        pub timeout_secs: u64 = "5", check positive;
    }
}
