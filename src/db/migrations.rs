//! The embedded migrations, and databases that the Django original made.
//!
//! A database the original created records its own migrations in
//! `django_migrations` (app `todoapi`: `0001_initial` … `0003_auth0user`, and
//! at v1.14 `0004_task_created_by`) and already has the tables that this
//! project's migrations through [`DJANGO_TABLES`] make. Such a database is
//! served as it is: our migrations of its tables, through
//! [`TASK_LIST_INDEXES`], are recorded as applied without running, and the
//! original's schema and rows are left alone, so the original keeps working
//! on it. Whether its `task` has `created_by` is the original's own
//! migration 0004's business; `TaskTable` looks at start-up. The one thing set right is a PostgreSQL id
//! sequence behind its table's rows (the original's migration 0003 inserts
//! user 1 without advancing it), which the original benefits from too.

use std::collections::HashSet;

use diesel::backend::Backend;
use diesel::connection::BoxableConnection;
use diesel::migration::{Migration, MigrationMetadata, MigrationName, MigrationSource};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use super::DbConnection;

/// The DDL differs between the backends, so each has its own folder.
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
pub const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Our migration after which the schema is the original's (v1.11).
pub const DJANGO_TABLES: &str = "20261201000001";
/// Ours that adds the original's v1.14 `created_by`.
pub const TASK_CREATED_BY: &str = "20261202000001";
/// Ours that indexes the list's queries (`indexes.rs`): on a database the
/// original made it is recorded, not run; `todoapi add-indexes` adds them.
pub const TASK_LIST_INDEXES: &str = "20261203000001";

/// The original's migrations (app `todoapi`) this server knows, each with the
/// last migration of ours that concerns the same tables.
const ORIGINAL_MIGRATIONS: &[(&str, &str)] = &[
    ("0001_initial", TASK_LIST_INDEXES),
    ("0002_dummy_tasks", TASK_LIST_INDEXES),
    ("0003_auth0user", TASK_LIST_INDEXES),
    ("0004_task_created_by", TASK_LIST_INDEXES),
];

pub type MigrationError = Box<dyn std::error::Error + Send + Sync>;

/// What `apply` did.
#[derive(Debug, Default)]
pub struct Migrated {
    /// The original's migrations found in `django_migrations`, when the
    /// database was made by the original and adopted just now.
    pub adopted_from: Vec<String>,
    /// Versions of ours recorded as applied without running (adoption).
    pub recorded: Vec<String>,
    /// Versions of ours that ran.
    pub applied: Vec<String>,
}

impl Migrated {
    pub fn is_empty(&self) -> bool {
        self.recorded.is_empty() && self.applied.is_empty()
    }

    /// One line per thing done, for the CLI and the start-up log.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        if !self.recorded.is_empty() {
            lines.push(format!(
                "a database of the original (todoapi {}): recorded {} as applied, changed nothing",
                self.adopted_from.join(", "),
                self.recorded.join(", ")
            ));
        }
        lines.extend(self.applied.iter().map(|v| format!("applied {v}")));
        lines
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

fn error(message: String) -> MigrationError {
    message.into()
}

/// The original's `todoapi` migrations, or `None` when the database has no
/// `django_migrations` table (it was not made by Django).
pub fn original_migrations(conn: &mut DbConnection) -> QueryResult<Option<Vec<String>>> {
    let exists = match conn {
        DbConnection::Postgres(_) => {
            "SELECT count(*) AS n FROM information_schema.tables \
             WHERE table_schema = current_schema() AND table_name = 'django_migrations'"
        }
        DbConnection::Sqlite(_) => {
            "SELECT count(*) AS n FROM sqlite_master \
             WHERE type = 'table' AND name = 'django_migrations'"
        }
    };
    let found = diesel::sql_query(exists).get_result::<Count>(conn)?.n > 0;
    if !found {
        return Ok(None);
    }
    let names =
        diesel::sql_query("SELECT name FROM django_migrations WHERE app = 'todoapi' ORDER BY id")
            .load::<Name>(conn)?;
    Ok(Some(names.into_iter().map(|n| n.name).collect()))
}

/// Adopts a database of the original (see the module's comment), then applies
/// whatever of ours is pending.
pub fn apply(conn: &mut DbConnection) -> Result<Migrated, MigrationError> {
    let mut migrated = Migrated::default();
    if let Some(names) = original_migrations(conn)? {
        let through = equivalent_version(&names)?;
        let recorded = conn.transaction::<_, MigrationError, _>(|conn| {
            let recorded = match conn {
                DbConnection::Postgres(c) => record_as_applied(c, POSTGRES_MIGRATIONS, through)?,
                DbConnection::Sqlite(c) => record_as_applied(c, SQLITE_MIGRATIONS, through)?,
            };
            if !recorded.is_empty() && matches!(conn, DbConnection::Postgres(_)) {
                advance_sequences(conn)?;
            }
            Ok(recorded)
        })?;
        if !recorded.is_empty() {
            migrated.adopted_from = names;
            migrated.recorded = recorded;
        }
    }
    let applied = match conn {
        DbConnection::Postgres(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS)?,
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS)?,
    };
    migrated.applied = applied.iter().map(ToString::to_string).collect();
    Ok(migrated)
}

/// Reverts every migration of ours (tests and `todoapi migrate --revert-all`),
/// unless the database is the original's too: reverting would drop its tables.
pub fn revert_all(conn: &mut DbConnection) -> Result<Vec<String>, MigrationError> {
    if let Some(names) = original_migrations(conn)?
        && !names.is_empty()
    {
        return Err(error(format!(
            "this database is the Django original's too (django_migrations records todoapi {}); \
             reverting would drop the original's tables, so nothing was reverted",
            names.join(", ")
        )));
    }
    let reverted = match conn {
        DbConnection::Postgres(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS)?,
        DbConnection::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS)?,
    };
    Ok(reverted.iter().map(ToString::to_string).collect())
}

/// The last migration of ours equivalent to what the original applied.
fn equivalent_version(names: &[String]) -> Result<&'static str, MigrationError> {
    if !names.iter().any(|n| n == "0001_initial") {
        return Err(error(
            "the database holds a Django project's tables (django_migrations) but not the \
             todo API's (no todoapi 0001_initial): it is not a database of the original"
                .into(),
        ));
    }
    let mut through = TASK_LIST_INDEXES;
    for name in names {
        let (_, ours) = ORIGINAL_MIGRATIONS
            .iter()
            .find(|(original, _)| original == name)
            .ok_or_else(|| {
                error(format!(
                    "the database was migrated by a version of the original this server does not \
                     know (todoapi {name}); nothing was changed"
                ))
            })?;
        through = through.max(ours);
    }
    Ok(through)
}

/// A migration recorded as applied without running: its tables are there.
struct Recorded<'a, DB>(&'a dyn Migration<DB>);

impl<DB: Backend> Migration<DB> for Recorded<'_, DB> {
    fn run(&self, _: &mut dyn BoxableConnection<DB>) -> diesel::migration::Result<()> {
        Ok(())
    }

    fn revert(&self, conn: &mut dyn BoxableConnection<DB>) -> diesel::migration::Result<()> {
        self.0.revert(conn)
    }

    fn metadata(&self) -> &dyn MigrationMetadata {
        self.0.metadata()
    }

    fn name(&self) -> &dyn MigrationName {
        self.0.name()
    }
}

/// Records our migrations up to and including `through` that are not yet recorded.
fn record_as_applied<DB, C>(
    conn: &mut C,
    source: EmbeddedMigrations,
    through: &str,
) -> Result<Vec<String>, MigrationError>
where
    DB: Backend,
    C: MigrationHarness<DB>,
    EmbeddedMigrations: MigrationSource<DB>,
{
    let applied: HashSet<String> = conn
        .applied_migrations()?
        .iter()
        .map(ToString::to_string)
        .collect();
    if !applied.is_empty() && !applied.contains(DJANGO_TABLES) {
        // Our previous model's tables next to the original's: nothing to merge automatically.
        return Err(error(format!(
            "the database holds both the original's tables and this project's earlier ones \
             (migrations {} applied); move the tasks by hand, nothing was changed",
            {
                let mut v: Vec<&String> = applied.iter().collect();
                v.sort();
                v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
            }
        )));
    }
    let mut migrations = source.migrations()?;
    migrations.sort_by_key(|m| m.name().version().to_string());
    let mut recorded = Vec::new();
    for migration in &migrations {
        let version = migration.name().version().to_string();
        if version.as_str() <= through && !applied.contains(&version) {
            conn.run_migration(&Recorded(migration.as_ref()))?;
            recorded.push(version);
        }
    }
    Ok(recorded)
}

/// PostgreSQL: moves each id sequence past its table's largest id, so that
/// the next insert cannot collide with a row written with an explicit id.
fn advance_sequences(conn: &mut DbConnection) -> QueryResult<()> {
    for (table, sequence) in [("auth_user", "auth_user_id_seq"), ("task", "task_id_seq")] {
        diesel::sql_query(format!(
            "SELECT setval('{sequence}', t.m) FROM (SELECT max(id) AS m FROM {table}) AS t, {sequence} AS s \
             WHERE t.m >= CASE WHEN s.is_called THEN s.last_value + 1 ELSE s.last_value END"
        ))
        .execute(conn)?;
    }
    Ok(())
}
