//! Each answer carries its request's ID: the one a proxy sent when it is
//! well-formed, else a new one, on every kind of answer.

use reqwest::Method;

use crate::helpers::*;

fn id(headers: &reqwest::header::HeaderMap) -> String {
    header(headers, "x-request-id").to_owned()
}

#[tokio::test]
async fn a_well_formed_id_is_kept_and_any_other_replaced() {
    let app = spawn_app().await;
    let nginx = "0123456789abcdef0123456789abcdef";
    let (status, headers, _) = send(
        app.authed(Method::GET, "/api/task/")
            .header("X-Request-Id", nginx),
    )
    .await;
    assert_eq!((status, id(&headers)), (200, nginx.to_owned()));
    for bad in ["has space", "semi;colon", "x".repeat(65).as_str(), "a/b"] {
        let (_, headers, _) = send(
            app.authed(Method::GET, "/api/task/")
                .header("X-Request-Id", bad),
        )
        .await;
        let given = id(&headers);
        assert_ne!(given, bad);
        assert!(
            given.len() == 32 && given.bytes().all(|b| b.is_ascii_hexdigit()),
            "{given}"
        );
    }
}

#[tokio::test]
async fn every_answer_has_an_id_of_its_own() {
    let app = spawn_app().await;
    let mut seen = std::collections::HashSet::new();
    for (method, path, wanted) in [
        (Method::GET, "/api/task/", 401),
        (Method::GET, "/api/nowhere/", 404),
        (Method::GET, "/api/health/", 200),
        (Method::DELETE, "/api/", 401),
        (Method::OPTIONS, "/api/task/", 401),
    ] {
        let (status, headers, _) = send(app.anonymous(method, path)).await;
        assert_eq!(status, wanted, "{path}");
        let given = id(&headers);
        assert_eq!(given.len(), 32, "{path}: {given}");
        assert!(seen.insert(given), "{path}: an ID given twice");
    }
}
