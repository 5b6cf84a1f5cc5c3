//! Django's `CACHES`: one interface over this process's memory (`local.rs`)
//! and a Redis that replicas share (`remote.rs`), where keys are prefixed
//! with `cache.key_prefix`. What uses it (the throttles today) never knows which.
//!
//! A cache that cannot be reached within `cache.timeout_ms` is an error the
//! caller decides about (`cache.refuse_when_unavailable`); after a failure
//! the cache is not asked again for a second, so that an outage costs a
//! request nothing more than a failed check.

mod local;
mod remote;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::settings::{CacheSettings, CacheUrl};

pub use local::Local;

/// How long the cache is left alone after it failed.
const BACKOFF: Duration = Duration::from_secs(1);

/// One sliding-log count (DRF's `SimpleRateThrottle`): at most `limit`
/// hits in any `window`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hit {
    pub key: String,
    pub limit: u32,
    pub window: Duration,
}

/// What a hit was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Counted.
    Allowed,
    /// Not counted; DRF's `wait()`: when the next hit would be allowed, if
    /// that can be said (not when the limit was lowered below the log).
    Refused(Option<Duration>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CacheError {
    #[error("the cache is unavailable: {0}")]
    Unavailable(String),
}

/// What `/api/ready/` says of the cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheStatus {
    /// This process's memory: always there, shared with no one.
    Local,
    Ok,
    Unavailable,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::Local => "local",
            CacheStatus::Ok => "ok",
            CacheStatus::Unavailable => "unavailable",
        }
    }
}

/// Microseconds since the Unix epoch: the throttles' clock (injected in tests).
pub type Clock = Arc<dyn Fn() -> u64 + Send + Sync>;

pub fn system_clock() -> Clock {
    Arc::new(|| {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64)
    })
}

enum Store {
    Local(Local),
    Remote(remote::Remote),
}

/// The cache. Cloning is cheap.
#[derive(Clone)]
pub struct Cache(Arc<Inner>);

struct Inner {
    store: Store,
    prefix: String,
    /// Microseconds since the epoch before which the cache is not asked.
    resting_until: AtomicU64,
    clock: Clock,
}

impl Cache {
    /// From settings; a Redis is connected to at its first use, so that the
    /// server starts (and says so on `/api/ready/`) while Redis is away.
    pub fn new(settings: &CacheSettings) -> Result<Cache, CacheError> {
        let timeout = Duration::from_millis(settings.timeout_ms);
        let store = match &settings.url {
            CacheUrl::Local => Store::Local(Local::new(system_clock())),
            CacheUrl::Redis(url) => Store::Remote(remote::Remote::new(url, timeout)?),
        };
        Ok(Cache::with_store(
            store,
            &settings.key_prefix,
            system_clock(),
        ))
    }

    /// Local memory on a clock of the caller's (unit tests).
    pub fn local_with_clock(clock: Clock) -> Cache {
        Cache::with_store(Store::Local(Local::new(clock.clone())), "test", clock)
    }

    fn with_store(store: Store, prefix: &str, clock: Clock) -> Cache {
        Cache(Arc::new(Inner {
            store,
            prefix: prefix.to_owned(),
            resting_until: AtomicU64::new(0),
            clock,
        }))
    }

    /// A key in Redis: below the deployment's prefix, which replicas share.
    /// (This process's memory needs none: no one else writes there.)
    fn shared_key(&self, key: &str) -> String {
        format!("{}:{key}", self.0.prefix)
    }

    /// Counts every hit at once, atomically (in Redis, one script call,
    /// shared with the requests that arrive meanwhile), each as DRF's
    /// `allow_request` would: a refused hit is not counted.
    pub async fn hit(&self, mut hits: Vec<Hit>) -> Result<Vec<Outcome>, CacheError> {
        match &self.0.store {
            Store::Local(local) => Ok(local.hit(&hits)),
            Store::Remote(remote) => {
                for hit in &mut hits {
                    hit.key = self.shared_key(&hit.key);
                }
                self.guarded(remote.hit(hits)).await
            }
        }
    }

    /// A value kept under `key`, if any (and not expired).
    pub async fn get(&self, key: &str) -> Result<Option<Vec<u8>>, CacheError> {
        match &self.0.store {
            Store::Local(local) => Ok(local.get(key)),
            Store::Remote(remote) => self.guarded(remote.get(&self.shared_key(key))).await,
        }
    }

    /// Keeps `value` under `key` for `ttl`.
    pub async fn set(&self, key: &str, value: &[u8], ttl: Duration) -> Result<(), CacheError> {
        match &self.0.store {
            Store::Local(local) => {
                local.set(key, value, ttl);
                Ok(())
            }
            Store::Remote(remote) => {
                self.guarded(remote.set(&self.shared_key(key), value, ttl))
                    .await
            }
        }
    }

    /// Asks the cache itself, even while resting (`/api/ready/`).
    pub async fn status(&self) -> CacheStatus {
        match &self.0.store {
            Store::Local(_) => CacheStatus::Local,
            Store::Remote(remote) => match remote.ping().await {
                Ok(()) => {
                    self.0.resting_until.store(0, Ordering::Relaxed);
                    CacheStatus::Ok
                }
                Err(_) => CacheStatus::Unavailable,
            },
        }
    }

    /// Runs a call to Redis unless it failed within the last second; a
    /// failure starts such a rest.
    async fn guarded<T>(
        &self,
        call: impl Future<Output = Result<T, CacheError>>,
    ) -> Result<T, CacheError> {
        let now = (self.0.clock)();
        if now < self.0.resting_until.load(Ordering::Relaxed) {
            return Err(CacheError::Unavailable(
                "it failed within the last second".into(),
            ));
        }
        let result = call.await;
        if result.is_err() {
            self.0
                .resting_until
                .store(now + BACKOFF.as_micros() as u64, Ordering::Relaxed);
        }
        result
    }
}
