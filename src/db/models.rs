//! Rows and the queries on them. Every function takes a connection and runs
//! synchronously: callers go through `Db::run`, off the async workers.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::Text;

use super::listing::{self, Column, Listed, Listing, Mismatch, Window};
use super::schema::{auth_user, task};
use super::statements::{InsertTask, PlainList, UpdateTask};
pub use super::statements::{NewTask, TaskChanges};
use super::{Backend, DbConnection, DbError, MultiBackend, on_backend};

/// A row of Django's `auth_user`, as far as authentication reads it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = auth_user)]
pub struct User {
    pub id: i32,
    pub username: String,
    pub is_active: bool,
    pub is_staff: bool,
}

/// A new user as Django's `User.objects.create_user(username)` would leave
/// it, but with an unusable password ('!' and 40 random characters, as
/// `set_unusable_password`): nobody can sign in to the original's admin as it.
/// A username already there is left alone (a concurrent first request won).
const INSERT_USER_POSTGRES: &str = "INSERT INTO auth_user \
     (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) \
     VALUES ('!' || substr(md5(random()::text) || md5(random()::text), 1, 40), NULL, FALSE, $1, '', '', '', FALSE, TRUE, now()) \
     ON CONFLICT (username) DO NOTHING";
/// Django keeps SQLite datetimes as UTC text, `YYYY-MM-DD HH:MM:SS.fff`.
const INSERT_USER_SQLITE: &str = "INSERT INTO auth_user \
     (password, last_login, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) \
     VALUES ('!' || lower(hex(randomblob(20))), NULL, 0, ?, '', '', '', 0, 1, strftime('%Y-%m-%d %H:%M:%f', 'now')) \
     ON CONFLICT (username) DO NOTHING";

impl User {
    /// The one row of a username (its UNIQUE index).
    pub(crate) fn by_username(
        username: &str,
    ) -> diesel::dsl::Filter<auth_user::table, diesel::dsl::Eq<auth_user::username, String>> {
        auth_user::table.filter(auth_user::username.eq(username.to_owned()))
    }

    pub fn find(conn: &mut DbConnection, username: &str) -> QueryResult<Option<User>> {
        on_backend!(conn, |c| User::by_username(username)
            .select(User::as_select())
            .first(c)
            .optional())
    }

    /// Finds the user, creating an active, non-staff one on first sight.
    /// A concurrent first request may insert it first: then its row is read.
    pub fn get_or_create(conn: &mut DbConnection, username: &str) -> Result<User, DbError> {
        if let Some(user) = User::find(conn, username)? {
            return Ok(user);
        }
        match conn {
            DbConnection::Postgres(c) => diesel::sql_query(INSERT_USER_POSTGRES)
                .bind::<Text, _>(username)
                .execute(c)?,
            DbConnection::Sqlite(c) => diesel::sql_query(INSERT_USER_SQLITE)
                .bind::<Text, _>(username)
                .execute(c)?,
        };
        User::find(conn, username)?
            .ok_or_else(|| DbError::Conflict(format!("user {username:?} removed while created")))
    }
}

/// A row of the original's `task` table.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = task)]
pub struct Task {
    pub id: i32,
    pub title: String,
    pub content: String,
    pub created_on: NaiveDate,
    pub due_date: NaiveDate,
}

/// Which shape the `task` table has: with the original's v1.14 `created_by`
/// (this project's migrations make it so), or without it (a database the
/// original made at v1.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskTable {
    V1_11,
    V1_14,
}

impl TaskTable {
    /// Looks at the database (once, at start-up): a missing table reads as v1.11.
    pub fn probe(conn: &mut DbConnection) -> TaskTable {
        match super::indexes::table_columns(conn, "task") {
            Ok(columns) if columns.iter().any(|c| c == "created_by") => TaskTable::V1_14,
            _ => TaskTable::V1_11,
        }
    }

    pub fn has_creator(self) -> bool {
        self == TaskTable::V1_14
    }
}

/// `id`'s place in [`TASK_LIST_COLUMNS`].
pub const ID: usize = 0;

/// The task columns a list may be searched and ordered by, as the API names them.
pub static TASK_LIST_COLUMNS: [Column<task::table, Task>; 5] = [
    crate::column!(task::id, Integer, id),
    crate::column!(task::title, Text, title),
    crate::column!(task::content, Text, content),
    crate::column!(task::created_on, Date, created_on),
    crate::column!(task::due_date, Date, due_date),
];

/// The list's queries, boxed (built per request).
pub(crate) type TaskRows = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::Select<task::table, diesel::dsl::AsSelect<Task, MultiBackend>>,
    MultiBackend,
>;
pub(crate) type TaskCount = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::Select<task::table, diesel::dsl::CountStar>,
    MultiBackend,
>;

impl Task {
    /// The tasks as `listing` asks; with `created_by`, only that creator's.
    /// Counted first, when asked: a window past the count reads nothing.
    pub fn list(
        conn: &mut DbConnection,
        created_by: Option<&str>,
        listing: &Listing,
    ) -> Result<Listed<Task>, DbError> {
        if listing.is_plain(ID) {
            let rows = PlainList {
                backend: conn.backend(),
                created_by,
            };
            let rows = on_backend!(conn, |c| rows.load(c))?;
            return Ok(listing::finish(&TASK_LIST_COLUMNS, listing, rows, None)?);
        }
        let count = match listing.count {
            true => Some(Task::count_query(created_by, listing)?.get_result::<i64>(conn)?),
            false => None,
        };
        let rows = match listing.window_given(count) {
            Some(window) => {
                Task::list_query(conn.backend(), created_by, listing, &window)?.load(conn)?
            }
            None => Vec::new(),
        };
        Ok(listing::finish(&TASK_LIST_COLUMNS, listing, rows, count)?)
    }

    /// The rows of a list's page.
    pub(crate) fn list_query(
        backend: Backend,
        created_by: Option<&str>,
        listing: &Listing,
        window: &Window,
    ) -> Result<TaskRows, Mismatch> {
        let query = task::table.select(Task::as_select()).into_boxed();
        let Some(creator) = created_by else {
            return listing::apply(query, &TASK_LIST_COLUMNS, listing, window, None);
        };
        // Both give a creator's rows from the index (created_by, id), in
        // order, a page starting at its first row (tests/api/plans.rs).
        // PostgreSQL: not `created_by = ?`, which drops created_by from the
        // ORDER BY (it is constant); for `ORDER BY id LIMIT n` it may then
        // walk the primary key filtering rows, which for a user whose tasks
        // are the newest reads the whole table (285 ms at 1 100 000 rows).
        // As a range the column stays in the order, which only the index
        // gives, whatever the statistics say, and a cursor's `id > ?` still
        // positions the scan (0.1 ms).
        // SQLite: a range on created_by would leave `id > ?` a filter (page
        // 10 000 read every earlier row); equality keeps it in the search.
        if backend == Backend::Sqlite {
            let query = query.filter(task::created_by.eq(creator.to_owned()));
            return listing::apply(query, &TASK_LIST_COLUMNS, listing, window, None);
        }
        let query = query
            .filter(task::created_by.ge(creator.to_owned()))
            .filter(task::created_by.le(creator.to_owned()));
        let scope: fn(bool) -> listing::Order<task::table> = |descending| {
            if descending {
                Box::new(task::created_by.desc())
            } else {
                Box::new(task::created_by.asc())
            }
        };
        listing::apply(query, &TASK_LIST_COLUMNS, listing, window, Some(scope))
    }

    /// The rows a list's search matches, counted.
    pub(crate) fn count_query(
        created_by: Option<&str>,
        listing: &Listing,
    ) -> Result<TaskCount, Mismatch> {
        let mut query = task::table.select(diesel::dsl::count_star()).into_boxed();
        if let Some(creator) = created_by {
            query = query.filter(task::created_by.eq(creator.to_owned()));
        }
        for condition in listing::search_conditions(&TASK_LIST_COLUMNS, listing)? {
            query = query.filter(condition);
        }
        Ok(query)
    }

    /// The one row of an id (the primary key).
    pub(crate) fn by_id(id: i32) -> diesel::dsl::Find<task::table, i32> {
        task::table.find(id)
    }

    pub fn get(conn: &mut DbConnection, id: i32) -> QueryResult<Option<Task>> {
        on_backend!(conn, |c| Task::by_id(id)
            .select(Task::as_select())
            .first(c)
            .optional())
    }

    /// The task and its creator (`None` where the table does not keep it).
    pub fn get_with_creator(
        conn: &mut DbConnection,
        table: TaskTable,
        id: i32,
    ) -> QueryResult<Option<(Task, Option<String>)>> {
        if !table.has_creator() {
            return Ok(Task::get(conn, id)?.map(|t| (t, None)));
        }
        let found = on_backend!(conn, |c| Task::by_id(id)
            .select((Task::as_select(), task::created_by))
            .first::<(Task, String)>(c)
            .optional())?;
        Ok(found.map(|(t, by)| (t, Some(by))))
    }

    /// Inserts the task; `created_by` (the token's `sub`) is stored where
    /// the table has the column.
    pub fn create(
        conn: &mut DbConnection,
        table: TaskTable,
        new: &NewTask,
        created_by: &str,
    ) -> QueryResult<Task> {
        let insert = InsertTask {
            new,
            created_by: table.has_creator().then_some(created_by),
        };
        on_backend!(conn, |c| insert.get_result(c))
    }

    /// `None` when there is no such task.
    pub fn update(
        conn: &mut DbConnection,
        id: i32,
        changes: TaskChanges,
    ) -> QueryResult<Option<Task>> {
        if changes.is_empty() {
            return Task::get(conn, id);
        }
        let update = UpdateTask { id, changes };
        on_backend!(conn, |c| update.get_result(c).optional())
    }

    /// Whether a task was deleted.
    pub fn delete(conn: &mut DbConnection, id: i32) -> QueryResult<bool> {
        let n = on_backend!(conn, |c| diesel::delete(Task::by_id(id)).execute(c))?;
        Ok(n > 0)
    }
}
