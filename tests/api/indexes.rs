//! The list's index on a database the original made: our index migration is
//! recorded there, not run, so a large table gets a warning at start-up
//! naming `todoapi add-indexes`, and none once that has run. (The original
//! itself on such a database, after the command: tests/original/.)

use diesel::connection::SimpleConnection;

use crate::helpers::*;
use crate::original_db::load_original;

/// `todoapi serve` on `db` until it listens: what it logged meanwhile.
fn start_up_log(db: &TestDb) -> String {
    let (mut child, _) = Running::serve(&[
        ("APP_ENV", "test"),
        ("APP__SERVER__PORT", "0"),
        ("APP__DATABASE__URL", db.url()),
        ("APP__AUTH__DEV_ISSUER__ENABLED", "false"),
        ("RUST_LOG", "warn"),
    ]);
    child.stop_and_read_log()
}

#[test]
fn a_large_original_table_without_the_index_is_a_warning_until_it_is_added() {
    let db = load_original("v1.14");
    let fill = match backend() {
        "postgres" => {
            "INSERT INTO task (title, content, created_on, due_date, created_by) \
             SELECT 'Task', 'x', '2026-01-01', '2026-01-01', 'u' || i FROM generate_series(1, 10001) AS i"
        }
        _ => {
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10001) \
             INSERT INTO task (title, content, created_on, due_date, created_by) \
             SELECT 'Task', 'x', '2026-01-01', '2026-01-01', 'u' || i FROM n"
        }
    };
    db.connect().batch_execute(fill).expect("fill");
    let log = start_up_log(&db);
    assert!(
        log.contains(
            "the database lacks the list's index todoapi_task_created_by_id on task(created_by, id)"
        ) && log.contains("`todoapi add-indexes` adds it"),
        "{log}"
    );
    let out = todoapi_on(db.url(), &["add-indexes"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "added index todoapi_task_created_by_id"
    );
    let log = start_up_log(&db);
    assert!(!log.contains("lacks"), "{log}");
}

#[test]
fn a_small_original_table_is_no_warning_but_check_says_it() {
    let db = load_original("v1.14");
    assert!(!start_up_log(&db).contains("lacks"));
    let out = todoapi_on(db.url(), &["check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "missing indexes are advice, not invalid settings"
    );
    assert!(
        stdout
            .contains("# database: the database lacks the list's index todoapi_task_created_by_id"),
        "{stdout}"
    );
    // At v1.11 the table has no created_by: nothing to index, nothing to say.
    let db = load_original("v1.11");
    let out = todoapi_on(db.url(), &["check"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("lacks"));
    let out = todoapi_on(db.url(), &["add-indexes"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "no index to add: the database has the list's indexes"
    );
}

#[test]
fn our_own_database_has_the_index_and_check_is_quiet() {
    let db = TestDb::new();
    let out = todoapi_on(db.url(), &["migrate"]);
    assert!(out.status.success());
    let out = todoapi_on(db.url(), &["check"]);
    assert!(!String::from_utf8_lossy(&out.stdout).contains("# database"));
}
