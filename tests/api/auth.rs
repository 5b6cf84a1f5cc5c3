//! Authentication: the header, the token, the key set, the user.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const NOT_PROVIDED: &str = "Authentication credentials were not provided.";
const DECODE: &str = "Error decoding signature.";
const INCORRECT: &str = "Incorrect authentication credentials.";
const EXPIRED: &str = "Signature has expired.";
const CHALLENGE: &str = "Bearer realm=\"api\"";
const INVALID_TOKEN: &str = "Bearer realm=\"api\", error=\"invalid_token\"";

async fn get_with_header(app: &TestApp, value: &str) -> (u16, String, serde_json::Value) {
    let (status, headers, body) = send(
        app.anonymous(Method::GET, "/api/task/")
            .header("Authorization", value),
    )
    .await;
    (
        status,
        header(&headers, "www-authenticate").to_owned(),
        body,
    )
}

async fn get_with_token(app: &TestApp, token: &str) -> (u16, String, serde_json::Value) {
    get_with_header(app, &format!("Bearer {token}")).await
}

#[tokio::test]
async fn no_credentials_is_401_with_a_challenge() {
    let app = spawn_app().await;
    let (status, headers, body) = send(app.anonymous(Method::GET, "/api/task/")).await;
    assert_eq!((status, body), (401, detail(NOT_PROVIDED)));
    assert_eq!(header(&headers, "www-authenticate"), CHALLENGE);
    assert_eq!(header(&headers, "allow"), "GET, POST, HEAD, OPTIONS");
}

#[tokio::test]
async fn header_parsing_follows_drf() {
    let app = spawn_app().await;
    let token = token();
    assert_eq!(
        get_with_header(&app, "Bearer").await,
        (
            401,
            CHALLENGE.into(),
            detail("Invalid Authorization header. No credentials provided.")
        )
    );
    assert_eq!(
        get_with_header(&app, &format!("Bearer {token} extra")).await,
        (
            401,
            "Bearer realm=\"api\", error=\"invalid_request\"".into(),
            detail("Invalid Authorization header. Credentials string should not contain spaces.")
        )
    );
    for prefix in ["bearer", "BEARER", "BeArEr"] {
        let (status, _, _) = get_with_header(&app, &format!("{prefix} {token}")).await;
        assert_eq!(status, 200, "{prefix}");
    }
    let (status, _, _) = get_with_header(&app, &format!("  Bearer \t {token}  ")).await;
    assert_eq!(status, 200);
    // Another scheme is no credentials at all.
    for other in [
        format!("JWT {token}"),
        "Basic YWxpY2U6c2VjcmV0".into(),
        "Token abc".into(),
    ] {
        assert_eq!(
            get_with_header(&app, &other).await,
            (401, CHALLENGE.into(), detail(NOT_PROVIDED)),
            "{other}"
        );
    }
}

#[tokio::test]
async fn a_custom_header_prefix() {
    let app = spawn_app_with(&[("APP__AUTH__HEADER_PREFIX", "JWT")]).await;
    let (status, _, _) = get_with_header(&app, &format!("jwt {}", token())).await;
    assert_eq!(status, 200);
    let (status, _, body) = get_with_header(&app, &format!("Bearer {}", token())).await;
    assert_eq!((status, body), (401, detail(NOT_PROVIDED)));
}

#[tokio::test]
async fn bad_tokens_get_drf_messages() {
    let app = spawn_app().await;
    let now = now();
    let cases: Vec<(&str, String, &str)> = vec![
        ("garbage", "not-a-token".into(), DECODE),
        ("two segments", "abc.def".into(), DECODE),
        ("bad base64", "a$b.c$d.e$f".into(), DECODE),
        (
            "wrong signature",
            TokenSpec::default().signed_by("k2").sign(),
            DECODE,
        ),
        (
            "tampered payload",
            {
                let t = token();
                let parts: Vec<&str> = t.split('.').collect();
                let other = TokenSpec::default()
                    .claim("sub", json!("auth0|admin"))
                    .sign();
                format!(
                    "{}.{}.{}",
                    parts[0],
                    other.split('.').nth(1).unwrap_or(""),
                    parts[2]
                )
            },
            DECODE,
        ),
        (
            "kid not published",
            TokenSpec::default().kid("k3").sign(),
            DECODE,
        ),
        (
            "expired",
            TokenSpec::default().claim("exp", json!(now - 10)).sign(),
            EXPIRED,
        ),
        (
            "wrong issuer",
            TokenSpec::default()
                .claim("iss", json!("https://other.example/"))
                .sign(),
            INCORRECT,
        ),
        (
            "issuer without slash",
            TokenSpec::default()
                .claim("iss", json!("https://tenant.test.example"))
                .sign(),
            INCORRECT,
        ),
        (
            "issuer as array",
            TokenSpec::default().claim("iss", json!([ISSUER])).sign(),
            INCORRECT,
        ),
        (
            "no issuer",
            TokenSpec::default().without_claim("iss").sign(),
            INCORRECT,
        ),
        (
            "wrong audience",
            TokenSpec::default()
                .claim("aud", json!("https://other.example"))
                .sign(),
            INCORRECT,
        ),
        (
            "no audience",
            TokenSpec::default().without_claim("aud").sign(),
            INCORRECT,
        ),
        (
            "no exp",
            TokenSpec::default().without_claim("exp").sign(),
            INCORRECT,
        ),
        // PyJWT cannot read them: the original says it could not decode.
        (
            "exp not a number",
            TokenSpec::default().claim("exp", json!("tomorrow")).sign(),
            DECODE,
        ),
        (
            "exp a number in a string (the original read it; refused here)",
            TokenSpec::default()
                .claim("exp", json!((now + 600).to_string()))
                .sign(),
            DECODE,
        ),
        (
            "exp null",
            TokenSpec::default().claim("exp", json!(null)).sign(),
            DECODE,
        ),
        (
            "nbf not a number",
            TokenSpec::default().claim("nbf", json!("now")).sign(),
            DECODE,
        ),
        (
            "iat not a number",
            TokenSpec::default().claim("iat", json!("today")).sign(),
            INCORRECT,
        ),
        (
            "not yet valid",
            TokenSpec::default().claim("nbf", json!(now + 600)).sign(),
            INCORRECT,
        ),
        (
            "alg none",
            TokenSpec::default().header("alg", json!("none")).sign(),
            INCORRECT,
        ),
        (
            "HS256 keyed with the public key",
            TokenSpec::default()
                .hmac(key("k1").public_pem().as_bytes())
                .sign(),
            INCORRECT,
        ),
        (
            "RS384 not allowed",
            TokenSpec::default().header("alg", json!("RS384")).sign(),
            INCORRECT,
        ),
    ];
    for (what, token, message) in cases {
        let (status, challenge, body) = get_with_token(&app, &token).await;
        assert_eq!((status, body), (401, detail(message)), "{what}");
        assert_eq!(challenge, INVALID_TOKEN, "{what}");
    }
}

/// `exp` and `nbf` are NumericDates (RFC 7519): any JSON number, as PyJWT
/// reads them; and as PyJWT, an expired token is "expired" before its
/// issuer or audience is looked at, but only once its signature holds.
#[tokio::test]
async fn times_are_numbers_checked_after_the_signature() {
    let app = spawn_app().await;
    let now = now();
    let fractional = TokenSpec::default()
        .claim("exp", json!(now as f64 + 600.5))
        .claim("nbf", json!(now as f64 - 0.5))
        .sign();
    assert_eq!(get_with_token(&app, &fractional).await.0, 200);
    let expired_elsewhere = TokenSpec::default()
        .claim("exp", json!(now - 10))
        .claim("aud", json!("https://other.example"))
        .sign();
    assert_eq!(
        get_with_token(&app, &expired_elsewhere).await.2,
        detail(EXPIRED)
    );
    let forged_and_expired = TokenSpec::default()
        .claim("exp", json!(now - 10))
        .kid("k1")
        .signed_by("k2")
        .sign();
    assert_eq!(
        get_with_token(&app, &forged_and_expired).await.2,
        detail(DECODE)
    );
}

#[tokio::test]
async fn audience_lists_and_leeway() {
    let app = spawn_app().await;
    let now = now();
    let with_our_audience = TokenSpec::default()
        .claim("aud", json!(["https://other.example", AUDIENCE]))
        .sign();
    assert_eq!(get_with_token(&app, &with_our_audience).await.0, 200);
    // No leeway by default: a token one second past exp is expired.
    let just_expired = TokenSpec::default().claim("exp", json!(now - 2)).sign();
    assert_eq!(get_with_token(&app, &just_expired).await.2, detail(EXPIRED));

    let lenient = spawn_app_with(&[("APP__AUTH__LEEWAY_SECS", "60")]).await;
    assert_eq!(get_with_token(&lenient, &just_expired).await.0, 200);
    let soon_valid = TokenSpec::default().claim("nbf", json!(now + 30)).sign();
    assert_eq!(get_with_token(&lenient, &soon_valid).await.0, 200);
    let later_valid = TokenSpec::default().claim("nbf", json!(now + 600)).sign();
    assert_eq!(
        get_with_token(&lenient, &later_valid).await.2,
        detail(INCORRECT)
    );
}

#[tokio::test]
async fn audience_configured_as_a_list() {
    let app = spawn_app_with(&[(
        "APP__AUTH__AUDIENCE",
        "https://first.example, https://second.example",
    )])
    .await;
    for aud in ["https://first.example", "https://second.example"] {
        let t = TokenSpec::default().claim("aud", json!(aud)).sign();
        assert_eq!(get_with_token(&app, &t).await.0, 200, "{aud}");
    }
    assert_eq!(get_with_token(&app, &token()).await.2, detail(INCORRECT));
}

#[tokio::test]
async fn tokens_without_kid_need_a_single_key() {
    let app = spawn_app().await;
    let no_kid = TokenSpec::default().without_header("kid").sign();
    assert_eq!(get_with_token(&app, &no_kid).await.0, 200);

    let jwks = JwksServer::start(&["k1", "k2"]).await;
    let two_keys = spawn_app_on(jwks, TestDb::new(), &[]).await;
    assert_eq!(get_with_token(&two_keys, &no_kid).await.2, detail(DECODE));
    assert_eq!(
        get_with_token(&two_keys, &TokenSpec::default().kid("k2").sign())
            .await
            .0,
        200
    );
}

#[tokio::test]
async fn jwk_alg_pins_the_algorithm() {
    let jwks = JwksServer::start(&[]).await;
    let mut jwk = key("k1").jwk();
    jwk["alg"] = json!("RS512");
    jwks.publish_raw(vec![jwk]);
    let app = spawn_app_on(
        jwks,
        TestDb::new(),
        &[("APP__AUTH__ALGORITHMS", "RS256,RS512")],
    )
    .await;
    assert_eq!(get_with_token(&app, &token()).await.2, detail(INCORRECT));
    let rs512 = TokenSpec::default().header("alg", json!("RS512")).sign();
    assert_eq!(get_with_token(&app, &rs512).await.0, 200);
}

#[tokio::test]
async fn the_key_set_is_fetched_once_not_per_request() {
    let app = spawn_app().await;
    for _ in 0..10 {
        assert_eq!(get_with_token(&app, &token()).await.0, 200);
    }
    assert_eq!(app.jwks.fetches(), 1);
}

#[tokio::test]
async fn unknown_kids_refetch_at_most_once_per_cooldown() {
    let app = spawn_app().await; // cooldown 30 s
    assert_eq!(get_with_token(&app, &token()).await.0, 200);
    let mut handles = Vec::new();
    for i in 0..20 {
        let t = TokenSpec::default()
            .header("kid", json!(format!("random-{i}")))
            .sign();
        let request = app.with_token(Method::GET, "/api/task/", &t);
        handles.push(tokio::spawn(async move {
            request.send().await.map(|r| r.status().as_u16())
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap().unwrap(), 401);
    }
    assert!(
        app.jwks.fetches() <= 2,
        "fetched {} times",
        app.jwks.fetches()
    );
}

#[tokio::test]
async fn a_rotated_key_is_picked_up_without_restart() {
    let app = spawn_app_with(&[("APP__AUTH__JWKS__COOLDOWN_SECS", "0")]).await;
    assert_eq!(get_with_token(&app, &token()).await.0, 200);
    app.jwks.publish(&["k2"]);
    let rotated = TokenSpec::default().kid("k2").sign();
    assert_eq!(get_with_token(&app, &rotated).await.0, 200);
    assert_eq!(app.jwks.fetches(), 2);
}

#[tokio::test]
async fn identity_provider_down_at_start_means_503_then_recovery() {
    let jwks = JwksServer::start(&["k1"]).await;
    jwks.fail_with(Some(500));
    let app = spawn_app_on(
        jwks,
        TestDb::new(),
        &[("APP__AUTH__JWKS__RETRY_MAX_SECS", "1")],
    )
    .await;
    let (status, headers, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(
        (status, body),
        (
            503,
            detail("Authentication service temporarily unavailable.")
        )
    );
    assert!(!header(&headers, "retry-after").is_empty());
    // Anonymous requests to open routes do not depend on the key set.
    let response = app
        .anonymous(Method::GET, "/api/health/")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);

    app.jwks.fail_with(None);
    let mut status = 0;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = get_with_token(&app, &token()).await.0;
        if status == 200 {
            break;
        }
    }
    assert_eq!(status, 200, "recovered once the key set could be fetched");
}

#[tokio::test]
async fn disabled_and_missing_users() {
    // The user row read on every request (token_cache.rs tests the cached case).
    let app = spawn_app_with(&[("APP__AUTH__USER_CACHE_SECS", "0")]).await;
    app.sql("UPDATE auth_user SET is_active = FALSE WHERE username = 'auth0user'");
    let (status, challenge, body) = get_with_token(&app, &token()).await;
    assert_eq!((status, body), (401, detail("User account is disabled.")));
    assert_eq!(challenge, INVALID_TOKEN);
    app.sql("DELETE FROM auth_user WHERE username = 'auth0user'");
    assert_eq!(
        get_with_token(&app, &token()).await.2,
        detail("Invalid signature.")
    );
}

#[tokio::test]
async fn username_handler_auth0user_maps_every_token_to_one_user() {
    let app = spawn_app().await;
    for sub in ["auth0|a", "auth0|b", "google-oauth2|c"] {
        let t = TokenSpec::default().claim("sub", json!(sub)).sign();
        assert_eq!(get_with_token(&app, &t).await.0, 200);
    }
    assert_eq!(app.count("auth_user"), 1);
}

#[tokio::test]
async fn username_handler_sub_creates_a_user_per_subject() {
    // Rows read on every request: the test disables a user below.
    let app = spawn_app_with(&[
        ("APP__AUTH__USERNAME_HANDLER", "sub"),
        ("APP__AUTH__USER_CACHE_SECS", "0"),
    ])
    .await;
    for sub in ["auth0|a", "auth0|b", "auth0|a"] {
        let t = TokenSpec::default().claim("sub", json!(sub)).sign();
        assert_eq!(get_with_token(&app, &t).await.0, 200);
    }
    assert_eq!(
        app.count("auth_user WHERE username IN ('auth0|a', 'auth0|b')"),
        2
    );
    assert_eq!(app.count("auth_user"), 3, "auth0user plus one per subject");
    // Concurrent first requests of a new subject create one user.
    let t = TokenSpec::default()
        .claim("sub", json!("auth0|racer"))
        .sign();
    let mut handles = Vec::new();
    for _ in 0..8 {
        let request = app.with_token(Method::GET, "/api/task/", &t);
        handles.push(tokio::spawn(async move {
            request.send().await.map(|r| r.status().as_u16())
        }));
    }
    for h in handles {
        assert_eq!(h.await.unwrap().unwrap(), 200);
    }
    assert_eq!(app.count("auth_user WHERE username = 'auth0|racer'"), 1);
    // A disabled subject is refused.
    app.sql("UPDATE auth_user SET is_active = FALSE WHERE username = 'auth0|b'");
    let t = TokenSpec::default().claim("sub", json!("auth0|b")).sign();
    assert_eq!(
        get_with_token(&app, &t).await.2,
        detail("User account is disabled.")
    );
    let no_sub = TokenSpec::default().without_claim("sub").sign();
    assert_eq!(
        get_with_token(&app, &no_sub).await.2,
        detail("Invalid payload.")
    );
}

#[tokio::test]
async fn username_handler_claim_uses_the_named_claim() {
    let app = spawn_app_with(&[("APP__AUTH__USERNAME_HANDLER", "claim:email")]).await;
    let t = TokenSpec::default()
        .claim("email", json!("ada@example.com"))
        .sign();
    assert_eq!(get_with_token(&app, &t).await.0, 200);
    assert_eq!(app.count("auth_user WHERE username = 'ada@example.com'"), 1);
    assert_eq!(
        get_with_token(&app, &token()).await.2,
        detail("Invalid payload.")
    );
    let not_a_string = TokenSpec::default().claim("email", json!(42)).sign();
    assert_eq!(
        get_with_token(&app, &not_a_string).await.2,
        detail("Invalid payload.")
    );
}

#[tokio::test]
async fn hs256_with_a_configured_secret() {
    let secret = "a-shared-secret-of-at-least-32-bytes!!";
    let app = spawn_app_with(&[
        ("APP__AUTH__ALGORITHMS", "RS256,HS256"),
        ("APP__AUTH__SECRET", secret),
    ])
    .await;
    let hs = TokenSpec::default().hmac(secret.as_bytes()).sign();
    assert_eq!(get_with_token(&app, &hs).await.0, 200);
    assert_eq!(get_with_token(&app, &token()).await.0, 200);
    // The RSA public key is still no HMAC key.
    let confused = TokenSpec::default()
        .hmac(key("k1").public_pem().as_bytes())
        .sign();
    assert_eq!(get_with_token(&app, &confused).await.2, detail(DECODE));
}

#[tokio::test]
async fn without_an_audience_aud_is_not_checked_outside_production() {
    // As DRF with JWT_AUDIENCE = None; production refuses to start so (see settings tests).
    let app = spawn_app_with(&[("APP__AUTH__AUDIENCE", "")]).await;
    for aud in [json!("https://anything.example"), json!(["a", "b"])] {
        let t = TokenSpec::default().claim("aud", aud.clone()).sign();
        assert_eq!(get_with_token(&app, &t).await.0, 200, "{aud}");
    }
    let no_aud = TokenSpec::default().without_claim("aud").sign();
    assert_eq!(get_with_token(&app, &no_aud).await.0, 200);
}
