//! What an operator scrapes: after known requests, the exposition (parsed)
//! counts them by route name, method and status, times them by route,
//! counts authentication's outcomes by reason, and shows the pool, the key
//! set, throttles, the process and the build. Labels stay bounded.

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::json;

use crate::helpers::*;

const LISTEN: (&str, &str) = ("APP__METRICS__LISTEN", "127.0.0.1:0");

async fn metrics_of(app: &TestApp) -> Exposition {
    let port = app.metrics_port.expect("metrics.listen gives a port");
    scrape(&app.client, &format!("http://127.0.0.1:{port}/metrics")).await
}

fn requests(m: &Exposition, route: &str, method: &str, status: &str) -> f64 {
    m.value(
        "todoapi_http_requests_total",
        &[("route", route), ("method", method), ("status", status)],
    )
}

#[tokio::test]
async fn requests_and_authentication_are_counted_as_they_were_answered() {
    let app = spawn_app_with(&[LISTEN]).await;
    // One token throughout (token() mints a new one each second).
    let good = token();
    let authed = |method, path| app.with_token(method, path, &good);
    for _ in 0..3 {
        let (status, _, _) = send(authed(Method::GET, "/api/task/")).await;
        assert_eq!(status, 200);
    }
    for _ in 0..2 {
        let (status, _, _) = send(app.anonymous(Method::GET, "/api/task/")).await;
        assert_eq!(status, 401);
    }
    let refused = [
        TokenSpec::default().claim("exp", json!(now() - 100)).sign(),
        TokenSpec::default().signed_by("k2").sign(),
        TokenSpec::default()
            .claim("aud", json!("someone-else"))
            .sign(),
        TokenSpec::default().kid("k3").sign(),
    ];
    for t in &refused {
        let (status, _, _) = send(app.with_token(Method::GET, "/api/task/", t)).await;
        assert_eq!(status, 401);
    }
    let (status, _, _) = send(
        authed(Method::POST, "/api/task/").json(&json!({"title": "Metrics", "content": "counted"})),
    )
    .await;
    assert_eq!(status, 201);
    let (status, _, _) = send(authed(Method::GET, "/api/task/999999/")).await;
    assert_eq!(status, 404);
    let (status, _, _) = send(app.anonymous(Method::GET, "/no/such/page")).await;
    assert_eq!(status, 404);
    let brew = Method::from_bytes(b"BREW").expect("a method token");
    let (status, _, _) = send(authed(brew, "/api/task/")).await;
    assert_eq!(status, 405);

    let m = metrics_of(&app).await;
    assert_eq!(requests(&m, "task-list", "GET", "200"), 3.0);
    assert_eq!(requests(&m, "task-list", "GET", "401"), 6.0);
    assert_eq!(requests(&m, "task-list", "POST", "201"), 1.0);
    assert_eq!(requests(&m, "task-detail", "GET", "404"), 1.0);
    assert_eq!(requests(&m, "unmatched", "GET", "404"), 1.0);
    assert_eq!(requests(&m, "task-list", "other", "405"), 1.0);
    assert_eq!(m.sum("todoapi_http_requests_total", &[]), 13.0);
    assert_eq!(m.types["todoapi_http_requests_total"], "counter");

    // The histogram of task-list: cumulative buckets ending in +Inf = count.
    let route = [("route", "task-list")];
    let count = m.value("todoapi_http_request_duration_seconds_count", &route);
    assert_eq!(count, 11.0);
    let mut buckets: Vec<(f64, f64)> = m
        .find("todoapi_http_request_duration_seconds_bucket", &route)
        .iter()
        .map(|s| {
            let le = match s.labels["le"].as_str() {
                "+Inf" => f64::INFINITY,
                le => le.parse().expect("le"),
            };
            (le, s.value)
        })
        .collect();
    buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    assert_eq!(buckets.first().map(|b| b.0), Some(0.0001));
    assert_eq!(buckets.last(), Some(&(f64::INFINITY, count)));
    assert!(buckets.windows(2).all(|w| w[0].1 <= w[1].1), "{buckets:?}");
    let sum = m.value("todoapi_http_request_duration_seconds_sum", &route);
    assert!(sum > 0.0 && sum < count * 5.0, "{sum}");
    assert_eq!(
        m.types["todoapi_http_request_duration_seconds"],
        "histogram"
    );
    assert_eq!(m.value("todoapi_http_requests_in_flight", &[]), 0.0);

    let outcome = |result| m.value("todoapi_auth_outcomes_total", &[("result", result)]);
    assert_eq!(outcome("accepted"), 6.0);
    assert_eq!(outcome("missing"), 2.0);
    assert_eq!(outcome("refused"), 4.0);
    assert_eq!(outcome("unavailable"), 0.0);
    let reason = |reason| m.value("todoapi_auth_refusals_total", &[("reason", reason)]);
    for r in ["expired", "bad_signature", "wrong_audience", "unknown_key"] {
        assert_eq!(reason(r), 1.0, "{r}");
    }
    // Every reason is there from the start, at 0 until it happens.
    assert_eq!(reason("user_disabled"), 0.0);
    assert_eq!(m.series("todoapi_auth_refusals_total"), 15);
    // One token six times: verified once, then remembered.
    assert_eq!(m.value("todoapi_auth_token_cache_hits_total", &[]), 5.0);
    assert_eq!(m.value("todoapi_auth_token_cache_misses_total", &[]), 5.0);
    assert_eq!(m.value("todoapi_auth_token_cache_size", &[]), 1.0);
}

#[tokio::test]
async fn the_pool_the_key_set_the_process_and_the_build_are_shown() {
    let app = spawn_app_with(&[LISTEN]).await;
    let (status, _, _) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(status, 200);
    let m = metrics_of(&app).await;

    let max = m.value("todoapi_db_pool_max_connections", &[]);
    let in_use = m.value("todoapi_db_pool_connections", &[("state", "in_use")]);
    let idle = m.value("todoapi_db_pool_connections", &[("state", "idle")]);
    assert!(
        max >= 2.0 && in_use + idle <= max && idle >= 1.0,
        "{max} {in_use} {idle}"
    );
    assert!(m.value("todoapi_db_pool_wait_seconds_count", &[]) >= 1.0);
    assert_eq!(m.value("todoapi_db_pool_timeouts_total", &[]), 0.0);
    assert_eq!(m.sum("todoapi_db_errors_total", &[]), 0.0);
    assert_eq!(m.series("todoapi_db_errors_total"), 4);

    // The tenant's key set: fetched, one key, just now, a refresh ahead.
    let issuer = m.find("todoapi_jwks_keys", &[]);
    assert_eq!(issuer.len(), 1, "one fetched key set");
    let iss = [("issuer", issuer[0].labels["issuer"].as_str())];
    assert_eq!(issuer[0].value, 1.0);
    assert!(m.value("todoapi_jwks_fetches_total", &[iss[0], ("result", "ok")]) >= 1.0);
    assert_eq!(
        m.value("todoapi_jwks_fetches_total", &[iss[0], ("result", "error")]),
        0.0
    );
    let age = m.value("todoapi_jwks_age_seconds", &iss);
    assert!((0.0..60.0).contains(&age), "{age}");
    let next = m.value("todoapi_jwks_next_refresh_seconds", &iss);
    assert!(next > 0.0 && next <= 600.0, "{next}");

    assert!(m.value("process_resident_memory_bytes", &[]) > 1_000_000.0);
    assert!(m.value("process_open_fds", &[]) > 3.0);
    assert!(m.value("process_max_fds", &[]) >= m.value("process_open_fds", &[]));
    assert!(m.value("process_cpu_seconds_total", &[]) > 0.0);
    let started = m.value("process_start_time_seconds", &[]);
    assert!((started - now() as f64).abs() < 3600.0, "{started}");

    let build = m.find("todoapi_build_info", &[]);
    assert_eq!(build.len(), 1);
    assert_eq!(build[0].value, 1.0);
    assert_eq!(build[0].labels["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(build[0].labels["backend"], backend());
    assert!(!build[0].labels["commit"].is_empty());
}

#[tokio::test]
async fn prometheus_gets_openmetrics_and_curl_gets_text() {
    let app = spawn_app_with(&[LISTEN, ("APP__METRICS__PATH", "/internal/metrics")]).await;
    let port = app.metrics_port.expect("port");
    let url = format!("http://127.0.0.1:{port}/metrics");
    let (status, _, _) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(status, 200);
    // Prometheus 2.x's own Accept.
    let accept = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
    let response = app
        .client
        .get(&url)
        .header("Accept", accept)
        .send()
        .await
        .expect("scrape");
    assert_eq!(
        header(response.headers(), "content-type"),
        "application/openmetrics-text; version=1.0.0; charset=utf-8"
    );
    let text = response.text().await.expect("body");
    assert_eq!(text.lines().last(), Some("# EOF"));
    let open = Exposition::parse(&text);
    assert_eq!(open.types["todoapi_build"], "info");
    assert_eq!(open.types["todoapi_http_requests"], "counter");
    assert_eq!(open.series("todoapi_build_info"), 1);
    assert_eq!(open.series("todoapi_http_requests_total"), 1);

    // The listener serves nothing else; the main port serves them at
    // metrics.path without a token, and the API as before.
    let (status, _, _) = send(app.client.get(format!("http://127.0.0.1:{port}/api/task/"))).await;
    assert_eq!(status, 404);
    let on_main = scrape(&app.client, &app.url("/internal/metrics")).await;
    assert_eq!(on_main.series("todoapi_build_info"), 1);
    assert_eq!(
        requests(&on_main, "task-list", "GET", "200"),
        1.0,
        "one registry behind both"
    );
}

#[tokio::test]
async fn without_the_settings_or_when_disabled_no_metrics_are_served() {
    let app = spawn_app().await;
    assert_eq!(app.metrics_port, None);
    let (status, _, _) = send(app.anonymous(Method::GET, "/metrics")).await;
    assert_eq!(status, 404);
    let off = spawn_app_with(&[
        LISTEN,
        ("APP__METRICS__PATH", "/metrics"),
        ("APP__METRICS__ENABLED", "false"),
    ])
    .await;
    assert_eq!(off.metrics_port, None);
    let (status, headers, _) = send(off.authed(Method::GET, "/metrics")).await;
    assert_eq!(status, 404);
    // The request ID stays.
    assert_eq!(header(&headers, "x-request-id").len(), 32);
}

#[tokio::test]
async fn throttled_requests_are_counted_by_route() {
    let app = spawn_app_with(&[
        LISTEN,
        (
            "APP__REST_FRAMEWORK__DEFAULT_THROTTLE_CLASSES",
            "UserRateThrottle",
        ),
        ("APP__REST_FRAMEWORK__DEFAULT_THROTTLE_RATES__USER", "2/m"),
    ])
    .await;
    let mut statuses = Vec::new();
    for _ in 0..5 {
        statuses.push(send(app.authed(Method::GET, "/api/task/")).await.0);
    }
    assert_eq!(statuses, [200, 200, 429, 429, 429]);
    let m = metrics_of(&app).await;
    assert_eq!(
        m.value(
            "todoapi_throttled_requests_total",
            &[("route", "task-list")]
        ),
        3.0
    );
    assert_eq!(requests(&m, "task-list", "GET", "429"), 3.0);
}

/// A scan of 10 000 distinct paths (task ids, junk, odd methods) leaves a
/// handful of series: labels are route names, never paths.
#[tokio::test]
async fn a_scan_of_ten_thousand_paths_leaves_the_series_bounded() {
    let app = spawn_app_with(&[LISTEN]).await;
    let before = metrics_of(&app).await;
    let paths: Vec<String> = (0..10_000)
        .map(|n| match n % 4 {
            0 => format!("/api/task/{n}/"),
            1 => format!("/api/task/{n}.json"),
            2 => format!("/junk/{n:x}/{}", n * 7919),
            _ => format!("/api/no-such-{n}/"),
        })
        .collect();
    let sent = futures_util::stream::iter(paths)
        .map(|path| {
            let request = app.anonymous(Method::GET, &path);
            async move { request.send().await.map(|r| r.status().as_u16()) }
        })
        .buffer_unordered(16)
        .filter(|r| std::future::ready(r.is_ok()))
        .count()
        .await;
    assert_eq!(sent, 10_000);
    let m = metrics_of(&app).await;
    assert_eq!(m.sum("todoapi_http_requests_total", &[]), 10_000.0);
    let series = m.samples.len() - before.samples.len();
    assert!(series <= 60, "{series} new series after 10 000 paths");
    let routes: std::collections::BTreeSet<&str> = m
        .find("todoapi_http_requests_total", &[])
        .iter()
        .map(|s| s.labels["route"].as_str())
        .collect();
    assert!(routes.len() <= 3, "{routes:?}");
}

/// A tenant whose key set cannot be fetched: the failures are counted, no
/// age is claimed, and a token meets 503 (counted as unavailable).
#[tokio::test]
async fn a_key_set_that_cannot_be_fetched_shows_as_such() {
    let jwks = JwksServer::start(&["k1"]).await;
    jwks.fail_with(Some(503));
    let app = spawn_app_on(jwks, TestDb::new(), &[LISTEN]).await;
    let (status, _, _) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!(status, 503);
    let m = metrics_of(&app).await;
    let failed = m.sum("todoapi_jwks_fetches_total", &[("result", "error")]);
    assert!(
        failed >= 1.0 && failed <= app.jwks.fetches() as f64,
        "{failed}"
    );
    assert_eq!(
        m.sum("todoapi_jwks_fetches_total", &[("result", "ok")]),
        0.0
    );
    assert_eq!(m.sum("todoapi_jwks_keys", &[]), 0.0);
    assert_eq!(m.series("todoapi_jwks_age_seconds"), 0);
    assert_eq!(
        m.value("todoapi_auth_outcomes_total", &[("result", "unavailable")]),
        1.0
    );
}

/// The shared cache's state: 1 while Redis answers, 0 when nothing listens at
/// its address, and no series at all for local memory.
#[tokio::test]
async fn the_shared_cache_shows_whether_it_answers() {
    let url = redis().url();
    let prefix = key_prefix("metrics");
    let up = spawn_app_with(&[
        LISTEN,
        ("APP__CACHE__URL", url.as_str()),
        ("APP__CACHE__KEY_PREFIX", prefix.as_str()),
    ])
    .await;
    assert_eq!(metrics_of(&up).await.value("todoapi_cache_up", &[]), 1.0);
    let nobody = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let gone = format!(
        "redis://127.0.0.1:{}/0",
        nobody.local_addr().expect("port").port()
    );
    drop(nobody);
    let down = spawn_app_with(&[LISTEN, ("APP__CACHE__URL", gone.as_str())]).await;
    let m = metrics_of(&down).await;
    assert_eq!(m.series("todoapi_cache_up"), 1);
    assert_eq!(m.value("todoapi_cache_up", &[]), 0.0);
    let local = spawn_app_with(&[LISTEN]).await;
    assert_eq!(metrics_of(&local).await.series("todoapi_cache_up"), 0);
}
