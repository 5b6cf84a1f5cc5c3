//! CORS for the SPA.

use reqwest::Method;

use crate::helpers::*;

const SPA: &str = "http://localhost:4200";

async fn preflight(app: &TestApp, origin: &str) -> reqwest::Response {
    app.anonymous(Method::OPTIONS, "/api/task/")
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn preflight_from_an_allowed_origin_needs_no_token() {
    let app = spawn_app_with(&[("APP__CORS__ALLOWED_ORIGINS", SPA)]).await;
    let response = preflight(&app, SPA).await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        SPA
    );
    let methods = header(response.headers(), "access-control-allow-methods").to_owned();
    assert!(
        methods.contains("POST") && methods.contains("PATCH"),
        "{methods}"
    );
    let allowed = header(response.headers(), "access-control-allow-headers").to_ascii_lowercase();
    assert!(allowed.contains("authorization"), "{allowed}");

    // The actual request carries the CORS headers too, errors included.
    let response = app
        .authed(Method::GET, "/api/task/")
        .header("Origin", SPA)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        SPA
    );
    let response = app
        .anonymous(Method::GET, "/api/task/")
        .header("Origin", SPA)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        SPA
    );

    // Another origin gets no grant.
    let response = preflight(&app, "http://evil.example").await;
    assert_ne!(response.status().as_u16(), 200);
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        ""
    );
}

#[tokio::test]
async fn without_allowed_origins_cors_is_off() {
    let app = spawn_app().await;
    let response = preflight(&app, SPA).await;
    assert_eq!(
        response.status().as_u16(),
        401,
        "as DRF: the preflight is just an anonymous OPTIONS"
    );
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        ""
    );
}
