//! Behind a proxy: X-Forwarded-* count only from `server.trusted_proxies`,
//! for the access log's client address as for the API root's links
//! (tasks.rs) and the sign-in cookie (browser_login.rs).

use crate::helpers::*;

/// The access log of one request to /api/health/ with these headers.
async fn logged(trusted: &str, forwarded_for: &str) -> String {
    let jwks = JwksServer::start(&["k1"]).await;
    let db = TestDb::new();
    let (mut child, base) = Running::serve(&[
        ("APP_ENV", "test"),
        ("APP__SERVER__PORT", "0"),
        ("APP__DATABASE__URL", db.url()),
        ("APP__AUTH__JWKS_URI", jwks.uri.as_str()),
        ("APP__AUTH__DEV_ISSUER__ENABLED", "false"),
        ("APP__SERVER__TRUSTED_PROXIES", trusted),
        ("RUST_LOG", "todoapi::access=info"),
    ]);
    let response = client()
        .get(format!("{base}/api/health/"))
        .header("X-Forwarded-For", forwarded_for)
        .send()
        .await
        .expect("request");
    assert_eq!(response.status().as_u16(), 200);
    child.stop_and_read_log()
}

#[tokio::test]
async fn the_access_log_names_the_client_a_trusted_proxy_reports() {
    let log = logged("127.0.0.1", "198.51.100.1, 203.0.113.9").await;
    assert!(log.contains("203.0.113.9 GET /api/health/ 200"), "{log}");
    // Not trusted: the peer, whatever the header says.
    let log = logged("10.0.0.0/8", "203.0.113.9").await;
    assert!(log.contains("127.0.0.1 GET /api/health/ 200"), "{log}");
    assert!(!log.contains("203.0.113.9"), "{log}");
}
