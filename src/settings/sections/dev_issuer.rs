//! `[auth.dev_issuer]`: the built-in development issuer, a local stand-in
//! for an Auth0 tenant, so that a fresh checkout works with no account and
//! no network. Never in production.

use std::path::PathBuf;

use url::Url;

use crate::policy::Rate;
use crate::settings::Secret;
use crate::settings::declare::Reader;
use crate::settings::declare::section;

/// The audience of development tokens when `auth.audience` names none.
pub const DEV_AUDIENCE: &str = "todoapi";

section! {
    pub struct DevIssuerSettings at "auth.dev_issuer" {
        /// the development issuer, a local stand-in for a tenant; refused in production
        pub enabled: bool = "false";
        /// its RSA-2048 key, created on first run (mode 0600)
        pub key_path: PathBuf = r#""var/dev_issuer_key.pem""#;
        /// its iss; default the server's own base URL
        pub issuer: Option<String> = r#""""#;
        /// for the client-credentials grant at /oauth/token
        pub client_id: String = r#""todoapi-dev""#;
        /// for the client-credentials grant at /oauth/token
        pub client_secret: Secret = r#""todoapi-dev-secret""#;
        /// scope of its tokens
        pub scope: String = r#""read:tasks write:tasks""#;
        /// default lifetime of its tokens
        pub token_lifetime_secs: u64 = "86400";
        /// where /authorize may send a browser back, besides the server's own origin
        pub callback_urls: Vec<Url> = r#"["http://localhost:4200/callback", "http://localhost:8080/callback"]"#;
        /// where /v2/logout may send a browser back, besides the server's own origin
        pub logout_urls: Vec<Url> = r#"["http://localhost:4200", "http://localhost:8080"]"#;
        /// sign-ins (POST /authorize) and token requests (POST /oauth/token) a client address may make, "N/s|m|h|d"; empty = no limit
        pub throttle_rate: Option<Rate> = r#""60/m""#;
    }
    derived {
        /// `aud` of its tokens: `auth.audience`'s first value, else `todoapi`.
        pub audience: String,
    }
}

impl DevIssuerSettings {
    /// What it needs when it is on, and where it may never be.
    pub(super) fn settle(&mut self, r: &mut Reader, production: bool, audience: &[String]) {
        self.audience = audience
            .first()
            .cloned()
            .unwrap_or_else(|| DEV_AUDIENCE.to_owned());
        if !self.enabled {
            return;
        }
        if production {
            r.problem(
                "auth.dev_issuer.enabled",
                "must be false in production: the development issuer signs tokens for anyone who asks",
            );
        }
        if self.key_path.as_os_str().is_empty() {
            r.problem("auth.dev_issuer.key_path", "must not be empty");
        }
        if self.client_id.is_empty() {
            r.problem(
                "auth.dev_issuer.client_id",
                "the development issuer needs a client id",
            );
        }
        if self.client_secret.expose().is_empty() {
            r.problem(
                "auth.dev_issuer.client_secret",
                "the development issuer needs a client secret",
            );
        }
        if self.token_lifetime_secs == 0 {
            r.problem(
                "auth.dev_issuer.token_lifetime_secs",
                "must be greater than 0",
            );
        }
        if let Some(issuer) = &self.issuer
            && Url::parse(issuer).is_err()
        {
            r.problem("auth.dev_issuer.issuer", format!("{issuer:?} is not a URL"));
        }
    }
}
