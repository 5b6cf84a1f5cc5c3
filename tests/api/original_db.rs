//! A database the original made (tests/fixtures/original/, at v1.11 and v1.14,
//! each on the suite's backend) is served as it is: its tasks listed, new
//! ones added, and its schema left as it was, so the original still runs on it.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use reqwest::Method;
use serde_json::{Value, json};
use todoapi::db::DbConnection;

use crate::helpers::*;

/// What the original's API answered for these databases, in order.
fn original_tasks(version: &str) -> Value {
    let workout = json!({"id": 1, "title": "Workout", "content": "Squat, bench press, deadlift.",
                         "created_on": "2026-12-01", "due_date": "2026-12-01"});
    let alice = json!({"id": 4, "title": "Read the tutorial", "content": "Part 6: Auth0",
                       "created_on": "2026-12-01", "due_date": "2019-01-05"});
    let bob = json!({"id": 5, "title": "Ship it", "content": "Before Christmas",
                     "created_on": "2018-12-01", "due_date": "2018-12-24"});
    match version {
        // alice's PUT of task 2 and DELETE of task 3 went through.
        "v1.11" => json!([
            workout,
            {"id": 2, "title": "Shopping", "content": "Oats and eggs.",
             "created_on": "2018-12-06", "due_date": "2018-12-08"},
            alice,
            bob
        ]),
        // Both were 403: the demo tasks belong to "dummy". This server
        // shares every task (the v1.11 behaviour), so it lists them all.
        _ => json!([
            workout,
            {"id": 2, "title": "Shopping", "content": "Whey protein, creatine, BCAAs.",
             "created_on": "2026-12-01", "due_date": "2026-12-01"},
            {"id": 3, "title": "Counting", "content": "1, 2, 3 and so on.",
             "created_on": "2026-12-01", "due_date": "2026-12-01"},
            alice,
            bob
        ]),
    }
}

pub fn load_original(version: &str) -> TestDb {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/original")
        .join(format!("{version}-{}.sql", backend()));
    let dump = std::fs::read_to_string(&path).expect("fixture");
    let db = TestDb::new();
    db.connect()
        .batch_execute(&dump)
        .expect("load the original's database");
    db
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

fn lines(conn: &mut DbConnection, query: &str) -> Vec<String> {
    diesel::sql_query(query)
        .load::<Line>(conn)
        .expect("query")
        .into_iter()
        .map(|l| l.line)
        .collect()
}

/// Every table, column, type, default, constraint and index but ours.
fn schema(conn: &mut DbConnection) -> Vec<String> {
    let query = match conn {
        DbConnection::Sqlite(_) => {
            "SELECT type || ' ' || name || ': ' || coalesce(sql, '') AS line FROM sqlite_master \
             WHERE tbl_name <> '__diesel_schema_migrations' ORDER BY type, name"
        }
        DbConnection::Postgres(_) => {
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' \
                    || coalesce(column_default, '') || ' ' || coalesce(character_maximum_length::text, '') AS line \
             FROM information_schema.columns \
             WHERE table_schema = 'public' AND table_name <> '__diesel_schema_migrations' \
             UNION ALL \
             SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) \
             FROM pg_constraint WHERE connamespace = 'public'::regnamespace \
               AND conrelid::regclass::text <> '__diesel_schema_migrations' \
             UNION ALL \
             SELECT indexname || ' ' || indexdef FROM pg_indexes \
             WHERE schemaname = 'public' AND tablename <> '__diesel_schema_migrations' \
             ORDER BY 1"
        }
    };
    lines(conn, query)
}

fn django_migrations(conn: &mut DbConnection) -> Vec<String> {
    lines(
        conn,
        "SELECT app || '.' || name || ' ' || CAST(applied AS TEXT) AS line FROM django_migrations ORDER BY id",
    )
}

fn our_migrations(conn: &mut DbConnection) -> Vec<String> {
    lines(
        conn,
        "SELECT version AS line FROM __diesel_schema_migrations ORDER BY version",
    )
}

async fn served_as_it_is(version: &str) {
    let db = load_original(version);
    let (schema_before, django_before) = {
        let mut conn = db.connect();
        (schema(&mut conn), django_migrations(&mut conn))
    };
    let url = db.url().to_owned();
    let jwks = JwksServer::start(&["k1"]).await;
    // migrate_on_start: the database is recognised at start-up.
    let app = spawn_app_on(jwks, db, &[]).await;

    let (status, _, list) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!((status, &list), (200, &original_tasks(version)));
    let (status, _, created) = send(
        app.authed(Method::POST, "/api/task/")
            .json(&json!({"title": "Added here", "content": "by todoapi"})),
    )
    .await;
    assert_eq!(
        (status, created["id"].clone()),
        (201, json!(6)),
        "{created}"
    );
    let mut edited = list
        .as_array()
        .and_then(|tasks| tasks.iter().find(|t| t["id"] == 4))
        .cloned()
        .expect("alice's task");
    edited["isEditable"] = json!(true);
    edited["due_date"] = json!("2019-1-6");
    let (status, _, updated) = send(app.authed(Method::PUT, "/api/task/4/").json(&edited)).await;
    assert_eq!(
        (status, updated["due_date"].clone()),
        (200, json!("2019-01-06"))
    );
    let response = app
        .authed(Method::DELETE, "/api/task/5/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);

    // A user of the username handler `sub` is written to Django's auth_user
    // (on PostgreSQL past the id the original left its sequence at).
    let per_subject = spawn_app_on(
        JwksServer::start(&["k1"]).await,
        TestDb::shared(&url),
        &[("APP__AUTH__USERNAME_HANDLER", "sub")],
    )
    .await;
    assert_eq!(
        send(per_subject.authed(Method::GET, "/api/task/")).await.0,
        200
    );

    let mut conn = app.db.connect();
    assert_eq!(
        schema(&mut conn),
        schema_before,
        "the original's schema is untouched"
    );
    assert_eq!(django_migrations(&mut conn), django_before);
    assert_eq!(
        our_migrations(&mut conn),
        [
            "20261126000001",
            "20261126000002",
            "20261126000003",
            "20261201000001",
            "20261202000001",
            "20261203000001"
        ]
    );
    assert_eq!(
        lines(
            &mut conn,
            "SELECT CAST(id AS TEXT) || ' ' || username AS line FROM auth_user ORDER BY id"
        ),
        ["1 auth0user", "2 auth0|abc123"]
    );
    // What this server wrote reads back as the original stores it (on
    // SQLite, dates are text and datetimes Django's text).
    if backend() == "sqlite" {
        assert_eq!(
            lines(
                &mut conn,
                "SELECT typeof(created_on) || ' ' || created_on AS line FROM task WHERE id = 6"
            ),
            [format!("text {}", today_in("UTC"))]
        );
        let joined = lines(
            &mut conn,
            "SELECT date_joined AS line FROM auth_user WHERE id = 2",
        );
        assert!(
            joined[0].len() == 23 && joined[0].as_bytes()[10] == b' ',
            "{joined:?}"
        );
    }
    if version == "v1.14" {
        assert_eq!(
            lines(&mut conn, "SELECT created_by AS line FROM task ORDER BY id"),
            ["dummy", "dummy", "dummy", "auth0|alice", "auth0|abc123"],
            "created_by of the new task is the token's sub (5 was deleted)"
        );
    }

    // The CLI agrees, and will not drop the original's tables.
    let run = |args: &[&str]| todoapi_on(&url, args);
    let out = run(&["migrate"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "no migrations to apply"
    );
    let out = run(&["migrate", "--revert-all"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{stderr}");
    assert!(
        stderr.contains("the Django original's too") && stderr.contains("nothing was reverted"),
        "{stderr}"
    );
    assert_eq!(schema(&mut conn), schema_before);
    assert_eq!(our_migrations(&mut conn).len(), 6);
}

#[tokio::test]
async fn an_original_database_at_v1_11_is_served_as_it_is() {
    served_as_it_is("v1.11").await;
}

#[tokio::test]
async fn an_original_database_at_v1_14_is_served_as_it_is() {
    served_as_it_is("v1.14").await;
}

#[tokio::test]
async fn the_migrate_command_says_what_it_recognised() {
    let db = load_original("v1.11");
    let out = todoapi_on(db.url(), &["migrate"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(out.status.success(), "{stdout}");
    assert_eq!(
        stdout.trim(),
        "a database of the original (todoapi 0001_initial, 0002_dummy_tasks, 0003_auth0user): \
         recorded 20261126000001, 20261126000002, 20261126000003, 20261201000001, \
         20261202000001, 20261203000001 as applied, changed nothing"
    );
}

#[tokio::test]
async fn an_original_of_an_unknown_version_is_refused_and_left_alone() {
    let db = load_original("v1.11");
    let mut conn = db.connect();
    let before = schema(&mut conn);
    diesel::sql_query(
        "INSERT INTO django_migrations (app, name, applied) \
         VALUES ('todoapi', '0005_task_priority', '2019-01-01 00:00:00')",
    )
    .execute(&mut conn)
    .expect("a later migration of the original");
    let out = todoapi_on(db.url(), &["migrate"]);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success());
    assert!(
        stderr.contains("todoapi 0005_task_priority") && stderr.contains("nothing was changed"),
        "{stderr}"
    );
    assert_eq!(schema(&mut conn), before);
    let ours =
        diesel::sql_query("SELECT version FROM __diesel_schema_migrations").execute(&mut conn);
    assert!(ours.is_err(), "not even our migrations table was created");
}
