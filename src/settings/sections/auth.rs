//! `[auth]`: the tenant (from `auth.domain`, or `auth.issuer` and
//! `auth.jwks_uri`), the algorithms and secret, the token and user caches,
//! and the rules between them; the key set's fetching (`[auth.jwks]`). The
//! other providers are `issuers.rs`'s, the development issuer `dev_issuer.rs`'s.

use jsonwebtoken::Algorithm;
use url::Url;

use super::dev_issuer::DevIssuerSettings;
use super::issuers::{self, IssuerSettings};
use crate::policy::UsernameHandler;
use crate::settings::declare::Reader;
use crate::settings::declare::{KeySetUrl, is_hmac, positive, section};
use crate::settings::{Profile, Secret};

section! {
    pub struct AuthSettings at "auth" {
        /// the Auth0 tenant, e.g. your-tenant.eu.auth0.com
        #[alias = "AUTH0_DOMAIN"]
        pub domain: Option<String> = r#""""#, check bare_host;
        /// the API identifier(s), a string or a list; required in production
        #[alias = "API_IDENTIFIER"]
        pub audience: Vec<String> = "[]";
        /// the exact iss accepted; default https://{domain}/
        pub issuer: Option<String> = r#""""#;
        /// default https://{domain}/.well-known/jwks.json; https, plain http only to loopback
        pub jwks_uri: Option<KeySetUrl> = r#""""#;
        /// accepted alg: RS/PS 256/384/512, HS256/384/512 with auth.secret; none never
        pub algorithms: Vec<Algorithm> = r#"["RS256"]"#;
        /// clock skew allowed on exp and nbf
        pub leeway_secs: u64 = "0";
        /// verified tokens remembered (each hit re-checks exp, nbf and its key); 0 = verify every request
        pub token_cache_size: usize = "10000";
        /// how long a remembered token's user row is believed (a disabled user is refused within this); 0 = read it every request
        pub user_cache_secs: u64 = "5";
        /// the Authorization scheme, matched case-insensitively
        pub header_prefix: String = r#""Bearer""#, check one_word;
        /// auth0user (every token is the user auth0user), sub (a user per subject), claim:<name>
        pub username_handler: UsernameHandler = r#""auth0user""#;
        /// shared secret, only for HS256/384/512
        pub secret: Option<Secret> = r#""""#;
    }
    nested {
        pub jwks: JwksSettings,
        pub dev_issuer: DevIssuerSettings,
    }
    derived {
        /// The tenant trusted, from `domain` or `issuer` and `jwks_uri`.
        pub tenant: Option<Tenant>,
        /// More identity providers (`auth.issuers.<name>`), in their names' order.
        pub issuers: Vec<IssuerSettings>,
    }
}

section! {
    /// How a provider's key set is fetched and cached.
    pub struct JwksSettings at "auth.jwks" {
        /// background refresh of the tenant's key set
        pub refresh_secs: u64 = "600", check positive;
        /// an unknown kid refetches at most once per this
        pub cooldown_secs: u64 = "30";
        /// per fetch
        pub timeout_secs: u64 = "5", check positive;
        /// backoff ceiling while fetches fail
        pub retry_max_secs: u64 = "30", check positive;
        /// floor of an earlier refresh asked by Cache-Control: max-age
        pub min_refresh_secs: u64 = "60";
        /// fetched keys stay trusted this long while refreshes fail; then 503
        pub max_stale_secs: u64 = "86400", check positive;
    }
}

/// An identity provider: the exact `iss` of its tokens and where its keys are.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// `auth.issuer`, default `https://{domain}/`.
    pub issuer: String,
    /// `auth.jwks_uri`, default `https://{domain}/.well-known/jwks.json`.
    pub jwks_uri: Url,
}

fn bare_host(domain: &Option<String>) -> Result<(), String> {
    match domain {
        Some(d) if d.contains('/') || d.contains(':') || d.contains(char::is_whitespace) => Err(
            format!("{d:?} must be a bare host name such as \"example.auth0.com\", not a URL"),
        ),
        _ => Ok(()),
    }
}

fn one_word(prefix: &str) -> Result<(), String> {
    match prefix.is_empty() || prefix.contains(char::is_whitespace) {
        true => Err("must be one word, such as \"Bearer\"".into()),
        false => Ok(()),
    }
}

impl AuthSettings {
    /// The rules between the section's values, and what is derived from them.
    pub(in crate::settings) fn settle(&mut self, r: &mut Reader, profile: Profile) {
        let production = profile == Profile::Production;
        self.tenant = self.tenant(r);
        if production && self.audience.is_empty() {
            r.problem(
                "auth.audience",
                "must be set in production: without it any token of the tenant would be accepted",
            );
        }
        if self.algorithms.is_empty() {
            r.problem("auth.algorithms", "must name at least one algorithm");
        }
        for alg in self.algorithms.iter().filter(|alg| is_hmac(**alg)) {
            if self.secret.is_none() {
                r.problem(
                    "auth.algorithms",
                    format!("{alg:?} needs a shared secret in auth.secret"),
                );
            }
        }
        self.dev_issuer.settle(r, production, &self.audience);
        self.issuers = issuers::read(
            r,
            issuers::Defaults {
                audience: &self.audience,
                algorithms: &self.algorithms,
                username_handler: &self.username_handler,
                production,
            },
        );
        if production && self.tenant.is_none() && self.issuers.is_empty() {
            r.problem(
                "auth.domain",
                "must be set in production (or auth.issuer and auth.jwks_uri, or an auth.issuers entry)",
            );
        }
        let mut seen: Vec<&str> = self.tenant.iter().map(|t| t.issuer.as_str()).collect();
        for entry in &self.issuers {
            if seen.contains(&entry.issuer.as_str()) {
                r.problem(
                    &format!("auth.issuers.{}.issuer", entry.name),
                    format!(
                        "{:?} is trusted already: each iss picks one provider",
                        entry.issuer
                    ),
                );
            }
            seen.push(&entry.issuer);
        }
    }

    /// `issuer` and `jwks_uri`, given or derived from the domain: both or neither.
    fn tenant(&self, r: &mut Reader) -> Option<Tenant> {
        let domain = self.domain.as_deref();
        let issuer = match (&self.issuer, domain) {
            (Some(issuer), _) => Some(issuer.clone()),
            (None, Some(domain)) => Some(format!("https://{domain}/")),
            (None, None) => None,
        };
        let jwks_uri = match (&self.jwks_uri, domain) {
            (Some(uri), _) => Some(uri.0.clone()),
            (None, Some(domain)) => {
                Url::parse(&format!("https://{domain}/.well-known/jwks.json")).ok()
            }
            (None, None) => None,
        };
        match (issuer, jwks_uri) {
            (Some(issuer), Some(jwks_uri)) => Some(Tenant { issuer, jwks_uri }),
            (None, None) => None,
            _ => {
                r.problem(
                    "auth.issuer",
                    "auth.issuer and auth.jwks_uri go together: set auth.domain, or both",
                );
                None
            }
        }
    }
}
