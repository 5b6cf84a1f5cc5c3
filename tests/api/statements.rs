//! Every query on a request's path is prepared once per connection and then
//! taken from diesel's statement cache, on both backends: a second request
//! prepares nothing. (A query diesel deems unsafe to cache, such as
//! `sql_query` or an `IN` list, would be prepared at every request without
//! ever being cached: the first run would show no `CacheQuery` event.)

use std::sync::{Arc, Mutex};

use chrono::NaiveDate;
use diesel::connection::{Connection, Instrumentation, InstrumentationEvent};
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
