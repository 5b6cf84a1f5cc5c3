//! `GET /api/schema/` and `todoapi openapi`: the OpenAPI 3.1 document is
//! served to anyone, lists exactly the routes and methods the server answers,
//! and follows the permission classes in force. Below, the regression tests
//! of what schemathesis found (`make test-schema` runs it).

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

async fn schema_of(app: &TestApp) -> Value {
    let (status, headers, body) = send(app.anonymous(Method::GET, "/api/schema/")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "content-type"), "application/json");
    body
}

fn operation<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let op = &doc["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not in the schema");
    op
}

#[tokio::test]
async fn the_schema_lists_every_route_and_method_the_server_answers() {
    let app = spawn_app().await;
    let doc = schema_of(&app).await;
    assert_eq!(doc["openapi"], "3.1.0");
    let paths: BTreeSet<&str> = doc["paths"]
        .as_object()
        .expect("paths")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        paths,
        BTreeSet::from([
            "/api/",
            "/api/health/",
            "/api/ready/",
            "/api/schema/",
            "/api/task/",
            "/api/task/{id}/"
        ])
    );
    for path in paths {
        // The server's own Allow, less HEAD and OPTIONS (HTTP's, as DRF's
        // generator leaves them out).
        let real = path.replace("{id}", "1");
        let (_, headers, _) = send(app.authed(Method::OPTIONS, &real)).await;
        let allowed: BTreeSet<String> = header(&headers, "allow")
            .split(", ")
            .filter(|m| *m != "HEAD" && *m != "OPTIONS")
            .map(str::to_ascii_lowercase)
            .collect();
        let documented: BTreeSet<String> = doc["paths"][path]
            .as_object()
            .expect("path item")
            .keys()
            .filter(|k| *k != "parameters")
            .cloned()
            .collect();
        assert_eq!(documented, allowed, "{path}");
        for method in &documented {
            let op = operation(&doc, path, method);
            let responses = &op["responses"];
            for status in ["401", "405", "406", "503"] {
                assert!(responses[status].is_object(), "{method} {path} {status}");
            }
            assert!(
                responses["401"]["headers"]["WWW-Authenticate"].is_object(),
                "{method} {path}"
            );
            assert!(
                responses["503"]["headers"]["Retry-After"].is_object(),
                "{method} {path}"
            );
            assert_eq!(
                responses["405"]["$ref"], "#/components/responses/MethodNotAllowed",
                "{method} {path}"
            );
        }
    }
    let not_allowed = &doc["components"]["responses"]["MethodNotAllowed"];
    assert_eq!(not_allowed["headers"]["Allow"]["required"], true);
    // The id is the route's own pattern: digits only, as Django's <int:…>;
    // its example is the example task's.
    assert_eq!(
        doc["paths"]["/api/task/{id}/"]["parameters"],
        json!([{"name": "id", "in": "path", "required": true, "example": "1",
                "schema": {"type": "string", "pattern": "^[0-9]+$"}}])
    );
    // The server as the client addressed it: an imported collection's base URL.
    assert_eq!(doc["servers"], json!([{"url": app.address}]));
}

#[tokio::test]
async fn bodies_statuses_and_security_follow_the_views() {
    let app = spawn_app().await;
    let doc = schema_of(&app).await;
    let post = operation(&doc, "/api/task/", "post");
    let content = &post["requestBody"]["content"];
    assert_eq!(
        content["application/json"]["schema"]["$ref"],
        "#/components/schemas/TaskRequest"
    );
    assert_eq!(
        content["application/x-www-form-urlencoded"]["schema"]["$ref"],
        "#/components/schemas/TaskForm"
    );
    assert_eq!(
        content["multipart/form-data"]["schema"]["allOf"][0]["$ref"],
        "#/components/schemas/TaskForm"
    );
    let statuses = |op: &Value| -> Vec<String> {
        op["responses"]
            .as_object()
            .expect("responses")
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(
        statuses(post),
        [
            "201", "400", "401", "403", "405", "406", "413", "415", "503"
        ]
    );
    assert_eq!(
        statuses(operation(&doc, "/api/task/{id}/", "delete")),
        ["204", "401", "403", "404", "405", "406", "503"]
    );
    assert_eq!(
        operation(&doc, "/api/task/{id}/", "patch")["requestBody"]["content"]["application/json"]["schema"]
            ["$ref"],
        "#/components/schemas/PatchedTaskRequest"
    );
    assert!(
        post["responses"]["403"]["headers"]["WWW-Authenticate"].is_object(),
        "{post}"
    );
    // IsAuthenticated: the token is required; AllowAny routes make it optional.
    assert_eq!(post["security"], json!([{"bearer": []}]));
    let health = operation(&doc, "/api/health/", "get");
    assert_eq!(health["security"], json!([{}, {"bearer": []}]));
    assert!(health["responses"]["403"].is_null(), "{health}");
    let scheme = &doc["components"]["securitySchemes"]["bearer"];
    assert_eq!(
        (&scheme["type"], &scheme["scheme"]),
        (&json!("http"), &json!("bearer"))
    );
    let described = scheme["description"].as_str().unwrap_or("");
    assert!(
        described.contains("https://tenant.test.example/")
            && described.contains("https://todo-api.test.example"),
        "{described}"
    );
    // The object as returned, and what a request may write.
    let schemas = &doc["components"]["schemas"];
    assert_eq!(
        schemas["Task"]["required"],
        json!(["id", "title", "content", "created_on", "due_date"])
    );
    assert_eq!(schemas["Task"]["properties"]["id"]["readOnly"], true);
    assert_eq!(
        schemas["TaskRequest"]["required"],
        json!(["title", "content"])
    );
    assert!(schemas["TaskRequest"]["properties"]["id"].is_null());
    assert!(schemas["PatchedTaskRequest"]["required"].is_null());
    assert_eq!(
        schemas["TaskRequest"]["properties"]["title"]["type"],
        json!(["string", "number"])
    );
    assert_eq!(schemas["TaskForm"]["properties"]["title"]["type"], "string");
}

/// The examples a Postman import or a client generator shows are requests
/// the server accepts and answers it gives.
#[tokio::test]
async fn the_examples_work() {
    let app = spawn_app().await;
    let doc = schema_of(&app).await;
    let put = operation(&doc, "/api/task/{id}/", "put");
    let id = doc["paths"]["/api/task/{id}/"]["parameters"][0]["example"]
        .as_str()
        .expect("an id example");
    let path = format!("/api/task/{id}/");
    let content = &put["requestBody"]["content"];
    let json_body = &content["application/json"]["example"];
    assert!(json_body["id"].is_null(), "read-only fields are left out");
    let (status, _, updated) = send(app.authed(Method::PUT, &path).json(json_body)).await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        &updated,
        &put["responses"]["200"]["content"]["application/json"]["example"]
    );
    let form: Vec<(String, String)> = content["application/x-www-form-urlencoded"]["example"]
        .as_object()
        .expect("a form example")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                v.as_str().expect("form values are text").to_owned(),
            )
        })
        .collect();
    let (status, _, body) = send(app.authed(Method::POST, "/api/task/").form(&form)).await;
    assert_eq!((status, &body["title"]), (201, &json_body["title"]));
    assert_eq!(doc["components"]["schemas"]["Task"]["examples"][0], updated);
}

#[tokio::test]
async fn scopes_in_force_are_the_operations_scopes() {
    let app = spawn_app_with(&[(
        "APP__REST_FRAMEWORK__DEFAULT_PERMISSION_CLASSES",
        "IsAuthenticatedOrReadOnly, ReadScope:read:tasks, WriteScope:write:tasks",
    )])
    .await;
    let doc = schema_of(&app).await;
    let get = operation(&doc, "/api/task/", "get");
    let post = operation(&doc, "/api/task/", "post");
    assert_eq!(get["security"], json!([{"bearer": ["read:tasks"]}]));
    assert_eq!(post["security"], json!([{"bearer": ["write:tasks"]}]));
    assert!(get["responses"]["403"].is_object(), "{get}");
    // Classes declared in code (AllowAny) still win on their routes.
    let schema = operation(&doc, "/api/schema/", "get");
    assert_eq!(schema["security"], json!([{}, {"bearer": []}]));

    let open = spawn_app_with(&[(
        "APP__REST_FRAMEWORK__DEFAULT_PERMISSION_CLASSES",
        "IsAuthenticatedOrReadOnly",
    )])
    .await;
    let doc = schema_of(&open).await;
    let get = operation(&doc, "/api/task/", "get");
    assert_eq!(get["security"], json!([{}, {"bearer": []}]));
    assert!(get["responses"]["403"].is_null(), "{get}");
    assert_eq!(
        operation(&doc, "/api/task/", "post")["security"],
        json!([{"bearer": []}])
    );
}

/// Behind a trusted proxy the document's server is the proxy's address (what
/// an imported collection calls); anyone else's forwarded headers are ignored.
#[tokio::test]
async fn the_server_is_the_one_the_client_addressed() {
    // The test's requests come from 127.0.0.1.
    for (trusted, believed) in [("127.0.0.1", true), ("10.0.0.0/8", false)] {
        let app = spawn_app_with(&[("APP__SERVER__TRUSTED_PROXIES", trusted)]).await;
        let (_, _, doc) = send(
            app.anonymous(Method::GET, "/api/schema/")
                .header("X-Forwarded-Proto", "https")
                .header("X-Forwarded-Host", "todo.example.com"),
        )
        .await;
        let url = match believed {
            true => "https://todo.example.com".to_owned(),
            false => app.address.clone(),
        };
        assert_eq!(doc["servers"], json!([{ "url": url }]), "{trusted}");
    }
}

/// Creator ownership adds an object rule: someone else's task is a 403, even
/// where anyone may call the route.
#[tokio::test]
async fn object_rules_document_a_403() {
    for (ownership, forbidden) in [("shared", false), ("creator", true)] {
        let app = spawn_app_with(&[
            ("APP__TASKS__OWNERSHIP", ownership),
            (
                "APP__REST_FRAMEWORK__DEFAULT_PERMISSION_CLASSES",
                "AllowAny",
            ),
        ])
        .await;
        let doc = schema_of(&app).await;
        let detail = operation(&doc, "/api/task/{id}/", "put");
        assert_eq!(
            detail["responses"]["403"].is_object(),
            forbidden,
            "{ownership}"
        );
        let list = operation(&doc, "/api/task/", "get");
        assert!(list["responses"]["403"].is_null(), "{ownership}");
    }
}

/// What a user prints is what the server serves (same settings and port).
#[tokio::test]
async fn todoapi_openapi_prints_the_served_document() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
        .to_string();
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("db.sqlite3").display().to_string();
    let key = shared_dev_key();
    let vars = [
        ("APP_ENV", "development"),
        ("APP__SERVER__PORT", port.as_str()),
        ("APP__DATABASE__URL", db.as_str()),
        ("APP__AUTH__DEV_ISSUER__KEY_PATH", key.as_str()),
    ];
    let (_server, base) = Running::serve(&vars);
    let served: Value = client()
        .get(format!("{base}/api/schema/"))
        .send()
        .await
        .expect("schema request")
        .json()
        .await
        .expect("schema JSON");
    let printed = todoapi(&["openapi"], &vars)
        .output()
        .expect("todoapi openapi");
    assert!(printed.status.success(), "{printed:?}");
    let printed: Value = serde_json::from_slice(&printed.stdout).expect("printed JSON");
    assert_eq!(printed, served);
    let described = served["components"]["securitySchemes"]["bearer"]["description"]
        .as_str()
        .unwrap_or("");
    assert!(
        described.contains(&format!("http://127.0.0.1:{port}/")),
        "{described}"
    );
}

// Found by schemathesis.

/// A form's empty value for an optional field is "not given", as DRF reads
/// HTML input: the default on create, unchanged on PATCH. JSON's "" is a
/// wrong date. The schema says so (TaskForm's dates take "").
#[tokio::test]
async fn an_empty_form_date_is_not_given() {
    let app = spawn_app().await;
    let today = today_in("UTC");
    let (status, _, created) = send(app.authed(Method::POST, "/api/task/").form(&[
        ("title", "t"),
        ("content", "c"),
        ("due_date", ""),
    ]))
    .await;
    assert_eq!((status, &created["due_date"]), (201, &json!(today)));
    app.sql("UPDATE task SET due_date = '2019-01-05' WHERE id = 1");
    let multipart = reqwest::multipart::Form::new().text("due_date", "");
    let (status, _, patched) = send(
        app.authed(Method::PATCH, "/api/task/1/")
            .multipart(multipart),
    )
    .await;
    assert_eq!((status, &patched["due_date"]), (200, &json!("2019-01-05")));
    let (status, _, body) = send(
        app.authed(Method::PATCH, "/api/task/1/")
            .json(&json!({"due_date": ""})),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    let doc = schema_of(&app).await;
    let form_date = &doc["components"]["schemas"]["TaskForm"]["properties"]["due_date"];
    assert_eq!(form_date["anyOf"][1], json!({"const": ""}));
    let json_date = &doc["components"]["schemas"]["TaskRequest"]["properties"]["due_date"];
    assert_eq!(json_date["format"], "date");
    assert!(json_date["anyOf"].is_null());
}

/// A multipart part whose name holds a control character is a malformed
/// header: a 400 parse error, nothing stored. The schema tells clients.
#[tokio::test]
async fn a_control_character_in_a_part_name_is_a_parse_error() {
    let app = spawn_app().await;
    let body = "--b\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nt\r\n\
                --b\r\nContent-Disposition: form-data; name=\"content\"\r\n\r\nc\r\n\
                --b\r\nContent-Disposition: form-data; name=\"x\x12y\"\r\n\r\nz\r\n--b--\r\n";
    let (status, _, answer) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "multipart/form-data; boundary=b")
            .body(body),
    )
    .await;
    assert_eq!(status, 400);
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("Multipart form parse error - ")),
        "{answer}"
    );
    assert_eq!(app.count("task"), 3);
    // The same extra field with a printable name is ignored, as DRF ignores it.
    let (status, _, _) = send(
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", "multipart/form-data; boundary=b")
            .body(body.replace('\x12', "_")),
    )
    .await;
    assert_eq!(status, 201);
    let doc = schema_of(&app).await;
    let names = &doc["paths"]["/api/task/"]["post"]["requestBody"]["content"]["multipart/form-data"]
        ["schema"]["propertyNames"]["pattern"];
    assert_eq!(names, "^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$");
}

/// Text is trimmed as Python strips it (U+001C..U+001F too), and its length
/// is counted after trimming, as DRF's CharField does.
#[tokio::test]
async fn text_is_trimmed_as_python_strips_it() {
    let app = spawn_app().await;
    let fifty = "x".repeat(50);
    let (status, _, body) = send(app.authed(Method::POST, "/api/task/").json(&json!({
        "title": "\u{1c}Title\u{1f}",
        "content": format!("\t{fifty}\u{3000}"),
    })))
    .await;
    assert_eq!(
        (status, &body["title"], &body["content"]),
        (201, &json!("Title"), &json!(fifty))
    );
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/task/")
            .json(&json!({"title": "\u{1d}\u{1e}", "content": format!("{fifty}y")})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({
                "title": ["This field may not be blank."],
                "content": ["Ensure this field has no more than 50 characters."],
            })
        )
    );
}
