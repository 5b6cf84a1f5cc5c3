//! The verified-token cache (auth/cache.rs): a hit skips the signature and
//! the user's row, and never accepts a token that a full verification would
//! refuse at that moment. Key removal and stale key sets are in
//! resilience.rs (the same token, cached, is refused after the refresh).

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn status_of(app: &TestApp, token: &str) -> (u16, serde_json::Value) {
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", token)).await;
    (status, body)
}

async fn cached(app: &TestApp) -> u64 {
    let (_, _, ready) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    ready["cached_tokens"].as_u64().unwrap_or(u64::MAX)
}

#[tokio::test]
async fn a_hit_skips_the_users_row_until_it_is_old() {
    let app = spawn_app_with(&[("APP__AUTH__USER_CACHE_SECS", "1")]).await;
    let token = token();
    assert_eq!(status_of(&app, &token).await.0, 200);
    assert_eq!(cached(&app).await, 1);
    // The row changes under the cache: believed for user_cache_secs...
    app.sql("UPDATE auth_user SET is_active = FALSE WHERE username = 'auth0user'");
    assert_eq!(status_of(&app, &token).await.0, 200, "the cached row");
    // ...then read again.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(
        status_of(&app, &token).await,
        (401, detail("User account is disabled."))
    );
    app.sql("UPDATE auth_user SET is_active = TRUE WHERE username = 'auth0user'");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    assert_eq!(status_of(&app, &token).await.0, 200);
}

#[tokio::test]
async fn a_cached_token_expires_on_time() {
    let app = spawn_app().await;
    let token = TokenSpec::default().claim("exp", json!(now() + 2)).sign();
    assert_eq!(status_of(&app, &token).await.0, 200);
    assert_eq!(cached(&app).await, 1);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        status_of(&app, &token).await,
        (401, detail("Signature has expired."))
    );
    assert_eq!(cached(&app).await, 0, "the expired entry is gone");
}

#[tokio::test]
async fn a_token_not_yet_valid_is_not_remembered_as_valid() {
    let app = spawn_app().await;
    let token = TokenSpec::default().claim("nbf", json!(now() + 2)).sign();
    assert_eq!(status_of(&app, &token).await.0, 401);
    assert_eq!(cached(&app).await, 0);
    tokio::time::sleep(Duration::from_millis(3100)).await;
    assert_eq!(
        status_of(&app, &token).await.0,
        200,
        "valid once nbf passed"
    );
    assert_eq!(cached(&app).await, 1);
}

#[tokio::test]
async fn only_the_same_bytes_hit() {
    let app = spawn_app().await;
    let token = token();
    assert_eq!(status_of(&app, &token).await.0, 200);
    // The same payload with a forged signature is verified, and refused.
    let (head, _) = token.rsplit_once('.').unwrap_or_default();
    let forged = format!("{head}.{}", "A".repeat(342));
    assert_eq!(
        status_of(&app, &forged).await,
        (401, detail("Error decoding signature."))
    );
    assert_eq!(cached(&app).await, 1);
}

#[tokio::test]
async fn a_key_replaced_under_the_same_kid_is_used_at_once() {
    let app = spawn_app_with(&[
        ("APP__AUTH__JWKS__REFRESH_SECS", "1"),
        ("APP__AUTH__JWKS__MIN_REFRESH_SECS", "1"),
    ])
    .await;
    let token = token();
    assert_eq!(status_of(&app, &token).await.0, 200);
    // The tenant rotates: "k1" is now another key's material.
    let mut other = key("k3").jwk();
    other["kid"] = json!("k1");
    app.jwks.publish_raw(vec![other]);
    let mut refused = 0;
    for _ in 0..50 {
        refused = status_of(&app, &token).await.0;
        if refused == 401 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        refused, 401,
        "the cached token is verified again, and fails"
    );
}

#[tokio::test]
async fn new_settings_start_with_nothing_remembered() {
    let db = TestDb::new();
    let shared = TestDb::shared(db.url());
    let first = spawn_app_on(JwksServer::start(&["k1"]).await, db, &[]).await;
    let token = token();
    assert_eq!(status_of(&first, &token).await.0, 200);
    // The same database, another audience: the token is not for this server.
    let second = spawn_app_on(
        JwksServer::start(&["k1"]).await,
        shared,
        &[("APP__AUTH__AUDIENCE", "https://another-api.example")],
    )
    .await;
    assert_eq!(status_of(&second, &token).await.0, 401);
    assert_eq!(status_of(&first, &token).await.0, 200);
}

#[tokio::test]
async fn the_cache_is_bounded() {
    let app = spawn_app_with(&[("APP__AUTH__TOKEN_CACHE_SIZE", "16")]).await;
    for i in 0..40 {
        let token = TokenSpec::default().claim("jti", json!(i)).sign();
        assert_eq!(status_of(&app, &token).await.0, 200);
        assert!(cached(&app).await <= 16);
    }
    let off = spawn_app_with(&[("APP__AUTH__TOKEN_CACHE_SIZE", "0")]).await;
    assert_eq!(status_of(&off, &token()).await.0, 200);
    assert_eq!(cached(&off).await, 0);
}
