//! Permission classes: declared in code, defaulted and overridden in settings.

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const DENIED: &str = "You do not have permission to perform this action.";
const NOT_PROVIDED: &str = "Authentication credentials were not provided.";

async fn status(app: &TestApp, method: Method, path: &str, authed: bool) -> u16 {
    let request = if authed {
        app.authed(method, path)
    } else {
        app.anonymous(method, path)
    };
    request
        .json(&json!({"title": "x", "content": "y"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn is_authenticated_is_the_default() {
    let app = spawn_app().await;
    for path in ["/api/", "/api/task/", "/api/task/1/"] {
        let (code, headers, body) = send(app.anonymous(Method::GET, path)).await;
        assert_eq!((code, body), (401, detail(NOT_PROVIDED)), "{path}");
        assert_eq!(header(&headers, "www-authenticate"), "Bearer realm=\"api\"");
        assert_eq!(status(&app, Method::GET, path, true).await, 200, "{path}");
    }
    // Authentication and permission come before the method check, as in DRF.
    assert_eq!(status(&app, Method::PUT, "/api/task/", false).await, 401);
    assert_eq!(status(&app, Method::PUT, "/api/task/", true).await, 405);
}

#[tokio::test]
async fn allow_any_as_the_default() {
    let app = spawn_app_with(&[("APP__REST_FRAMEWORK__DEFAULT_PERMISSION", "AllowAny")]).await;
    assert_eq!(status(&app, Method::GET, "/api/task/", false).await, 200);
    assert_eq!(status(&app, Method::POST, "/api/task/", false).await, 201);
    assert_eq!(
        status(&app, Method::DELETE, "/api/task/1/", false).await,
        204
    );
    // Credentials presented and refused are 401 even where anyone may enter.
    let (code, headers, body) = send(
        app.anonymous(Method::GET, "/api/task/")
            .header("Authorization", "Bearer not-a-token"),
    )
    .await;
    assert_eq!((code, body), (401, detail("Error decoding signature.")));
    assert_eq!(
        header(&headers, "www-authenticate"),
        "Bearer realm=\"api\", error=\"invalid_token\""
    );
}

#[tokio::test]
async fn is_authenticated_or_read_only() {
    let app = spawn_app_with(&[(
        "APP__REST_FRAMEWORK__DEFAULT_PERMISSION",
        "IsAuthenticatedOrReadOnly",
    )])
    .await;
    assert_eq!(status(&app, Method::GET, "/api/task/", false).await, 200);
    assert_eq!(status(&app, Method::HEAD, "/api/task/", false).await, 200);
    assert_eq!(
        status(&app, Method::OPTIONS, "/api/task/", false).await,
        200
    );
    assert_eq!(status(&app, Method::POST, "/api/task/", false).await, 401);
    assert_eq!(
        status(&app, Method::PATCH, "/api/task/1/", false).await,
        401
    );
    assert_eq!(status(&app, Method::POST, "/api/task/", true).await, 201);
    // OPTIONS describes POST only to whom may POST.
    let (_, _, body) = send(app.anonymous(Method::OPTIONS, "/api/task/")).await;
    assert!(body.get("actions").is_none(), "{body}");
    let (_, _, body) = send(app.authed(Method::OPTIONS, "/api/task/")).await;
    assert!(body["actions"]["POST"].is_object(), "{body}");
}

#[tokio::test]
async fn is_admin_user_needs_staff() {
    let app = spawn_app_with(&[(
        "APP__REST_FRAMEWORK__DEFAULT_PERMISSION",
        "rest_framework.permissions.IsAdminUser",
    )])
    .await;
    let (code, headers, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!((code, body), (403, detail(DENIED)));
    assert_eq!(header(&headers, "www-authenticate"), "");
    assert_eq!(status(&app, Method::GET, "/api/task/", false).await, 401);
    app.sql("UPDATE auth_user SET is_staff = TRUE WHERE username = 'auth0user'");
    assert_eq!(status(&app, Method::GET, "/api/task/", true).await, 200);
}

#[tokio::test]
async fn settings_override_a_route_by_name() {
    // Environment names cannot hold '-': TASK_LIST is task-list.
    let app = spawn_app_with(&[("APP__REST_FRAMEWORK__PERMISSIONS__TASK_LIST", "AllowAny")]).await;
    assert_eq!(status(&app, Method::GET, "/api/task/", false).await, 200);
    assert_eq!(
        status(&app, Method::GET, "/api/task.json", false).await,
        200
    );
    assert_eq!(status(&app, Method::GET, "/api/task/1/", false).await, 401);
    assert_eq!(status(&app, Method::GET, "/api/", false).await, 401);
}

#[tokio::test]
async fn settings_win_over_what_the_route_declares() {
    // health declares AllowAny in code.
    let open = spawn_app_with(&[("APP__REST_FRAMEWORK__DEFAULT_PERMISSION", "IsAdminUser")]).await;
    assert_eq!(
        status(&open, Method::GET, "/api/health/", false).await,
        200,
        "code beats the default"
    );
    let closed = spawn_app_with(&[(
        "APP__REST_FRAMEWORK__PERMISSIONS__HEALTH",
        "IsAuthenticated",
    )])
    .await;
    assert_eq!(
        status(&closed, Method::GET, "/api/health/", false).await,
        401,
        "settings beat code"
    );
    assert_eq!(
        status(&closed, Method::GET, "/api/health/", true).await,
        200
    );
}
