//! `auth.issuers.<name>`: more identity providers beside the tenant, each
//! under a name of the operator's, with the tenant's audience, algorithms
//! and username handler unless it says otherwise.

use jsonwebtoken::Algorithm;

use super::keys::{is_hmac, parse_algorithm, parse_jwks_uri};
use super::{IssuerSettings, Reader};
use crate::policy::UsernameHandler;

/// What an entry takes from `auth` when it does not say.
pub(super) struct Defaults<'a> {
    pub audience: &'a [String],
    pub algorithms: &'a [Algorithm],
    pub username_handler: &'a UsernameHandler,
    pub production: bool,
}

pub(super) fn issuers(r: &mut Reader, defaults: Defaults<'_>) -> Vec<IssuerSettings> {
    let mut out = Vec::new();
    for name in r.names("auth.issuers") {
        let key = |field: &str| format!("auth.issuers.{name}.{field}");
        let issuer = r.text(&key("issuer")).trim().to_owned();
        if issuer.is_empty() {
            r.problem(
                &key("issuer"),
                "must be set: the exact iss of the provider's tokens",
            );
            continue;
        }
        let given = match r.has(&key("jwks_uri")) {
            true => r.text(&key("jwks_uri")).trim().to_owned(),
            false => String::new(),
        };
        let jwks_uri = match given.as_str() {
            "" => format!("{}/.well-known/jwks.json", issuer.trim_end_matches('/')),
            uri => uri.to_owned(),
        };
        let jwks_uri = match parse_jwks_uri(&jwks_uri) {
            Ok(url) => url,
            Err(message) => {
                r.problem(&key("jwks_uri"), message);
                continue;
            }
        };
        let audience = match r.has(&key("audience")) {
            true => r.list(&key("audience")),
            false => defaults.audience.to_vec(),
        };
        if defaults.production && audience.is_empty() {
            r.problem(
                &key("audience"),
                "must be set in production (here or in auth.audience)",
            );
        }
        let algorithms = match r.has(&key("algorithms")) {
            true => {
                let mut algorithms = Vec::new();
                for text in r.list(&key("algorithms")) {
                    match parse_algorithm(&text) {
                        Ok(alg) if is_hmac(alg) => r.problem(
                            &key("algorithms"),
                            format!("{text}: the shared secret is the tenant's; a provider of its own signs with a key pair"),
                        ),
                        Ok(alg) => algorithms.push(alg),
                        Err(message) => r.problem(&key("algorithms"), message),
                    }
                }
                algorithms
            }
            false => defaults
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
        let username_handler = match r.has(&key("username_handler")) {
            true => match r.text(&key("username_handler")).parse::<UsernameHandler>() {
                Ok(handler) => handler,
                Err(e) => {
                    r.problem(&key("username_handler"), e.to_string());
                    defaults.username_handler.clone()
                }
            },
            false => defaults.username_handler.clone(),
        };
        out.push(IssuerSettings {
            name,
            issuer,
            jwks_uri,
            audience,
            algorithms,
            username_handler,
        });
    }
    out
}
