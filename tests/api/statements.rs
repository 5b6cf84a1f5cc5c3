//! What a request asks of the database, on both backends:
//! - every query on its path is prepared once per connection and then
//!   taken from diesel's statement cache: a second request prepares
//!   nothing. (A query diesel deems unsafe to cache, such as `sql_query` or
//!   an `IN` list, would be prepared at every request without ever being
//!   cached: the first run would show no `CacheQuery` event.)
//! - one statement a request where the semantics allow: a read is one
//!   query, the object a write changes is read once (its permissions and
//!   its answer), a write returns its row, the user comes from the token
//!   cache, and taking a pooled connection runs nothing.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use chrono::NaiveDate;
use diesel::connection::{
    Connection, Instrumentation, InstrumentationEvent, set_default_instrumentation,
};
use reqwest::Method;
use serde_json::json;
use todoapi::db::DbConnection;
use todoapi::db::listing::{Listing, OrderBy, Window};
use todoapi::db::models::{NewTask, Task, TaskChanges, TaskTable, User};

use crate::helpers::*;

/// The statements a connection put into its cache, and how many it ran.
#[derive(Clone, Default)]
struct Seen(Arc<Mutex<(Vec<String>, usize)>>);

impl Instrumentation for Seen {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        let Ok(mut seen) = self.0.lock() else { return };
        match event {
            InstrumentationEvent::CacheQuery { sql, .. } => seen.0.push(sql.to_owned()),
            InstrumentationEvent::StartQuery { .. } => seen.1 += 1,
            _ => {}
        }
    }
}

impl Seen {
    fn take(&self) -> (Vec<String>, usize) {
        self.0
            .lock()
            .map(|mut s| std::mem::take(&mut *s))
            .unwrap_or_default()
    }
}

/// A request's query, run on the connection given.
type Step = Box<dyn Fn(&mut DbConnection)>;

fn listings() -> Vec<(&'static str, Listing)> {
    let by_id = vec![OrderBy {
        column: 0,
        descending: false,
    }];
    let plain = Listing {
        search: vec![],
        search_columns: vec![],
        ordering: vec![],
        window: Window::All,
        count: false,
    };
    vec![
        ("a bare list", plain.clone()),
        (
            "a cursor page",
            Listing {
                ordering: by_id.clone(),
                window: Window::Keyset {
                    from: None,
                    backwards: false,
                    limit: 10,
                },
                ..plain.clone()
            },
        ),
        (
            "a searched, counted page by number",
            Listing {
                search: vec!["work".into()],
                search_columns: vec![1, 2],
                ordering: by_id,
                window: Window::Offset {
                    offset: 0,
                    limit: 10,
                },
                count: true,
            },
        ),
    ]
}

#[test]
fn a_requests_queries_come_from_the_statement_cache_after_the_first() {
    let db = TestDb::new();
    let mut setup = db.connect();
    setup.apply_migrations().expect("migrations");
    User::get_or_create(&mut setup, "u1").expect("a user");
    // A connection of its own: nothing in its cache yet.
    let mut conn = db.connect();
    let seen = Seen::default();
    conn.set_instrumentation(seen.clone());
    let day = NaiveDate::from_ymd_opt(2026, 12, 3).expect("a date");
    let new = NewTask {
        title: "Workout".into(),
        content: "Squat".into(),
        created_on: day,
        due_date: day,
    };
    let mut steps: Vec<(String, Step)> = vec![
        (
            "the user's row".into(),
            Box::new(|c| {
                User::get_or_create(c, "u1").expect("found");
            }),
        ),
        (
            "a create".into(),
            Box::new(move |c| {
                Task::create(c, TaskTable::V1_14, &new, "u1").expect("created");
            }),
        ),
        (
            "a detail".into(),
            Box::new(|c| {
                Task::get_with_creator(c, TaskTable::V1_14, 1).expect("read");
            }),
        ),
        (
            "an update".into(),
            Box::new(|c| {
                let changes = TaskChanges {
                    title: Some("Run".into()),
                    ..TaskChanges::default()
                };
                Task::update(c, 1, changes).expect("updated");
            }),
        ),
        (
            "a delete of nothing".into(),
            Box::new(|c| {
                Task::delete(c, 999).expect("deleted");
            }),
        ),
    ];
    for (name, listing) in listings() {
        for creator in [None, Some("u1")] {
            let listing = listing.clone();
            steps.push((
                format!("{name}, creator {creator:?}"),
                Box::new(move |c| {
                    Task::list(c, creator, &listing).expect("listed");
                }),
            ));
        }
    }
    for (name, step) in &steps {
        step(&mut conn);
        let (cached, ran) = seen.take();
        assert!(
            ran > 0 && cached.len() == ran,
            "{name}: first run cached {cached:?} of {ran} statements"
        );
        step(&mut conn);
        let (cached, ran) = seen.take();
        assert!(
            ran > 0 && cached.is_empty(),
            "{name}: prepared again: {cached:?}"
        );
    }
}

/// The statements run by the connections opened on a watched database
/// (tests share the process, each with a database of its own; the others'
/// connections record nothing).
static RAN: LazyLock<Mutex<HashMap<String, Vec<String>>>> = LazyLock::new(Mutex::default);

/// Records a connection's statements when its database is watched.
struct ByDatabase(Option<String>);

impl Instrumentation for ByDatabase {
    fn on_connection_event(&mut self, event: InstrumentationEvent<'_>) {
        let Ok(mut ran) = RAN.lock() else { return };
        match event {
            InstrumentationEvent::StartEstablishConnection { url, .. } => {
                self.0 = ran.contains_key(url).then(|| url.to_owned())
            }
            InstrumentationEvent::StartQuery { query, .. } => {
                if let Some(statements) = self.0.as_ref().and_then(|url| ran.get_mut(url)) {
                    statements.push(query.to_string());
                }
            }
            _ => {}
        }
    }
}

fn watch(url: &str) {
    if let Ok(mut ran) = RAN.lock() {
        ran.insert(url.to_owned(), Vec::new());
    }
}

fn ran_on(url: &str) -> Vec<String> {
    RAN.lock()
        .map(|ran| ran.get(url).cloned().unwrap_or_default())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_request_runs_one_statement_where_it_can() {
    // Before the server opens its connections.
    set_default_instrumentation(|| Some(Box::new(ByDatabase(None)))).expect("instrumentation");
    let db = TestDb::new();
    let url = db.url().to_owned();
    watch(&url);
    let jwks = JwksServer::start(&["k1"]).await;
    let app = spawn_app_on(jwks, db, &[("APP__AUTH__USER_CACHE_SECS", "3600")]).await;
    // The user's first request reads (and makes) its row; later ones do not.
    assert_eq!(send(app.authed(Method::GET, "/api/task/")).await.0, 200);
    let created = send(
        app.authed(Method::POST, "/api/task/")
            .json(&json!({"title": "Run", "content": "5 km"})),
    )
    .await;
    let id = created.2["id"].as_i64().expect("an id");
    let detail = format!("/api/task/{id}/");
    let run = json!({"title": "Run", "content": "10 km"});
    let swim = json!({"title": "Swim", "content": "1 km"});
    let jog = json!({"title": "Jog"});
    for (method, path, body, statements) in [
        (Method::GET, "/api/", None, 0),
        (Method::GET, "/api/task/", None, 1),
        (Method::GET, &detail, None, 1),
        (Method::POST, "/api/task/", Some(&swim), 1),
        // The object (404, 403 first), then the write that returns it.
        (Method::PUT, &detail, Some(&run), 2),
        (Method::PATCH, &detail, Some(&jog), 2),
        (Method::DELETE, &detail, None, 2),
        (Method::GET, &detail, None, 1),
    ] {
        let what = format!("{method} {path}");
        let mut request = app.authed(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        let before = ran_on(&url).len();
        let (status, _, _) = send(request).await;
        assert!(status < 500, "{what}: {status}");
        let ran = ran_on(&url);
        assert_eq!(
            ran.len() - before,
            statements,
            "{what}: {:?}",
            &ran[before..]
        );
    }
}

#[tokio::test]
async fn concurrent_writes_all_land_once() {
    // On SQLite they take turns in the server (`Db::run`): none may fail or
    // be lost. (How fast they go is make bench's.)
    let app = spawn_app().await;
    let before = app.count("task");
    let posts = (0..48).map(|i| {
        send(
            app.authed(Method::POST, "/api/task/")
                .json(&json!({"title": format!("Task {i}"), "content": "c"})),
        )
    });
    let statuses: Vec<u16> = futures_util::future::join_all(posts)
        .await
        .into_iter()
        .map(|(status, _, _)| status)
        .collect();
    assert_eq!(statuses, vec![201; 48]);
    assert_eq!(app.count("task") - before, 48);
    assert_eq!(app.count("task WHERE title = 'Task 47'"), 1);
}
