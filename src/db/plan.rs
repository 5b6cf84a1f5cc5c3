//! The database's own plan (`EXPLAIN QUERY PLAN` on SQLite, `EXPLAIN` on
//! PostgreSQL) of every query on a request's path, built by the same
//! functions the requests use. The plan tests read it on a large table:
//! no query may read the whole table, or sort more than its caller's rows.

use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{Text, Untyped};

use super::listing::{Listing, Window};
use super::models::{ID, Task, TaskChanges, User};
use super::schema::task;
use super::statements::{PlainList, UpdateTask};
use super::{DbConnection, DbError, MultiBackend};

/// `EXPLAIN …` of a query, run without running the query.
struct Explain<Q> {
    prefix: &'static str,
    query: Q,
}

impl<Q> QueryId for Explain<Q> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<Q> Query for Explain<Q> {
    type SqlType = Untyped;
}

impl<Q: QueryFragment<MultiBackend>> QueryFragment<MultiBackend> for Explain<Q> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql(self.prefix);
        self.query.walk_ast(out.reborrow())
    }
}

impl<Q> RunQueryDsl<DbConnection> for Explain<Q> {}

#[derive(QueryableByName)]
struct SqliteLine {
    #[diesel(sql_type = Text)]
    detail: String,
}

#[derive(QueryableByName)]
struct PostgresLine {
    #[diesel(sql_type = Text, column_name = "QUERY PLAN")]
    line: String,
}

fn explain<Q>(conn: &mut DbConnection, query: Q) -> QueryResult<Vec<String>>
where
    Q: QueryFragment<MultiBackend>,
{
    match conn {
        DbConnection::Sqlite(_) => Ok(Explain {
            prefix: "EXPLAIN QUERY PLAN ",
            query,
        }
        .load::<SqliteLine>(conn)?
        .into_iter()
        .map(|l| l.detail)
        .collect()),
        DbConnection::Postgres(_) => Ok(Explain {
            prefix: "EXPLAIN ",
            query,
        }
        .load::<PostgresLine>(conn)?
        .into_iter()
        .map(|l| l.line)
        .collect()),
    }
}

/// The plans of a list request's queries: its count (when it counts) and
/// its rows, with the window its count gives.
pub fn list(
    conn: &mut DbConnection,
    created_by: Option<&str>,
    listing: &Listing,
    count: Option<i64>,
) -> Result<Vec<(&'static str, Vec<String>)>, DbError> {
    let mut out = Vec::new();
    if listing.count {
        out.push((
            "count",
            explain(conn, Task::count_query(created_by, listing)?)?,
        ));
    }
    let window = listing.window_given(count).unwrap_or(Window::All);
    let rows = if listing.is_plain(ID) {
        let plain = PlainList {
            backend: conn.backend(),
            created_by,
        };
        explain(conn, plain)?
    } else {
        let query = Task::list_query(conn.backend(), created_by, listing, &window)?;
        explain(conn, query)?
    };
    out.push(("rows", rows));
    Ok(out)
}

/// The plans of the other requests' queries: the detail route's object, an
/// update, a delete, the user lookup of authentication.
pub fn others(
    conn: &mut DbConnection,
    id: i32,
    username: &str,
) -> Result<Vec<(&'static str, Vec<String>)>, DbError> {
    let changes = TaskChanges {
        title: Some("t".into()),
        ..TaskChanges::default()
    };
    Ok(vec![
        (
            "detail",
            explain(
                conn,
                Task::by_id(id).select((Task::as_select(), task::created_by)),
            )?,
        ),
        ("update", explain(conn, UpdateTask { id, changes })?),
        ("delete", explain(conn, diesel::delete(Task::by_id(id)))?),
        (
            "user",
            explain(conn, User::by_username(username).select(User::as_select()))?,
        ),
    ])
}
