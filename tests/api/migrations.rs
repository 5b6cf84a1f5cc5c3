//! This project's migrations on each backend: up, down and up again; a
//! database of the previous version (users/tasks with name, done, created)
//! moved forward and back; the CLI; migrate_on_start.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Integer, Text};
use diesel_migrations::MigrationHarness;
use reqwest::Method;
use serde_json::json;
use todoapi::db::DbConnection;
use todoapi::db::migrations::{POSTGRES_MIGRATIONS, SQLITE_MIGRATIONS};

use crate::helpers::*;

const NEW_MODEL: &str = "20261201000001";
const CREATED_BY: &str = "20261202000001";
const LIST_INDEXES: &str = "20261203000001";
/// Every migration of ours.
const ALL: usize = 6;

#[derive(QueryableByName, Debug, PartialEq)]
struct UserRow {
    #[diesel(sql_type = Integer)]
    id: i32,
    #[diesel(sql_type = Text)]
    username: String,
    #[diesel(sql_type = Text)]
    email: String,
    #[diesel(sql_type = Text)]
    password: String,
}

fn users(conn: &mut DbConnection) -> Vec<UserRow> {
    diesel::sql_query("SELECT id, username, email, password FROM auth_user ORDER BY id")
        .load(conn)
        .expect("auth_user")
}

#[derive(QueryableByName, Debug, PartialEq)]
struct OldTask {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Bool)]
    done: bool,
}

fn old_tasks(conn: &mut DbConnection) -> Vec<(i64, String, bool)> {
    diesel::sql_query("SELECT id, name, done FROM tasks ORDER BY id")
        .load::<OldTask>(conn)
        .expect("tasks")
        .into_iter()
        .map(|t| (t.id, t.name, t.done))
        .collect()
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

fn lines_of(conn: &mut DbConnection, query: &str) -> Vec<String> {
    diesel::sql_query(query)
        .load::<Line>(conn)
        .expect("query")
        .into_iter()
        .map(|l| l.line)
        .collect()
}

fn seeded(conn: &mut DbConnection) -> (i64, i64) {
    use todoapi::db::schema::{auth_user, task};
    let t = task::table.count().get_result(conn).expect("task table");
    let u = auth_user::table
        .filter(auth_user::username.eq("auth0user"))
        .count()
        .get_result(conn)
        .expect("auth_user table");
    (t, u)
}

/// Runs the first `n` of this project's migrations only.
fn migrate_first(conn: &mut DbConnection, n: usize) {
    for _ in 0..n {
        let ran = match conn {
            DbConnection::Postgres(c) => c.run_next_migration(POSTGRES_MIGRATIONS).map(|_| ()),
            DbConnection::Sqlite(c) => c.run_next_migration(SQLITE_MIGRATIONS).map(|_| ()),
        };
        ran.expect("migration");
    }
}

fn revert_last(conn: &mut DbConnection) -> String {
    match conn {
        DbConnection::Postgres(c) => c.revert_last_migration(POSTGRES_MIGRATIONS),
        DbConnection::Sqlite(c) => c.revert_last_migration(SQLITE_MIGRATIONS),
    }
    .expect("revert")
    .to_string()
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let db = TestDb::new();
    let mut conn = db.connect();
    assert_eq!(
        conn.backend_name(),
        backend(),
        "the suite runs on the backend it was asked for"
    );
    let migrated = conn.apply_migrations().expect("up");
    assert_eq!(migrated.applied.len(), ALL, "{migrated:?}");
    assert!(migrated.recorded.is_empty(), "a fresh database is nobody's");
    assert_eq!(seeded(&mut conn), (3, 1));
    let auth0user = &users(&mut conn)[0];
    assert_eq!(
        (
            auth0user.id,
            auth0user.username.as_str(),
            auth0user.email.as_str()
        ),
        (1, "auth0user", "myemail@someprovider.com"),
        "as the original's migration 0003"
    );
    assert!(
        auth0user.password.starts_with('!') && auth0user.password.len() == 41,
        "an unusable password, as Django's"
    );
    let reverted = conn.revert_migrations().expect("down");
    assert_eq!(reverted.len(), ALL);
    for table in ["task", "auth_user", "tasks", "users"] {
        let gone = diesel::sql_query(format!("SELECT id FROM {table}")).execute(&mut conn);
        assert!(gone.is_err(), "{table} is dropped");
    }
    let migrated = conn.apply_migrations().expect("up again");
    assert_eq!(migrated.applied.len(), ALL);
    assert_eq!(seeded(&mut conn), (3, 1));
    assert!(conn.apply_migrations().expect("nothing pending").is_empty());
}

/// A database made by this project's previous version (its three migrations,
/// then a user's own rows) moves to the original's tables, and back.
#[tokio::test]
async fn a_previous_version_database_moves_forward_and_back() {
    let db = TestDb::new();
    let long_name = format!("{}{}", "n".repeat(50), "-cut-off-");
    let seeding_day = today_in("UTC");
    {
        let mut conn = db.connect();
        migrate_first(&mut conn, 3);
        for statement in [
            "INSERT INTO users (username) VALUES ('auth0|bob')".to_owned(),
            // A demo task toggled stays the demo task; one renamed is the user's.
            "UPDATE tasks SET done = TRUE WHERE id = 1".to_owned(),
            "UPDATE tasks SET name = 'Walk the cat' WHERE id = 2".to_owned(),
            "DELETE FROM tasks WHERE id = 3".to_owned(),
            "INSERT INTO tasks (name, done, created) VALUES ('Buy milk', TRUE, '2026-11-20 23:30:00')"
                .to_owned(),
            format!(
                "INSERT INTO tasks (name, done, created) VALUES ('{long_name}', FALSE, '2026-11-21 08:00:00')"
            ),
            // Id 6 was used once: it must not come back.
            "INSERT INTO tasks (name) VALUES ('Gone')".to_owned(),
            "DELETE FROM tasks WHERE id = 6".to_owned(),
        ] {
            diesel::sql_query(statement).execute(&mut conn).expect("previous-version rows");
        }
    }

    // As a user would: the CLI.
    let out = todoapi_on(db.url(), &["migrate"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.trim(),
        format!("applied {NEW_MODEL}\napplied {CREATED_BY}\napplied {LIST_INDEXES}")
    );

    let jwks = JwksServer::start(&["k1"]).await;
    let app = spawn_app_on(jwks, db, &[]).await;
    let (status, _, list) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(status, 200);
    // The demo rows were made a moment ago: their day is today's (UTC).
    let seeded_on = list[0]["created_on"].clone();
    assert!(
        seeded_on == json!(seeding_day) || seeded_on == json!(today_in("UTC")),
        "{list}"
    );
    assert_eq!(
        list,
        json!([
            {"id": 1, "title": "Workout", "content": "Squat, bench press, deadlift.",
             "created_on": seeded_on, "due_date": seeded_on},
            {"id": 2, "title": "Walk the cat", "content": "Done.",
             "created_on": seeded_on, "due_date": seeded_on},
            {"id": 4, "title": "Buy milk", "content": "Done.",
             "created_on": "2026-11-20", "due_date": "2026-11-20"},
            {"id": 5, "title": "n".repeat(50), "content": "To do.",
             "created_on": "2026-11-21", "due_date": "2026-11-21"},
        ])
    );
    let (status, _, created) = send(
        app.authed(Method::POST, "/api/task/")
            .json(&json!({"title": "After", "content": "the move"})),
    )
    .await;
    assert_eq!(
        (status, created["id"].clone()),
        (201, json!(7)),
        "ids are never reused"
    );
    // The moved tasks take the Angular app's PUT like any other.
    let mut moved = list[3].clone();
    moved["isEditable"] = json!(true);
    let (status, _, _) = send(app.authed(Method::PUT, "/api/task/5/").json(&moved)).await;
    assert_eq!(status, 200);

    let mut conn = app.db.connect();
    let people: Vec<(i32, String, String)> = users(&mut conn)
        .into_iter()
        .map(|u| {
            assert!(
                u.password.starts_with('!') && u.password.len() == 41,
                "{u:?}"
            );
            (u.id, u.username, u.email)
        })
        .collect();
    assert_eq!(
        people,
        vec![
            (1, "auth0user".into(), "myemail@someprovider.com".into()),
            (2, "auth0|bob".into(), String::new())
        ]
    );

    // The original's v1.14 column, "dummy" for the rows that were there.
    assert_eq!(
        lines_of(&mut conn, "SELECT created_by AS line FROM task ORDER BY id"),
        ["dummy", "dummy", "dummy", "dummy", "auth0|abc123"]
    );
    // Down again: the previous model, the user's rows as they were (titles cut).
    assert_eq!(revert_last(&mut conn), LIST_INDEXES);
    assert_eq!(revert_last(&mut conn), CREATED_BY);
    assert_eq!(revert_last(&mut conn), NEW_MODEL);
    assert_eq!(
        old_tasks(&mut conn),
        vec![
            (1, "Buy groceries".into(), false),
            (2, "Walk the cat".into(), true),
            (4, "Buy milk".into(), true),
            (5, "n".repeat(50), false),
            (7, "After".into(), false),
        ]
    );
    diesel::sql_query("INSERT INTO tasks (name) VALUES ('Next')")
        .execute(&mut conn)
        .expect("insert");
    assert_eq!(old_tasks(&mut conn).last().map(|t| t.0), Some(8));
    // And forward once more.
    let migrated = conn.apply_migrations().expect("up again");
    assert_eq!(
        migrated.applied,
        vec![
            NEW_MODEL.to_owned(),
            CREATED_BY.to_owned(),
            LIST_INDEXES.to_owned()
        ]
    );
    assert_eq!(app.count("task"), 6);
}

#[tokio::test]
async fn migrate_on_start_off_leaves_the_database_to_the_migrate_command() {
    let db = TestDb::new();
    let url = db.url().to_owned();
    let jwks = JwksServer::start(&["k1"]).await;
    let app = spawn_app_on(jwks, db, &[("APP__DATABASE__MIGRATE_ON_START", "false")]).await;
    let (status, _, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!((status, body), (500, detail("A server error occurred.")));

    let run = |args: &[&str]| todoapi_on(&url, args);
    let out = run(&["migrate"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("applied ")).count(),
        ALL,
        "{stdout}"
    );
    let out = run(&["migrate"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "no migrations to apply"
    );

    let (status, _, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!((status, body.as_array().map(Vec::len)), (200, Some(3)));
}
