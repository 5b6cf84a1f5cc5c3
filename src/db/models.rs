//! Rows and the queries on them. Every function takes a connection and runs
//! synchronously: callers go through `Db::run`, off the async workers.

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::DbConnection;
use super::schema::{tasks, users};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub username: String,
    pub is_active: bool,
    pub is_staff: bool,
    pub date_joined: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = users)]
struct NewUser<'a> {
    username: &'a str,
    is_active: bool,
    is_staff: bool,
    date_joined: NaiveDateTime,
}

impl User {
    pub fn find(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
        users::table
            .filter(users::username.eq(username))
            .select(User::as_select())
            .first(conn)
            .optional()
    }

    /// Finds the user, creating an active, non-staff one on first sight. Safe
    /// under concurrent first requests: a lost insert race re-reads the winner's row.
    pub fn get_or_create(conn: &mut DbConnection, username: &str) -> QueryResult<User> {
        if let Some(user) = User::find(conn, username)? {
            return Ok(user);
        }
        let inserted = diesel::insert_into(users::table)
            .values(NewUser {
                username,
                is_active: true,
                is_staff: false,
                date_joined: now(),
            })
            .execute(conn);
        match inserted {
            Ok(_) | Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _)) => {
                User::find(conn, username)?.ok_or(DieselError::NotFound)
            }
            Err(e) => Err(e),
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tasks)]
pub struct Task {
    pub id: i64,
    pub name: String,
    pub done: bool,
    pub created: NaiveDateTime,
}

#[derive(Insertable)]
#[diesel(table_name = tasks)]
pub struct NewTask {
    pub name: String,
    pub done: bool,
    pub created: NaiveDateTime,
}

/// A validated update; `None` leaves the column as it is.
#[derive(Debug, Default, AsChangeset)]
#[diesel(table_name = tasks)]
pub struct TaskChanges {
    pub name: Option<String>,
    pub done: Option<bool>,
}

/// Spelled out for RETURNING: the multi-backend connection cannot return a `Selectable`.
const TASK_COLUMNS: (tasks::id, tasks::name, tasks::done, tasks::created) =
    (tasks::id, tasks::name, tasks::done, tasks::created);

impl Task {
    pub fn list(conn: &mut DbConnection) -> QueryResult<Vec<Task>> {
        tasks::table
            .order(tasks::id)
            .select(Task::as_select())
            .load(conn)
    }

    pub fn get(conn: &mut DbConnection, id: i64) -> QueryResult<Option<Task>> {
        tasks::table
            .find(id)
            .select(Task::as_select())
            .first(conn)
            .optional()
    }

    pub fn exists(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
        diesel::select(diesel::dsl::exists(tasks::table.find(id))).get_result(conn)
    }

    pub fn create(conn: &mut DbConnection, name: String, done: bool) -> QueryResult<Task> {
        diesel::insert_into(tasks::table)
            .values(NewTask {
                name,
                done,
                created: now(),
            })
            .returning(TASK_COLUMNS)
            .get_result(conn)
    }

    /// `None` when there is no such task.
    pub fn update(
        conn: &mut DbConnection,
        id: i64,
        changes: TaskChanges,
    ) -> QueryResult<Option<Task>> {
        if changes.name.is_none() && changes.done.is_none() {
            return Task::get(conn, id);
        }
        diesel::update(tasks::table.find(id))
            .set(&changes)
            .returning(TASK_COLUMNS)
            .get_result(conn)
            .optional()
    }

    /// Whether a task was deleted.
    pub fn delete(conn: &mut DbConnection, id: i64) -> QueryResult<bool> {
        let n = diesel::delete(tasks::table.find(id)).execute(conn)?;
        Ok(n > 0)
    }
}

/// Now, in UTC, at the microsecond precision both backends keep.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1000 * 1000).unwrap_or(t)
}
