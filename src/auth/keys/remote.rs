//! The tenant's key set, fetched over HTTPS (plain HTTP only to loopback)
//! from its JWKS URI and kept in memory: fetched in the background at start
//! and on a timer (sooner when `Cache-Control: max-age` asks), refetched on
//! an unknown `kid` at most once per cooldown, concurrent misses sharing one
//! fetch. A failed refresh keeps the last keys until they are `max_stale_secs`
//! old. Lookups read a snapshot behind a read lock and never wait on a fetch.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::Algorithm;
use url::Url;

use super::{BoxFuture, KeySet, KeyState, KeyStore, KeyStoreStatus, Lookup};

#[derive(Debug, thiserror::Error)]
#[error("cannot build the JWKS client: {0}")]
pub struct KeyStoreError(#[from] reqwest::Error);

/// Fetch policy of the JWKS store (`auth.jwks`).
#[derive(Debug, Clone)]
pub struct JwksPolicy {
    pub refresh: Duration,
    /// Floor of an early refresh asked for by `Cache-Control: max-age`.
    pub min_refresh: Duration,
    pub cooldown: Duration,
    pub timeout: Duration,
    pub max_bytes: usize,
    pub retry_max: Duration,
    /// How long fetched keys stay trusted while refreshes fail.
    pub max_stale: Duration,
}

/// A JWKS larger than this is refused (Auth0's holds a few keys: a few KiB).
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

impl JwksPolicy {
    pub fn from_settings(s: &crate::settings::JwksSettings) -> Self {
        JwksPolicy {
            refresh: Duration::from_secs(s.refresh_secs),
            min_refresh: Duration::from_secs(s.min_refresh_secs.min(s.refresh_secs)),
            cooldown: Duration::from_secs(s.cooldown_secs),
            timeout: Duration::from_secs(s.timeout_secs),
            max_bytes: MAX_JWKS_BYTES,
            retry_max: Duration::from_secs(s.retry_max_secs),
            max_stale: Duration::from_secs(s.max_stale_secs),
        }
    }
}

/// A fetched key set, when it was fetched, and the `max-age` it came with.
struct Snapshot {
    keys: KeySet,
    fetched_at: Instant,
    max_age: Option<Duration>,
}

/// Keys fetched over HTTPS (plain HTTP only to loopback) from a JWKS URI.
pub struct JwksKeyStore {
    uri: Url,
    client: reqwest::Client,
    algorithms: Vec<Algorithm>,
    policy: JwksPolicy,
    current: RwLock<Option<Arc<Snapshot>>>,
    /// Bumped by each successful fetch; lets a waiter see that someone else fetched.
    generation: AtomicU64,
    /// Held for the length of a fetch (single flight); holds the last attempt's time.
    fetching: tokio::sync::Mutex<Option<Instant>>,
    fetched: AtomicU64,
    failed: AtomicU64,
    /// When the background refresh fetches next.
    next_refresh: Mutex<Option<Instant>>,
}

/// A successful fetch: the keys and the refresh delay the response asked for.
struct Fetched {
    keys: KeySet,
    max_age: Option<Duration>,
}

impl JwksKeyStore {
    pub fn new(
        uri: Url,
        algorithms: Vec<Algorithm>,
        policy: JwksPolicy,
    ) -> Result<Self, KeyStoreError> {
        let mut client = reqwest::Client::builder()
            .timeout(policy.timeout)
            .connect_timeout(policy.timeout)
            .redirect(reqwest::redirect::Policy::none())
            // Fetches are rare; a pooled connection would outlive the worker runtime that made it.
            .pool_max_idle_per_host(0)
            .user_agent(concat!("todoapi/", env!("CARGO_PKG_VERSION")));
        if uri.scheme() == "http" {
            client = client.no_proxy();
        }
        let client = client.build()?;
        Ok(JwksKeyStore {
            uri,
            client,
            algorithms,
            policy,
            current: RwLock::new(None),
            generation: AtomicU64::new(0),
            fetching: tokio::sync::Mutex::new(None),
            fetched: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            next_refresh: Mutex::new(None),
        })
    }

    fn snapshot(&self) -> Option<Arc<Snapshot>> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, fetched: Fetched) {
        let snapshot = Arc::new(Snapshot {
            keys: fetched.keys,
            fetched_at: Instant::now(),
            max_age: fetched.max_age,
        });
        match self.current.write() {
            Ok(mut guard) => *guard = Some(snapshot),
            Err(poisoned) => *poisoned.into_inner() = Some(snapshot),
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Fetches unless someone else succeeded since `seen`, or (with `cooldown`)
    /// the last attempt was too recent.
    async fn fetch_unless_fresh(&self, seen: u64, cooldown: bool) {
        let mut last_attempt = self.fetching.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            return;
        }
        if cooldown && last_attempt.is_some_and(|t| t.elapsed() < self.policy.cooldown) {
            return;
        }
        *last_attempt = Some(Instant::now());
        match self.fetch().await {
            Ok(fetched) => {
                self.fetched.fetch_add(1, Ordering::Relaxed);
                log::info!(
                    "JWKS: loaded {} key(s) from {}",
                    fetched.keys.len(),
                    self.uri
                );
                self.store(fetched);
            }
            Err(e) => {
                self.failed.fetch_add(1, Ordering::Relaxed);
                match self.snapshot() {
                    Some(s) => log::warn!(
                        "JWKS: refresh from {} failed: {e}; keeping the {} key(s) fetched {} s ago",
                        self.uri,
                        s.keys.len(),
                        s.fetched_at.elapsed().as_secs()
                    ),
                    None => log::warn!("JWKS: fetch from {} failed: {e}", self.uri),
                }
            }
        }
    }

    async fn fetch(&self) -> Result<Fetched, String> {
        let mut response = self
            .client
            .get(self.uri.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| e.without_url().to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        let too_large = || format!("response larger than {} bytes", self.policy.max_bytes);
        if response
            .content_length()
            .is_some_and(|n| n > self.policy.max_bytes as u64)
        {
            return Err(too_large());
        }
        let max_age = response
            .headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok())
            .and_then(cache_max_age);
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| e.without_url().to_string())?
        {
            if body.len() + chunk.len() > self.policy.max_bytes {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Fetched {
            keys: KeySet::from_jwks(&body, &self.algorithms).map_err(|e| e.to_string())?,
            max_age,
        })
    }

    /// Loads the keys, retrying with backoff until the first success, then
    /// refreshes on a timer (sooner when the response's `max-age` asks, within
    /// `[min_refresh, refresh]`). Runs until the runtime stops.
    pub async fn keep_fresh(self: Arc<Self>) {
        let mut backoff = Duration::from_secs(1).min(self.policy.retry_max);
        // The first round counts from no keys at all, so that a request that
        // fetched before this task first ran is not fetched again.
        let mut seen = 0;
        loop {
            self.fetch_unless_fresh(seen, false).await;
            let wait = match self.snapshot() {
                // A fetch succeeded (this one, or a request's meanwhile): the
                // next refresh is one period after it.
                Some(s) if self.generation.load(Ordering::Acquire) != seen => {
                    backoff = Duration::from_secs(1).min(self.policy.retry_max);
                    let period = s
                        .max_age
                        .unwrap_or(self.policy.refresh)
                        .clamp(self.policy.min_refresh, self.policy.refresh);
                    period.saturating_sub(s.fetched_at.elapsed())
                }
                _ => {
                    let wait = backoff;
                    backoff = (backoff * 2).min(self.policy.retry_max);
                    wait
                }
            };
            *self
                .next_refresh
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(Instant::now() + wait);
            tokio::time::sleep(wait).await;
            seen = self.generation.load(Ordering::Acquire);
        }
    }
}

/// `max-age` of a `Cache-Control` value, unless caching is forbidden.
fn cache_max_age(value: &str) -> Option<Duration> {
    let mut max_age = None;
    for directive in value.split(',').map(str::trim) {
        let lower = directive.to_ascii_lowercase();
        if lower == "no-store" || lower == "no-cache" {
            return None;
        }
        if let Some(secs) = lower.strip_prefix("max-age=") {
            max_age = secs
                .trim_matches('"')
                .parse::<u64>()
                .ok()
                .map(Duration::from_secs);
        }
    }
    max_age
}

impl KeyStore for JwksKeyStore {
    fn lookup(&self, kid: Option<&str>) -> Lookup {
        match self.snapshot() {
            None => Lookup::Unavailable,
            Some(s) if s.fetched_at.elapsed() > self.policy.max_stale => Lookup::Unavailable,
            Some(s) => match s.keys.find(kid) {
                Some(key) => Lookup::Found(key),
                None => Lookup::Missing,
            },
        }
    }

    fn refresh_after_miss(&self) -> BoxFuture<'_, ()> {
        let seen = self.generation.load(Ordering::Acquire);
        Box::pin(async move {
            self.fetch_unless_fresh(seen, true).await;
        })
    }

    fn status(&self) -> KeyStoreStatus {
        let fetched = self.fetched.load(Ordering::Relaxed);
        let failed = self.failed.load(Ordering::Relaxed);
        let next_refresh = self
            .next_refresh
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .map(|at| at.saturating_duration_since(Instant::now()));
        match self.snapshot() {
            None => KeyStoreStatus {
                state: KeyState::Loading,
                keys: 0,
                age: None,
                fetched,
                failed,
                next_refresh,
            },
            Some(s) => {
                let age = s.fetched_at.elapsed();
                KeyStoreStatus {
                    state: if age > self.policy.max_stale {
                        KeyState::Stale
                    } else {
                        KeyState::Ready
                    },
                    keys: s.keys.len(),
                    age: Some(age),
                    fetched,
                    failed,
                    next_refresh,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_control_max_age() {
        assert_eq!(
            cache_max_age("public, max-age=15, stale-while-revalidate=15"),
            Some(Duration::from_secs(15))
        );
        assert_eq!(
            cache_max_age("Max-Age=\"60\""),
            Some(Duration::from_secs(60))
        );
        assert_eq!(cache_max_age("no-store, max-age=60"), None);
        assert_eq!(cache_max_age("public"), None);
        assert_eq!(cache_max_age("max-age=soon"), None);
    }
}
