//! `[auth.issuers.<name>]`: more identity providers beside the tenant, each
//! under a name of the operator's, with the tenant's audience, algorithms
//! and username handler unless it says otherwise.

use jsonwebtoken::Algorithm;
use url::Url;

use crate::policy::UsernameHandler;
use crate::settings::declare::Reader;
use crate::settings::declare::{FromText, KeySetUrl, is_hmac, section};

section! {
    /// An entry as written: what it leaves out comes from `auth`.
    pub struct IssuerEntry at "auth.issuers.<name>" {
        /// another identity provider trusted beside the tenant (a custom domain, a second tenant), under a name of yours: the exact iss of its tokens
        pub issuer: Option<String> = r#""""#;
        /// its key set; default {issuer}.well-known/jwks.json (a custom domain names its tenant's)
        pub jwks_uri: Option<KeySetUrl> = r#""""#;
        /// the aud its tokens carry; default auth.audience
        pub audience: Option<Vec<String>> = "[]";
        /// RS/PS 256/384/512; default auth.algorithms less HS* (the shared secret is the tenant's)
        pub algorithms: Option<Vec<Algorithm>> = "[]";
        /// how its tokens map to a user; default auth.username_handler
        pub username_handler: Option<UsernameHandler> = r#""""#;
    }
}

/// Another identity provider as it is in force: its `iss`, its keys, and
/// what its tokens must carry.
#[derive(Debug, Clone)]
pub struct IssuerSettings {
    /// The entry's name in settings.
    pub name: String,
    pub issuer: String,
    pub jwks_uri: Url,
    /// Empty only outside production: then `aud` is not checked.
    pub audience: Vec<String>,
    pub algorithms: Vec<Algorithm>,
    pub username_handler: UsernameHandler,
}

/// What an entry takes from `auth` when it does not say.
pub(super) struct Defaults<'a> {
    pub audience: &'a [String],
    pub algorithms: &'a [Algorithm],
    pub username_handler: &'a UsernameHandler,
    pub production: bool,
}

pub(super) fn read(r: &mut Reader, defaults: Defaults<'_>) -> Vec<IssuerSettings> {
    let mut out = Vec::new();
    for name in r.names("auth.issuers") {
        let prefix = format!("auth.issuers.{name}");
        let key = |field: &str| format!("{prefix}.{field}");
        let entry = IssuerEntry::read_at(r, &prefix);
        let Some(issuer) = entry.issuer else {
            r.problem(
                &key("issuer"),
                "must be set: the exact iss of the provider's tokens",
            );
            continue;
        };
        let jwks_uri = match entry.jwks_uri {
            Some(KeySetUrl(url)) => url,
            None => {
                let derived = format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/'));
                match KeySetUrl::from_text(&derived) {
                    Ok(KeySetUrl(url)) => url,
                    Err(message) => {
                        r.problem(&key("jwks_uri"), message);
                        continue;
                    }
                }
            }
        };
        let audience = entry.audience.unwrap_or_else(|| defaults.audience.to_vec());
        if defaults.production && audience.is_empty() {
            r.problem(
                &key("audience"),
                "must be set in production (here or in auth.audience)",
            );
        }
        let algorithms = match entry.algorithms {
            Some(algorithms) => {
                for alg in algorithms.iter().filter(|alg| is_hmac(**alg)) {
                    r.problem(
                        &key("algorithms"),
                        format!("{alg:?}: the shared secret is the tenant's; a provider of its own signs with a key pair"),
                    );
                }
                algorithms
            }
            None => defaults
                .algorithms
                .iter()
                .copied()
                .filter(|alg| !is_hmac(*alg))
                .collect(),
        };
        if algorithms.is_empty() {
            r.problem(
                &key("algorithms"),
                "must name at least one RS or PS algorithm",
            );
        }
        out.push(IssuerSettings {
            name,
            issuer,
            jwks_uri,
            audience,
            algorithms,
            username_handler: entry
                .username_handler
                .unwrap_or_else(|| defaults.username_handler.clone()),
        });
    }
    out
}
