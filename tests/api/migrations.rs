//! Migrations: up, down and up again on each backend; the CLI; migrate_on_start.

use diesel::prelude::*;
use reqwest::Method;

use crate::helpers::*;

fn seeded(conn: &mut todoapi::db::DbConnection) -> (i64, i64) {
    use todoapi::db::schema::{tasks, users};
    let t = tasks::table.count().get_result(conn).expect("tasks table");
    let u = users::table
        .filter(users::username.eq("auth0user"))
        .count()
        .get_result(conn)
        .expect("users table");
    (t, u)
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
    let applied = conn.apply_migrations().expect("up");
    assert_eq!(applied.len(), 3, "{applied:?}");
    assert_eq!(seeded(&mut conn), (3, 1));
    let reverted = conn.revert_migrations().expect("down");
    assert_eq!(reverted.len(), 3);
    let gone = diesel::sql_query("SELECT id FROM tasks").execute(&mut conn);
    assert!(gone.is_err(), "tables are dropped");
    let applied = conn.apply_migrations().expect("up again");
    assert_eq!(applied.len(), 3);
    assert_eq!(seeded(&mut conn), (3, 1));
    assert!(conn.apply_migrations().expect("nothing pending").is_empty());
}

#[tokio::test]
async fn migrate_on_start_off_leaves_the_database_to_the_migrate_command() {
    let db = TestDb::new();
    let url = db.url().to_owned();
    let jwks = JwksServer::start(&["k1"]).await;
    let app = spawn_app_on(jwks, db, &[("APP__DATABASE__MIGRATE_ON_START", "false")]).await;
    let (status, _, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!((status, body), (500, detail("A server error occurred.")));

    let run = |args: &[&str]| {
        todoapi(
            args,
            &[("APP_ENV", "test"), ("APP__DATABASE__URL", url.as_str())],
        )
        .output()
        .expect("run todoapi migrate")
    };
    let out = run(&["migrate"]);
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("applied ")).count(),
        3,
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
