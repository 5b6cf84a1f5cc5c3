//! The development issuer: a local stand-in for an Auth0 tenant, so that a
//! fresh checkout works with no account and no network. It owns an RSA key
//! under `var/` (created on first run, mode 0600, reused after restarts),
//! publishes it as a JWKS, and signs Auth0-shaped access and ID tokens for
//! `todoapi token`, the client-credentials grant and browsers signing in
//! (what it remembers of those is in `browser.rs`). Settings refuse it in
//! production.

use std::path::PathBuf;
use std::sync::Arc;

use aws_lc_rs::signature::KeyPair as _;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{Map, Value, json};

pub mod browser;
mod key;
pub mod routes;

use key::load_or_create_key;

use crate::auth::keys::{KeySet, KeyStore, StaticKeyStore, VerifyingKey};
use crate::auth::token::{TokenPolicy, TokenValidator};
use crate::settings::{DevIssuerSettings, Secret, Settings};
use browser::{Browsers, SignIn};

const PEM_LABEL: &str = "PRIVATE KEY";

#[derive(Debug, thiserror::Error)]
pub enum DevIssuerError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a usable RSA key ({reason}); delete it to get a new key", path.display())]
    BadKey { path: PathBuf, reason: String },
    #[error("cannot generate an RSA key")]
    Generate,
    #[error("cannot sign a token: {0}")]
    Sign(#[from] jsonwebtoken::errors::Error),
}

pub struct DevIssuer {
    issuer: String,
    /// Browsers' sessions, codes and profiles.
    pub browsers: Browsers,
    /// `auth.dev_issuer.callback_urls`, `logout_urls`, and the server's own origins.
    callback_urls: Vec<String>,
    logout_urls: Vec<String>,
    own_origins: Vec<String>,
    /// Checks this issuer's own access tokens for `/userinfo`.
    userinfo: TokenValidator,
    audience: String,
    kid: String,
    jwk: Value,
    signing: EncodingKey,
    verifying: Arc<StaticKeyStore>,
    client_id: String,
    client_secret: Secret,
    scope: String,
    lifetime_secs: u64,
}

/// What to put in a development token.
#[derive(Debug, Clone, Default)]
pub struct TokenOptions {
    pub sub: String,
    /// `None`: the issuer's default scope; `Some("")`: no scope claim.
    pub scope: Option<String>,
    pub permissions: Vec<String>,
    /// `None`: `auth.dev_issuer.token_lifetime_secs`.
    pub expires_in: Option<u64>,
    /// `None`: the issuer's audience.
    pub audience: Option<String>,
    /// Further claims; they replace the ones above of the same name.
    pub extra: Map<String, Value>,
}

/// A token and what a client needs to know about it.
pub struct Minted {
    pub token: String,
    pub expires_in: u64,
    pub scope: String,
}

/// The development issuer's `iss`: `auth.dev_issuer.issuer`, else the server's
/// base URL for this port (a wildcard bind address is reached on loopback).
pub fn issuer_url(settings: &Settings, port: u16) -> String {
    match &settings.auth.dev_issuer.issuer {
        Some(issuer) => issuer.clone(),
        None => format!("{}/", settings.local_base_url(port)),
    }
}

impl DevIssuer {
    /// Loads the key from `key_path`, creating it on first run.
    pub fn load_or_create(
        settings: &DevIssuerSettings,
        issuer: String,
    ) -> Result<Self, DevIssuerError> {
        let (pair, pem) = load_or_create_key(&settings.key_path)?;
        let public = pair.public_key();
        let n = URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero());
        let e = URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero());
        let kid = thumbprint(&n, &e);
        let jwk = json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": n, "e": e});
        let bad_key = |e: jsonwebtoken::errors::Error| DevIssuerError::BadKey {
            path: settings.key_path.clone(),
            reason: e.to_string(),
        };
        let signing = EncodingKey::from_rsa_pem(pem.as_bytes()).map_err(bad_key)?;
        let decoding = DecodingKey::from_rsa_components(&n, &e).map_err(bad_key)?;
        let verifying = Arc::new(StaticKeyStore::new(KeySet::new(vec![VerifyingKey {
            kid: Some(kid.clone()),
            alg: Some(Algorithm::RS256),
            key: decoding,
        }])));
        let own_origins = own_origins(&issuer);
        let userinfo = TokenValidator::new(
            issuer.clone(),
            &[format!("{issuer}userinfo")],
            TokenPolicy::rs256(0),
            verifying.clone(),
        );
        Ok(DevIssuer {
            browsers: Browsers::default(),
            callback_urls: settings
                .callback_urls
                .iter()
                .map(|u| u.to_string())
                .collect(),
            logout_urls: settings.logout_urls.iter().map(|u| u.to_string()).collect(),
            own_origins,
            userinfo,
            issuer,
            audience: settings.audience.clone(),
            kid,
            jwk,
            signing,
            verifying,
            client_id: settings.client_id.clone(),
            client_secret: settings.client_secret.clone(),
            scope: settings.scope.clone(),
            lifetime_secs: settings.token_lifetime_secs,
        })
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn audience(&self) -> &str {
        &self.audience
    }

    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    pub fn client_secret(&self) -> &Secret {
        &self.client_secret
    }

    pub fn key_store(&self) -> Arc<dyn KeyStore> {
        self.verifying.clone()
    }

    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// Auth0's `https://{domain}/userinfo`: the second audience of tokens asking `openid`.
    pub fn userinfo_url(&self) -> String {
        format!("{}userinfo", self.issuer)
    }

    /// Where `/authorize` may send a browser: a configured callback URL
    /// exactly, or any page of the server's own origin.
    pub fn allows_callback(&self, url: &str) -> bool {
        self.callback_urls.iter().any(|u| same_url(u, url)) || self.is_own(url)
    }

    /// Where `/v2/logout` may send a browser.
    pub fn allows_logout(&self, url: &str) -> bool {
        self.logout_urls.iter().any(|u| same_url(u, url)) || self.is_own(url)
    }

    fn is_own(&self, url: &str) -> bool {
        url::Url::parse(url).is_ok_and(|u| {
            let origin = u.origin().ascii_serialization();
            self.own_origins.contains(&origin)
        })
    }

    /// This issuer's access token with `/userinfo` among its audiences: its claims.
    pub async fn verify_for_userinfo(&self, token: &str) -> Option<crate::auth::token::Claims> {
        let unverified = crate::auth::token::Unverified::parse(token).ok()?;
        self.userinfo.verify(unverified).await.ok()
    }

    /// Signs any claims with the issuer's key.
    pub fn sign(&self, claims: &Map<String, Value>) -> Result<String, DevIssuerError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        Ok(jsonwebtoken::encode(&header, claims, &self.signing)?)
    }

    /// An OpenID Connect ID token as Auth0 issues it to a browser's client.
    pub fn mint_id_token(
        &self,
        user: &SignIn,
        client_id: &str,
        nonce: Option<&str>,
        access_token: Option<&str>,
    ) -> Result<String, DevIssuerError> {
        let now = chrono::Utc::now().timestamp();
        let lifetime = i64::try_from(self.lifetime_secs).unwrap_or(i64::MAX);
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!(user.sub));
        claims.insert("aud".into(), json!(client_id));
        claims.insert("iat".into(), json!(now));
        claims.insert("exp".into(), json!(now.saturating_add(lifetime)));
        claims.insert("name".into(), json!(user.name));
        claims.insert("nickname".into(), json!(user.nickname()));
        if !user.email.is_empty() {
            claims.insert("email".into(), json!(user.email));
        }
        if let Some(nonce) = nonce {
            claims.insert("nonce".into(), json!(nonce));
        }
        // OIDC's at_hash: the left half of SHA-256 of the access token.
        if let Some(token) = access_token {
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, token.as_bytes());
            let half = &digest.as_ref()[..16];
            claims.insert("at_hash".into(), json!(URL_SAFE_NO_PAD.encode(half)));
        }
        self.sign(&claims)
    }

    /// Whether the client credentials match (compared in constant time).
    pub fn client_matches(&self, id: &str, secret: &str) -> bool {
        let id_ok = constant_time_eq(id.as_bytes(), self.client_id.as_bytes());
        let secret_ok = constant_time_eq(secret.as_bytes(), self.client_secret.expose().as_bytes());
        id_ok & secret_ok
    }

    /// Signs an Auth0-shaped access token.
    pub fn mint(&self, options: TokenOptions) -> Result<Minted, DevIssuerError> {
        let now = chrono::Utc::now().timestamp();
        let expires_in = options.expires_in.unwrap_or(self.lifetime_secs);
        let scope = options.scope.unwrap_or_else(|| self.scope.clone());
        let mut claims = Map::new();
        claims.insert("iss".into(), json!(self.issuer));
        claims.insert("sub".into(), json!(options.sub));
        claims.insert(
            "aud".into(),
            json!(options.audience.unwrap_or_else(|| self.audience.clone())),
        );
        claims.insert("iat".into(), json!(now));
        claims.insert(
            "exp".into(),
            json!(now.saturating_add(i64::try_from(expires_in).unwrap_or(i64::MAX))),
        );
        if !scope.is_empty() {
            claims.insert("scope".into(), json!(scope));
        }
        if !options.permissions.is_empty() {
            claims.insert("permissions".into(), json!(options.permissions));
        }
        claims.extend(options.extra);
        let token = self.sign(&claims)?;
        Ok(Minted {
            token,
            expires_in,
            scope,
        })
    }
}

/// The origins the server answers on: the issuer's, and the same with
/// `localhost` and `127.0.0.1` swapped (both reach a loopback server).
fn own_origins(issuer: &str) -> Vec<String> {
    let Ok(url) = url::Url::parse(issuer) else {
        return Vec::new();
    };
    let mut origins = vec![url.origin().ascii_serialization()];
    let twin = match url.host_str() {
        Some("127.0.0.1") => Some("localhost"),
        Some("localhost") => Some("127.0.0.1"),
        _ => None,
    };
    if let Some(twin) = twin {
        let mut other = url.clone();
        if other.set_host(Some(twin)).is_ok() {
            origins.push(other.origin().ascii_serialization());
        }
    }
    origins
}

/// Two URLs are the same once parsed (`http://a/b` and `http://a:80/b`).
fn same_url(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// RFC 7638 JWK thumbprint: a stable `kid` for the key.
fn thumbprint(n: &str, e: &str) -> String {
    let canonical = format!(r#"{{"e":"{e}","kty":"RSA","n":"{n}"}}"#);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_comparison() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secreT"));
        assert!(!constant_time_eq(b"secret", b"secrets"));
        // Two differences that would cancel out if they were XORed together.
        assert!(!constant_time_eq(b"ab", b"ba"));
    }

    #[test]
    fn own_origins_include_the_loopback_twin() {
        assert_eq!(
            own_origins("http://127.0.0.1:8000/"),
            ["http://127.0.0.1:8000", "http://localhost:8000"]
        );
        assert_eq!(
            own_origins("http://localhost:8000/"),
            ["http://localhost:8000", "http://127.0.0.1:8000"]
        );
        assert_eq!(
            own_origins("https://auth.todo.localhost/"),
            ["https://auth.todo.localhost"]
        );
        assert!(own_origins("not a url").is_empty());
    }
}
