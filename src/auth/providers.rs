//! The identity providers settings trust, each a [`Issuer`] keyed by its
//! `iss`: the tenant (`auth.domain`, or `auth.issuer` and `auth.jwks_uri`),
//! then each `auth.issuers.<name>`. Providers that name one key set share
//! its store, so a custom domain and its tenant fetch it once.

use std::collections::BTreeMap;
use std::sync::Arc;

use jsonwebtoken::Algorithm;
use url::Url;

use super::Issuer;
use super::keys::{JwksKeyStore, JwksPolicy, KeyStore, KeyStoreError};
use super::token::{TokenPolicy, TokenValidator};
use crate::settings::AuthSettings;

/// What settings' providers need: their issuers, and the key stores to keep fresh.
pub struct Providers {
    pub issuers: Vec<Issuer>,
    pub stores: Vec<Arc<JwksKeyStore>>,
}

struct Wanted<'a> {
    issuer: &'a str,
    jwks_uri: &'a Url,
    audience: &'a [String],
    policy: TokenPolicy,
    username_handler: crate::policy::UsernameHandler,
}

impl Providers {
    pub fn from_settings(auth: &AuthSettings) -> Result<Providers, KeyStoreError> {
        let mut wanted = Vec::new();
        if let Some(tenant) = &auth.tenant {
            wanted.push(Wanted {
                issuer: &tenant.issuer,
                jwks_uri: &tenant.jwks_uri,
                audience: &auth.audience,
                policy: TokenPolicy::tenant(auth),
                username_handler: auth.username_handler.clone(),
            });
        }
        for entry in &auth.issuers {
            wanted.push(Wanted {
                issuer: &entry.issuer,
                jwks_uri: &entry.jwks_uri,
                audience: &entry.audience,
                policy: TokenPolicy {
                    algorithms: entry.algorithms.clone(),
                    leeway_secs: auth.leeway_secs,
                    secret: None,
                },
                username_handler: entry.username_handler.clone(),
            });
        }
        // One store per key set, holding the keys any of its providers may use.
        let mut algorithms: BTreeMap<&str, Vec<Algorithm>> = BTreeMap::new();
        for w in &wanted {
            let algs = algorithms.entry(w.jwks_uri.as_str()).or_default();
            for alg in &w.policy.algorithms {
                if !algs.contains(alg) {
                    algs.push(*alg);
                }
            }
        }
        let mut stores: BTreeMap<&str, Arc<JwksKeyStore>> = BTreeMap::new();
        let mut issuers = Vec::new();
        for w in wanted {
            let store = match stores.get(w.jwks_uri.as_str()) {
                Some(store) => store.clone(),
                None => {
                    let store = Arc::new(JwksKeyStore::new(
                        w.jwks_uri.clone(),
                        algorithms
                            .get(w.jwks_uri.as_str())
                            .cloned()
                            .unwrap_or_default(),
                        JwksPolicy::from_settings(&auth.jwks),
                    )?);
                    stores.insert(w.jwks_uri.as_str(), store.clone());
                    store
                }
            };
            if w.audience.is_empty() {
                log::warn!(
                    "no audience for {}: its tokens are accepted whatever their aud",
                    w.issuer
                );
            }
            let keys: Arc<dyn KeyStore> = store;
            issuers.push(Issuer {
                validator: TokenValidator::new(w.issuer.to_owned(), w.audience, w.policy, keys),
                username_handler: w.username_handler,
                remote: true,
            });
        }
        Ok(Providers {
            issuers,
            stores: stores.into_values().collect(),
        })
    }
}
