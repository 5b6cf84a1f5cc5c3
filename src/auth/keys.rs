//! The key store: verification keys by `kid`, from the tenant's JWKS.
//!
//! Lookups read an immutable snapshot behind a read lock and never wait on a
//! fetch. The JWKS is fetched in the background at start and on a timer; an
//! unknown `kid` may trigger one refetch, at most once per cooldown, and
//! concurrent misses share that one fetch.

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
    /// No key set has been loaded yet.
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

/// Fetch policy of the JWKS store.
#[derive(Debug, Clone)]
pub struct JwksPolicy {
    pub refresh: Duration,
    pub cooldown: Duration,
    pub timeout: Duration,
    pub max_bytes: usize,
    pub retry_max: Duration,
}

/// A JWKS larger than this is refused (Auth0's holds a few keys: a few KiB).
pub const MAX_JWKS_BYTES: usize = 1024 * 1024;

impl JwksPolicy {
    pub fn from_settings(s: &crate::settings::JwksSettings) -> Self {
        JwksPolicy {
            refresh: Duration::from_secs(s.refresh_secs),
            cooldown: Duration::from_secs(s.cooldown_secs),
            timeout: Duration::from_secs(s.timeout_secs),
            max_bytes: MAX_JWKS_BYTES,
            retry_max: Duration::from_secs(s.retry_max_secs),
        }
    }
}

/// Keys fetched over HTTPS (plain HTTP only to loopback) from a JWKS URI.
pub struct JwksKeyStore {
    uri: Url,
    client: reqwest::Client,
    algorithms: Vec<Algorithm>,
    policy: JwksPolicy,
    current: RwLock<Option<Arc<KeySet>>>,
    /// Bumped by each successful fetch; lets a waiter see that someone else fetched.
    generation: AtomicU64,
    /// Held for the length of a fetch (single flight); holds the last attempt's time.
    fetching: tokio::sync::Mutex<Option<Instant>>,
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

    pub fn uri(&self) -> &Url {
        &self.uri
    }

    fn snapshot(&self) -> Option<Arc<KeySet>> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn store(&self, keys: KeySet) {
        let keys = Arc::new(keys);
        match self.current.write() {
            Ok(mut guard) => *guard = Some(keys),
            Err(poisoned) => *poisoned.into_inner() = Some(keys),
        }
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// Fetches unless someone else succeeded since `seen`, or (with `cooldown`)
    /// the last attempt was too recent. Returns whether keys are loaded afterwards.
    async fn fetch_unless_fresh(&self, seen: u64, cooldown: bool) -> bool {
        let mut last_attempt = self.fetching.lock().await;
        if self.generation.load(Ordering::Acquire) != seen {
            return true;
        }
        if cooldown && last_attempt.is_some_and(|t| t.elapsed() < self.policy.cooldown) {
            return self.snapshot().is_some();
        }
        *last_attempt = Some(Instant::now());
        match self.fetch().await {
            Ok(keys) => {
                log::info!("JWKS: loaded {} key(s) from {}", keys.len(), self.uri);
                self.store(keys);
                true
            }
            Err(e) => {
                log::warn!("JWKS: fetch from {} failed: {e}", self.uri);
                self.snapshot().is_some()
            }
        }
    }

    async fn fetch(&self) -> Result<KeySet, String> {
        let mut response = self
            .client
            .get(self.uri.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("HTTP {}", response.status()));
        }
        if response
            .content_length()
            .is_some_and(|n| n > self.policy.max_bytes as u64)
        {
            return Err(format!(
                "response larger than {} bytes",
                self.policy.max_bytes
            ));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
            if body.len() + chunk.len() > self.policy.max_bytes {
                return Err(format!(
                    "response larger than {} bytes",
                    self.policy.max_bytes
                ));
            }
            body.extend_from_slice(&chunk);
        }
        KeySet::from_jwks(&body, &self.algorithms)
    }

    /// Loads the keys, retrying with backoff until the first success, then
    /// refreshes on a timer. Runs until the runtime stops.
    pub async fn keep_fresh(self: Arc<Self>) {
        let mut backoff = Duration::from_secs(1);
        loop {
            let seen = self.generation.load(Ordering::Acquire);
            self.fetch_unless_fresh(seen, false).await;
            let wait = if self.generation.load(Ordering::Acquire) != seen {
                backoff = Duration::from_secs(1);
                self.policy.refresh
            } else {
                // Failed: retry sooner than the refresh period, backing off.
                let wait = backoff;
                backoff = (backoff * 2).min(self.policy.retry_max);
                wait
            };
            tokio::time::sleep(wait).await;
        }
    }
}

impl KeyStore for JwksKeyStore {
    fn lookup(&self, kid: Option<&str>) -> Lookup {
        match self.snapshot() {
            None => Lookup::Unavailable,
            Some(set) => match set.find(kid) {
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
}
