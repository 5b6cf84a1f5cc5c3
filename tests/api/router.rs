//! ARCHITECTURE.md's walkthrough, proven: a second resource (`project.rs`: its
//! model access, serializer and viewset), its table, and one registration
//! line give it validation with DRF's texts, OPTIONS, its OpenAPI schemas,
//! pagination, route names, paths, `Allow`, 405s, the API root's link and
//! its settings keys, with nothing else written.

use actix_web::HttpResponse;
use actix_web::http::Method as ActixMethod;
use diesel::RunQueryDsl;
use reqwest::Method;
use serde_json::json;
use todoapi::policy::Ownership;
use todoapi::rest::route::{ViewName, action};
use todoapi::settings::TasksSettings;

use crate::helpers::*;
use crate::project;

async fn list_notes() -> HttpResponse {
    HttpResponse::Ok().json(json!([{"id": "first", "text": "Hello"}]))
}

/// A server with the project resource registered beside the tasks, on a
/// database that has its table.
async fn with_projects(vars: &[(&str, &str)]) -> TestApp {
    let db = TestDb::new();
    let (_, sql) = project::CREATE_TABLE
        .iter()
        .find(|(backend, _)| *backend == crate::helpers::backend())
        .expect("a migration for this backend");
    diesel::sql_query(*sql)
        .execute(&mut db.connect())
        .expect("the project table");
    spawn_app_routed(JwksServer::start(&["k1"]).await, db, vars, |s| {
        let mut router = todoapi::resources::router(&s.tasks);
        router.register(project::viewset());
        router
    })
    .await
}

#[tokio::test]
async fn a_second_resource_gets_everything_from_its_declaration() {
    let app = with_projects(&[
        // Its route names are settings keys at once.
        ("APP__REST_FRAMEWORK__PERMISSIONS__PROJECT_LIST", "AllowAny"),
        (
            "APP__REST_FRAMEWORK__PAGINATION__PROJECT_LIST",
            "PageNumberPagination",
        ),
        ("APP__REST_FRAMEWORK__PAGE_SIZE", "2"),
    ])
    .await;
    let port = app.port;

    // Validation: each kind's rules and DRF's texts, in the fields' order.
    let (status, _, body) =
        send(app.authed(Method::POST, "/api/project/").json(
            &json!({"name": " ", "done": "maybe", "priority": 9, "due": "31/12/2026", "id": 7}),
        ))
        .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({
                "name": ["This field may not be blank."],
                "done": ["\"maybe\" is not a valid boolean."],
                "priority": ["Ensure this value is less than or equal to 5."],
                "due": ["Date has wrong format. Use one of these formats instead: YYYY-MM-DD."],
            })
        )
    );
    let (status, _, body) = send(app.authed(Method::POST, "/api/project/").json(&json!({}))).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"name": ["This field is required."], "due": ["This field is required."]})
        )
    );
    // Created: defaults where not given; a form's text read as DRF reads it.
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/project/")
            .json(&json!({"name": " Launch ", "due": "2026-12-31"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            201,
            json!({"id": 1, "name": "Launch", "done": false, "priority": 3, "due": "2026-12-31"})
        )
    );
    let (status, _, body) = send(app.authed(Method::POST, "/api/project/").form(&[
        ("name", "Ship"),
        ("done", "on"),
        ("priority", " +2 "),
        ("due", "2027-1-5"),
    ]))
    .await;
    assert_eq!(
        (status, body),
        (
            201,
            json!({"id": 2, "name": "Ship", "done": true, "priority": 2, "due": "2027-01-05"})
        )
    );
    let (status, _, body) = send(
        app.authed(Method::POST, "/api/project/")
            .json(&json!({"name": "Rest", "done": 1, "priority": "5.0", "due": "2027-02-01"})),
    )
    .await;
    assert_eq!(
        (status, body["done"].clone(), body["priority"].clone()),
        (201, json!(true), json!(5))
    );

    // Read, changed, removed; the detail route keeps the default permission.
    assert_eq!(
        send(app.anonymous(Method::GET, "/api/project/1/")).await.0,
        401
    );
    let (status, headers, body) = send(app.authed(Method::GET, "/api/project/1/")).await;
    assert_eq!((status, body["name"].clone()), (200, json!("Launch")));
    assert_eq!(
        header(&headers, "allow"),
        "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
    );
    let (status, _, body) = send(
        app.authed(Method::PATCH, "/api/project/1/")
            .json(&json!({"done": "yes"})),
    )
    .await;
    assert_eq!(
        (status, body["done"].clone(), body["priority"].clone()),
        (200, json!(true), json!(3))
    );
    // Set back to false and true; a form's unticked box is false, except in
    // a PATCH, which leaves it be (DRF's default_empty_html).
    let detail = "/api/project/1/";
    let steps = [
        (
            app.authed(Method::PATCH, detail)
                .json(&json!({"done": "false"})),
            false,
        ),
        (
            app.authed(Method::PATCH, detail)
                .json(&json!({"done": true})),
            true,
        ),
        (
            app.authed(Method::PATCH, detail).form(&[("priority", "3")]),
            true,
        ),
        (
            app.authed(Method::PUT, detail).form(&[
                ("name", "Launch"),
                ("priority", "3"),
                ("due", "2026-12-31"),
            ]),
            false,
        ),
        (
            app.authed(Method::PATCH, detail)
                .json(&json!({"done": true})),
            true,
        ),
    ];
    for (request, done) in steps {
        let (status, _, body) = send(request).await;
        assert_eq!((status, body["done"].clone()), (200, json!(done)));
    }
    let (status, _, body) = send(
        app.authed(Method::PUT, "/api/project/1/")
            .json(&json!({"name": "Relaunch", "priority": 0})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"priority": ["Ensure this value is greater than or equal to 1."], "due": ["This field is required."]})
        )
    );
    assert_eq!(
        send(app.authed(Method::DELETE, "/api/project/3/")).await.0,
        204
    );
    assert_eq!(
        send(app.authed(Method::GET, "/api/project/3/")).await.0,
        404
    );
    assert_eq!(
        send(app.authed(Method::GET, "/api/project/x/")).await.0,
        404
    );

    // The list: open to anyone by its settings key, paginated by its own.
    let (status, headers, body) = send(app.anonymous(Method::GET, "/api/project/")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "allow"), "GET, POST, HEAD, OPTIONS");
    assert_eq!(
        body,
        json!({
            "count": 2,
            "next": null,
            "previous": null,
            "results": [
                {"id": 1, "name": "Launch", "done": true, "priority": 3, "due": "2026-12-31"},
                {"id": 2, "name": "Ship", "done": true, "priority": 2, "due": "2027-01-05"},
            ],
        })
    );
    let (status, _, body) = send(app.anonymous(Method::GET, "/api/project/?page=2")).await;
    assert_eq!((status, body), (404, json!({"detail": "Invalid page."})));
    let (_, headers, body) = send(app.anonymous(Method::GET, "/api/project/?page_size=1")).await;
    assert_eq!(
        body["results"].as_array().map(Vec::len),
        Some(2),
        "no page_size_query_param: {body}"
    );
    assert_eq!(header(&headers, "link"), "");
    // The tasks' list is not paginated: the setting was the project list's.
    let (_, _, tasks) = send(app.authed(Method::GET, "/api/task/")).await;
    assert!(tasks.is_array(), "{tasks}");

    // OPTIONS: DRF's SimpleMetadata of each field.
    let (_, _, body) = send(app.authed(Method::OPTIONS, "/api/project/")).await;
    assert_eq!(
        body["actions"]["POST"],
        json!({
            "id": {"type": "integer", "required": false, "read_only": true, "label": "ID"},
            "name": {"type": "string", "required": true, "read_only": false, "label": "Name", "max_length": 30},
            "done": {"type": "boolean", "required": false, "read_only": false, "label": "Done"},
            "priority": {"type": "integer", "required": false, "read_only": false, "label": "Priority",
                         "min_value": 1, "max_value": 5},
            "due": {"type": "date", "required": true, "read_only": false, "label": "Due"},
        })
    );
    assert_eq!(body["name"], "Project List");

    // The OpenAPI document: each kind as its own type, with its bounds.
    let (_, _, doc) = send(app.anonymous(Method::GET, "/api/schema/")).await;
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["Project"]["properties"]["done"]["type"], "boolean");
    assert_eq!(
        schemas["Project"]["properties"]["priority"]["type"],
        "integer"
    );
    assert_eq!(
        schemas["ProjectRequest"]["properties"]["priority"],
        json!({"type": "integer", "minimum": 1, "maximum": 5, "title": "Priority"})
    );
    assert_eq!(
        schemas["ProjectRequest"]["required"],
        json!(["name", "due"])
    );
    assert_eq!(
        schemas["Project"]["examples"][0],
        json!({"id": 1, "name": "Launch", "done": false, "priority": 3, "due": "2026-12-31"})
    );
    let list = &doc["paths"]["/api/project/"]["get"];
    assert!(
        list["parameters"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["name"] == "page")),
        "{list}"
    );
    assert_eq!(list["security"], json!([{}, {"bearer": []}]));
    assert_eq!(
        doc["paths"]["/api/project/{id}/"]["parameters"][0]["schema"]["pattern"],
        "^[0-9]+$"
    );

    // The API root links it, beside the tasks; the missing slash redirects.
    let (_, _, root) = send(app.authed(Method::GET, "/api/")).await;
    assert_eq!(
        root,
        json!({
            "task": format!("http://127.0.0.1:{port}/api/task/"),
            "project": format!("http://127.0.0.1:{port}/api/project/"),
        })
    );
    let (status, headers, _) = send(app.anonymous(Method::GET, "/api/project")).await;
    assert_eq!(
        (status, header(&headers, "location")),
        (308, "/api/project/")
    );
    assert_eq!(
        send(app.anonymous(Method::GET, "/api/project.json"))
            .await
            .0,
        200
    );
    let (status, headers, _) = send(app.authed(Method::DELETE, "/api/project/")).await;
    assert_eq!(
        (status, header(&headers, "allow")),
        (405, "GET, POST, HEAD, OPTIONS")
    );
}

#[test]
fn route_names_come_from_registrations() {
    assert_eq!(
        todoapi::resources::router(&TasksSettings {
            ownership: Ownership::Shared
        })
        .names(),
        [
            "api-root",
            "api-schema",
            "task-list",
            "task-detail",
            "health",
            "ready"
        ]
    );
}

/// A route's classes declared in code (DRF's `permission_classes`): all must
/// pass, settings replace them, and the route name is the settings key.
#[tokio::test]
async fn classes_declared_in_code_are_a_list_settings_replace() {
    use todoapi::policy::{HasScope, IsAuthenticated, PermissionClass};
    use todoapi::rest::route::Route;
    let route = || {
        Route::new(
            "note-admin",
            "note-admin/",
            ViewName {
                label: "Note Admin",
                description: "",
            },
            vec![action(ActixMethod::GET, list_notes)],
        )
        .permission_classes(&[
            PermissionClass::new(IsAuthenticated),
            PermissionClass::new(HasScope("notes:admin".into())),
        ])
    };
    let with = |vars: &'static [(&'static str, &'static str)]| async move {
        spawn_app_routed(
            JwksServer::start(&["k1"]).await,
            TestDb::new(),
            vars,
            move |s| {
                let mut router = todoapi::resources::router(&s.tasks);
                router.route(route());
                router
            },
        )
        .await
    };
    let app = with(&[]).await;
    let admin = TokenSpec::default()
        .claim("permissions", json!(["notes:admin"]))
        .sign();
    assert_eq!(
        send(app.anonymous(Method::GET, "/api/note-admin/")).await.0,
        401
    );
    let (status, headers, _) = send(app.authed(Method::GET, "/api/note-admin/")).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (
            403,
            "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"notes:admin\""
        )
    );
    assert_eq!(
        send(app.with_token(Method::GET, "/api/note-admin/", &admin))
            .await
            .0,
        200
    );
    let open = with(&[("APP__REST_FRAMEWORK__PERMISSIONS__NOTE_ADMIN", "AllowAny")]).await;
    assert_eq!(
        send(open.anonymous(Method::GET, "/api/note-admin/"))
            .await
            .0,
        200
    );
}
