//! Verified tokens, remembered: an RS256 verification costs tens of
//! microseconds of CPU, a lookup here well under one. The cache never
//! accepts a token that a full verification would refuse at that moment:
//!
//! - the key is the SHA-256 of the whole token, so only the same bytes hit;
//! - every hit re-checks `exp` and `nbf` against the clock, and that the key
//!   that verified the signature is still in its store's current set (a
//!   refresh that drops or replaces it makes the entry miss, and a store
//!   too stale to serve makes it miss too, so the full path answers 503);
//! - entries live in this process only: new settings mean a new process;
//! - the user row is re-read once it is older than `auth.user_cache_secs`,
//!   so a user disabled in the database is refused within that time.
//!
//! Bounded by `auth.token_cache_size`: when full, expired entries go first,
//! then an arbitrary eighth.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::claims::Claims;
use super::keys::VerifyingKey;
use crate::db::models::User;

pub type TokenHash = [u8; 32];

pub fn hash(token: &str) -> TokenHash {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// A verified token: what verified it and what it maps to.
pub struct Entry {
    /// The `iss` of the provider that verified it: a hit is rechecked
    /// against that provider's keys only.
    pub issuer: Arc<str>,
    /// The key that verified the signature; `None` for the HS* secret.
    pub key: Option<Arc<VerifyingKey>>,
    pub kid: Option<String>,
    pub claims: Arc<Claims>,
    /// `exp`, for eviction (the hit re-checks the claims themselves).
    exp: f64,
    user: Mutex<(Arc<User>, Instant)>,
}

impl Entry {
    pub fn new(
        issuer: Arc<str>,
        key: Option<Arc<VerifyingKey>>,
        kid: Option<String>,
        claims: Arc<Claims>,
        user: Arc<User>,
    ) -> Self {
        let exp = claims.expires_at().unwrap_or_default();
        Entry {
            issuer,
            key,
            kid,
            claims,
            exp,
            user: Mutex::new((user, Instant::now())),
        }
    }

    /// The user, if read less than `max_age` ago.
    pub fn fresh_user(&self, max_age: Duration) -> Option<Arc<User>> {
        let guard = self.user.lock().ok()?;
        (guard.1.elapsed() < max_age).then(|| guard.0.clone())
    }

    pub fn set_user(&self, user: Arc<User>) {
        if let Ok(mut guard) = self.user.lock() {
            *guard = (user, Instant::now());
        }
    }
}

pub struct TokenCache {
    capacity: usize,
    entries: RwLock<HashMap<TokenHash, Arc<Entry>>>,
}

impl TokenCache {
    /// `capacity` 0: nothing is kept.
    pub fn new(capacity: usize) -> Self {
        TokenCache {
            capacity,
            entries: RwLock::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &TokenHash) -> Option<Arc<Entry>> {
        self.entries.read().ok()?.get(key).cloned()
    }

    pub fn insert(&self, key: TokenHash, entry: Entry, now: f64) {
        if self.capacity == 0 {
            return;
        }
        let Ok(mut entries) = self.entries.write() else {
            return;
        };
        if entries.len() >= self.capacity && !entries.contains_key(&key) {
            entries.retain(|_, e| e.exp >= now);
            let excess = (entries.len() + 1).saturating_sub(self.capacity);
            if excess > 0 {
                let drop = excess.max(self.capacity / 8);
                let victims: Vec<TokenHash> = entries.keys().take(drop).copied().collect();
                for victim in victims {
                    entries.remove(&victim);
                }
            }
        }
        entries.insert(key, Arc::new(entry));
    }

    pub fn remove(&self, key: &TokenHash) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(key);
        }
    }

    pub fn len(&self) -> usize {
        self.entries.read().map(|e| e.len()).unwrap_or_default()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn entry(exp: f64) -> Entry {
        let claims = json!({ "exp": exp })
            .as_object()
            .cloned()
            .unwrap_or_default();
        let user = User {
            id: 1,
            username: "u".into(),
            is_active: true,
            is_staff: false,
        };
        Entry::new(
            Arc::from("https://issuer.example/"),
            None,
            None,
            Arc::new(Claims::from(claims)),
            Arc::new(user),
        )
    }

    #[test]
    fn bounded_expired_first() {
        let cache = TokenCache::new(8);
        for i in 0..8u8 {
            // Even ones expired long ago.
            let exp = if i % 2 == 0 { 10.0 } else { 1e12 };
            cache.insert([i; 32], entry(exp), 1000.0);
        }
        assert_eq!(cache.len(), 8);
        cache.insert([100; 32], entry(1e12), 1000.0);
        assert_eq!(cache.len(), 5, "the four expired went, nothing else");
        assert!(cache.get(&[1; 32]).is_some() && cache.get(&[0; 32]).is_none());
        for i in 200..=255u8 {
            cache.insert([i; 32], entry(1e12), 1000.0);
            assert!(cache.len() <= 8);
        }
        assert!(cache.get(&[255; 32]).is_some(), "the newest is kept");
    }

    #[test]
    fn when_none_has_expired_an_eighth_goes() {
        let cache = TokenCache::new(16);
        for i in 0..16u8 {
            cache.insert([i; 32], entry(1e12), 1000.0);
        }
        cache.insert([100; 32], entry(1e12), 1000.0);
        // Two (16 / 8) went to make room, so the next inserts need no sweep.
        assert_eq!(cache.len(), 15);
        assert!(!cache.is_empty());
        assert!(cache.get(&[100; 32]).is_some());
    }

    #[test]
    fn capacity_zero_keeps_nothing() {
        let cache = TokenCache::new(0);
        cache.insert([1; 32], entry(1e12), 0.0);
        assert!(cache.is_empty());
    }

    #[test]
    fn users_go_stale() {
        let e = entry(1e12);
        assert!(e.fresh_user(Duration::from_secs(60)).is_some());
        assert!(e.fresh_user(Duration::ZERO).is_none());
        e.set_user(Arc::new(User {
            id: 2,
            username: "v".into(),
            is_active: false,
            is_staff: false,
        }));
        assert_eq!(e.fresh_user(Duration::from_secs(60)).map(|u| u.id), Some(2));
    }

    #[test]
    fn the_same_bytes_only() {
        assert_eq!(hash("a.b.c"), hash("a.b.c"));
        assert_ne!(hash("a.b.c"), hash("a.b.d"));
    }
}
