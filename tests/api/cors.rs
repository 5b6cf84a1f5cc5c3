//! CORS as the original's django-cors-headers answers it, for the SPA on
//! another origin (`ng serve` on :4200, the compose file's Angular on :8080).

use std::collections::HashMap;

use reqwest::Method;

use crate::helpers::*;

const SPA: &str = "http://localhost:4200";
const COMPOSE_SPA: &str = "http://localhost:8080";

async fn preflight(app: &TestApp, path: &str, origin: &str) -> reqwest::Response {
    app.anonymous(Method::OPTIONS, path)
        .header("Origin", origin)
        .header("Access-Control-Request-Method", "PUT")
        .header(
            "Access-Control-Request-Headers",
            "authorization,content-type,x-custom",
        )
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_preflight_is_answered_before_authentication() {
    let app = spawn_app_with(&[(
        "APP__CORS__ALLOWED_ORIGINS",
        &format!("{SPA},{COMPOSE_SPA}"),
    )])
    .await;
    for (path, origin) in [
        ("/api/task/", SPA),
        ("/api/task/1/", COMPOSE_SPA),
        ("/api/", SPA),
    ] {
        let response = preflight(&app, path, origin).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let headers = response.headers().clone();
        assert_eq!(header(&headers, "access-control-allow-origin"), origin);
        assert_eq!(
            header(&headers, "access-control-allow-methods"),
            "DELETE, GET, OPTIONS, PATCH, POST, PUT"
        );
        let allowed = header(&headers, "access-control-allow-headers");
        for asked in ["authorization", "content-type", "x-custom"] {
            assert!(allowed.split(", ").any(|h| h == asked), "{allowed}");
        }
        assert_eq!(header(&headers, "access-control-max-age"), "86400");
        assert_eq!(header(&headers, "vary"), "Origin");
        assert_eq!(header(&headers, "www-authenticate"), "");
        assert!(response.bytes().await.unwrap().is_empty(), "an empty body");
    }
    // Another origin: the same 200, no grant, so the browser stops there.
    for origin in ["http://evil.example", "https://localhost:4200"] {
        let response = preflight(&app, "/api/task/", origin).await;
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            header(response.headers(), "access-control-allow-origin"),
            ""
        );
        assert_eq!(
            header(response.headers(), "access-control-allow-methods"),
            ""
        );
        assert!(response.bytes().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn every_answer_to_an_allowed_origin_is_readable() {
    let app = spawn_app_with(&[("APP__CORS__ALLOWED_ORIGINS", SPA)]).await;
    let requests = [
        (app.authed(Method::GET, "/api/task/"), 200),
        (app.anonymous(Method::GET, "/api/task/"), 401),
        (app.authed(Method::GET, "/api/task/999/"), 404),
        (
            app.authed(Method::POST, "/api/task/")
                .json(&serde_json::json!({})),
            400,
        ),
        (app.authed(Method::GET, "/nowhere/"), 404),
    ];
    for (request, expected) in requests {
        let (status, headers, _) = send(request.header("Origin", SPA)).await;
        assert_eq!(status, expected);
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            SPA,
            "{status}"
        );
        let exposed = header(&headers, "access-control-expose-headers");
        assert!(exposed.contains("WWW-Authenticate"), "{exposed}");
        assert!(exposed.contains("Link"), "a page's links: {exposed}");
    }
    let (_, headers, _) = send(app.authed(Method::GET, "/api/task/").header("Origin", SPA)).await;
    assert_eq!(header(&headers, "vary"), "Accept, Origin");
    // Other origins and requests without one get no grant.
    let (_, headers, _) = send(
        app.authed(Method::GET, "/api/task/")
            .header("Origin", "http://evil.example"),
    )
    .await;
    assert_eq!(header(&headers, "access-control-allow-origin"), "");
    let (_, headers, _) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), "");
}

#[tokio::test]
async fn without_allowed_origins_nobody_gets_a_grant() {
    let app = spawn_app().await;
    let response = preflight(&app, "/api/task/", SPA).await;
    assert_eq!(
        response.status().as_u16(),
        200,
        "still no 401 to a preflight"
    );
    assert_eq!(
        header(response.headers(), "access-control-allow-origin"),
        ""
    );
    let (_, headers, _) = send(app.authed(Method::GET, "/api/task/").header("Origin", SPA)).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), "");
    assert_eq!(header(&headers, "vary"), "Accept");
    // An OPTIONS that is no preflight is the API's OPTIONS, authenticated.
    let (status, _, _) = send(
        app.anonymous(Method::OPTIONS, "/api/task/")
            .header("Origin", SPA),
    )
    .await;
    assert_eq!(status, 401);
}

#[test]
fn the_development_profile_allows_the_originals_whitelist() {
    let env: HashMap<String, String> = [("APP_ENV".to_owned(), "development".to_owned())].into();
    let settings = todoapi::settings::load(&config_dir(), &env).expect("development settings");
    for origin in [SPA, COMPOSE_SPA] {
        assert!(
            settings.cors.allowed_origins.iter().any(|o| o == origin),
            "{origin}: {:?}",
            settings.cors.allowed_origins
        );
    }
}
