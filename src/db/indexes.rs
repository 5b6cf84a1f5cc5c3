//! The indexes the list's queries need, as our migrations make them, read
//! from those migrations' own SQL (so they are written once). On a database
//! the original made, our migrations are recorded and not run, so the
//! indexes are not there until someone adds them: [`missing`] says which
//! (`todoapi check`, a warning at start-up), [`add_missing`] makes them
//! (`todoapi add-indexes`). Django does not mind an index it did not make.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::DbConnection;

const SQLITE_UP: &str =
    include_str!("../../migrations/sqlite/2026-12-03-000001_task_list_indexes/up.sql");
const POSTGRES_UP: &str =
    include_str!("../../migrations/postgres/2026-12-03-000001_task_list_indexes/up.sql");

/// A table above this many rows makes a missing index worth a warning.
pub const LARGE_TABLE: i64 = 10_000;

/// One `CREATE INDEX IF NOT EXISTS "name" ON "table" ("column", …)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub name: String,
    pub table: String,
    pub columns: Vec<String>,
    pub sql: String,
}

/// The migration's statements, comments off.
fn statements(sql: &str) -> Vec<Index> {
    let code: String = sql
        .lines()
        .filter(|l| !l.trim_start().starts_with("--"))
        .collect::<Vec<_>>()
        .join("\n");
    code.split(';')
        .filter_map(|statement| {
            let statement = statement.trim();
            let rest = statement.strip_prefix("CREATE INDEX IF NOT EXISTS ")?;
            let (name, rest) = rest.split_once(" ON ")?;
            let (table, columns) = rest.split_once('(')?;
            let unquote = |s: &str| s.trim().trim_matches('"').to_owned();
            Some(Index {
                name: unquote(name),
                table: unquote(table),
                columns: columns
                    .trim_end_matches(')')
                    .split(',')
                    .map(unquote)
                    .collect(),
                sql: statement.to_owned(),
            })
        })
        .collect()
}

/// Our list indexes for this connection's backend.
pub fn ours(conn: &DbConnection) -> Vec<Index> {
    statements(match conn {
        DbConnection::Sqlite(_) => SQLITE_UP,
        DbConnection::Postgres(_) => POSTGRES_UP,
    })
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn names(conn: &mut DbConnection, query: &str, table: &str) -> QueryResult<Vec<String>> {
    Ok(diesel::sql_query(query)
        .bind::<Text, _>(table)
        .load::<Name>(conn)?
        .into_iter()
        .map(|n| n.name)
        .collect())
}

/// The columns `table` has (none when there is no such table), from the
/// catalog: asking the table itself would log an error on a database that
/// lacks it (a fresh one, before its migrations).
pub fn table_columns(conn: &mut DbConnection, table: &str) -> QueryResult<Vec<String>> {
    let query = match conn {
        DbConnection::Sqlite(_) => "SELECT name FROM pragma_table_info(?)",
        DbConnection::Postgres(_) => {
            "SELECT column_name::text AS name FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1"
        }
    };
    names(conn, query, table)
}

/// Our indexes the database lacks (a PostgreSQL index left invalid by a
/// failed concurrent build counts as lacking), among those whose columns
/// its tables have (a v1.11 `task` has no `created_by`).
pub fn missing(conn: &mut DbConnection) -> QueryResult<Vec<Index>> {
    let indexes = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?"
        }
        DbConnection::Postgres(_) => {
            "SELECT c.relname AS name FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid \
             WHERE t.relname = $1 AND t.relnamespace = current_schema()::regnamespace AND i.indisvalid"
        }
    };
    let mut out = Vec::new();
    for index in ours(conn) {
        let present = names(conn, indexes, &index.table)?;
        let have = table_columns(conn, &index.table)?;
        if !present.contains(&index.name) && index.columns.iter().all(|c| have.contains(c)) {
            out.push(index);
        }
    }
    Ok(out)
}

/// Whether `table` holds more than [`LARGE_TABLE`] rows (reading at most that many).
pub fn is_large(conn: &mut DbConnection, table: &str) -> QueryResult<bool> {
    let n = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM (SELECT 1 FROM \"{table}\" LIMIT {}) AS t",
        LARGE_TABLE + 1
    ))
    .get_result::<Count>(conn)?
    .n;
    Ok(n > LARGE_TABLE)
}

/// Makes the missing indexes, each in its own statement; on PostgreSQL
/// `CONCURRENTLY`, so that the original (or this server) keeps writing
/// while a large table is indexed. Returns their names.
pub fn add_missing(conn: &mut DbConnection) -> QueryResult<Vec<String>> {
    let mut made = Vec::new();
    for index in missing(conn)? {
        match conn {
            DbConnection::Postgres(_) => {
                // A failed concurrent build leaves an invalid index of that name.
                diesel::sql_query(format!(
                    "DROP INDEX CONCURRENTLY IF EXISTS \"{}\"",
                    index.name
                ))
                .execute(conn)?;
                let sql = index
                    .sql
                    .replacen("CREATE INDEX ", "CREATE INDEX CONCURRENTLY ", 1);
                diesel::sql_query(sql).execute(conn)?;
            }
            DbConnection::Sqlite(_) => {
                diesel::sql_query(&index.sql).execute(conn)?;
            }
        }
        made.push(index.name);
    }
    Ok(made)
}

/// One line for `todoapi check` and the start-up warning.
pub fn advice(missing: &[Index]) -> String {
    let names: Vec<String> = missing
        .iter()
        .map(|i| format!("{} on {}({})", i.name, i.table, i.columns.join(", ")))
        .collect();
    format!(
        "the database lacks the list's index {} (a database the original made: our migrations \
         were recorded, not run), so lists read the whole table; `todoapi add-indexes` adds it \
         (the original works on with it)",
        names.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_declare_the_same_indexes() {
        let (sqlite, postgres) = (statements(SQLITE_UP), statements(POSTGRES_UP));
        assert!(!sqlite.is_empty());
        let shape = |v: &[Index]| {
            v.iter()
                .map(|i| (i.name.clone(), i.table.clone(), i.columns.clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(shape(&sqlite), shape(&postgres));
        assert_eq!(sqlite[0].name, "todoapi_task_created_by_id");
        assert_eq!(sqlite[0].columns, ["created_by", "id"]);
    }
}
