//! The README's walkthrough, proven: a resource registered with one line gets
//! its route names, paths, `Allow`, 405s, OPTIONS, API root link and settings
//! key, with nothing else written. (A throw-away `note` viewset, answered
//! from memory.)

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::http::Method as ActixMethod;
use futures_util::FutureExt;
use reqwest::Method;
use serde_json::json;
use todoapi::policy::Ownership;
use todoapi::rest::route::{Object, ViewName, ViewSet, action};
use todoapi::rest::serializer::{FieldSpec, Kind, Sample};
use todoapi::settings::TasksSettings;

use crate::helpers::*;

async fn list_notes() -> HttpResponse {
    HttpResponse::Ok().json(json!([{"id": "first", "text": "Hello"}]))
}

async fn get_note(id: actix_web::web::Path<String>) -> HttpResponse {
    HttpResponse::Ok().json(json!({"id": id.into_inner(), "text": "Hello"}))
}

async fn put_note() -> HttpResponse {
    HttpResponse::Ok().finish()
}

fn notes() -> ViewSet {
    ViewSet {
        basename: "note",
        prefix: "note",
        lookup: "[a-z]+",
        list: ViewName {
            label: "Note List",
            description: "Notes.",
        },
        detail: ViewName {
            label: "Note Detail",
            description: "One note.",
        },
        list_actions: vec![action(ActixMethod::GET, list_notes)],
        detail_actions: vec![
            action(ActixMethod::GET, get_note),
            action(ActixMethod::PUT, put_note),
        ],
        permission_classes: None,
        detail_always: Vec::new(),
        fields: Arc::from(vec![FieldSpec {
            name: "text",
            label: "Text",
            kind: Kind::Char { max_length: 20 },
            read_only: false,
            required: true,
            sample: Sample::Text("Hello"),
        }]),
        object: Arc::new(|_, id| {
            async move { Ok((id == "first").then(Object::default)) }.boxed_local()
        }),
        listing: Default::default(),
    }
}

#[tokio::test]
async fn one_registration_line_gives_a_resource_everything() {
    let shared = TasksSettings {
        ownership: Ownership::Shared,
    };
    let mut router = todoapi::resources::router(&shared);
    router.register(notes());
    assert!(
        router.names().iter().any(|n| n == "note-list")
            && router.names().iter().any(|n| n == "note-detail"),
        "{:?}",
        router.names()
    );
    let app = spawn_app_routed(
        JwksServer::start(&["k1"]).await,
        TestDb::new(),
        // Its route name is a settings key at once.
        &[("APP__REST_FRAMEWORK__PERMISSIONS__NOTE_LIST", "AllowAny")],
        move |_| router,
    )
    .await;

    let (status, headers, body) = send(app.anonymous(Method::GET, "/api/note/")).await;
    assert_eq!(
        (status, body),
        (200, json!([{"id": "first", "text": "Hello"}]))
    );
    assert_eq!(header(&headers, "allow"), "GET, HEAD, OPTIONS");
    assert_eq!(
        send(app.anonymous(Method::GET, "/api/note.json")).await.0,
        200
    );
    assert_eq!(send(app.anonymous(Method::HEAD, "/api/note/")).await.0, 200);
    let (status, headers, _) = send(app.anonymous(Method::POST, "/api/note/")).await;
    assert_eq!(
        (status, header(&headers, "allow")),
        (405, "GET, HEAD, OPTIONS")
    );

    // The detail route keeps the default permission and its own lookup.
    let (status, _, _) = send(app.anonymous(Method::GET, "/api/note/first/")).await;
    assert_eq!(status, 401);
    let (status, headers, body) = send(app.authed(Method::GET, "/api/note/first/")).await;
    assert_eq!((status, body["id"].clone()), (200, json!("first")));
    assert_eq!(header(&headers, "allow"), "GET, PUT, HEAD, OPTIONS");
    assert_eq!(send(app.authed(Method::GET, "/api/note/42/")).await.0, 404);
    let (status, _, body) = send(app.authed(Method::OPTIONS, "/api/note/first/")).await;
    assert_eq!(
        (status, body["name"].clone(), body["actions"].clone()),
        (
            200,
            json!("Note Detail"),
            json!({"PUT": {"text": {"type": "string", "required": true, "read_only": false, "label": "Text", "max_length": 20}}})
        )
    );
    let (_, _, body) = send(app.authed(Method::OPTIONS, "/api/note/other/")).await;
    assert!(body.get("actions").is_none(), "no such note: {body}");

    // The API root links it, beside the tasks.
    let (_, _, root) = send(app.authed(Method::GET, "/api/")).await;
    assert_eq!(
        root,
        json!({
            "task": format!("http://127.0.0.1:{}/api/task/", app.port),
            "note": format!("http://127.0.0.1:{}/api/note/", app.port),
        })
    );
    // And the missing-slash redirect knows it.
    let (status, headers, _) = send(app.anonymous(Method::GET, "/api/note")).await;
    assert_eq!((status, header(&headers, "location")), (308, "/api/note/"));
    // And the OpenAPI document describes it, with its own fields.
    let (_, _, doc) = send(app.anonymous(Method::GET, "/api/schema/")).await;
    assert_eq!(
        doc["paths"]["/api/note/{id}/"]["parameters"][0]["schema"]["pattern"],
        "^[a-z]+$"
    );
    assert!(doc["paths"]["/api/note/{id}/"]["put"]["requestBody"].is_object());
    assert_eq!(
        doc["paths"]["/api/note/"]["get"]["security"],
        json!([{}, {"bearer": []}])
    );
    assert_eq!(
        doc["components"]["schemas"]["NoteRequest"]["required"],
        json!(["text"])
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
    use todoapi::policy::PermissionClass;
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
            PermissionClass::IsAuthenticated,
            PermissionClass::HasScope("notes:admin".into()),
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
