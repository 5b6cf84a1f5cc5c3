//! SearchFilter and OrderingFilter, as DRF declares them: every term must
//! match title or content, case-insensitively; quoted phrases stay whole;
//! `%` and `_` are themselves; an ordering over the allowed fields, unknown
//! ones ignored; both off unless settings name them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const BOTH: &str = "SearchFilter,OrderingFilter";

async fn filtered(more: &[(&str, &str)]) -> TestApp {
    let mut vars = vec![("APP__REST_FRAMEWORK__DEFAULT_FILTER_BACKENDS", BOTH)];
    vars.extend_from_slice(more);
    let app = spawn_app_with(&vars).await;
    for (title, content, due) in [
        ("Bench day", "Press 100% effort", "2030-01-05"),
        ("Groceries", "Eggs_and milk", "2030-01-03"),
        ("bench press", "Form check", "2030-01-04"),
    ] {
        app.sql(&format!(
            "INSERT INTO task (title, content, created_on, due_date) \
             VALUES ('{title}', '{content}', '2020-01-01', '{due}')"
        ));
    }
    app
}

async fn ids(app: &TestApp, query: &str) -> Vec<i64> {
    let (status, _, body) = send(app.authed(Method::GET, &format!("/api/task/{query}"))).await;
    assert_eq!(status, 200, "{query}: {body}");
    body.as_array()
        .map(|a| a.iter().filter_map(|t| t["id"].as_i64()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn search_as_drf() {
    let app = filtered(&[]).await;
    // Title or content, any case.
    assert_eq!(ids(&app, "?search=BENCH").await, [1, 4, 6]);
    assert_eq!(ids(&app, "?search=press").await, [1, 4, 6]);
    // Every term must match (one in the title, one in the content will do).
    assert_eq!(ids(&app, "?search=bench+form").await, [6]);
    assert_eq!(ids(&app, "?search=bench,effort").await, [4]);
    // A quoted phrase is one term.
    assert_eq!(ids(&app, "?search=%22bench+press%22").await, [1, 6]);
    assert_eq!(
        ids(&app, "?search=%22press+bench%22").await,
        Vec::<i64>::new()
    );
    // Wildcards are literal characters.
    assert_eq!(ids(&app, "?search=100%25").await, [4]);
    assert_eq!(ids(&app, "?search=%25").await, [4]);
    assert_eq!(ids(&app, "?search=s_a").await, [5]);
    assert_eq!(ids(&app, "?search=_").await, [5]);
    // Nothing to search for: everything.
    assert_eq!(ids(&app, "?search=").await.len(), 6);
    assert_eq!(ids(&app, "?search=+,+").await.len(), 6);
    assert_eq!(
        ids(&app, "?search=nothing-like-it").await,
        Vec::<i64>::new()
    );
    // A NUL is refused, as current DRF's CharField refuses it.
    let (status, _, body) = send(app.authed(Method::GET, "/api/task/?search=a%00b")).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        json!({"search": ["Null characters are not allowed."]})
    );
}

#[tokio::test]
async fn ordering_as_drf() {
    let app = filtered(&[]).await;
    assert_eq!(ids(&app, "?ordering=-due_date").await[..3], [4, 6, 5]);
    assert_eq!(ids(&app, "?ordering=-id").await, [6, 5, 4, 3, 2, 1]);
    // Several fields; ties broken by id, so every ordering is total.
    assert_eq!(
        ids(&app, "?ordering=created_on,-due_date").await,
        [4, 6, 5, 1, 2, 3]
    );
    // Unknown fields are ignored; none known is the default ordering.
    assert_eq!(ids(&app, "?ordering=nope,-id").await, [6, 5, 4, 3, 2, 1]);
    assert_eq!(ids(&app, "?ordering=created_by").await, [1, 2, 3, 4, 5, 6]);
    assert_eq!(ids(&app, "?ordering=").await, [1, 2, 3, 4, 5, 6]);
    // Search and ordering together.
    assert_eq!(
        ids(&app, "?search=bench&ordering=-due_date").await,
        [4, 6, 1]
    );
}

#[tokio::test]
async fn off_unless_declared_and_renamed_by_settings() {
    let app = spawn_app().await;
    let (_, _, body) = send(app.authed(Method::GET, "/api/task/?search=zzz&ordering=-id")).await;
    assert_eq!(
        body.as_array().map(Vec::len),
        Some(3),
        "the original ignores both"
    );

    let app = filtered(&[
        ("APP__REST_FRAMEWORK__SEARCH_PARAM", "q"),
        ("APP__REST_FRAMEWORK__ORDERING_PARAM", "sort"),
    ])
    .await;
    assert_eq!(ids(&app, "?q=groceries&search=bench").await, [5]);
    assert_eq!(ids(&app, "?sort=-id&ordering=id").await[0], 6);

    // A route's own backends win over the default.
    let app = filtered(&[("APP__REST_FRAMEWORK__FILTERS__TASK_LIST", "OrderingFilter")]).await;
    assert_eq!(ids(&app, "?search=groceries&ordering=-id").await.len(), 6);
}

#[tokio::test]
async fn with_creator_ownership_a_search_sees_only_the_callers_tasks() {
    let app = filtered(&[("APP__TASKS__OWNERSHIP", "creator")]).await;
    let alice = TokenSpec::default()
        .claim("sub", json!("auth0|alice"))
        .sign();
    let (status, _, _) = send(
        app.with_token(Method::POST, "/api/task/", &alice)
            .json(&json!({"title": "Bench alone", "content": "mine"})),
    )
    .await;
    assert_eq!(status, 201);
    let (_, _, body) = send(app.with_token(Method::GET, "/api/task/?search=bench", &alice)).await;
    let titles: Vec<&Value> = body
        .as_array()
        .map(|a| a.iter().map(|t| &t["title"]).collect())
        .unwrap_or_default();
    assert_eq!(titles, [&json!("Bench alone")]);
}

/// The OpenAPI document says what is in force on the list, and only that.
#[tokio::test]
async fn the_schema_lists_the_query_parameters_and_page_in_force() {
    let schema_of = |app: &TestApp| {
        let url = app.url("/api/schema/");
        let client = app.client.clone();
        async move {
            let (_, _, doc) = send(client.get(url)).await;
            doc["paths"]["/api/task/"]["get"].clone()
        }
    };
    let names = |op: &Value| -> Vec<String> {
        op["parameters"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|p| p["name"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let plain = schema_of(&spawn_app().await).await;
    assert_eq!(names(&plain), Vec::<String>::new());
    assert_eq!(
        plain["responses"]["200"]["content"]["application/json"]["schema"]["type"],
        "array"
    );
    assert!(plain["responses"]["404"].is_null());

    for (class, expected, count, not_found) in [
        (
            "PageNumberPagination",
            vec!["search", "ordering", "page", "size"],
            true,
            Some("Invalid page."),
        ),
        (
            "LimitOffsetPagination",
            vec!["search", "ordering", "limit", "offset"],
            true,
            None,
        ),
        (
            "CursorPagination",
            vec!["search", "ordering", "cursor", "size"],
            false,
            Some("Invalid cursor"),
        ),
    ] {
        let app = filtered(&[
            ("APP__REST_FRAMEWORK__DEFAULT_PAGINATION_CLASS", class),
            ("APP__REST_FRAMEWORK__PAGE_SIZE", "5"),
            ("APP__REST_FRAMEWORK__PAGE_SIZE_QUERY_PARAM", "size"),
        ])
        .await;
        let op = schema_of(&app).await;
        assert_eq!(names(&op), expected, "{class}");
        let ok = &op["responses"]["200"];
        let page = &ok["content"]["application/json"]["schema"];
        assert_eq!(
            page["properties"]["results"]["items"]["$ref"], "#/components/schemas/Task",
            "{class}"
        );
        assert_eq!(page["properties"]["count"].is_object(), count, "{class}");
        assert!(ok["headers"]["Link"].is_object(), "{class}");
        let why = op["responses"]["404"]["description"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        match not_found {
            Some(text) => assert!(why.contains(text), "{class}: {why}"),
            None => assert_eq!(why, "", "{class}"),
        }
        assert!(
            op["responses"]["400"].is_object(),
            "a NUL in the search: {class}"
        );
    }
}
