//! Throttling as DRF declares it (`DEFAULT_THROTTLE_CLASSES`, `_RATES`),
//! counted in local memory or in a real Redis, with every 429 checked
//! against DRF's text. Redis shared, cut or stuck: `cache.rs`.

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
pub fn caches(test: &str) -> Vec<Vec<(&'static str, String)>> {
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
async fn settings_give_a_route_its_own_scope_over_the_views() {
    let app = spawn_app_with(&[
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "ScopedRateThrottle",
        ),
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__TASKS",
            "100/m",
        ),
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__DETAILS",
            "1/m",
        ),
        (
            "APP__REST_FRAMEWORK__THROTTLE_SCOPE__TASK_DETAIL",
            "details",
        ),
    ])
    .await;
    assert_eq!(send(app.authed(Method::GET, "/api/task/1/")).await.0, 200);
    let (status, headers, body) = send(app.authed(Method::GET, "/api/task/2/")).await;
    wait_of(status, &headers, &body);
    // The list keeps the view's own scope, `tasks`, and its rate.
    for _ in 0..3 {
        assert_eq!(send(app.authed(Method::GET, "/api/task/")).await.0, 200);
    }
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
