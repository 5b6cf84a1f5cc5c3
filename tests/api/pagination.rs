//! Pagination as DRF declares it: the three classes with DRF's bodies,
//! links and texts (the expected values are what DRF answered for the same
//! requests), the `Link` header, links through a trusted proxy, the
//! client's page size, per-route settings, and cursors that were not ours.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

/// A server whose lists are paginated by `class`, two a page.
async fn paginated(class: &str, more: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![
        ("APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS", class),
        ("APP__REST_FRAMEWORK__PAGE_SIZE", "2"),
    ];
    vars.extend_from_slice(more);
    spawn_app_with(&vars).await
}

/// GET the list with this query: status, `Link` and the body.
async fn page(app: &TestApp, query: &str) -> (u16, String, Value) {
    let (status, headers, body) =
        send(app.authed(Method::GET, &format!("/api/task/{query}"))).await;
    (status, header(&headers, "link").to_owned(), body)
}

pub fn ids(body: &Value) -> Vec<i64> {
    body["results"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["id"].as_i64()).collect())
        .unwrap_or_default()
}

/// Adds tasks 4.. titled as given.
pub fn add_tasks(app: &TestApp, titles: &[&str]) {
    for title in titles {
        app.sql(&format!(
            "INSERT INTO task (title, content, created_on, due_date) \
             VALUES ('{title}', 'c', '2026-12-01', '2026-12-01')"
        ));
    }
}

#[tokio::test]
async fn page_numbers_as_drf() {
    let app = paginated("PageNumberPagination", &[]).await;
    let base = app.url("/api/task/");
    let (status, link, body) = page(&app, "").await;
    assert_eq!(status, 200);
    assert_eq!(ids(&body), [1, 2]);
    assert_eq!(
        (&body["count"], &body["next"], &body["previous"]),
        (&json!(3), &json!(format!("{base}?page=2")), &Value::Null)
    );
    assert_eq!(link, format!("<{base}?page=2>; rel=\"next\""));
    let keys: Vec<&String> = body
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        ["count", "next", "previous", "results"],
        "DRF's order"
    );

    // Page 1's link drops `page`; the other parameters stay, sorted.
    for query in ["?page=2", "?page=last", "?page=%202%20"] {
        let (status, link, body) = page(&app, query).await;
        assert_eq!((status, ids(&body)), (200, vec![3]), "{query}");
        assert_eq!(body["next"], Value::Null);
        assert_eq!(body["previous"], json!(base));
        assert_eq!(link, format!("<{base}>; rel=\"prev\""));
    }
    let (_, _, body) = page(&app, "?page=2&b=1&a=%7E&b=%2B").await;
    assert_eq!(body["previous"], json!(format!("{base}?a=~&b=1&b=%2B")));

    // A page that is not there: DRF's 404. An empty `page` is page 1, as
    // current DRF reads it.
    for query in [
        "?page=3",
        "?page=0",
        "?page=-1",
        "?page=abc",
        "?page=1.0",
        "?page=99999999999999999999",
    ] {
        let (status, _, body) = page(&app, query).await;
        assert_eq!((status, body), (404, detail("Invalid page.")), "{query}");
    }
    assert_eq!(ids(&page(&app, "?page=").await.2), [1, 2]);

    // No tasks at all: page 1 (and `last`) is empty, page 2 is not there.
    app.sql("DELETE FROM task");
    for query in ["", "?page=last"] {
        let (status, link, body) = page(&app, query).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"count": 0, "next": null, "previous": null, "results": []})
        );
        assert_eq!(link, "", "no Link header without links");
    }
    assert_eq!(page(&app, "?page=2").await.0, 404);
}

#[tokio::test]
async fn the_client_sets_the_page_size_within_the_bound() {
    let app = paginated(
        "PageNumberPagination",
        &[
            ("APP__REST_FRAMEWORK__PAGE_SIZE_QUERY_PARAM", "page_size"),
            ("APP__REST_FRAMEWORK__MAX_PAGE_SIZE", "4"),
        ],
    )
    .await;
    add_tasks(&app, &["d", "e", "f", "g"]);
    let base = app.url("/api/task/");
    let (_, _, body) = page(&app, "?page_size=3&page=2").await;
    assert_eq!(ids(&body), [4, 5, 6]);
    assert_eq!(body["next"], json!(format!("{base}?page=3&page_size=3")));
    assert_eq!(body["previous"], json!(format!("{base}?page_size=3")));
    // Beyond the bound: the bound; not a positive number: the default.
    assert_eq!(ids(&page(&app, "?page_size=100").await.2), [1, 2, 3, 4]);
    for query in ["?page_size=0", "?page_size=-3", "?page_size=x"] {
        assert_eq!(ids(&page(&app, query).await.2), [1, 2], "{query}");
    }
}

/// A query, the ids it lists, its next and previous links' queries.
type Case<'a> = (&'a str, &'a [i64], Option<&'a str>, Option<&'a str>);

#[tokio::test]
async fn limit_and_offset_as_drf() {
    let app = paginated(
        "LimitOffsetPagination",
        &[("APP__REST_FRAMEWORK__MAX_LIMIT", "5")],
    )
    .await;
    let base = app.url("/api/task/");
    let cases: &[Case] = &[
        ("", &[1, 2], Some("?limit=2&offset=2"), None),
        ("?offset=2", &[3], None, Some("?limit=2")),
        (
            "?offset=1&limit=1",
            &[2],
            Some("?limit=1&offset=2"),
            Some("?limit=1"),
        ),
        ("?offset=5", &[], None, Some("?limit=2&offset=3")),
        ("?offset=3&limit=2", &[], None, Some("?limit=2&offset=1")),
        // Not positive: the defaults, as DRF's `_positive_int` refuses them.
        ("?limit=0", &[1, 2], Some("?limit=2&offset=2"), None),
        (
            "?limit=-1&offset=-3",
            &[1, 2],
            Some("?limit=2&offset=2"),
            None,
        ),
        // max_limit bounds it.
        ("?limit=50", &[1, 2, 3], None, None),
        (
            "?offset=99999999999999999999999",
            &[],
            None,
            Some("?limit=2&offset=9223372036854775805"),
        ),
    ];
    let link = |q: Option<&str>| q.map_or(Value::Null, |q| json!(format!("{base}{q}")));
    for (query, expected, next, previous) in cases {
        let (status, _, body) = page(&app, query).await;
        assert_eq!(status, 200, "{query}");
        assert_eq!(ids(&body), *expected, "{query}");
        assert_eq!(body["count"], json!(3), "{query}");
        assert_eq!(
            (&body["next"], &body["previous"]),
            (&link(*next), &link(*previous)),
            "{query}"
        );
    }
}

#[tokio::test]
async fn cursors_walk_both_ways_and_follow_the_ordering() {
    let app = paginated(
        "CursorPagination",
        &[(
            "APP__REST_FRAMEWORK__DEFAULT_FILTER_BACKENDS",
            "SearchFilter,OrderingFilter",
        )],
    )
    .await;
    add_tasks(&app, &["T0", "T1", "T2", "T3", "T4", "T5", "T6"]);
    let titles = |body: &Value| -> Vec<String> {
        body["results"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|t| t["title"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let follow = |url: &Value| {
        url.as_str()
            .map(|u| u.trim_start_matches(&app.address).to_owned())
    };
    let (status, link, first) = page(&app, "?ordering=-title").await;
    assert_eq!(status, 200);
    let keys: Vec<&String> = first
        .as_object()
        .map(|o| o.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        ["next", "previous", "results"],
        "no count, as DRF's cursor page"
    );
    assert_eq!(first["previous"], Value::Null);
    assert!(
        link.starts_with('<') && link.ends_with(">; rel=\"next\""),
        "{link}"
    );
    let mut pages = vec![titles(&first)];
    let mut at = first;
    while let Some(next) = follow(&at["next"]) {
        assert!(
            next.contains("ordering=-title"),
            "the ordering stays: {next}"
        );
        let (status, headers, body) = send(app.authed(Method::GET, &next)).await;
        let link = header(&headers, "link");
        assert_eq!(status, 200);
        assert!(link.contains("rel=\"prev\""), "{link}");
        pages.push(titles(&body));
        at = body;
    }
    let expected: Vec<Vec<&str>> = vec![
        vec!["Workout", "T6"],
        vec!["T5", "T4"],
        vec!["T3", "T2"],
        vec!["T1", "T0"],
        vec!["Shopping", "Counting"],
    ];
    assert_eq!(pages, expected);
    let mut back = Vec::new();
    while let Some(previous) = follow(&at["previous"]) {
        let (_, _, body) = send(app.authed(Method::GET, &previous)).await;
        back.push(titles(&body));
        at = body;
    }
    let mut reversed = expected[..4].to_vec();
    reversed.reverse();
    assert_eq!(
        back, reversed,
        "back to the first page, whose previous is null"
    );
    assert_eq!(at["previous"], Value::Null);

    // Search and cursor together: only the matches, page by page.
    let (_, _, body) = page(&app, "?search=t&ordering=title").await;
    assert_eq!(titles(&body), ["Counting", "Shopping"]);
    let (_, _, body) =
        send(app.authed(Method::GET, &follow(&body["next"]).unwrap_or_default())).await;
    assert_eq!(titles(&body), ["T0", "T1"]);
}

#[tokio::test]
async fn a_cursor_the_server_did_not_write_is_a_404() {
    let app = paginated(
        "CursorPagination",
        &[(
            "APP__REST_FRAMEWORK__DEFAULT_FILTER_BACKENDS",
            "OrderingFilter",
        )],
    )
    .await;
    add_tasks(&app, &["d", "e"]);
    let (_, _, body) = page(&app, "?ordering=title").await;
    let next = body["next"].as_str().unwrap_or_default().to_owned();
    let cursor = next
        .split("cursor=")
        .nth(1)
        .unwrap_or_default()
        .split('&')
        .next()
        .unwrap_or_default();
    use base64::Engine;
    let b64 = |v: Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
    for bad in [
        "garbage!".to_owned(),
        cursor[1..].to_owned(),
        b64(json!({"o": "title,id", "p": [1, 2]})),
        b64(json!({"o": "title,id", "p": ["x' OR 1=1 --", "2"]})),
        b64(json!({"o": "title,id", "p": ["x\u{0}", 2]})),
        b64(json!({"o": "id", "p": [99999999999_i64]})),
        "A".repeat(10_000),
    ] {
        let (status, link, body) = page(&app, &format!("?ordering=title&cursor={bad}")).await;
        assert_eq!((status, body), (404, detail("Invalid cursor")), "{bad}");
        assert_eq!(link, "");
    }
    // A genuine cursor used with another ordering is another list's.
    let (status, _, _) = page(&app, &format!("?ordering=-due_date&cursor={cursor}")).await;
    assert_eq!(status, 404);
    // An empty cursor is the first page.
    assert_eq!(ids(&page(&app, "?ordering=title&cursor=").await.2).len(), 2);
}

#[tokio::test]
async fn links_are_absolute_through_a_trusted_proxy_only() {
    let app = paginated(
        "PageNumberPagination",
        &[("APP__SERVER__TRUSTED_PROXIES", "127.0.0.1")],
    )
    .await;
    let (_, headers, body) = send(
        app.authed(Method::GET, "/api/task/")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "todo.example.com"),
    )
    .await;
    assert_eq!(
        body["next"],
        json!("https://todo.example.com/api/task/?page=2")
    );
    assert_eq!(
        header(&headers, "link"),
        "<https://todo.example.com/api/task/?page=2>; rel=\"next\""
    );
    let untrusted = paginated("PageNumberPagination", &[]).await;
    let (_, _, body) = send(
        untrusted
            .authed(Method::GET, "/api/task/")
            .header("X-Forwarded-Host", "evil.example.com"),
    )
    .await;
    assert_eq!(body["next"], json!(untrusted.url("/api/task/?page=2")));
}

#[tokio::test]
async fn off_by_default_and_per_route() {
    // The original's bare list, whatever the query asks.
    let app = spawn_app().await;
    let (status, link, body) = page(&app, "?page=2&cursor=x&limit=1").await;
    assert_eq!((status, link.as_str()), (200, ""));
    assert_eq!(body.as_array().map(Vec::len), Some(3));
    // A default, and the list route's own setting over it.
    let app = paginated(
        "CursorPagination",
        &[("APP__REST_FRAMEWORK__PAGINATION__TASK_LIST", "None")],
    )
    .await;
    assert_eq!(page(&app, "").await.2.as_array().map(Vec::len), Some(3));
    let app = spawn_app_with(&[
        (
            "APP__REST_FRAMEWORK__PAGINATION__TASK_LIST",
            "rest_framework.pagination.LimitOffsetPagination",
        ),
        ("APP__REST_FRAMEWORK__PAGE_SIZE", "1"),
    ])
    .await;
    assert_eq!(
        page(&app, "?offset=1").await.2["results"][0]["id"],
        json!(2)
    );
}

#[tokio::test]
async fn with_creator_ownership_a_page_is_the_callers_own() {
    let app = paginated(
        "PageNumberPagination",
        &[("APP__TASKS__OWNERSHIP", "creator")],
    )
    .await;
    let alice = TokenSpec::default()
        .claim("sub", json!("auth0|alice"))
        .sign();
    for title in ["a1", "a2", "a3"] {
        let (status, _, _) = send(
            app.with_token(Method::POST, "/api/task/", &alice)
                .json(&json!({"title": title, "content": "c"})),
        )
        .await;
        assert_eq!(status, 201);
    }
    let (_, _, body) = send(app.with_token(Method::GET, "/api/task/?page=2", &alice)).await;
    assert_eq!((ids(&body), &body["count"]), (vec![6], &json!(3)));
    // Someone with no tasks: an empty first page; a token without `sub` too.
    let bob = TokenSpec::default().claim("sub", json!("auth0|bob")).sign();
    let nobody = TokenSpec::default().without_claim("sub").sign();
    for token in [bob, nobody] {
        let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &token)).await;
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({"count": 0, "next": null, "previous": null, "results": []})
        );
        let (status, _, _) = send(app.with_token(Method::GET, "/api/task/?page=2", &token)).await;
        assert_eq!(status, 404);
    }
}
