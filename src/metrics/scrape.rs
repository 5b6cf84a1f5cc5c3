//! States read when scraped (the pool, the key sets, the token cache, the
//! shared cache), as metrics of that moment.

use std::sync::atomic::AtomicU64;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

type Seconds = Gauge<f64, AtomicU64>;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct IssuerLabel {
    issuer: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FetchLabels {
    issuer: String,
    result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabel {
    state: &'static str,
}

/// The database pool now.
pub struct PoolSample {
    pub max: u32,
    pub connections: u32,
    pub idle: u32,
}

/// One fetched key set (a provider's JWKS) now.
pub struct KeySetSample {
    /// The `iss` of the first provider using it.
    pub issuer: String,
    pub keys: usize,
    /// Since the last successful fetch; `None` before the first.
    pub age: Option<Duration>,
    pub fetched: u64,
    pub failed: u64,
    /// Until the next scheduled fetch; `None` when none is scheduled yet.
    pub next_refresh: Option<Duration>,
}

/// The metrics of one scrape's moment.
#[derive(Default)]
pub struct Scrape {
    registry: Registry,
}

impl Scrape {
    pub(super) fn registry(&self) -> &Registry {
        &self.registry
    }

    pub fn pool(&mut self, pool: PoolSample) {
        let connections = Family::<StateLabel, Gauge>::default();
        let in_use = pool.connections.saturating_sub(pool.idle);
        connections
            .get_or_create(&StateLabel { state: "in_use" })
            .set(i64::from(in_use));
        connections
            .get_or_create(&StateLabel { state: "idle" })
            .set(i64::from(pool.idle));
        self.registry.register(
            "todoapi_db_pool_connections",
            "Pooled database connections, in use by a request or idle",
            connections,
        );
        let max = Gauge::<i64>::default();
        max.set(i64::from(pool.max));
        self.registry.register(
            "todoapi_db_pool_max_connections",
            "The most connections the pool opens (database.pool_size)",
            max,
        );
    }

    pub fn token_cache_size(&mut self, size: usize) {
        let gauge = Gauge::<i64>::default();
        gauge.set(i64::try_from(size).unwrap_or(i64::MAX));
        self.registry.register(
            "todoapi_auth_token_cache_size",
            "Verified tokens remembered now (at most auth.token_cache_size)",
            gauge,
        );
    }

    /// The fetched key sets; none when only fixed keys are trusted.
    pub fn key_sets(&mut self, sets: &[KeySetSample]) {
        if sets.is_empty() {
            return;
        }
        let keys = Family::<IssuerLabel, Gauge>::default();
        let age = Family::<IssuerLabel, Seconds>::default();
        let next = Family::<IssuerLabel, Seconds>::default();
        let fetches = Family::<FetchLabels, Counter>::default();
        for set in sets {
            let issuer = IssuerLabel {
                issuer: set.issuer.clone(),
            };
            keys.get_or_create(&issuer)
                .set(i64::try_from(set.keys).unwrap_or(i64::MAX));
            if let Some(a) = set.age {
                age.get_or_create(&issuer).set(a.as_secs_f64());
            }
            if let Some(n) = set.next_refresh {
                next.get_or_create(&issuer).set(n.as_secs_f64());
            }
            for (result, n) in [("ok", set.fetched), ("error", set.failed)] {
                fetches
                    .get_or_create(&FetchLabels {
                        issuer: set.issuer.clone(),
                        result,
                    })
                    .inc_by(n);
            }
        }
        self.registry.register(
            "todoapi_jwks_fetches",
            "Fetches of a provider's key set (JWKS), by result",
            fetches,
        );
        self.registry.register(
            "todoapi_jwks_keys",
            "Keys held from a provider's key set",
            keys,
        );
        self.registry.register(
            "todoapi_jwks_age_seconds",
            "Since the held key set was fetched (absent before the first fetch)",
            age,
        );
        self.registry.register(
            "todoapi_jwks_next_refresh_seconds",
            "Until the key set is fetched again",
            next,
        );
    }

    /// The shared cache (Redis), when one is configured: whether it answered
    /// the scrape's own PING (within `cache.timeout_ms`).
    pub fn shared_cache(&mut self, available: bool) {
        let gauge = Gauge::<i64>::default();
        gauge.set(i64::from(available));
        self.registry.register(
            "todoapi_cache_up",
            "Whether the shared cache (cache.url) answered a PING at this scrape",
            gauge,
        );
    }
}
