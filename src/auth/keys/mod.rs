//! The key store: verification keys by `kid`, behind a trait.
//!
//! - `document.rs`: a JWKS document into a [`KeySet`];
//! - `remote.rs`: the tenant's JWKS, fetched, cached and refreshed ([`JwksKeyStore`]);
//! - `fixed.rs`: a set that never changes (the development issuer's key) ([`StaticKeyStore`]).
//!
//! Lookups read an immutable snapshot and never wait on a fetch, except
//! through [`KeyStore::key`], which may refetch once on an unknown `kid`.

mod document;
mod fixed;
mod remote;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::{Algorithm, DecodingKey};

pub use document::DocumentError;
pub use fixed::StaticKeyStore;
pub use remote::{JwksKeyStore, JwksPolicy, KeyStoreError, MAX_JWKS_BYTES};

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

impl KeySet {
    pub fn new(keys: Vec<VerifyingKey>) -> Self {
        KeySet {
            keys: keys.into_iter().map(Arc::new).collect(),
        }
    }

    /// How many keys (the ready route reports it).
    #[allow(clippy::len_without_is_empty)]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn kids(&self) -> impl Iterator<Item = Option<&str>> {
        self.keys.iter().map(|k| k.kid.as_deref())
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

/// What a key store can say about itself (for `/api/ready/`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyStoreStatus {
    pub state: KeyState,
    pub keys: usize,
    /// Since the last successful fetch; `None` for a fixed set.
    pub age: Option<Duration>,
    /// Fetches that succeeded and failed since start (none for a fixed set).
    pub fetched: u64,
    pub failed: u64,
    /// Until the next scheduled refresh, when one is scheduled.
    pub next_refresh: Option<Duration>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyState {
    Ready,
    /// No key set fetched yet.
    Loading,
    /// Fetched keys older than `max_stale_secs`: no longer trusted.
    Stale,
}

/// Where verification keys come from.
pub trait KeyStore: Send + Sync {
    /// The key for a token's `kid` in what is loaded now (a token without
    /// `kid` only when the set holds one key).
    fn lookup(&self, kid: Option<&str>) -> Lookup;
    /// Called after a miss: refetch if the policy allows; returns when any
    /// fetch under way has finished.
    fn refresh_after_miss(&self) -> BoxFuture<'_, ()>;
    /// For `/api/ready/`.
    fn status(&self) -> KeyStoreStatus;

    /// The key for `kid`: looked up, and on a miss looked up again after the
    /// one refetch the store allows. `Missing` and `Unavailable` are final.
    fn key<'a>(&'a self, kid: Option<&'a str>) -> BoxFuture<'a, Lookup> {
        Box::pin(async move {
            if let found @ Lookup::Found(_) = self.lookup(kid) {
                return found;
            }
            self.refresh_after_miss().await;
            self.lookup(kid)
        })
    }
}
