//! A database of the test's own: a SQLite file in a temp dir, or a
//! PostgreSQL database created and dropped.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use diesel::prelude::*;
use todoapi::db::DbConnection;
use todoapi::settings::DatabaseUrl;

static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database of the test's own, removed when dropped.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
    /// Another test's database, used and left alone.
    Shared { url: String },
}

pub fn backend() -> &'static str {
    match std::env::var("TEST_BACKEND").as_deref() {
        Ok("postgres") => "postgres",
        Ok("sqlite") | Err(_) => "sqlite",
        Ok(other) => panic!("TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

impl TestDb {
    pub fn new() -> TestDb {
        if backend() == "postgres" {
            let admin_url = std::env::var("TEST_POSTGRES_URL")
                .expect("TEST_BACKEND=postgres needs TEST_POSTGRES_URL");
            let name = format!(
                "todoapi_test_{}_{}_{}",
                std::process::id(),
                DB_COUNTER.fetch_add(1, Ordering::Relaxed),
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or_default()
            );
            let mut admin = admin_connection(&admin_url).expect("connect TEST_POSTGRES_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_POSTGRES_URL is a URL");
            url.set_path(&format!("/{name}"));
            TestDb::Postgres {
                admin_url,
                name,
                url: url.to_string(),
            }
        } else {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = dir.path().join("todoapi.sqlite3").display().to_string();
            TestDb::Sqlite { _dir: dir, url }
        }
    }

    /// The database at `url`, owned by someone else (never dropped).
    pub fn shared(url: &str) -> TestDb {
        TestDb::Shared {
            url: url.to_owned(),
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } | TestDb::Shared { url } => {
                url
            }
        }
    }

    pub fn connect(&self) -> DbConnection {
        let url = DatabaseUrl::parse(self.url()).expect("database URL");
        DbConnection::open(&url).expect("open test database")
    }
}

/// Through `DbConnection::open`, as the server connects: it prepares libpq's
/// TLS before the process's first connection.
fn admin_connection(url: &str) -> Result<DbConnection, String> {
    let url = DatabaseUrl::parse(url).map_err(|e| e.to_string())?;
    DbConnection::open(&url).map_err(|e| e.to_string())
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
            && let Ok(mut admin) = admin_connection(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}
