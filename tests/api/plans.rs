//! Every query on a request's path, as the database itself plans it
//! (`EXPLAIN QUERY PLAN`, `EXPLAIN`) on a table of 200 000 tasks of 2 000
//! users: none reads the whole table, and none sorts more than its caller's
//! own rows. (The bench measures the same at 1 000 000 rows.) The queries
//! are built by the functions the requests use (`todoapi::db::plan`).
//!
//! Not here, because it cannot be otherwise: a bare list in shared mode
//! reads every row (it answers every row), and `COUNT(*)` (page numbers,
//! limit/offset) counts every row the caller may see.

use diesel::connection::SimpleConnection;
use todoapi::db::DbConnection;
use todoapi::db::listing::{Keyset, Listing, OrderBy, Position, Window};
use todoapi::db::plan;

use crate::helpers::*;

const ROWS: i64 = 200_000;
const USERS: i64 = 2_000;
/// A user whose tasks are the newest rows: a plan that walks the primary key
/// and filters (PostgreSQL's choice for `created_by = ? ORDER BY id LIMIT n`)
/// reads the whole table before finding them.
const BIG: i64 = 20_000;
/// Columns of `TASK_LIST_COLUMNS`.
const ID: usize = 0;
const TITLE: usize = 1;

fn big_table() -> (TestDb, DbConnection) {
    let db = TestDb::new();
    let mut conn = db.connect();
    conn.apply_migrations().expect("migrations");
    let fill = match &conn {
        DbConnection::Sqlite(_) => format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {ROWS}) \
             INSERT INTO task (title, content, created_on, due_date, created_by) \
             SELECT 'task ' || i, 'content ' || i, '2026-01-01', '2026-02-01', 'u' || (i % {USERS}) FROM n; \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {BIG}) \
             INSERT INTO task (title, content, created_on, due_date, created_by) \
             SELECT 'big ' || i, 'c', '2026-01-01', '2026-02-01', 'big' FROM n; \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {USERS}) \
             INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) \
             SELECT '!', 0, 'u' || i, '', '', '', 0, 1, '2026-01-01 00:00:00' FROM n; \
             ANALYZE;"
        ),
        DbConnection::Postgres(_) => format!(
            "INSERT INTO task (title, content, created_on, due_date, created_by) \
             SELECT 'task ' || i, 'content ' || i, '2026-01-01', '2026-02-01', 'u' || (i % {USERS}) \
             FROM generate_series(1, {ROWS}) AS i; \
             INSERT INTO task (title, content, created_on, due_date, created_by) \
             SELECT 'big ' || i, 'c', '2026-01-01', '2026-02-01', 'big' FROM generate_series(1, {BIG}) AS i; \
             INSERT INTO auth_user (password, is_superuser, username, first_name, last_name, email, is_staff, is_active, date_joined) \
             SELECT '!', FALSE, 'u' || i, '', '', '', FALSE, TRUE, now() FROM generate_series(1, {USERS}) AS i; \
             ANALYZE;"
        ),
    };
    conn.batch_execute(&fill).expect("fill");
    (db, conn)
}

fn ordering(terms: &[(usize, bool)]) -> Vec<OrderBy> {
    terms
        .iter()
        .map(|&(column, descending)| OrderBy { column, descending })
        .collect()
}

fn listing(order: &[(usize, bool)], window: Window, search: &[&str], count: bool) -> Listing {
    Listing {
        search: search.iter().map(|s| s.to_string()).collect(),
        search_columns: if search.is_empty() {
            vec![]
        } else {
            vec![1, 2]
        },
        ordering: ordering(order),
        window,
        count,
    }
}

fn keyset(values: Vec<Position>, backwards: bool) -> Window {
    Window::Keyset {
        from: Some(Keyset {
            values,
            inclusive: false,
        }),
        backwards,
        limit: 10,
    }
}

/// The plan reads every row of a table: PostgreSQL's sequential scan; on
/// SQLite a scan that cannot stop early (no LIMIT, or a sort before it).
fn reads_all(plan: &[String], limited: bool) -> bool {
    let seq = plan.iter().any(|l| l.contains("Seq Scan on"));
    let scan = plan.iter().any(|l| l.starts_with("SCAN "));
    seq || (scan && (!limited || sorts(plan)))
}

fn uses(plan: &[String], index: &str) -> bool {
    plan.iter().any(|l| l.contains(index))
}

/// The id bound of a cursor is part of the index search: SQLite's
/// `SEARCH … USING INDEX … (created_by=? AND id>?)`, PostgreSQL's
/// `Index Cond: (… AND (id > …))`.
fn bound_in_index(plan: &[String]) -> bool {
    plan.iter().any(|l| {
        (l.contains("USING INDEX") || l.contains("Index Cond"))
            && [" id>", " id<", "(id > ", "(id < "]
                .iter()
                .any(|bound| l.contains(bound))
    })
}

/// A sort step (the rows sorted rather than read in order).
fn sorts(plan: &[String]) -> bool {
    plan.iter().any(|l| {
        l.contains("TEMP B-TREE FOR ORDER BY")
            || l.trim_start_matches([' ', '-', '>']).starts_with("Sort")
    })
}

#[test]
fn no_query_on_a_requests_path_reads_the_whole_table() {
    let (_db, mut conn) = big_table();
    for user in [Some("u7"), Some("big")] {
        creator_mode(&mut conn, user);
    }
    shared_and_others(&mut conn);
}

/// A page by number, a first cursor page, one deep in, and one backwards.
fn windows() -> [Window; 4] {
    let first = Window::Keyset {
        from: None,
        backwards: false,
        limit: 10,
    };
    [
        Window::Offset {
            offset: 20,
            limit: 10,
        },
        first,
        keyset(vec![Position::Integer(150_007)], false),
        keyset(vec![Position::Integer(150_007)], true),
    ]
}

/// Creator mode: the caller's rows through (created_by, id), in order.
fn creator_mode(conn: &mut DbConnection, user: Option<&str>) {
    let by_id = [(ID, false)];
    let [page, first, deep, back] = windows();
    for (what, listing) in [
        ("bare list", listing(&by_id, Window::All, &[], false)),
        ("page 3", listing(&by_id, page, &[], true)),
        (
            "cursor, first page",
            listing(&by_id, first.clone(), &[], false),
        ),
        ("cursor, deep", listing(&by_id, deep.clone(), &[], false)),
        (
            "cursor, backwards",
            listing(&by_id, back.clone(), &[], false),
        ),
        ("search", listing(&by_id, first.clone(), &["task 1"], true)),
    ] {
        for (query, plan) in plan::list(conn, user, &listing, Some(100)).expect("plan") {
            let what = format!("{user:?}, {what}, {query}: {plan:?}");
            assert!(uses(&plan, "todoapi_task_created_by_id"), "{what}");
            assert!(!reads_all(&plan, false), "{what}");
        }
    }
    // A page in id order comes straight from the index, either way, and
    // a cursor's bound starts the index scan (not a filter over the
    // caller's earlier rows: page 10 000 would read them all).
    for window in [first, deep, back] {
        let bounded = matches!(window, Window::Keyset { from: Some(_), .. });
        let plans = plan::list(conn, user, &listing(&by_id, window, &[], false), None);
        for (query, plan) in plans.expect("plan") {
            assert!(!sorts(&plan), "{user:?}, {query}: {plan:?}");
            if bounded {
                assert!(bound_in_index(&plan), "{user:?}, {query}: {plan:?}");
            }
        }
    }
    // Another ordering sorts the caller's own rows, found by the index.
    let by_title = listing(&[(TITLE, true), (ID, false)], deep_title(), &[], false);
    for (query, plan) in plan::list(conn, user, &by_title, None).expect("plan") {
        assert!(
            uses(&plan, "todoapi_task_created_by_id"),
            "{query}: {plan:?}"
        );
        assert!(!reads_all(&plan, false), "{query}: {plan:?}");
    }
}

fn shared_and_others(conn: &mut DbConnection) {
    // Shared mode: a page walks the primary key in order and stops at its LIMIT.
    let by_id = [(ID, false)];
    let [page, first, deep, back] = windows();
    for (what, listing) in [
        ("page 3", listing(&by_id, page, &[], false)),
        (
            "cursor, first page",
            listing(&by_id, first.clone(), &[], false),
        ),
        ("cursor, deep", listing(&by_id, deep, &[], false)),
        ("cursor, backwards", listing(&by_id, back, &[], false)),
        ("search", listing(&by_id, first, &["task 1"], false)),
    ] {
        for (query, plan) in plan::list(conn, None, &listing, None).expect("plan") {
            assert!(!reads_all(&plan, true), "{what}, {query}: {plan:?}");
            assert!(!sorts(&plan), "{what}, {query}: {plan:?}");
        }
    }
    // The detail route, writes and the user lookup: by their unique keys.
    for (query, plan) in plan::others(conn, 150_007, "u1234").expect("plan") {
        assert!(!reads_all(&plan, false), "{query}: {plan:?}");
    }
}

fn deep_title() -> Window {
    keyset(
        vec![
            Position::Text("task 150007".into()),
            Position::Integer(150_007),
        ],
        false,
    )
}
