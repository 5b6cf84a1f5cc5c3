//! The key store: verification keys by `kid`, from the tenant's JWKS.
//!
//! Lookups read an immutable snapshot behind a read lock and never wait on a
//! fetch. The JWKS is fetched in the background at start and on a timer; an
//! unknown `kid` may trigger one refetch, at most once per cooldown, and
//! concurrent misses share that one fetch. A failed refresh keeps the last
//! keys until they are `max_stale_secs` old. A trait, so that the development
//! issuer's fixed key serves through the same validator.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use url::Url;

/// A key that can verify signatures, with what the JWKS said about it.
pub struct VerifyingKey {
    pub kid: Option<String>,
    /// The JWK's `alg`, when published: the only algorithm this key verifies.
    pub alg: Option<Algorithm>,
    pub key: DecodingKey,
}

/// One published set of keys; replaced whole, never edited.
#[derive(Default)]
pub struct KeySet {
    keys: Vec<Arc<VerifyingKey>>,
}

/// What a lookup found.
pub enum Lookup {
    Found(Arc<VerifyingKey>),
    /// Keys are loaded, but none matches.
    Missing,
    /// No key set has been loaded yet, or it is older than `max_stale_secs`.
    Unavailable,
}

pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where verification keys come from.
pub trait KeyStore: Send + Sync {
    /// The key for a token's `kid` (a token without `kid` only when the set holds one key).
    fn lookup(&self, kid: Option<&str>) -> Lookup;
    /// Called after a miss: refetch if the policy allows; returns when any
    /// fetch under way has finished.
    fn refresh_after_miss(&self) -> BoxFuture<'_, ()>;
    /// For `/api/ready/`.
    fn status(&self) -> KeyStoreStatus;
}

impl KeySet {
    pub fn new(keys: Vec<VerifyingKey>) -> Self {
        KeySet {
            keys: keys.into_iter().map(Arc::new).collect(),
        }
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    pub fn find(&self, kid: Option<&str>) -> Option<Arc<VerifyingKey>> {
        match kid {
            Some(kid) => self
                .keys
                .iter()
                .find(|k| k.kid.as_deref() == Some(kid))
                .cloned(),
            // Without a kid the choice would be a guess unless there is only one key.
            None if self.keys.len() == 1 => self.keys.first().cloned(),
            None => None,
        }
    }

    /// Parses a JWKS document, keeping the RSA signing keys usable with `algorithms`.
    /// Malformed entries are skipped with a warning; a document that is not a JWKS is an error.
    pub fn from_jwks(body: &[u8], algorithms: &[Algorithm]) -> Result<KeySet, String> {
        #[derive(Deserialize)]
        struct Jwks {
            keys: Vec<serde_json::Value>,
        }
        #[derive(Deserialize)]
        struct Jwk {
            kty: String,
            #[serde(default, rename = "use")]
            use_: Option<String>,
            #[serde(default)]
            alg: Option<String>,
            #[serde(default)]
            kid: Option<String>,
            n: String,
            e: String,
        }
        let jwks: Jwks =
            serde_json::from_slice(body).map_err(|e| format!("not a JWKS document: {e}"))?;
        let mut keys = Vec::new();
        for entry in jwks.keys {
            let kid_hint = entry
                .get("kid")
                .and_then(|k| k.as_str())
                .unwrap_or("(no kid)")
                .to_owned();
            let jwk: Jwk = match serde_json::from_value(entry) {
                Ok(jwk) => jwk,
                Err(e) => {
                    log::warn!("JWKS: skipping key {kid_hint}: {e}");
                    continue;
                }
            };
            if jwk.kty != "RSA" || jwk.use_.as_deref().is_some_and(|u| u != "sig") {
                log::debug!(
                    "JWKS: ignoring key {kid_hint} (kty {}, not an RSA signing key)",
                    jwk.kty
                );
                continue;
            }
            let alg = match jwk.alg.as_deref() {
                None => None,
                Some(name) => match name.parse::<Algorithm>() {
                    Ok(alg) if algorithms.contains(&alg) => Some(alg),
                    _ => {
                        log::debug!("JWKS: ignoring key {kid_hint} (alg {name} not allowed)");
                        continue;
                    }
                },
            };
            match DecodingKey::from_rsa_components(&jwk.n, &jwk.e) {
                Ok(key) => keys.push(VerifyingKey {
                    kid: jwk.kid,
                    alg,
                    key,
                }),
                Err(e) => {
                    log::warn!("JWKS: skipping key {kid_hint}: bad modulus or exponent ({e})")
                }
            }
        }
        Ok(KeySet::new(keys))
    }
}

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

/// What a key store can say about itself (for `/api/ready/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyStoreStatus {
    pub state: KeyState,
    pub keys: usize,
    /// Since the last successful fetch; `None` for a fixed set.
    pub age: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Ready,
    /// No key set fetched yet.
    Loading,
    /// Fetched keys older than `max_stale_secs`: no longer trusted.
    Stale,
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
}

/// A successful fetch: the keys and the refresh delay the response asked for.
struct Fetched {
    keys: KeySet,
    max_age: Option<Duration>,
}

impl JwksKeyStore {
    pub fn new(uri: Url, algorithms: Vec<Algorithm>, policy: JwksPolicy) -> Result<Self, String> {
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
        let client = client
            .build()
            .map_err(|e| format!("cannot build the JWKS client: {e}"))?;
        Ok(JwksKeyStore {
            uri,
            client,
            algorithms,
            policy,
            current: RwLock::new(None),
            generation: AtomicU64::new(0),
            fetching: tokio::sync::Mutex::new(None),
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
                log::info!(
                    "JWKS: loaded {} key(s) from {}",
                    fetched.keys.len(),
                    self.uri
                );
                self.store(fetched);
            }
            Err(e) => match self.snapshot() {
                Some(s) => log::warn!(
                    "JWKS: refresh from {} failed: {e}; keeping the {} key(s) fetched {} s ago",
                    self.uri,
                    s.keys.len(),
                    s.fetched_at.elapsed().as_secs()
                ),
                None => log::warn!("JWKS: fetch from {} failed: {e}", self.uri),
            },
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
            keys: KeySet::from_jwks(&body, &self.algorithms)?,
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
        match self.snapshot() {
            None => KeyStoreStatus {
                state: KeyState::Loading,
                keys: 0,
                age: None,
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
                }
            }
        }
    }
}

/// A fixed set of keys (the development issuer's own key, unit tests).
pub struct StaticKeyStore {
    keys: KeySet,
}

impl StaticKeyStore {
    pub fn new(keys: KeySet) -> Self {
        StaticKeyStore { keys }
    }
}

impl KeyStore for StaticKeyStore {
    fn lookup(&self, kid: Option<&str>) -> Lookup {
        match self.keys.find(kid) {
            Some(key) => Lookup::Found(key),
            None => Lookup::Missing,
        }
    }

    fn refresh_after_miss(&self) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }

    fn status(&self) -> KeyStoreStatus {
        KeyStoreStatus {
            state: KeyState::Ready,
            keys: self.keys.len(),
            age: None,
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

    #[test]
    fn jwks_keeps_usable_rsa_signing_keys_only() {
        let n = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";
        let rsa = |kid: &str, extra: serde_json::Value| {
            let mut jwk = serde_json::json!({"kty": "RSA", "kid": kid, "n": n, "e": "AQAB"});
            if let (Some(map), Some(more)) = (jwk.as_object_mut(), extra.as_object()) {
                map.extend(more.clone());
            }
            jwk
        };
        let doc = serde_json::json!({"keys": [
            rsa("plain", serde_json::json!({})),
            rsa("sig", serde_json::json!({"use": "sig", "alg": "RS256"})),
            rsa("enc", serde_json::json!({"use": "enc"})),
            rsa("other-alg", serde_json::json!({"alg": "RS512"})),
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "a", "y": "b"},
            {"kty": "RSA", "kid": "no-modulus", "e": "AQAB"},
            {"kty": "RSA", "kid": "bad-base64", "n": "!!!", "e": "AQAB"},
            "not an object"
        ]});
        let body = serde_json::to_vec(&doc).unwrap_or_default();
        let set = KeySet::from_jwks(&body, &[Algorithm::RS256]).unwrap_or_default();
        let kids: Vec<_> = set.keys.iter().filter_map(|k| k.kid.clone()).collect();
        assert_eq!(kids, vec!["plain", "sig"]);
        assert!(KeySet::from_jwks(b"<html>", &[Algorithm::RS256]).is_err());
        assert!(KeySet::from_jwks(b"{\"keys\": 1}", &[Algorithm::RS256]).is_err());
    }
}
