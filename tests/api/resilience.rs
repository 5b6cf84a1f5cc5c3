//! The key set under faults (outages, rotation, revocation, staleness, slow or
//! hostile responses) and the database going away. Short settings stand in
//! for a controllable clock.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

async fn status_with(app: &TestApp, token: &str) -> u16 {
    send(app.with_token(Method::GET, "/api/task/", token))
        .await
        .0
}

/// Polls until `status_with(token)` is `want` (for at most `secs`).
async fn eventually(app: &TestApp, token: &str, want: u16, secs: u64) -> u16 {
    let mut last = 0;
    for _ in 0..secs * 10 {
        last = status_with(app, token).await;
        if last == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    last
}

fn random_kid_token(i: usize) -> String {
    TokenSpec::default()
        .header("kid", json!(format!("unknown-{i}")))
        .sign()
}

#[tokio::test]
async fn an_outage_keeps_the_cached_keys_in_use() {
    let app = spawn_app_with(&[("APP__AUTH__JWKS__COOLDOWN_SECS", "0")]).await;
    assert_eq!(status_with(&app, &token()).await, 200);
    app.jwks.fail_with(Some(500));
    // An unknown kid tries a refetch, which fails: the cached keys stay.
    assert_eq!(status_with(&app, &random_kid_token(1)).await, 401);
    assert_eq!(app.jwks.fetches(), 2);
    assert_eq!(status_with(&app, &token()).await, 200);
    let (status, _, ready) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!(
        (status, ready["jwks"].clone(), ready["keys"].clone()),
        (200, json!("ok"), json!(2))
    );
}

#[tokio::test]
async fn a_key_removed_from_the_set_is_refused_after_the_next_refresh() {
    let jwks = JwksServer::start(&["k1", "k2"]).await;
    let app = spawn_app_on(
        jwks,
        TestDb::new(),
        &[
            ("APP__AUTH__JWKS__REFRESH_SECS", "1"),
            ("APP__AUTH__JWKS__MIN_REFRESH_SECS", "1"),
        ],
    )
    .await;
    let k2 = TokenSpec::default().kid("k2").sign();
    assert_eq!(status_with(&app, &k2).await, 200);
    app.jwks.publish(&["k1"]);
    assert_eq!(
        eventually(&app, &k2, 401, 5).await,
        401,
        "revoked at the next refresh"
    );
    let (_, _, body) = send(app.with_token(Method::GET, "/api/task/", &k2)).await;
    assert_eq!(body, detail("Error decoding signature."));
    assert_eq!(status_with(&app, &token()).await, 200);
}

#[tokio::test]
async fn stale_keys_stop_being_trusted_then_recover() {
    let app = spawn_app_with(&[
        ("APP__AUTH__JWKS__REFRESH_SECS", "1"),
        ("APP__AUTH__JWKS__MIN_REFRESH_SECS", "1"),
        ("APP__AUTH__JWKS__RETRY_MAX_SECS", "1"),
        ("APP__AUTH__JWKS__MAX_STALE_SECS", "2"),
    ])
    .await;
    assert_eq!(status_with(&app, &token()).await, 200);
    app.jwks.fail_with(Some(503));
    assert_eq!(
        eventually(&app, &token(), 503, 6).await,
        503,
        "refused once older than max_stale_secs"
    );
    let (_, headers, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(
        body,
        detail("Authentication service temporarily unavailable.")
    );
    assert!(!header(&headers, "retry-after").is_empty());
    let (status, _, ready) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!(
        (status, ready["jwks"].clone(), ready["database"].clone()),
        (503, json!("stale"), json!("ok"))
    );
    // Anonymous requests to open routes are unaffected.
    assert_eq!(
        send(app.anonymous(Method::GET, "/api/health/")).await.0,
        200
    );

    app.jwks.fail_with(None);
    assert_eq!(
        eventually(&app, &token(), 200, 6).await,
        200,
        "recovered on its own"
    );
    let (status, _, ready) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!((status, ready["jwks"].clone()), (200, json!("ok")));
}

/// While the tenant is down, fetches back off (1 s, 2 s, 4 s, … up to
/// `retry_max_secs`) whether it was down from the start or went down after
/// a success; a store that retried at once would send hundreds. The upper
/// bound is the point (a slow machine fetches less, never more); the lower
/// one only says the store tried.
#[tokio::test]
async fn a_failing_key_set_is_retried_with_backoff() {
    let jwks = JwksServer::start(&["k1"]).await;
    jwks.fail_with(Some(503));
    let app = spawn_app_on(jwks, TestDb::new(), &[]).await;
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let fetches = app.jwks.fetches();
    assert!(
        (1..=4).contains(&fetches),
        "down from the start: {fetches} fetches in 4.5 s (0 s, 1 s, 3 s)"
    );

    let app = spawn_app_with(&[
        ("APP__AUTH__JWKS__REFRESH_SECS", "1"),
        ("APP__AUTH__JWKS__MIN_REFRESH_SECS", "1"),
    ])
    .await;
    assert_eq!(status_with(&app, &token()).await, 200);
    app.jwks.fail_with(Some(503));
    let before = app.jwks.fetches();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let fetches = app.jwks.fetches() - before;
    assert!(
        (1..=4).contains(&fetches),
        "down after a success: {fetches} fetches in 4.5 s (1 s, 2 s, 4 s)"
    );
    assert_eq!(status_with(&app, &token()).await, 200, "the keys stay");
}

#[tokio::test]
async fn cache_control_max_age_brings_the_refresh_forward() {
    let jwks = JwksServer::start(&["k1"]).await;
    jwks.cache_control("public, max-age=1");
    let app = spawn_app_on(
        jwks,
        TestDb::new(),
        &[("APP__AUTH__JWKS__MIN_REFRESH_SECS", "1")],
    )
    .await;
    assert_eq!(status_with(&app, &token()).await, 200);
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let fetches = app.jwks.fetches();
    assert!(
        fetches >= 3,
        "refreshed every second as max-age asked, not every 600 s: {fetches} fetches"
    );

    // Clamped: max-age below min_refresh_secs does not make it refetch faster.
    let jwks = JwksServer::start(&["k1"]).await;
    jwks.cache_control("max-age=0");
    let app = spawn_app_on(
        jwks,
        TestDb::new(),
        &[("APP__AUTH__JWKS__MIN_REFRESH_SECS", "60")],
    )
    .await;
    assert_eq!(status_with(&app, &token()).await, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(app.jwks.fetches(), 1);
}

#[tokio::test]
async fn a_hanging_fetch_never_holds_up_requests_with_known_keys() {
    let app = spawn_app_with(&[
        ("APP__AUTH__JWKS__COOLDOWN_SECS", "0"),
        ("APP__AUTH__JWKS__TIMEOUT_SECS", "2"),
    ])
    .await;
    assert_eq!(status_with(&app, &token()).await, 200);
    app.jwks.hang_for(Duration::from_secs(10));
    let unknown = app.with_token(Method::GET, "/api/task/", &random_kid_token(1));
    let pending = tokio::spawn(async move { send(unknown).await });
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!pending.is_finished(), "the unknown kid waits on the fetch");
    assert_eq!(status_with(&app, &token()).await, 200);
    assert!(
        !pending.is_finished(),
        "a known kid was answered while the fetch still hung"
    );
    let (status, _, body) = pending.await.expect("request task");
    assert_eq!(
        (status, body),
        (401, detail("Error decoding signature.")),
        "the fetch timed out"
    );
}

#[tokio::test]
async fn garbage_or_huge_responses_keep_the_previous_keys() {
    let app = spawn_app_with(&[("APP__AUTH__JWKS__COOLDOWN_SECS", "0")]).await;
    assert_eq!(status_with(&app, &token()).await, 200);
    let huge = format!(
        r#"{{"keys": [], "padding": "{}"}}"#,
        "x".repeat(2 * 1024 * 1024)
    );
    for (i, body) in [
        b"<html>not json".to_vec(),
        b"{\"keys\": 42}".to_vec(),
        huge.into_bytes(),
    ]
    .into_iter()
    .enumerate()
    {
        app.jwks.serve_raw(Some(body));
        let before = app.jwks.fetches();
        assert_eq!(status_with(&app, &random_kid_token(i)).await, 401);
        assert_eq!(app.jwks.fetches(), before + 1, "a refetch was tried");
        assert_eq!(status_with(&app, &token()).await, 200, "previous keys kept");
    }
}

#[tokio::test]
async fn malformed_entries_are_skipped() {
    let jwks = JwksServer::start(&[]).await;
    let mut wrong_use = key("k2").jwk();
    wrong_use["use"] = json!("enc");
    jwks.publish_raw(vec![
        json!({"kty": "RSA", "kid": "broken", "n": "%%%", "e": "AQAB"}),
        json!({"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AA", "y": "AA"}),
        json!("not a key"),
        wrong_use,
        key("k1").jwk(),
    ]);
    let app = spawn_app_on(jwks, TestDb::new(), &[]).await;
    assert_eq!(status_with(&app, &token()).await, 200);
    assert_eq!(
        status_with(&app, &TokenSpec::default().kid("k2").sign()).await,
        401
    );
    let (_, _, ready) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!(ready["keys"], json!(2), "k1 and the development key");
}

#[tokio::test]
async fn ready_reports_what_is_ready() {
    let app = spawn_app().await;
    // Ready once the background fetch has loaded the key set, with no request's help.
    let mut answer = send(app.anonymous(Method::GET, "/api/ready/")).await;
    for _ in 0..50 {
        if answer.0 == 200 {
            break;
        }
        assert_eq!(answer.2["jwks"], json!("loading"), "{}", answer.2);
        tokio::time::sleep(Duration::from_millis(100)).await;
        answer = send(app.anonymous(Method::GET, "/api/ready/")).await;
    }
    let (status, headers, body) = answer;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "allow"), "GET, HEAD, OPTIONS");
    assert_eq!(
        (
            body["database"].clone(),
            body["jwks"].clone(),
            body["keys"].clone()
        ),
        (json!("ok"), json!("ok"), json!(2))
    );
    assert!(
        body["jwks_age_secs"].as_u64().is_some_and(|s| s < 60),
        "{body}"
    );

    let jwks = JwksServer::start(&["k1"]).await;
    jwks.fail_with(Some(500));
    let loading = spawn_app_on(jwks, TestDb::new(), &[]).await;
    let (status, headers, body) = send(loading.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!(
        (status, body["jwks"].clone(), body["jwks_age_secs"].clone()),
        (503, json!("loading"), json!(null))
    );
    assert!(!header(&headers, "retry-after").is_empty());
    assert_eq!(
        send(loading.anonymous(Method::GET, "/api/health/")).await.0,
        200,
        "liveness is not readiness"
    );
}

/// The database goes away (PostgreSQL behind a relay that is cut) or stays
/// busy (SQLite with another process holding its write lock): requests get a
/// 503 bounded by database.timeout_secs, and the server recovers on its own.
#[tokio::test]
async fn database_faults_are_503_and_the_server_recovers() {
    let db = TestDb::new();
    let jwks = JwksServer::start(&["k1"]).await;
    let timeout = ("APP__DATABASE__TIMEOUT_SECS", "1");
    let metrics = ("APP__METRICS__LISTEN", "127.0.0.1:0");
    // Three faults answered 503, each counted by its kind.
    let counted = |app: &TestApp| {
        let port = app.metrics_port.expect("metrics port");
        let client = app.client.clone();
        async move {
            let m = scrape(&client, &format!("http://127.0.0.1:{port}/metrics")).await;
            m.value("todoapi_db_errors_total", &[("kind", "unavailable")])
                + m.value("todoapi_db_errors_total", &[("kind", "timeout")])
        }
    };
    if backend() == "postgres" {
        let mut url = url::Url::parse(db.url()).expect("database URL");
        let target = format!(
            "{}:{}",
            url.host_str().unwrap_or("127.0.0.1"),
            url.port().unwrap_or(5432)
        );
        let target = tokio::net::lookup_host(target)
            .await
            .expect("resolve")
            .next()
            .expect("address");
        let relay = TcpRelay::start(target).await;
        let _ = url.set_port(Some(relay.port));
        let relayed = url.to_string();
        let app = spawn_app_on(
            jwks,
            db,
            &[timeout, metrics, ("APP__DATABASE__URL", relayed.as_str())],
        )
        .await;
        let list = || app.authed(Method::GET, "/api/task/");
        assert_eq!(send(list()).await.0, 200);
        relay.cut().await;
        assert_fault(list).await;
        assert!(counted(&app).await >= 3.0);
        let (status, _, ready) = send(app.anonymous(Method::GET, "/api/ready/")).await;
        assert_eq!(
            (status, ready["database"].clone()),
            (503, json!("unavailable"))
        );
        relay.restore();
        assert_recovers(list, 200).await;
        assert_eq!(send(app.anonymous(Method::GET, "/api/ready/")).await.0, 200);
    } else {
        let app = spawn_app_on(jwks, db, &[timeout, metrics]).await;
        let create = || {
            app.authed(Method::POST, "/api/task/")
                .json(&json!({"title": "x", "content": "y"}))
        };
        assert_eq!(send(create()).await.0, 201);
        let mut locker = app.db.connect();
        use diesel::connection::SimpleConnection;
        locker
            .batch_execute("BEGIN IMMEDIATE; UPDATE task SET title = title;")
            .expect("take the write lock");
        assert_fault(create).await;
        assert!(counted(&app).await >= 3.0);
        locker.batch_execute("COMMIT;").expect("release");
        assert_recovers(create, 201).await;
    }
}

async fn assert_fault(request: impl Fn() -> reqwest::RequestBuilder) {
    for _ in 0..3 {
        let started = std::time::Instant::now();
        let (status, headers, body) = send(request()).await;
        assert_eq!(
            (status, body),
            (503, detail("Service temporarily unavailable."))
        );
        assert!(!header(&headers, "retry-after").is_empty());
        // Bounded by database.timeout_secs (1 s), with slack for a loaded machine.
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "answered in {:?}",
            started.elapsed()
        );
    }
}

async fn assert_recovers(request: impl Fn() -> reqwest::RequestBuilder, want: u16) {
    let mut status = 0;
    for _ in 0..100 {
        status = send(request()).await.0;
        if status == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, want, "recovered on its own");
}

/// The log tells an operator what happened to the key set: a skipped entry by
/// its kid, each failed refresh.
#[tokio::test]
async fn skipped_keys_and_failed_refreshes_are_logged() {
    use std::io::Read;
    let jwks = JwksServer::start(&[]).await;
    jwks.publish_raw(vec![
        json!({"kty": "RSA", "kid": "broken-key", "e": "AQAB"}),
        key("k1").jwk(),
    ]);
    let db = TestDb::new();
    let vars = [
        ("APP_ENV", "test"),
        ("APP__SERVER__PORT", "0"),
        ("APP__DATABASE__URL", db.url()),
        ("APP__AUTH__JWKS_URI", jwks.uri.as_str()),
        ("APP__AUTH__DEV_ISSUER__ENABLED", "false"),
        ("APP__AUTH__JWKS__REFRESH_SECS", "1"),
        ("APP__AUTH__JWKS__MIN_REFRESH_SECS", "1"),
    ];
    let mut child = Running::spawn(
        todoapi(&["serve"], &vars)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped()),
    );
    let mut stdout = child.stdout.take().expect("stdout");
    let base = tokio::task::spawn_blocking(move || {
        let mut line = Vec::new();
        let mut byte = [0u8; 1];
        while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
            line.push(byte[0]);
        }
        String::from_utf8_lossy(&line)
            .trim_start_matches("todoapi is listening on ")
            .to_owned()
    })
    .await
    .expect("reader");
    let mut status = 0;
    for _ in 0..50 {
        status = client()
            .get(format!("{base}/api/task/"))
            .bearer_auth(token())
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0);
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "k1 was kept beside the broken entry");
    jwks.fail_with(Some(500));
    let before = jwks.fetches();
    for _ in 0..50 {
        if jwks.fetches() >= before + 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = child.stop_and_read_log();
    assert!(log.contains("skipping key broken-key"), "{log}");
    let failures = log.matches("refresh from").count();
    assert!(failures >= 2, "a warning per failed refresh: {log}");
}

/// An Auth0 tenant's key set: two keys with their certificates, about
/// 3.5 KiB; both keys verify.
#[tokio::test]
async fn an_auth0_shaped_key_set_is_read_whole() {
    let jwks = JwksServer::start(&["k1", "k2"]).await;
    let document = json!({ "keys": [key("k1").jwk(), key("k2").jwk()] }).to_string();
    assert!(
        (3_000..5_000).contains(&document.len()),
        "{} bytes",
        document.len()
    );
    // The development issuer off: its key would count too.
    let app = spawn_app_on(
        jwks,
        TestDb::new(),
        &[("APP__AUTH__DEV_ISSUER__ENABLED", "false")],
    )
    .await;
    for kid in ["k1", "k2"] {
        let token = TokenSpec::default().kid(kid).sign();
        assert_eq!(status_with(&app, &token).await, 200, "{kid}");
    }
    let (status, _, ready) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!((status, ready["keys"].clone()), (200, json!(2)), "{ready}");
}

/// `{"keys": [...], "padding": "xx…"}` of exactly `size` bytes.
fn key_set_of_size(kids: &[&'static str], size: usize) -> Vec<u8> {
    let keys: Vec<serde_json::Value> = kids.iter().map(|k| key(k).jwk()).collect();
    let bare = json!({ "keys": keys, "padding": "" }).to_string();
    let padded = json!({ "keys": keys, "padding": "x".repeat(size - bare.len()) }).to_string();
    assert_eq!(padded.len(), size);
    padded.into_bytes()
}

/// A key set up to 1 MiB is read; one byte more is refused and the keys
/// already held stay in use.
#[tokio::test]
async fn a_key_set_of_1_mib_is_read_and_one_byte_more_is_not() {
    let limit = todoapi::auth::keys::MAX_JWKS_BYTES;
    assert_eq!(limit, 1024 * 1024);
    let app = spawn_app_with(&[("APP__AUTH__JWKS__COOLDOWN_SECS", "0")]).await;
    assert_eq!(status_with(&app, &token()).await, 200);
    app.jwks
        .serve_raw(Some(key_set_of_size(&["k1", "k2"], limit)));
    let k2 = TokenSpec::default().kid("k2").sign();
    assert_eq!(status_with(&app, &k2).await, 200, "read at the limit");
    app.jwks
        .serve_raw(Some(key_set_of_size(&["k1", "k2", "k3"], limit + 1)));
    let k3 = TokenSpec::default().kid("k3").sign();
    let before = app.jwks.fetches();
    assert_eq!(status_with(&app, &k3).await, 401, "refused one byte over");
    assert_eq!(app.jwks.fetches(), before + 1);
    assert_eq!(status_with(&app, &k2).await, 200, "the held keys stay");
}
