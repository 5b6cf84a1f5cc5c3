//! Token validation, built once from settings.
//!
//! The algorithm list comes from settings, never from the token: a header's
//! `alg` outside it is refused before any key is touched, and a JWKS key that
//! names its `alg` verifies only that one. HS* tokens are checked with the
//! shared secret only, so an RSA public key can never serve as an HMAC key.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

use super::keys::{KeyStore, Lookup, VerifyingKey};
use crate::error::{ApiError, AuthFailure};
use crate::settings::{AuthSettings, Secret, is_hmac};

pub use super::claims::{Claims, JsonObject};

mod unverified;
pub use unverified::Unverified;

/// What a validator accepts beyond its issuer and audience: each trusted
/// issuer gets its own (the development issuer signs RS256 and nothing else,
/// whatever `auth.algorithms` and `auth.secret` allow the tenant).
#[derive(Debug, Clone)]
pub struct TokenPolicy {
    pub algorithms: Vec<Algorithm>,
    pub leeway_secs: u64,
    /// The shared secret of HS* algorithms.
    pub secret: Option<Secret>,
}

impl TokenPolicy {
    /// The tenant's: `auth.algorithms`, `auth.leeway_secs`, `auth.secret`.
    pub fn tenant(auth: &AuthSettings) -> Self {
        TokenPolicy {
            algorithms: auth.algorithms.clone(),
            leeway_secs: auth.leeway_secs,
            secret: auth.secret.clone(),
        }
    }

    /// RS256 signatures only (the development issuer's), with `auth.leeway_secs`.
    pub fn rs256(leeway_secs: u64) -> Self {
        TokenPolicy {
            algorithms: vec![Algorithm::RS256],
            leeway_secs,
            secret: None,
        }
    }
}

pub struct TokenValidator {
    issuer: String,
    /// One `Validation` per allowed algorithm, built once.
    validations: HashMap<Algorithm, Validation>,
    secret: Option<DecodingKey>,
    keys: Arc<dyn KeyStore>,
    /// Clock skew allowed on `exp` and `nbf`.
    leeway_secs: u64,
}

/// A verified token's payload and the key that verified it.
pub struct Verified {
    pub claims: Claims,
    /// `None` for the HS* secret.
    pub key: Option<Arc<VerifyingKey>>,
    pub kid: Option<String>,
}

/// What [`TokenValidator::recheck`] found.
#[derive(Debug, PartialEq, Eq)]
pub enum Recheck {
    Valid,
    /// It would be refused now, for this reason.
    Refused(AuthFailure),
    /// Its key is gone or replaced, or the store cannot serve: verify in full.
    Verify,
}

/// What the unverified header says; used only to find the key.
struct Header {
    alg: Algorithm,
    kid: Option<String>,
}

impl TokenValidator {
    /// `audience` empty: `aud` is not checked (settings allow that only outside production).
    pub fn new(
        issuer: String,
        audience: &[String],
        policy: TokenPolicy,
        keys: Arc<dyn KeyStore>,
    ) -> Self {
        let mut validations = HashMap::new();
        for &alg in &policy.algorithms {
            let mut v = Validation::new(alg);
            // `exp` and `nbf` are checked by `check_times` (the library reads
            // them as unsigned integers only; RFC 7519 allows any number).
            v.validate_exp = false;
            v.validate_nbf = false;
            v.leeway = 0;
            v.set_issuer(&[issuer.as_str()]);
            if audience.is_empty() {
                v.validate_aud = false;
                v.set_required_spec_claims(&["iss"]);
            } else {
                v.set_audience(audience);
                v.set_required_spec_claims(&["iss", "aud"]);
            }
            validations.insert(alg, v);
        }
        TokenValidator {
            issuer,
            validations,
            secret: policy
                .secret
                .as_ref()
                .map(|s| DecodingKey::from_secret(s.expose().as_bytes())),
            keys,
            leeway_secs: policy.leeway_secs,
        }
    }

    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn key_status(&self) -> super::keys::KeyStoreStatus {
        self.keys.status()
    }

    /// Whether both verify with the one key store.
    pub fn same_keys(&self, other: &TokenValidator) -> bool {
        Arc::ptr_eq(&self.keys, &other.keys)
    }

    /// Verifies the signature and the claims; returns the payload.
    pub async fn verify(&self, unverified: Unverified<'_>) -> Result<Claims, ApiError> {
        self.verify_keyed(unverified).await.map(|v| v.claims)
    }

    /// Whether a token this validator verified earlier (with `key`, found by
    /// `kid`) would still pass now: its key still current, its times valid.
    pub fn recheck(
        &self,
        key: Option<&Arc<VerifyingKey>>,
        kid: Option<&str>,
        claims: &Claims,
    ) -> Recheck {
        match key {
            // No key: this validator's HS* secret verified it, and the secret
            // comes from settings, which do not change under a process.
            None => {}
            Some(key) => match self.keys.lookup(kid) {
                Lookup::Found(current) if Arc::ptr_eq(&current, key) => {}
                _ => return Recheck::Verify,
            },
        }
        match check_times(claims, self.leeway_secs, now_secs()) {
            Ok(()) => Recheck::Valid,
            Err(failure) => Recheck::Refused(failure),
        }
    }

    /// As [`verify`](Self::verify), also saying which key verified it.
    pub async fn verify_keyed(&self, unverified: Unverified<'_>) -> Result<Verified, ApiError> {
        let header = self.header(&unverified.header)?;
        let validation = self
            .validations
            .get(&header.alg)
            .ok_or(AuthFailure::Algorithm)?;
        let mut used = None;
        let signed = if is_hmac(header.alg) {
            let secret = self.secret.as_ref().ok_or(AuthFailure::Algorithm)?;
            check_signature(unverified.token, secret, validation)
        } else {
            let key = self.find_key(header.kid.as_deref()).await?;
            if key.alg.is_some_and(|alg| alg != header.alg) {
                return Err(AuthFailure::Algorithm.into());
            }
            let signed = check_signature(unverified.token, &key.key, validation);
            used = Some(key);
            signed
        };
        // PyJWT's order: the signature, then the times, then iss and aud.
        if let Err(failure) = signed
            && failure.is_decoding()
        {
            return Err(failure.into());
        }
        let claims = Claims::from(unverified.claims);
        check_times(&claims, self.leeway_secs, now_secs())?;
        signed?;
        // Stricter than the library: iss must be the one string, not an array holding it.
        if claims.issuer() != Some(self.issuer.as_str()) {
            return Err(AuthFailure::UntrustedIssuer.into());
        }
        if claims.issued_at().is_some_and(|iat| !iat.is_number()) {
            return Err(AuthFailure::InvalidClaim.into());
        }
        Ok(Verified {
            claims,
            key: used,
            kid: header.kid,
        })
    }

    /// What the header asks for, within what settings allow.
    fn header(&self, header: &JsonObject) -> Result<Header, AuthFailure> {
        // No extension is understood, so a token that makes one critical is refused.
        if header.contains_key("crit") {
            return Err(AuthFailure::InvalidClaim);
        }
        // `jku`, `x5u`, `jwk` and `x5c` are ignored: keys come from settings only.
        let alg = match header.get("alg") {
            Some(Value::String(name)) => name
                .parse::<Algorithm>()
                .ok()
                .filter(|alg| self.validations.contains_key(alg))
                .ok_or(AuthFailure::Algorithm)?,
            _ => return Err(AuthFailure::Malformed),
        };
        let kid = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(AuthFailure::Malformed),
        };
        Ok(Header { alg, kid })
    }

    async fn find_key(&self, kid: Option<&str>) -> Result<Arc<VerifyingKey>, ApiError> {
        match self.keys.key(kid).await {
            Lookup::Found(key) => Ok(key),
            Lookup::Missing => Err(AuthFailure::UnknownKey.into()),
            Lookup::Unavailable => Err(ApiError::AuthUnavailable),
        }
    }
}

fn now_secs() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as f64)
        .unwrap_or_default()
}

/// `exp` (required) and `nbf` as PyJWT checks them: an expired token is
/// "Signature has expired.", one not yet valid a claim failure, and a value
/// that is no JSON number cannot be read ("Error decoding signature.").
fn check_times(claims: &Claims, leeway_secs: u64, now: f64) -> Result<(), AuthFailure> {
    let time = |claim: Option<&Value>| match claim {
        None => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(AuthFailure::Malformed),
    };
    let leeway = leeway_secs as f64;
    let exp = time(claims.expires())?.ok_or(AuthFailure::MissingExp)?;
    let nbf = time(claims.not_before())?;
    if exp < now - leeway {
        return Err(AuthFailure::Expired);
    }
    if nbf.is_some_and(|nbf| nbf > now + leeway) {
        return Err(AuthFailure::NotYetValid);
    }
    Ok(())
}

/// The signature and the registered claims, by the library. The claims
/// themselves are already parsed (strictly), so the library is asked to skip them.
fn check_signature(
    token: &str,
    key: &DecodingKey,
    validation: &Validation,
) -> Result<(), AuthFailure> {
    jsonwebtoken::decode::<serde::de::IgnoredAny>(token, key, validation)
        .map(|_| ())
        // exp and nbf are not the library's to check (check_times is).
        .map_err(|e| match e.kind() {
            ErrorKind::InvalidSignature => AuthFailure::BadSignature,
            ErrorKind::InvalidIssuer => AuthFailure::UntrustedIssuer,
            ErrorKind::InvalidAudience => AuthFailure::WrongAudience,
            ErrorKind::ImmatureSignature => AuthFailure::NotYetValid,
            ErrorKind::InvalidAlgorithm | ErrorKind::MissingAlgorithm => AuthFailure::Algorithm,
            ErrorKind::InvalidSubject
            | ErrorKind::MissingRequiredClaim(_)
            | ErrorKind::InvalidClaimFormat(_) => AuthFailure::InvalidClaim,
            _ => AuthFailure::Malformed,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_as_pyjwt_checks_them() {
        let claims =
            |json: serde_json::Value| Claims::from(json.as_object().cloned().unwrap_or_default());
        let now = 1_000_000.0;
        let check = |c: serde_json::Value, leeway| check_times(&claims(c), leeway, now);
        assert_eq!(check(serde_json::json!({"exp": 1_000_000}), 0), Ok(()));
        assert_eq!(check(serde_json::json!({"exp": 1_000_000.5}), 0), Ok(()));
        assert_eq!(
            check(serde_json::json!({"exp": 999_999}), 0),
            Err(AuthFailure::Expired)
        );
        assert_eq!(check(serde_json::json!({"exp": 999_999}), 1), Ok(()));
        assert_eq!(
            check(serde_json::json!({"exp": -1}), 0),
            Err(AuthFailure::Expired)
        );
        assert_eq!(
            check(serde_json::json!({}), 0),
            Err(AuthFailure::MissingExp)
        );
        assert_eq!(
            check(serde_json::json!({"exp": "1"}), 0),
            Err(AuthFailure::Malformed)
        );
        assert_eq!(
            check(serde_json::json!({"exp": null}), 0),
            Err(AuthFailure::Malformed)
        );
        let exp = 2_000_000;
        assert_eq!(
            check(serde_json::json!({"exp": exp, "nbf": 1_000_000}), 0),
            Ok(())
        );
        assert_eq!(
            check(serde_json::json!({"exp": exp, "nbf": 1_000_001}), 0),
            Err(AuthFailure::NotYetValid)
        );
        assert_eq!(
            check(serde_json::json!({"exp": exp, "nbf": 1_000_001}), 1),
            Ok(())
        );
        assert_eq!(
            check(serde_json::json!({"exp": exp, "nbf": [1]}), 0),
            Err(AuthFailure::Malformed)
        );
    }
}
