//! `tasks.ownership`: `shared` (everyone sees every task, the original at
//! v1.11) and `creator` (each token's `sub` sees and changes its own, the
//! original at v1.14: answers as its reference gave them).

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const NOT_THE_CREATOR: &str = "You must be the creator of this object.";

fn as_user(sub: &str) -> String {
    TokenSpec::default().claim("sub", json!(sub)).sign()
}

async fn create(app: &TestApp, token: &str, title: &str) -> i64 {
    let (status, _, body) = send(
        app.with_token(Method::POST, "/api/task/", token)
            .json(&json!({"title": title, "content": "mine"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    body["id"].as_i64().unwrap_or_default()
}

fn titles(list: &Value) -> Vec<&str> {
    list.as_array()
        .map(|a| a.iter().filter_map(|t| t["title"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn with_creator_ownership_two_users_never_touch_each_others_tasks() {
    let app = spawn_app_with(&[("APP__TASKS__OWNERSHIP", "creator")]).await;
    let (alice, bob) = (as_user("auth0|alice"), as_user("auth0|bob"));
    // The demo tasks belong to "dummy": visible to nobody, as on the original.
    let (_, _, list) = send(app.with_token(Method::GET, "/api/task/", &alice)).await;
    assert_eq!(list, json!([]));
    let a = create(&app, &alice, "A1").await;
    let b = create(&app, &bob, "B1").await;
    assert_eq!((a, b), (4, 5));
    let (_, _, list) = send(app.with_token(Method::GET, "/api/task/", &alice)).await;
    assert_eq!(titles(&list), ["A1"]);
    let (_, _, list) = send(app.with_token(Method::GET, "/api/task/", &bob)).await;
    assert_eq!(titles(&list), ["B1"]);

    // Another's task, or a demo one: 403 with the original's message for
    // every method, before the body is read; an unknown id is still 404.
    for path in ["/api/task/5/", "/api/task/1/"] {
        for (method, body) in [
            (Method::GET, None),
            (Method::HEAD, None),
            (Method::PUT, Some(json!({"title": ""}))),
            (Method::PATCH, Some(json!({}))),
            (Method::DELETE, None),
        ] {
            let mut request = app.with_token(method.clone(), path, &alice);
            if let Some(body) = body {
                request = request.json(&body);
            }
            let (status, headers, answer) = send(request).await;
            assert_eq!(status, 403, "{method} {path}");
            if method != Method::HEAD {
                assert_eq!(answer, detail(NOT_THE_CREATOR), "{method} {path}");
            }
            assert_eq!(
                header(&headers, "www-authenticate"),
                "",
                "no challenge for a 403"
            );
        }
    }
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/99/", &alice)).await;
    assert_eq!((status, body), (404, detail("Not found.")));
    assert_eq!(
        app.count("task WHERE id = 5"),
        1,
        "bob's task is still there"
    );

    // One's own: every method, and the body is validated after the object.
    let path = format!("/api/task/{a}/");
    let (status, _, body) = send(
        app.with_token(Method::PUT, &path, &alice)
            .json(&json!({"title": ""})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"title": ["This field may not be blank."], "content": ["This field is required."]})
        )
    );
    let (status, _, body) = send(
        app.with_token(Method::PATCH, &path, &alice)
            .json(&json!({"content": "edited"})),
    )
    .await;
    assert_eq!((status, body["content"].clone()), (200, json!("edited")));
    assert_eq!(
        send(app.with_token(Method::GET, &path, &alice)).await.0,
        200
    );

    // OPTIONS describes PUT on one's own task only.
    let (_, _, own) = send(app.with_token(Method::OPTIONS, &path, &alice)).await;
    assert!(own["actions"]["PUT"].is_object(), "{own}");
    let (status, _, other) = send(app.with_token(Method::OPTIONS, "/api/task/5/", &alice)).await;
    assert_eq!(status, 200);
    assert!(other.get("actions").is_none(), "{other}");

    assert_eq!(
        send(app.with_token(Method::DELETE, &path, &alice)).await.0,
        204
    );
    let (_, _, list) = send(app.with_token(Method::GET, "/api/task/", &alice)).await;
    assert_eq!(list, json!([]));
    let (_, _, list) = send(app.with_token(Method::GET, "/api/task/", &bob)).await;
    assert_eq!(titles(&list), ["B1"]);
}

/// A new task carries its creator's `sub` in either mode, whatever the
/// username handler maps the token to.
#[tokio::test]
async fn created_tasks_carry_the_tokens_sub() {
    for ownership in ["shared", "creator"] {
        let app = spawn_app_with(&[
            ("APP__TASKS__OWNERSHIP", ownership),
            ("APP__AUTH__USERNAME_HANDLER", "claim:email"),
        ])
        .await;
        let token = TokenSpec::default()
            .claim("sub", json!("auth0|carol"))
            .claim("email", json!("carol@example.com"))
            .sign();
        let id = create(&app, &token, "C1").await;
        assert_eq!(
            app.count(&format!(
                "task WHERE id = {id} AND created_by = 'auth0|carol'"
            )),
            1,
            "{ownership}"
        );
    }
}

#[tokio::test]
async fn with_shared_ownership_everyone_sees_and_changes_everything() {
    let app = spawn_app().await;
    let (alice, bob) = (as_user("auth0|alice"), as_user("auth0|bob"));
    let a = create(&app, &alice, "A1").await;
    let (_, _, list) = send(app.with_token(Method::GET, "/api/task/", &bob)).await;
    assert_eq!(titles(&list), ["Workout", "Shopping", "Counting", "A1"]);
    let path = format!("/api/task/{a}/");
    let (status, _, _) = send(
        app.with_token(Method::PATCH, &path, &bob)
            .json(&json!({"content": "bob's now"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        send(app.with_token(Method::DELETE, &path, &bob)).await.0,
        204
    );
}

/// The original at v1.14 lists nothing to a token without `sub` (and fails
/// with a 500 on create); here it lists nothing and refuses to create.
#[tokio::test]
async fn a_token_without_sub_owns_nothing() {
    let app = spawn_app_with(&[("APP__TASKS__OWNERSHIP", "creator")]).await;
    let anonymous_subject = TokenSpec::default().without_claim("sub").sign();
    let (status, _, list) =
        send(app.with_token(Method::GET, "/api/task/", &anonymous_subject)).await;
    assert_eq!((status, list), (200, json!([])));
    let (status, _, body) = send(
        app.with_token(Method::POST, "/api/task/", &anonymous_subject)
            .json(&json!({"title": "x", "content": "y"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            403,
            detail("You do not have permission to perform this action.")
        )
    );
    let (status, _, body) =
        send(app.with_token(Method::GET, "/api/task/1/", &anonymous_subject)).await;
    assert_eq!((status, body), (403, detail(NOT_THE_CREATOR)));
}

/// On a database the original made at v1.14, creator mode sees what the
/// original shows each user; at v1.11 (no created_by) it is refused.
#[tokio::test]
async fn creator_ownership_on_the_originals_databases() {
    let db = crate::original_db::load_original("v1.14");
    let app = spawn_app_on(
        JwksServer::start(&["k1"]).await,
        db,
        &[("APP__TASKS__OWNERSHIP", "creator")],
    )
    .await;
    let (_, _, list) =
        send(app.with_token(Method::GET, "/api/task/", &as_user("auth0|alice"))).await;
    assert_eq!(titles(&list), ["Read the tutorial"]);
    let (_, _, list) = send(app.with_token(Method::GET, "/api/task/", &as_user("auth0|bob"))).await;
    assert_eq!(titles(&list), ["Ship it"]);
    let (status, _, body) =
        send(app.with_token(Method::DELETE, "/api/task/2/", &as_user("auth0|alice"))).await;
    assert_eq!((status, body), (403, detail(NOT_THE_CREATOR)));

    let db = crate::original_db::load_original("v1.11");
    let url = db.url().to_owned();
    let out = todoapi_with_db(
        &url,
        &["serve"],
        &[
            ("APP__TASKS__OWNERSHIP", "creator"),
            ("APP__SERVER__PORT", "0"),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("tasks.ownership") && stderr.contains("created_by"),
        "{stderr}"
    );
    drop(db);
}
