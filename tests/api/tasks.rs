//! `/api/task/`: the ModelViewSet, its bodies, statuses and headers.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const LIST_ALLOW: &str = "GET, POST, HEAD, OPTIONS";
const DETAIL_ALLOW: &str = "GET, PUT, PATCH, DELETE, HEAD, OPTIONS";

fn is_drf_datetime(s: &str) -> bool {
    // 2019-05-01T12:30:00Z or 2019-05-01T12:30:00.123456Z
    let bytes = s.as_bytes();
    s.ends_with('Z')
        && s.len() >= 20
        && bytes[4] == b'-'
        && bytes[10] == b'T'
        && (s.len() == 20 || (bytes[19] == b'.' && s.len() == 27))
}

#[tokio::test]
async fn list_returns_the_seeded_tasks_in_id_order() {
    let app = spawn_app().await;
    let (status, headers, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "content-type"), "application/json");
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    assert_eq!(header(&headers, "vary"), "Accept");
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(header(&headers, "x-frame-options"), "DENY");
    let tasks = body.as_array().expect("a JSON array");
    let summary: Vec<(i64, &str, bool)> = tasks
        .iter()
        .map(|t| {
            (
                t["id"].as_i64().unwrap_or(0),
                t["name"].as_str().unwrap_or(""),
                t["done"].as_bool().unwrap_or(false),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, "Buy groceries", false),
            (2, "Walk the dog", true),
            (3, "Learn Django REST framework", false)
        ]
    );
    for t in tasks {
        let keys: Vec<&String> = t.as_object().unwrap().keys().collect();
        assert_eq!(keys.len(), 4, "{t}");
        assert!(is_drf_datetime(t["created"].as_str().unwrap_or("")), "{t}");
    }
}

#[tokio::test]
async fn create_retrieve_update_patch_delete() {
    let app = spawn_app().await;

    // create
    let (status, headers, created) = send(app.authed(Method::POST, "/api/task/").json(
        &json!({"name": "Write tests", "id": 99, "created": "1999-01-01T00:00:00Z", "extra": 1}),
    ))
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    assert_eq!(created["name"], "Write tests");
    assert_eq!(created["done"], false);
    assert_eq!(created["id"], 4, "read-only id is ignored");
    let created_at = created["created"].as_str().unwrap_or("").to_owned();
    assert!(
        is_drf_datetime(&created_at) && !created_at.starts_with("1999"),
        "{created_at}"
    );

    // retrieve
    let (status, headers, fetched) = send(app.authed(Method::GET, "/api/task/4/")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "allow"), DETAIL_ALLOW);
    assert_eq!(fetched, created);

    // update (PUT): name required, done kept when absent
    let (status, _, updated) = send(
        app.authed(Method::PUT, "/api/task/4/")
            .json(&json!({"name": "Write more tests", "done": true})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["name"], "Write more tests");
    assert_eq!(updated["done"], true);
    assert_eq!(updated["created"], created["created"]);
    let (status, _, body) = send(
        app.authed(Method::PUT, "/api/task/4/")
            .json(&json!({"done": false})),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"name": ["This field is required."]}))
    );

    // partial update (PATCH)
    let (status, _, patched) = send(
        app.authed(Method::PATCH, "/api/task/4/")
            .json(&json!({"done": false})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(patched["name"], "Write more tests");
    assert_eq!(patched["done"], false);
    let (status, _, unchanged) =
        send(app.authed(Method::PATCH, "/api/task/4/").json(&json!({}))).await;
    assert_eq!((status, &unchanged), (200, &patched));

    // delete: 204 with an empty body, then gone
    let response = app
        .authed(Method::DELETE, "/api/task/4/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 204);
    assert_eq!(header(response.headers(), "allow"), DETAIL_ALLOW);
    assert!(response.bytes().await.unwrap().is_empty());
    for method in [Method::GET, Method::PUT, Method::PATCH, Method::DELETE] {
        let (status, headers, body) = send(
            app.authed(method.clone(), "/api/task/4/")
                .json(&json!({"name": "x"})),
        )
        .await;
        assert_eq!((status, body), (404, detail("Not found.")), "{method}");
        assert_eq!(header(&headers, "allow"), DETAIL_ALLOW);
    }
    assert_eq!(app.count("tasks"), 3);
}

#[tokio::test]
async fn ids_that_name_no_task_are_404() {
    let app = spawn_app().await;
    for path in [
        "/api/task/999/",
        "/api/task/abc/",
        "/api/task/0/",
        "/api/task/-1/",
        "/api/task/99999999999999999999999/",
    ] {
        let (status, headers, body) = send(app.authed(Method::GET, path)).await;
        assert_eq!((status, body), (404, detail("Not found.")), "{path}");
        assert_eq!(header(&headers, "content-type"), "application/json");
    }
}

#[tokio::test]
async fn form_bodies_work_like_html_forms() {
    let app = spawn_app().await;
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .form(&[("name", "From a form"), ("done", "on")]),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(
        (body["name"].clone(), body["done"].clone()),
        (json!("From a form"), json!(true))
    );

    // An absent checkbox is false on PUT; PATCH leaves it alone.
    let (status, _, body) = send(
        app.authed(Method::PUT, "/api/task/2/")
            .form(&[("name", "Walk the cat")]),
    )
    .await;
    assert_eq!((status, body["done"].clone()), (200, json!(false)));
    app.sql("UPDATE tasks SET done = TRUE WHERE id = 2");
    let (status, _, body) = send(
        app.authed(Method::PATCH, "/api/task/2/")
            .form(&[("name", "Walk the dog")]),
    )
    .await;
    assert_eq!(
        (status, body["done"].clone(), body["name"].clone()),
        (200, json!(true), json!("Walk the dog"))
    );

    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .form(&[("name", ""), ("done", "maybe")]),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"name": ["This field may not be blank."], "done": ["Must be a valid boolean."]})
        )
    );
}

async fn post_json(app: &TestApp, body: &str) -> (u16, Value) {
    let (status, headers, value) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "application/json")
            .body(body.to_owned()),
    )
    .await;
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    (status, value)
}

#[tokio::test]
async fn validation_errors_are_drf_shaped() {
    let app = spawn_app().await;
    let long = "a".repeat(201);
    let cases: Vec<(String, Value)> = vec![
        ("{}".into(), json!({"name": ["This field is required."]})),
        (
            r#"{"done": true}"#.into(),
            json!({"name": ["This field is required."]}),
        ),
        (
            r#"{"name": ""}"#.into(),
            json!({"name": ["This field may not be blank."]}),
        ),
        (
            r#"{"name": "   "}"#.into(),
            json!({"name": ["This field may not be blank."]}),
        ),
        (
            r#"{"name": null}"#.into(),
            json!({"name": ["This field may not be null."]}),
        ),
        (
            r#"{"name": true}"#.into(),
            json!({"name": ["Not a valid string."]}),
        ),
        (
            r#"{"name": {"a": 1}}"#.into(),
            json!({"name": ["Not a valid string."]}),
        ),
        (
            format!(r#"{{"name": "{long}"}}"#),
            json!({"name": ["Ensure this field has no more than 200 characters."]}),
        ),
        (
            r#"{"name": "a\u0000b"}"#.into(),
            json!({"name": ["Null characters are not allowed."]}),
        ),
        (
            r#"{"name": "x", "done": "maybe"}"#.into(),
            json!({"done": ["Must be a valid boolean."]}),
        ),
        (
            r#"{"name": "x", "done": 2}"#.into(),
            json!({"done": ["Must be a valid boolean."]}),
        ),
        (
            r#"{"name": "x", "done": null}"#.into(),
            json!({"done": ["This field may not be null."]}),
        ),
        (
            r#"{"name": null, "done": []}"#.into(),
            json!({"name": ["This field may not be null."], "done": ["Must be a valid boolean."]}),
        ),
        (
            "[1, 2]".into(),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got list."]}),
        ),
        (
            r#""text""#.into(),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got str."]}),
        ),
        (
            "42".into(),
            json!({"non_field_errors": ["Invalid data. Expected a dictionary, but got int."]}),
        ),
        (
            "null".into(),
            json!({"non_field_errors": ["No data provided"]}),
        ),
    ];
    for (body, expected) in cases {
        assert_eq!(post_json(&app, &body).await, (400, expected), "{body}");
    }
    assert_eq!(app.count("tasks"), 3, "nothing was stored");
}

#[tokio::test]
async fn lenient_inputs_are_read_as_drf_reads_them() {
    let app = spawn_app().await;
    let cases = [
        (r#"{"name": "x", "done": "true"}"#, json!("x"), json!(true)),
        (r#"{"name": "x", "done": "off"}"#, json!("x"), json!(false)),
        (r#"{"name": "x", "done": 1}"#, json!("x"), json!(true)),
        (r#"{"name": 42}"#, json!("42"), json!(false)),
        (r#"{"name": 4.5}"#, json!("4.5"), json!(false)),
        (r#"{"name": "  padded  "}"#, json!("padded"), json!(false)),
    ];
    for (body, name, done) in cases {
        let (status, value) = post_json(&app, body).await;
        assert_eq!(
            (status, value["name"].clone(), value["done"].clone()),
            (201, name, done),
            "{body}"
        );
    }
    // Length is counted in characters: 200 emoji fit.
    let emoji = "\u{1F600}".repeat(200);
    let (status, value) = post_json(&app, &json!({ "name": emoji }).to_string()).await;
    assert_eq!(
        (status, value["name"].as_str()),
        (201, Some(emoji.as_str()))
    );
}

#[tokio::test]
async fn malformed_json_is_a_parse_error() {
    let app = spawn_app().await;
    let (status, body) = post_json(&app, "{bad").await;
    assert_eq!(status, 400);
    let message = body["detail"].as_str().unwrap_or("");
    assert!(message.starts_with("JSON parse error - "), "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1));
}

#[tokio::test]
async fn unsupported_media_type_is_415() {
    let app = spawn_app().await;
    let (status, headers, body) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "text/plain")
            .body("name=x"),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            415,
            detail("Unsupported media type \"text/plain\" in request.")
        )
    );
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    let (status, _, body) = send(
        app.authed(Method::PUT, "/api/task/1/")
            .header("Content-Type", "text/plain; charset=utf-8")
            .body("x"),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            415,
            detail("Unsupported media type \"text/plain; charset=utf-8\" in request.")
        )
    );
    // An empty body is empty data whatever its type (DRF): the field is required.
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "text/plain"),
    )
    .await;
    assert_eq!(
        (status, body),
        (400, json!({"name": ["This field is required."]}))
    );
}

#[tokio::test]
async fn method_not_allowed_is_405_with_allow() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (Method::PUT, "/api/task/", LIST_ALLOW),
        (Method::DELETE, "/api/task/", LIST_ALLOW),
        (Method::POST, "/api/task/1/", DETAIL_ALLOW),
        (Method::POST, "/api/", "GET, HEAD, OPTIONS"),
    ] {
        let (status, headers, body) = send(app.authed(method.clone(), path)).await;
        assert_eq!(
            (status, body),
            (405, detail(&format!("Method \"{method}\" not allowed."))),
            "{method} {path}"
        );
        assert_eq!(header(&headers, "allow"), allow);
    }
}

#[tokio::test]
async fn accept_header_without_json_is_406() {
    let app = spawn_app().await;
    for accept in [
        "text/html",
        "application/xml, text/plain",
        "application/json;q=0",
    ] {
        let (status, headers, body) = send(
            app.authed(Method::GET, "/api/task/")
                .header("Accept", accept),
        )
        .await;
        assert_eq!(
            (status, body),
            (406, detail("Could not satisfy the request Accept header.")),
            "{accept}"
        );
        assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    }
    for accept in [
        "application/json",
        "*/*",
        "text/html,application/xhtml+xml,*/*;q=0.8",
        "application/*",
    ] {
        let response = app
            .authed(Method::GET, "/api/task/")
            .header("Accept", accept)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200, "{accept}");
    }
    // Negotiation comes before authentication, as in DRF.
    let (status, _, _) = send(
        app.anonymous(Method::GET, "/api/task/")
            .header("Accept", "text/html"),
    )
    .await;
    assert_eq!(status, 406);
    // ?format= naming a format we do not render is 404, as DRF.
    let (status, _, body) = send(app.authed(Method::GET, "/api/task/?format=xml")).await;
    assert_eq!((status, body), (404, detail("Not found.")));
    let response = app
        .authed(Method::GET, "/api/task/?format=json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn json_suffix_routes() {
    let app = spawn_app().await;
    for path in ["/api/task.json", "/api/task.json/"] {
        let (status, headers, body) = send(app.authed(Method::GET, path)).await;
        assert_eq!(status, 200, "{path}");
        assert_eq!(header(&headers, "allow"), LIST_ALLOW);
        assert_eq!(body.as_array().map(Vec::len), Some(3));
    }
    let (status, headers, body) = send(app.authed(Method::GET, "/api/task/2.json")).await;
    assert_eq!((status, body["name"].clone()), (200, json!("Walk the dog")));
    assert_eq!(header(&headers, "allow"), DETAIL_ALLOW);
}

#[tokio::test]
async fn head_is_get_without_a_body() {
    let app = spawn_app().await;
    let get = app.authed(Method::GET, "/api/task/").send().await.unwrap();
    let get_len = get.headers().get("content-length").cloned();
    let head = app.authed(Method::HEAD, "/api/task/").send().await.unwrap();
    assert_eq!(head.status().as_u16(), 200);
    assert_eq!(header(head.headers(), "allow"), LIST_ALLOW);
    assert_eq!(header(head.headers(), "content-type"), "application/json");
    assert_eq!(head.headers().get("content-length").cloned(), get_len);
    assert!(head.bytes().await.unwrap().is_empty());
    let head = app
        .authed(Method::HEAD, "/api/task/1/")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 200);
    let head = app
        .anonymous(Method::HEAD, "/api/task/")
        .send()
        .await
        .unwrap();
    assert_eq!(head.status().as_u16(), 401);
}

#[tokio::test]
async fn options_describe_the_endpoint() {
    let app = spawn_app().await;
    let field_meta = json!({
        "id": {"type": "integer", "required": false, "read_only": true, "label": "ID"},
        "name": {"type": "string", "required": true, "read_only": false, "label": "Name", "max_length": 200},
        "done": {"type": "boolean", "required": false, "read_only": false, "label": "Done"},
        "created": {"type": "datetime", "required": false, "read_only": true, "label": "Created"}
    });
    let parses = json!(["application/json", "application/x-www-form-urlencoded"]);
    let (status, headers, body) = send(app.authed(Method::OPTIONS, "/api/task/")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "allow"), LIST_ALLOW);
    assert_eq!(
        body,
        json!({"name": "Task List", "description": "", "renders": ["application/json"], "parses": parses, "actions": {"POST": field_meta}})
    );
    let (status, _, body) = send(app.authed(Method::OPTIONS, "/api/task/1/")).await;
    assert_eq!(status, 200);
    assert_eq!(body["name"], "Task Instance");
    assert_eq!(body["actions"], json!({"PUT": field_meta}));
    // No actions for a task that does not exist, as DRF.
    let (status, _, body) = send(app.authed(Method::OPTIONS, "/api/task/99/")).await;
    assert_eq!(status, 200);
    assert!(body.get("actions").is_none(), "{body}");
    // OPTIONS is subject to the permission like any method.
    let (status, _, _) = send(app.anonymous(Method::OPTIONS, "/api/task/")).await;
    assert_eq!(status, 401);
}

#[tokio::test]
async fn missing_trailing_slash_redirects_with_308() {
    let app = spawn_app().await;
    for (path, location) in [
        ("/api/task", "/api/task/"),
        ("/api/task/1", "/api/task/1/"),
        ("/api", "/api/"),
        ("/api/task?format=json", "/api/task/?format=json"),
    ] {
        for method in [Method::GET, Method::POST] {
            let response = app.anonymous(method.clone(), path).send().await.unwrap();
            assert_eq!(response.status().as_u16(), 308, "{method} {path}");
            assert_eq!(header(response.headers(), "location"), location);
        }
    }
    // A client that follows the redirect keeps the POST and its body.
    let following = reqwest::Client::builder().no_proxy().build().unwrap();
    let response = following
        .post(app.url("/api/task"))
        .bearer_auth(token())
        .json(&json!({"name": "Followed"}))
        .send()
        .await
        .unwrap();
    let (status, _, body) = read(response).await;
    assert_eq!((status, body["name"].clone()), (201, json!("Followed")));
}

#[tokio::test]
async fn unknown_paths_are_json_404() {
    let app = spawn_app().await;
    for path in [
        "/nothing/",
        "/nothing",
        "/api/nothing/",
        "/api/task/1/extra/",
        "/",
    ] {
        let (status, headers, body) = send(app.authed(Method::GET, path)).await;
        assert_eq!((status, body), (404, detail("Not found.")), "{path}");
        assert_eq!(header(&headers, "content-type"), "application/json");
    }
}

#[tokio::test]
async fn api_root_links_to_the_task_list() {
    let app = spawn_app().await;
    let (status, headers, body) = send(app.authed(Method::GET, "/api/")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "allow"), "GET, HEAD, OPTIONS");
    assert_eq!(
        body,
        json!({"task": format!("http://127.0.0.1:{}/api/task/", app.port)})
    );
    let (_, _, body) = send(
        app.authed(Method::GET, "/api/")
            .header("Host", "todo.example.com"),
    )
    .await;
    assert_eq!(body, json!({"task": "http://todo.example.com/api/task/"}));
    let (_, _, body) = send(app.authed(Method::GET, "/api/.json")).await;
    assert_eq!(
        body,
        json!({"task": format!("http://127.0.0.1:{}/api/task.json", app.port)})
    );
    // Forwarded headers are ignored unless the proxy is trusted.
    let (_, _, body) = send(
        app.authed(Method::GET, "/api/")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "evil.example"),
    )
    .await;
    assert_eq!(
        body,
        json!({"task": format!("http://127.0.0.1:{}/api/task/", app.port)})
    );
}

#[tokio::test]
async fn api_root_behind_a_trusted_proxy() {
    let app = spawn_app_with(&[("APP__SERVER__TRUST_PROXY_HEADERS", "true")]).await;
    let (_, _, body) = send(
        app.authed(Method::GET, "/api/")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "todo.example.com"),
    )
    .await;
    assert_eq!(body, json!({"task": "https://todo.example.com/api/task/"}));
}

#[tokio::test]
async fn health_is_open_to_anyone() {
    let app = spawn_app().await;
    let (status, headers, body) = send(app.anonymous(Method::GET, "/api/health/")).await;
    assert_eq!((status, body), (200, json!({"status": "ok"})));
    assert_eq!(header(&headers, "allow"), "GET, HEAD, OPTIONS");
    for path in ["/api/health.json", "/api/health.json/"] {
        assert_eq!(
            send(app.anonymous(Method::GET, path)).await.0,
            200,
            "{path}"
        );
    }
}

#[tokio::test]
async fn oversized_bodies_are_413() {
    let app = spawn_app_with(&[("APP__SERVER__MAX_BODY_BYTES", "1024")]).await;
    let big = json!({ "name": "x".repeat(2000) }).to_string();
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "application/json")
            .body(big),
    )
    .await;
    assert_eq!((status, body), (413, detail("Request body is too large.")));
}
