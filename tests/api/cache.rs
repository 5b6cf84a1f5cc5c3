//! The cache behind the throttles, with a real Redis: two servers sharing
//! it admit a rate exactly, Redis cut, stuck or restarted mid-run, and its
//! plain values beside local memory's.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;
use crate::throttling::caches;

#[tokio::test]
async fn two_servers_sharing_redis_admit_the_rate_exactly() {
    let prefix = key_prefix("replicas");
    let url = redis().url();
    let vars = [
        ("APP__CACHE__URL", url.as_str()),
        ("APP__CACHE__KEY_PREFIX", prefix.as_str()),
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "UserRateThrottle",
        ),
        ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER", "30/m"),
    ];
    let one = spawn_app_with(&vars).await;
    let two = spawn_app_on(
        JwksServer::start(&["k1"]).await,
        TestDb::shared(one.db.url()),
        &vars,
    )
    .await;
    assert_eq!(admitted(&[&one, &two]).await, 30);
    // Local memory: each process counts alone, so two admit twice the rate.
    let local = [
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "UserRateThrottle",
        ),
        ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER", "30/m"),
    ];
    let one = spawn_app_with(&local).await;
    let two = spawn_app_on(
        JwksServer::start(&["k1"]).await,
        TestDb::shared(one.db.url()),
        &local,
    )
    .await;
    assert_eq!(admitted(&[&one, &two]).await, 60);
}

/// 20 clients at once, 5 requests each, alternating servers: how many got a 200.
async fn admitted(apps: &[&TestApp]) -> usize {
    let token = token();
    let requests = (0..100).map(|i| {
        let request = apps[i % apps.len()].with_token(Method::GET, "/api/task/", &token);
        async move { request.send().await.map(|r| r.status().as_u16()) }
    });
    let mut statuses = Vec::new();
    let mut pending = futures_util::stream::iter(requests).buffer_unordered(20);
    use futures_util::StreamExt;
    while let Some(status) = pending.next().await {
        statuses.push(status.expect("answered"));
    }
    assert!(
        statuses.iter().all(|s| [200, 429].contains(s)),
        "{statuses:?}"
    );
    statuses.iter().filter(|s| **s == 200).count()
}

/// Redis behind a relay that the test cuts and restores.
async fn behind_relay(refuse: &str, prefix: &str) -> (TestApp, TcpRelay) {
    let relay = TcpRelay::start(redis().address).await;
    let url = format!("redis://127.0.0.1:{}/0", relay.port);
    let app = spawn_app_with(&[
        ("APP__CACHE__URL", url.as_str()),
        ("APP__CACHE__KEY_PREFIX", prefix),
        ("APP__CACHE__REFUSE_WHEN_UNAVAILABLE", refuse),
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "UserRateThrottle",
        ),
        ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER", "3/m"),
    ])
    .await;
    (app, relay)
}

#[tokio::test]
async fn without_redis_requests_go_through_and_counting_resumes_when_it_is_back() {
    let (app, relay) = behind_relay("false", &key_prefix("outage-open")).await;
    assert_eq!(send(app.authed(Method::GET, "/api/task/")).await.0, 200);
    relay.cut().await;
    for _ in 0..6 {
        let (status, _, body) = send(app.authed(Method::GET, "/api/task/")).await;
        assert_eq!(status, 200, "{body}");
    }
    let (status, _, body) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!(
        (status, &body["cache"]),
        (200, &Value::from("unavailable")),
        "{body}"
    );
    relay.restore();
    // Within the second the cache is left alone after a failure, and a reconnection.
    let mut refused = false;
    for _ in 0..40 {
        if send(app.authed(Method::GET, "/api/task/")).await.0 == 429 {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(refused, "counting did not resume once Redis was back");
    let (status, _, body) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!(
        (status, &body["cache"]),
        (200, &Value::from("ok")),
        "{body}"
    );
}

#[tokio::test]
async fn without_redis_the_refuse_setting_answers_503() {
    let (app, relay) = behind_relay("true", &key_prefix("outage-closed")).await;
    assert_eq!(send(app.authed(Method::GET, "/api/task/")).await.0, 200);
    relay.cut().await;
    let started = std::time::Instant::now();
    let (status, headers, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(
        (status, body),
        (503, detail("Service temporarily unavailable."))
    );
    assert_eq!(header(&headers, "retry-after"), "5");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    let (status, _, body) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!(
        (status, &body["cache"]),
        (503, &Value::from("unavailable")),
        "{body}"
    );
    relay.restore();
}

#[tokio::test]
async fn a_redis_restart_that_forgot_the_script_is_no_error() {
    let prefix = key_prefix("script-flush");
    let url = redis().url();
    let app = spawn_app_with(&[
        ("APP__CACHE__URL", url.as_str()),
        ("APP__CACHE__KEY_PREFIX", prefix.as_str()),
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "UserRateThrottle",
        ),
        ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER", "2/m"),
    ])
    .await;
    assert_eq!(send(app.authed(Method::GET, "/api/task/")).await.0, 200);
    assert!(redis_command(&["SCRIPT", "FLUSH"]).starts_with("+OK"));
    assert_eq!(send(app.authed(Method::GET, "/api/task/")).await.0, 200);
    assert_eq!(send(app.authed(Method::GET, "/api/task/")).await.0, 429);
    // The log lives below the prefix, as DRF's key, with Redis's own expiry.
    let ttl = redis_command(&["PTTL", &format!("{prefix}:throttle_user_1")]);
    let ms: i64 = ttl.trim().trim_start_matches(':').parse().unwrap_or(-1);
    assert!((50_000..=60_000).contains(&ms), "{ttl}");
}

#[tokio::test]
async fn a_redis_that_never_answers_costs_a_request_its_timeout_and_no_more() {
    // Accepts connections and answers nothing: a Redis stuck or swapping.
    let hole = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = hole.local_addr().expect("address").port();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in hole.incoming().flatten() {
            held.push(stream);
        }
    });
    let url = format!("redis://127.0.0.1:{port}/0");
    let app = spawn_app_with(&[
        ("APP__CACHE__URL", url.as_str()),
        ("APP__CACHE__TIMEOUT_MS", "200"),
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "UserRateThrottle",
        ),
        ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER", "1/m"),
    ])
    .await;
    for _ in 0..5 {
        let started = std::time::Instant::now();
        let (status, _, body) = send(app.authed(Method::GET, "/api/task/")).await;
        assert_eq!(status, 200, "{body}");
        assert!(
            started.elapsed() < Duration::from_millis(1_000),
            "{:?}",
            started.elapsed()
        );
    }
    let (status, _, body) = send(app.anonymous(Method::GET, "/api/ready/")).await;
    assert_eq!(
        (status, &body["cache"]),
        (200, &Value::from("unavailable")),
        "{body}"
    );
}

/// The cache's plain values, for what comes next (a shared token cache,
/// idempotency keys): the same answers from local memory and from Redis.
#[tokio::test]
async fn the_cache_keeps_values_for_their_time_in_memory_and_in_redis() {
    for cache in caches("values") {
        let mut env: std::collections::HashMap<String, String> =
            [("APP_ENV".to_owned(), "test".to_owned())].into();
        env.extend(cache.iter().map(|(k, v)| ((*k).to_owned(), v.clone())));
        let settings = todoapi::settings::load(&config_dir(), &env).expect("settings");
        let cache = todoapi::cache::Cache::new(&settings.cache).expect("cache");
        assert_eq!(cache.get("k").await, Ok(None));
        cache
            .set("k", b"v1", Duration::from_millis(300))
            .await
            .expect("set");
        cache
            .set("k", b"v2", Duration::from_millis(300))
            .await
            .expect("set");
        assert_eq!(cache.get("k").await, Ok(Some(b"v2".to_vec())));
        assert_eq!(cache.get("other").await, Ok(None));
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(cache.get("k").await, Ok(None));
    }
}
