//! The database: one connection type over SQLite and PostgreSQL, the pool,
//! the migrations (`migrations.rs`), its errors (`error.rs`), and `Db::run`,
//! the one way handlers reach it. It knows nothing of HTTP.

pub mod error;
pub mod indexes;
pub mod listing;
pub mod migrations;
pub mod models;
pub mod plan;
pub mod schema;
pub mod statements;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::R2D2Connection;

use crate::metrics::DbMetrics;
use crate::settings::{DatabaseSettings, DatabaseUrl};
pub use error::DbError;
use migrations::{Migrated, MigrationError};
use models::TaskTable;

/// PostgreSQL plans each of our (prepared, cached) statements once per
/// connection, not at every execution. A request's queries have one right
/// plan whatever their values (the index (created_by, id) for a creator's
/// rows, the primary key for a page of all), and at 1 100 000 rows
/// re-planning them for their values took as long as running them: the
/// creator list's database time fell by a third, to that of a 13-row table.
/// (`plan_cache_mode` is PostgreSQL 12's; older servers keep their default.)
const GENERIC_PLANS: &str = "SELECT set_config('plan_cache_mode', 'force_generic_plan', false) \
     WHERE current_setting('server_version_num')::int >= 120000";

/// Runs `$body` with `$c` bound to the connection's own backend. A query
/// built for one backend skips the multi-connection's wrapper, which writes
/// the query's SQL out again at each of diesel's passes over it (three a
/// query), even when the statement is cached: a tenth of the detail route's
/// CPU (perf).
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

/// libpq's TLS is OpenSSL, which by default frees its global state in an
/// `atexit` handler: a thread still inside OpenSSL then crashes the exiting
/// process (SIGSEGV or a corrupted heap, in about one exit in five with busy
/// connections; tests/libpq_exit.rs). rust-openssl's `init` asks OpenSSL not
/// to (`OPENSSL_INIT_NO_ATEXIT`); the first initialisation decides, so this
/// runs before libpq's first connection. Called once or many times.
pub fn keep_openssl_until_exit() {
    openssl_sys::init();
}

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConnection {
    /// Opens the backend the URL names (never guessing: `establish` on the
    /// multi-connection would try each backend, and SQLite accepts any string).
    pub fn open(url: &DatabaseUrl) -> Result<DbConnection, ConnectionError> {
        match url {
            DatabaseUrl::Postgres(raw) => {
                keep_openssl_until_exit();
                let mut conn = PgConnection::establish(raw)?;
                conn.batch_execute(GENERIC_PLANS)
                    .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Postgres(conn))
            }
            DatabaseUrl::Sqlite(path) => {
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| {
                        ConnectionError::BadConnection(format!(
                            "cannot create {}: {e}",
                            dir.display()
                        ))
                    })?;
                }
                let path = path.to_str().ok_or_else(|| {
                    ConnectionError::InvalidConnectionUrl("the SQLite path is not UTF-8".into())
                })?;
                let mut conn = SqliteConnection::establish(path)?;
                // WAL lets readers run beside a writer; busy_timeout makes
                // concurrent writers wait instead of failing at once.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; \
                     PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;",
                )
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DbConnection::Postgres(_) => "postgres",
            DbConnection::Sqlite(_) => "sqlite",
        }
    }

    /// Which backend, where a query is best written differently on each.
    pub fn backend(&self) -> Backend {
        match self {
            DbConnection::Postgres(_) => Backend::Postgres,
            DbConnection::Sqlite(_) => Backend::Sqlite,
        }
    }

    /// Applies pending migrations, first adopting a database the original made.
    pub fn apply_migrations(&mut self) -> Result<Migrated, MigrationError> {
        migrations::apply(self)
    }

    /// Reverts every applied migration (tests and `todoapi migrate --revert-all`).
    pub fn revert_migrations(&mut self) -> Result<Vec<String>, MigrationError> {
        migrations::revert_all(self)
    }
}

/// r2d2 manager that opens the backend named by the URL.
pub struct ConnectionManager {
    url: DatabaseUrl,
}

/// A pooled connection that remembers failing as if the server were gone:
/// diesel's own `is_broken` only looks at transaction state, so a connection
/// to a restarted PostgreSQL would otherwise go back to the pool and fail again.
pub struct Tracked {
    conn: DbConnection,
    broken: bool,
}

impl std::ops::Deref for Tracked {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl std::ops::DerefMut for Tracked {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

impl r2d2::ManageConnection for ConnectionManager {
    type Connection = Tracked;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<Tracked, Self::Error> {
        let conn = DbConnection::open(&self.url).map_err(diesel::r2d2::Error::ConnectionError)?;
        Ok(Tracked {
            conn,
            broken: false,
        })
    }

    fn is_valid(&self, conn: &mut Tracked) -> Result<(), Self::Error> {
        conn.conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut Tracked) -> bool {
        conn.broken || conn.conn.is_broken()
    }
}

pub type DbPool = r2d2::Pool<ConnectionManager>;

/// The shared pool. Cloning is cheap.
#[derive(Clone)]
pub struct Db {
    pool: DbPool,
    /// Budget of one `run`: waiting for a connection and the query together.
    timeout: Duration,
    /// The `task` table's shape, looked at when connecting and after migrating.
    task_table: TaskTable,
    /// SQLite: reads run on the calling thread (see [`Db::read`]).
    reads_inline: bool,
    /// SQLite: one write at a time, queued here (see [`Db::run`]).
    writer: Option<Arc<Mutex<()>>>,
    metrics: DbMetrics,
}

/// r2d2's checkouts and timeouts, into the metrics.
#[derive(Debug)]
struct PoolEvents(DbMetrics);

impl r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: r2d2::event::CheckoutEvent) {
        self.0.checked_out(event.duration());
    }
    fn handle_timeout(&self, _: r2d2::event::TimeoutEvent) {
        self.0.pool_timeout();
    }
}

impl Db {
    /// Builds the pool; fails when no connection can be opened.
    pub fn connect(settings: &DatabaseSettings) -> Result<Db, DbError> {
        Db::connect_observed(settings, DbMetrics::default())
    }

    /// As [`connect`](Self::connect), recording the pool's waits and the
    /// calls' errors into `metrics`.
    pub fn connect_observed(
        settings: &DatabaseSettings,
        metrics: DbMetrics,
    ) -> Result<Db, DbError> {
        let size = match settings.pool_size {
            0 => std::thread::available_parallelism()
                .map(|n| n.get() as u32)
                .unwrap_or(2)
                .max(2),
            n => n,
        };
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(1))
            // Failures to reconnect are answered as 503s; r2d2's own log of each would repeat them.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .connection_timeout(Duration::from_secs(settings.timeout_secs))
            // A broken connection is noticed by `has_broken` after its failed
            // query; checking each checkout would cost a round trip per request.
            .test_on_check_out(false)
            .event_handler(Box::new(PoolEvents(metrics.clone())))
            .build(ConnectionManager {
                url: settings.url.clone(),
            })
            .map_err(|e| DbError::Unavailable(format!("cannot open {:?}: {e}", settings.url)))?;
        let sqlite = matches!(settings.url, DatabaseUrl::Sqlite(_));
        let mut db = Db {
            reads_inline: sqlite,
            writer: sqlite.then(Arc::default),
            pool,
            timeout: Duration::from_secs(settings.timeout_secs),
            task_table: TaskTable::V1_11,
            metrics,
        };
        db.probe();
        Ok(db)
    }

    fn probe(&mut self) {
        if let Ok(mut conn) = self.pool.get() {
            self.task_table = TaskTable::probe(&mut conn.conn);
        }
    }

    /// The pool now: (connections open, of which idle).
    pub fn pool_state(&self) -> (u32, u32) {
        let state = self.pool.state();
        (state.connections, state.idle_connections)
    }

    /// How many connections the pool holds at most.
    pub fn pool_size(&self) -> u32 {
        self.pool.max_size()
    }

    /// Which shape the `task` table has (see [`TaskTable`]).
    pub fn task_table(&self) -> TaskTable {
        self.task_table
    }

    /// Runs `f`, which may write, with a pooled connection on the blocking
    /// thread pool. Fails with `Unavailable` when no connection comes and
    /// `Timeout` when the database does not answer within
    /// `database.timeout_secs` (a stuck query keeps its thread, not the
    /// request). On SQLite, writes take turns here before taking a
    /// connection: SQLite lets one connection write at a time, and one that
    /// finds the lock taken sleeps in its busy handler (1, 2, 5, 10 ms…),
    /// whatever happens meanwhile, where a queue hands the turn on at once.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        E: Into<DbError>,
        T: Send + 'static,
    {
        let result = self.blocking(self.writer.clone(), f).await;
        self.count(result)
    }

    fn count<T>(&self, result: Result<T, DbError>) -> Result<T, DbError> {
        if let Err(kind) = result.as_ref().map_err(DbError::kind)
            && let Some(kind) = kind
        {
            self.metrics.error(kind);
        }
        result
    }

    async fn blocking<T, E, F>(&self, turn: Option<Arc<Mutex<()>>>, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        E: Into<DbError>,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        let work = tokio::task::spawn_blocking(move || {
            // A writer that panicked left nothing half-done to guard.
            let _turn = turn
                .as_deref()
                .map(|m| m.lock().unwrap_or_else(PoisonError::into_inner));
            let mut pooled = pool.get()?;
            let result = f(&mut pooled.conn).map_err(Into::into);
            // Do not hand a connection that failed that way to the next request.
            pooled.broken = result
                .as_ref()
                .err()
                .is_some_and(DbError::breaks_connection);
            result
        });
        match tokio::time::timeout(self.timeout, work).await {
            Ok(Ok(result)) => result,
            Ok(Err(e)) => Err(DbError::Other(format!("blocking task failed: {e}"))),
            Err(_) => Err(DbError::Timeout(self.timeout)),
        }
    }

    /// As [`run`](Self::run), for a query that only reads. On SQLite, when a
    /// connection is free at once, it runs on the calling thread: a read of
    /// a local file in WAL mode waits for no lock and takes microseconds,
    /// less than the two thread hand-offs of the blocking pool (measured:
    /// +20% requests/s and a third off p99 on the task list). PostgreSQL,
    /// a busy pool, and every write take the blocking pool, under the timeout.
    pub async fn read<T, E, F>(&self, f: F) -> Result<T, DbError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
        E: Into<DbError>,
        T: Send + 'static,
    {
        if self.reads_inline
            && let Some(mut pooled) = self.pool.try_get()
        {
            let result = f(&mut pooled.conn).map_err(Into::into);
            pooled.broken = result
                .as_ref()
                .err()
                .is_some_and(DbError::breaks_connection);
            return self.count(result);
        }
        let result = self.blocking(None, f).await;
        self.count(result)
    }

    /// Whether the database answers (`/api/ready/`). Not queued behind
    /// SQLite's writers: a probe writes nothing.
    pub async fn ping(&self) -> bool {
        self.blocking(None, |conn| conn.ping()).await.is_ok()
    }

    /// Runs pending migrations on one connection (synchronously: start-up and CLI).
    pub fn migrate(&mut self) -> Result<Migrated, MigrationError> {
        let migrated = {
            let mut conn = self.pool.get().map_err(DbError::from)?;
            conn.apply_migrations()?
        };
        self.probe();
        Ok(migrated)
    }

    /// A connection for synchronous callers (CLI, tests).
    pub fn get(&self) -> Result<r2d2::PooledConnection<ConnectionManager>, DbError> {
        Ok(self.pool.get()?)
    }
}
