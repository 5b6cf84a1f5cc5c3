//! Statements of a request's path written out, where diesel's own would
//! cost more:
//! - a task's INSERT and UPDATE, which diesel's statement cache keeps: it
//!   never caches its own `update()` (its SET clause may change with the
//!   values), nor, on PostgreSQL, an `insert_into()` of an `Insertable` (a
//!   column may be `DEFAULT`), so each was prepared again at every request,
//!   on PostgreSQL an extra round trip;
//! - the plain list (no search, no page, ordered by id: the original's
//!   list), which runs on the connection's own backend rather than through
//!   the multi-connection's boxed query.
//!
//! With them, what a write carries: [`NewTask`] and [`TaskChanges`].
//! Each has one text per backend and shape of table, so the second request
//! finds it prepared (`tests/api/statements.rs`), and the plan tests read
//! their plans (`tests/api/plans.rs`).

use chrono::NaiveDate;
use diesel::backend::Backend;
use diesel::prelude::*;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Date, Integer, Nullable, Text};

use super::Backend as Which;

/// A validated new task, its dates already defaulted.
#[derive(Debug, Clone)]
pub struct NewTask {
    pub title: String,
    pub content: String,
    pub created_on: NaiveDate,
    pub due_date: NaiveDate,
}

/// A validated update; `None` leaves the column as it is.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct TaskChanges {
    pub title: Option<String>,
    pub content: Option<String>,
    pub created_on: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
}

impl TaskChanges {
    pub(crate) fn is_empty(&self) -> bool {
        *self == TaskChanges::default()
    }
}

/// What each statement answers: a `Task`.
type Returned = (Integer, Text, Text, Date, Date);
const RETURNING: &str = " RETURNING id, title, content, created_on, due_date";

/// `INSERT INTO task …`, with `created_by` where the table has it.
pub struct InsertTask<'a> {
    pub new: &'a NewTask,
    pub created_by: Option<&'a str>,
}

/// `SELECT … FROM task ORDER BY id`, a creator's rows only where given.
/// Written as the boxed list query writes the same listing
/// (`Task::list_query`): on PostgreSQL a creator's rows as a range ordered
/// by `(created_by, id)`, read from that index in order.
pub struct PlainList<'a> {
    pub backend: Which,
    pub created_by: Option<&'a str>,
}

/// `UPDATE task SET column = COALESCE(?, column), …` for one id: a column
/// not given keeps its value, so one text serves every PATCH.
pub struct UpdateTask {
    pub id: i32,
    pub changes: TaskChanges,
}

impl<DB> QueryFragment<DB> for InsertTask<'_>
where
    DB: Backend,
    String: ToSql<Text, DB>,
    str: ToSql<Text, DB>,
    NaiveDate: ToSql<Date, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("INSERT INTO task (title, content, created_on, due_date");
        if self.created_by.is_some() {
            out.push_sql(", created_by");
        }
        out.push_sql(") VALUES (");
        out.push_bind_param::<Text, _>(&self.new.title)?;
        out.push_sql(", ");
        out.push_bind_param::<Text, _>(&self.new.content)?;
        out.push_sql(", ");
        out.push_bind_param::<Date, _>(&self.new.created_on)?;
        out.push_sql(", ");
        out.push_bind_param::<Date, _>(&self.new.due_date)?;
        if let Some(created_by) = self.created_by {
            out.push_sql(", ");
            out.push_bind_param::<Text, _>(created_by)?;
        }
        out.push_sql(")");
        out.push_sql(RETURNING);
        Ok(())
    }
}

impl<DB> QueryFragment<DB> for UpdateTask
where
    DB: Backend,
    Option<String>: ToSql<Nullable<Text>, DB>,
    Option<NaiveDate>: ToSql<Nullable<Date>, DB>,
    i32: ToSql<Integer, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let c = &self.changes;
        out.push_sql("UPDATE task SET title = COALESCE(");
        out.push_bind_param::<Nullable<Text>, _>(&c.title)?;
        out.push_sql(", title), content = COALESCE(");
        out.push_bind_param::<Nullable<Text>, _>(&c.content)?;
        out.push_sql(", content), created_on = COALESCE(");
        out.push_bind_param::<Nullable<Date>, _>(&c.created_on)?;
        out.push_sql(", created_on), due_date = COALESCE(");
        out.push_bind_param::<Nullable<Date>, _>(&c.due_date)?;
        out.push_sql(", due_date) WHERE id = ");
        out.push_bind_param::<Integer, _>(&self.id)?;
        out.push_sql(RETURNING);
        Ok(())
    }
}

impl<DB> QueryFragment<DB> for PlainList<'_>
where
    DB: Backend,
    str: ToSql<Text, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("SELECT id, title, content, created_on, due_date FROM task");
        match (self.created_by, self.backend) {
            (None, _) => out.push_sql(" ORDER BY id"),
            (Some(creator), Which::Sqlite) => {
                out.push_sql(" WHERE created_by = ");
                out.push_bind_param::<Text, _>(creator)?;
                out.push_sql(" ORDER BY id");
            }
            (Some(creator), Which::Postgres) => {
                out.push_sql(" WHERE created_by >= ");
                out.push_bind_param::<Text, _>(creator)?;
                out.push_sql(" AND created_by <= ");
                out.push_bind_param::<Text, _>(creator)?;
                out.push_sql(" ORDER BY created_by, id");
            }
        }
        Ok(())
    }
}

// The insert (with `created_by` or not) and the plain list (per backend,
// with a creator or not) have a few texts: cached by their text.
impl QueryId for InsertTask<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryId for PlainList<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

// One text whatever the changes: found in the cache by its type, without
// writing the SQL out to look it up.
impl QueryId for UpdateTask {
    type QueryId = UpdateTask;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl Query for PlainList<'_> {
    type SqlType = Returned;
}

impl Query for InsertTask<'_> {
    type SqlType = Returned;
}

impl Query for UpdateTask {
    type SqlType = Returned;
}

impl<Conn> RunQueryDsl<Conn> for InsertTask<'_> {}
impl<Conn> RunQueryDsl<Conn> for UpdateTask {}
impl<Conn> RunQueryDsl<Conn> for PlainList<'_> {}
