//! A key set that never changes: the development issuer's own key, and tests.

use super::{BoxFuture, KeySet, KeyState, KeyStore, KeyStoreStatus, Lookup};

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
            fetched: 0,
            failed: 0,
            next_refresh: None,
        }
    }
}
