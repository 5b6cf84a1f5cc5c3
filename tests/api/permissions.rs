//! Permission classes: declared in code, defaulted and overridden in settings.

use reqwest::Method;
use serde_json::{Value, json};

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
    // The user row is read on every request, so that the change below shows at once.
    let app = spawn_app_with(&[
        (
            "APP__REST_FRAMEWORK__DEFAULT_PERMISSION",
            "rest_framework.permissions.IsAdminUser",
        ),
        ("APP__AUTH__USER_CACHE_SECS", "0"),
    ])
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

fn scoped(scope: &str, permissions: &[&str]) -> String {
    let mut spec = TokenSpec::default().claim("permissions", json!(permissions));
    spec = if scope.is_empty() {
        spec.without_claim("scope")
    } else {
        spec.claim("scope", json!(scope))
    };
    spec.sign()
}

async fn answer(app: &TestApp, method: Method, path: &str, token: &str) -> (u16, String, Value) {
    let (status, headers, body) = send(
        app.with_token(method, path, token)
            .json(&json!({"title": "x", "content": "y"})),
    )
    .await;
    (
        status,
        header(&headers, "www-authenticate").to_owned(),
        body,
    )
}

/// `IsAuthenticated,ReadScope:read:tasks,WriteScope:write:tasks`, as Auth0's
/// samples check scopes: reads need read:tasks, writes write:tasks, from the
/// `scope` claim or RBAC's `permissions`; a missing one is 403 with the
/// RFC 6750 challenge naming it.
#[tokio::test]
async fn read_and_write_scopes_per_method() {
    let app = spawn_app_with(&[(
        "APP__REST_FRAMEWORK__DEFAULT_PERMISSION_CLASSES",
        "IsAuthenticated,ReadScope:read:tasks,WriteScope:write:tasks",
    )])
    .await;
    let reader = scoped("read:tasks", &[]);
    let writer = scoped("", &["write:tasks"]);
    let both = scoped("openid read:tasks", &["write:tasks"]);
    let challenge = |scope: &str| {
        format!("Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"{scope}\"")
    };
    let denied = detail("You do not have permission to perform this action.");

    assert_eq!(
        answer(&app, Method::GET, "/api/task/", &reader).await.0,
        200
    );
    assert_eq!(
        answer(&app, Method::HEAD, "/api/task/1/", &reader).await.0,
        200
    );
    assert_eq!(
        answer(&app, Method::POST, "/api/task/", &reader).await,
        (403, challenge("write:tasks"), denied.clone())
    );
    assert_eq!(
        answer(&app, Method::GET, "/api/task/", &writer).await,
        (403, challenge("read:tasks"), denied.clone())
    );
    assert_eq!(
        answer(&app, Method::POST, "/api/task/", &writer).await.0,
        201
    );
    assert_eq!(
        answer(&app, Method::PUT, "/api/task/1/", &both).await.0,
        200
    );
    assert_eq!(
        answer(&app, Method::DELETE, "/api/task/2/", &writer)
            .await
            .0,
        204
    );
    assert_eq!(
        answer(&app, Method::DELETE, "/api/task/3/", &reader)
            .await
            .0,
        403
    );
    // A scope is a whole word of the claim, never a part of one.
    let near = scoped("read:tasks:all write:task", &["read:task"]);
    assert_eq!(answer(&app, Method::GET, "/api/task/", &near).await.0, 403);
    assert_eq!(answer(&app, Method::POST, "/api/task/", &near).await.0, 403);
    // Anonymous is still 401 first, and the routes declared open stay open.
    assert_eq!(status(&app, Method::GET, "/api/task/", false).await, 401);
    assert_eq!(status(&app, Method::GET, "/api/health/", false).await, 200);
}

#[tokio::test]
async fn has_scope_applies_to_every_method() {
    let app = spawn_app_with(&[(
        "APP__REST_FRAMEWORK__PERMISSIONS__TASK_LIST",
        "HasScope:tasks",
    )])
    .await;
    let (code, challenge, _) = answer(&app, Method::GET, "/api/task/", &token()).await;
    assert_eq!(
        (code, challenge.as_str()),
        (
            403,
            "Bearer realm=\"api\", error=\"insufficient_scope\", scope=\"tasks\""
        )
    );
    assert_eq!(
        answer(&app, Method::POST, "/api/task/", &scoped("tasks", &[]))
            .await
            .0,
        201
    );
    assert_eq!(
        answer(&app, Method::GET, "/api/task/", &scoped("", &["tasks"]))
            .await
            .0,
        200
    );
    // HasScope alone lets no anonymous request in: it needs a token's claims.
    assert_eq!(status(&app, Method::GET, "/api/task/", false).await, 401);
}

/// Lists of classes: from settings as a TOML list or a comma-separated
/// string, the single-class `default_permission` still accepted; all must pass.
#[tokio::test]
async fn class_lists_from_files_and_variables() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["default.toml", "test.toml"] {
        std::fs::copy(config_dir().join(name), dir.path().join(name)).unwrap();
    }
    std::fs::write(
        dir.path().join("local.toml"),
        "[rest_framework]\ndefault_permission_classes = [\"IsAuthenticated\", \"IsAdminUser\"]\n\n\
         [rest_framework.permissions]\ntask-detail = [\"AllowAny\"]\n",
    )
    .unwrap();
    let env: std::collections::HashMap<String, String> =
        [("APP_ENV".to_owned(), "test".to_owned())].into();
    use todoapi::policy::{AllowAny, IsAdminUser, IsAuthenticated, PermissionClass};
    let settings = todoapi::settings::load(dir.path(), &env).expect("settings");
    assert_eq!(
        settings.rest_framework.default_permission_classes,
        vec![
            PermissionClass::new(IsAuthenticated),
            PermissionClass::new(IsAdminUser)
        ]
    );
    assert_eq!(
        settings.rest_framework.permissions["task-detail"],
        vec![PermissionClass::new(AllowAny)]
    );

    // Both apply on a running server: the list's second class refuses a
    // non-staff user; the detail route's setting opens it.
    let app = spawn_app_with(&[
        (
            "APP__REST_FRAMEWORK__DEFAULT_PERMISSION_CLASSES",
            "IsAuthenticated,IsAdminUser",
        ),
        ("APP__REST_FRAMEWORK__PERMISSIONS__TASK_DETAIL", "AllowAny"),
        ("APP__AUTH__USER_CACHE_SECS", "0"),
    ])
    .await;
    assert_eq!(status(&app, Method::GET, "/api/task/", true).await, 403);
    assert_eq!(status(&app, Method::GET, "/api/task/1/", false).await, 200);
    app.sql("UPDATE auth_user SET is_staff = TRUE WHERE username = 'auth0user'");
    assert_eq!(status(&app, Method::GET, "/api/task/", true).await, 200);
}

#[test]
fn an_unknown_class_stops_start_up_naming_its_key() {
    for (variable, value) in [
        (
            "APP__REST_FRAMEWORK__DEFAULT_PERMISSION_CLASSES",
            "IsAuthenticated,IsOwner",
        ),
        ("APP__REST_FRAMEWORK__PERMISSIONS__TASK_LIST", "ReadScope"),
        ("APP__REST_FRAMEWORK__DEFAULT_PERMISSION", "Nope"),
        ("APP__TASKS__OWNERSHIP", "mine"),
    ] {
        let out = todoapi(&["check"], &[("APP_ENV", "test"), (variable, value)])
            .output()
            .expect("run todoapi check");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{variable}");
        assert!(
            stderr.contains(&format!("(from environment variable {variable})")),
            "{stderr}"
        );
    }
}
