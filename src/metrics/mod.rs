//! What operators scrape: Prometheus metrics, one registry per server (tests
//! run several in a process). Parts record into the handles here as things
//! happen (requests, authentication, the pool, throttles); what is a state
//! rather than an event (the pool's connections, the key sets, the process)
//! is read when scraped, into a [`Scrape`] of the moment.
//!
//! Labels stay bounded: a route's name (never a path), a method from a
//! fixed set, a status code, a reason from a fixed list.

mod exposition;
mod process;
mod scrape;

use std::sync::Arc;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;

pub use exposition::Format;
pub use scrape::{KeySetSample, PoolSample, Scrape};

/// Request latency buckets, in seconds: most answers here take well under a
/// millisecond, so the low end is fine-grained.
const LATENCY_BUCKETS: [f64; 16] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0,
];
/// Waits for a pooled connection, in seconds (most are none at all).
const POOL_WAIT_BUCKETS: [f64; 10] = [
    0.00001, 0.0001, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0,
];

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub route: Arc<str>,
    pub method: &'static str,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabel {
    pub route: Arc<str>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ResultLabel {
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabel {
    kind: &'static str,
}

#[derive(Clone, Debug, EncodeLabelSet, PartialEq, Eq, Hash)]
struct BuildLabels {
    version: &'static str,
    commit: &'static str,
    backend: &'static str,
}

type Histograms<L> = Family<L, Histogram, fn() -> Histogram>;

/// A request's method as a label: one of HTTP's usual ones, else `other`
/// (a client may send any token as a method).
pub fn method_label(method: &str) -> &'static str {
    const KNOWN: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
    KNOWN
        .into_iter()
        .find(|known| *known == method)
        .unwrap_or("other")
}

/// Requests: counted by route, method and status; timed by route.
#[derive(Clone)]
pub struct HttpMetrics {
    requests: Family<RequestLabels, Counter>,
    duration: Histograms<RouteLabel>,
    in_flight: Gauge,
}

impl HttpMetrics {
    pub fn started(&self) -> InFlight {
        self.in_flight.inc();
        InFlight(self.in_flight.clone())
    }

    pub fn finished(&self, labels: RequestLabels, seconds: f64) {
        let route = RouteLabel {
            route: labels.route.clone(),
        };
        self.requests.get_or_create(&labels).inc();
        self.duration.get_or_create(&route).observe(seconds);
    }
}

/// A request in flight, until dropped (answered, or its client gone).
pub struct InFlight(Gauge);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// Authentication's outcomes, each counter made once (no lookup per request).
#[derive(Clone)]
pub struct AuthMetrics {
    accepted: Counter,
    missing: Counter,
    refused: Counter,
    unavailable: Counter,
    reasons: Vec<(&'static str, Counter)>,
    cache_hits: Counter,
    cache_misses: Counter,
}

impl AuthMetrics {
    pub fn accepted(&self) {
        self.accepted.inc();
    }
    /// No credentials: the request goes on anonymous.
    pub fn missing(&self) {
        self.missing.inc();
    }
    /// The keys could not be had (503).
    pub fn unavailable(&self) {
        self.unavailable.inc();
    }
    /// Credentials refused (401), for `reason` (one of those [`Metrics::new`] was given).
    pub fn refused(&self, reason: &str) {
        self.refused.inc();
        if let Some((_, counter)) = self.reasons.iter().find(|(r, _)| *r == reason) {
            counter.inc();
        }
    }
    /// A token found (or not) among the verified ones remembered.
    pub fn token_cache(&self, hit: bool) {
        match hit {
            true => self.cache_hits.inc(),
            false => self.cache_misses.inc(),
        };
    }

    /// Unregistered: for an authenticator outside a server (benchmarks).
    pub fn unregistered() -> Self {
        AuthMetrics::new(&mut Registry::default(), &[])
    }

    fn new(registry: &mut Registry, reasons: &[&'static str]) -> Self {
        let outcomes = Family::<ResultLabel, Counter>::default();
        let outcome = |result| outcomes.get_or_create_owned(&ResultLabel { result });
        let refusals = Family::<ReasonLabel, Counter>::default();
        let metrics = AuthMetrics {
            accepted: outcome("accepted"),
            missing: outcome("missing"),
            refused: outcome("refused"),
            unavailable: outcome("unavailable"),
            reasons: reasons
                .iter()
                .map(|&reason| {
                    (
                        reason,
                        refusals.get_or_create_owned(&ReasonLabel { reason }),
                    )
                })
                .collect(),
            cache_hits: Counter::default(),
            cache_misses: Counter::default(),
        };
        registry.register(
            "todoapi_auth_outcomes",
            "Authentications by result: accepted, missing (no credentials: anonymous), refused (401), unavailable (no keys: 503)",
            outcomes,
        );
        registry.register(
            "todoapi_auth_refusals",
            "Credentials refused, by reason",
            refusals,
        );
        registry.register(
            "todoapi_auth_token_cache_hits",
            "Tokens found among the verified ones remembered (no signature checked)",
            metrics.cache_hits.clone(),
        );
        registry.register(
            "todoapi_auth_token_cache_misses",
            "Tokens verified in full (not remembered, or their key changed)",
            metrics.cache_misses.clone(),
        );
        metrics
    }
}

/// The database: waits for a pooled connection, and errors by kind.
#[derive(Clone, Debug)]
pub struct DbMetrics {
    pool_wait: Histogram,
    pool_timeouts: Counter,
    errors: Family<KindLabel, Counter>,
}

impl Default for DbMetrics {
    /// Unregistered: for a database opened outside a server (the CLI).
    fn default() -> Self {
        DbMetrics {
            pool_wait: Histogram::new(POOL_WAIT_BUCKETS),
            pool_timeouts: Counter::default(),
            errors: Family::default(),
        }
    }
}

impl DbMetrics {
    pub fn checked_out(&self, waited: std::time::Duration) {
        self.pool_wait.observe(waited.as_secs_f64());
    }
    pub fn pool_timeout(&self) {
        self.pool_timeouts.inc();
    }
    /// `kind`: the error's kind (`unavailable`, `timeout`, `conflict`, `other`).
    pub fn error(&self, kind: &'static str) {
        self.errors.get_or_create(&KindLabel { kind }).inc();
    }

    fn register(&self, registry: &mut Registry, kinds: &[&'static str]) {
        for &kind in kinds {
            let _ = self.errors.get_or_create(&KindLabel { kind });
        }
        registry.register(
            "todoapi_db_pool_wait_seconds",
            "Time taken to check a connection out of the pool",
            self.pool_wait.clone(),
        );
        registry.register(
            "todoapi_db_pool_timeouts",
            "Checkouts that found no connection within database.timeout_secs",
            self.pool_timeouts.clone(),
        );
        registry.register(
            "todoapi_db_errors",
            "Database calls that failed, by kind (a missing row is an answer, not counted)",
            self.errors.clone(),
        );
    }
}

/// What one server exposes: the handles parts record into, and the registry.
pub struct Metrics {
    registry: Registry,
    pub http: HttpMetrics,
    pub auth: AuthMetrics,
    pub db: DbMetrics,
    throttled: Family<RouteLabel, Counter>,
}

/// What the metrics are told at start-up: fixed facts, and the label values
/// to show at 0 before anything happens.
pub struct Facts<'a> {
    pub backend: &'static str,
    pub refusal_reasons: &'a [&'static str],
    pub db_error_kinds: &'a [&'static str],
    pub db: DbMetrics,
}

impl Metrics {
    pub fn new(facts: Facts<'_>) -> Metrics {
        let mut registry = Registry::default();
        let http = HttpMetrics {
            requests: Family::default(),
            duration: Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS)),
            in_flight: Gauge::default(),
        };
        registry.register(
            "todoapi_http_requests",
            "Requests answered, by route name (unmatched: no route), method and status",
            http.requests.clone(),
        );
        registry.register(
            "todoapi_http_request_duration_seconds",
            "Time from a request's head to its answer's, by route name",
            http.duration.clone(),
        );
        registry.register(
            "todoapi_http_requests_in_flight",
            "Requests being answered now",
            http.in_flight.clone(),
        );
        let auth = AuthMetrics::new(&mut registry, facts.refusal_reasons);
        facts.db.register(&mut registry, facts.db_error_kinds);
        let throttled = Family::<RouteLabel, Counter>::default();
        registry.register(
            "todoapi_throttled_requests",
            "Requests refused by a throttle (429), by route name",
            throttled.clone(),
        );
        registry.register(
            "todoapi_build",
            "The running build: version, git commit, database backend",
            Info::new(BuildLabels {
                version: env!("CARGO_PKG_VERSION"),
                commit: option_env!("TODOAPI_GIT_COMMIT").unwrap_or("unknown"),
                backend: facts.backend,
            }),
        );
        Metrics {
            registry,
            http,
            auth,
            db: facts.db,
            throttled,
        }
    }

    pub fn throttled(&self, route: &Arc<str>) {
        self.throttled
            .get_or_create(&RouteLabel {
                route: route.clone(),
            })
            .inc();
    }

    /// The exposition: what was recorded, then `now` (states read at the
    /// scrape), then the process's own metrics.
    pub fn render(&self, format: Format, now: &Scrape) -> String {
        let mut process = Registry::default();
        process::register(&mut process);
        exposition::render(format, &[&self.registry, now.registry(), &process])
    }
}
