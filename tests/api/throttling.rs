//! Throttling as DRF declares it (`DEFAULT_THROTTLE_CLASSES`, `_RATES`),
//! counted in local memory or in a real Redis shared by two servers, with
//! every 429 checked against DRF's text, and Redis cut in the middle.

use std::time::Duration;

use reqwest::Method;
use serde_json::Value;

use crate::helpers::*;

const THROTTLED: &str = "Request was throttled. Expected available in ";

/// The wait a 429 announces, after checking its body and header agree with DRF's text.
fn wait_of(status: u16, headers: &reqwest::header::HeaderMap, body: &Value) -> u64 {
    assert_eq!(status, 429, "{body}");
    let text = body["detail"].as_str().unwrap_or_default();
    let rest = text
        .strip_prefix(THROTTLED)
        .unwrap_or_else(|| panic!("{body}"));
    let (n, unit) = rest.split_once(' ').unwrap_or_else(|| panic!("{body}"));
    let n: u64 = n.parse().unwrap_or_else(|_| panic!("{body}"));
    assert_eq!(unit, if n == 1 { "second." } else { "seconds." }, "{body}");
    assert_eq!(body.as_object().map(|o| o.len()), Some(1), "{body}");
    assert_eq!(header(headers, "retry-after"), n.to_string());
    n
}

/// Where the counts live: this process, or the suite's Redis below a fresh prefix.
fn caches(test: &str) -> Vec<Vec<(&'static str, String)>> {
    vec![
        vec![],
        vec![
            ("APP__CACHE__URL", redis().url()),
            ("APP__CACHE__KEY_PREFIX", key_prefix(test)),
        ],
    ]
}

fn with<'a>(
    base: &'a [(&'static str, String)],
    more: &[(&'static str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    base.iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain(more.iter().copied())
        .collect()
}

#[tokio::test]
async fn anonymous_and_user_rates_refuse_with_drfs_answer() {
    for cache in caches("anon-user") {
        let app = spawn_app_with(&with(
            &cache,
            &[
                (
                    "APP__REST_FRAMEWORK__DEFAULT_PERMISSION_CLASSES",
                    "IsAuthenticatedOrReadOnly",
                ),
                (
                    "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
                    "AnonRateThrottle,UserRateThrottle",
                ),
                (
                    "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__ANON",
                    "2/minute",
                ),
                ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER", "3/m"),
            ],
        ))
        .await;
        for _ in 0..2 {
            let (status, _, _) = send(app.anonymous(Method::GET, "/api/task/")).await;
            assert_eq!(status, 200);
        }
        let (status, headers, body) = send(app.anonymous(Method::GET, "/api/task/")).await;
        let wait = wait_of(status, &headers, &body);
        assert!((55..=60).contains(&wait), "{wait}");
        // A user is counted by the user rate alone, not as the anonymous address.
        for _ in 0..3 {
            let (status, _, body) = send(app.authed(Method::GET, "/api/task/")).await;
            assert_eq!(status, 200, "{body}");
        }
        let (status, headers, body) = send(
            app.authed(Method::POST, "/api/task/")
                .json(&serde_json::json!({"title": "t", "content": "c"})),
        )
        .await;
        wait_of(status, &headers, &body);
        assert_eq!(
            app.count("task WHERE title = 't'"),
            0,
            "a refused write writes nothing"
        );
        // The probes are never throttled.
        for path in ["/api/health/", "/api/ready/", "/api/health/", "/api/ready/"] {
            let (status, _, body) = send(app.anonymous(Method::GET, path)).await;
            assert_eq!(status, 200, "{path}: {body}");
        }
    }
}

#[tokio::test]
async fn a_request_refused_by_its_permissions_is_never_counted() {
    let app = spawn_app_with(&[
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "AnonRateThrottle",
        ),
        ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__ANON", "1/m"),
    ])
    .await;
    // DRF's initial(): authentication, permissions, then throttles.
    for _ in 0..3 {
        let (status, _, body) = send(app.anonymous(Method::GET, "/api/task/")).await;
        assert_eq!(
            (status, body),
            (401, detail("Authentication credentials were not provided."))
        );
    }
    // AnonRateThrottle leaves users alone.
    for _ in 0..3 {
        let (status, _, _) = send(app.authed(Method::GET, "/api/task/")).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn several_throttles_all_count_and_the_longest_wait_is_said() {
    for cache in caches("longest") {
        let app = spawn_app_with(&with(
            &cache,
            &[
                (
                    "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
                    "UserRateThrottle,ScopedRateThrottle",
                ),
                (
                    "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER",
                    "2/hour",
                ),
                (
                    "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__TASKS",
                    "1/day",
                ),
            ],
        ))
        .await;
        let (status, _, _) = send(app.authed(Method::GET, "/api/task/")).await;
        assert_eq!(status, 200);
        // The scope refuses (a day); the user rate still counts this one.
        let (status, headers, body) = send(app.authed(Method::GET, "/api/task/1/")).await;
        let wait = wait_of(status, &headers, &body);
        assert!((86_390..=86_400).contains(&wait), "{wait}");
        // The API root has no scope: only the user rate, now spent (two of two).
        let (status, headers, body) = send(app.authed(Method::GET, "/api/")).await;
        let wait = wait_of(status, &headers, &body);
        assert!((3_590..=3_600).contains(&wait), "{wait}");
    }
}

#[tokio::test]
async fn a_wait_of_one_second_is_singular_and_passes() {
    let app = spawn_app_with(&[
        (
            "APP__REST_FRAMEWORK__THROTTLE_CLASSES__TASK_LIST",
            "UserRateThrottle",
        ),
        ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER", "1/s"),
    ])
    .await;
    let (status, _, _) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(status, 200);
    let (status, headers, body) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(wait_of(status, &headers, &body), 1);
    assert_eq!(
        body,
        detail("Request was throttled. Expected available in 1 second.")
    );
    // Only the route named is throttled.
    let (status, _, _) = send(app.authed(Method::GET, "/api/task/1/")).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let (status, _, _) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(status, 200);
}

#[tokio::test]
async fn clients_behind_a_trusted_proxy_are_counted_apart() {
    let throttled = [
        (
            "APP__REST_FRAMEWORK__DEFAULT_PERMISSION_CLASSES",
            "AllowAny",
        ),
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "AnonRateThrottle",
        ),
        ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__ANON", "1/m"),
    ];
    let mut behind_nginx = throttled.to_vec();
    behind_nginx.push(("APP__SERVER__TRUSTED_PROXIES", "127.0.0.1/32"));
    let app = spawn_app_with(&behind_nginx).await;
    let from = |ip: &'static str| {
        app.anonymous(Method::GET, "/api/task/")
            .header("X-Forwarded-For", ip)
    };
    assert_eq!(send(from("198.51.100.1")).await.0, 200);
    assert_eq!(send(from("198.51.100.1")).await.0, 429);
    assert_eq!(send(from("198.51.100.2")).await.0, 200);
    // From an untrusted peer the header is the client's word, and ignored.
    let app = spawn_app_with(&throttled).await;
    let from = |ip: &'static str| {
        app.anonymous(Method::GET, "/api/task/")
            .header("X-Forwarded-For", ip)
    };
    assert_eq!(send(from("198.51.100.1")).await.0, 200);
    assert_eq!(send(from("198.51.100.2")).await.0, 429);
}

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
async fn the_schema_says_429_where_a_throttle_applies() {
    let app = spawn_app_with(&[
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "ScopedRateThrottle",
        ),
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__TASKS",
            "100/m",
        ),
    ])
    .await;
    let (_, _, doc) = send(app.anonymous(Method::GET, "/api/schema/")).await;
    let responses = |path: &str, method: &str| doc["paths"][path][method]["responses"].clone();
    assert!(responses("/api/task/", "get")["429"]["headers"]["Retry-After"].is_object());
    assert!(responses("/api/task/{id}/", "delete")["429"].is_object());
    // No scope, no throttle: the root; never throttled: the probes.
    for (path, method) in [
        ("/api/", "get"),
        ("/api/ready/", "get"),
        ("/api/health/", "get"),
    ] {
        let answers = responses(path, method);
        assert!(
            answers.is_object() && answers.get("429").is_none(),
            "{path}: {answers}"
        );
    }
    let plain = spawn_app().await;
    let (_, _, doc) = send(plain.anonymous(Method::GET, "/api/schema/")).await;
    assert!(
        doc["paths"]["/api/task/"]["get"]["responses"]
            .get("429")
            .is_none()
    );
}

#[test]
fn bad_throttle_settings_stop_the_server_naming_the_key() {
    let cases = [
        (
            (
                "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
                "BurstRateThrottle",
            ),
            "rest_framework.default_throttle_classes (from environment variable APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES): unknown throttle class \"BurstRateThrottle\"",
        ),
        (
            (
                "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER",
                "100/fortnight",
            ),
            "\"100/fortnight\" is not a rate",
        ),
        (
            (
                "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
                "UserRateThrottle",
            ),
            "no rate for the \"user\" scope",
        ),
        (
            (
                "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
                "ScopedRateThrottle",
            ),
            "route \"task-list\": ScopedRateThrottle needs a rate for the scope \"tasks\"",
        ),
        (
            ("APP__CACHE__URL", "memcached://127.0.0.1:11211"),
            "cache.url",
        ),
    ];
    for ((key, value), wanted) in cases {
        for command in ["check", "serve"] {
            let out = todoapi(&[command], &[("APP_ENV", "test"), (key, value)])
                .output()
                .expect("run todoapi");
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{command} {key}={value}: {stderr}"
            );
            assert!(stderr.contains(wanted), "{command} {key}={value}: {stderr}");
        }
    }
}

#[tokio::test]
async fn the_development_issuers_sign_in_and_token_endpoint_have_a_limit_of_their_own() {
    let app = spawn_app_with(&[("APP__AUTH__DEV_ISSUER__THROTTLE_RATE", "3/m")]).await;
    let grant = serde_json::json!({"grant_type": "client_credentials", "client_id": "todoapi-dev", "client_secret": "wrong"});
    for _ in 0..2 {
        let (status, _, _) = send(app.anonymous(Method::POST, "/oauth/token").json(&grant)).await;
        assert_eq!(status, 401);
    }
    // The sign-in form counts with the token endpoint; showing it does not.
    for _ in 0..3 {
        let (status, _, _) = send(app.anonymous(Method::GET, "/authorize")).await;
        assert_ne!(status, 429);
    }
    let (status, _, _) = send(
        app.anonymous(Method::POST, "/authorize")
            .form(&[("username", "x")]),
    )
    .await;
    assert_ne!(status, 429);
    let (status, headers, body) =
        send(app.anonymous(Method::POST, "/dev/oauth/token").json(&grant)).await;
    let wait = wait_of(status, &headers, &body);
    assert!((55..=60).contains(&wait), "{wait}");
    // The API is not throttled by it.
    assert_eq!(send(app.authed(Method::GET, "/api/task/")).await.0, 200);
    // Empty: no limit.
    let open = spawn_app_with(&[("APP__AUTH__DEV_ISSUER__THROTTLE_RATE", "")]).await;
    for _ in 0..70 {
        let (status, _, _) = send(open.anonymous(Method::POST, "/oauth/token").json(&grant)).await;
        assert_eq!(status, 401);
    }
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
