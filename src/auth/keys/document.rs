//! A JWKS document (RFC 7517) into a [`KeySet`]: the RSA signing keys usable
//! with the allowed algorithms. Entries are read with jsonwebtoken's `Jwk`;
//! a malformed entry is skipped with a warning naming its `kid`, one of
//! another kind (EC, encryption, another algorithm) quietly; a document that
//! is not a key set at all is an error, so that the previous keys are kept.

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, DecodingKey};
use serde::Deserialize;
use serde_json::Value;

use super::{KeySet, VerifyingKey};

#[derive(Debug, thiserror::Error)]
#[error("not a JWKS document: {0}")]
pub struct DocumentError(#[from] serde_json::Error);

#[derive(Deserialize)]
struct Document {
    keys: Vec<Value>,
}

impl KeySet {
    /// Parses a JWKS document, keeping the RSA signing keys usable with `algorithms`.
    pub fn from_jwks(body: &[u8], algorithms: &[Algorithm]) -> Result<KeySet, DocumentError> {
        let document: Document = serde_json::from_slice(body)?;
        let keys = document
            .keys
            .into_iter()
            .filter_map(|entry| verifying_key(entry, algorithms))
            .collect();
        Ok(KeySet::new(keys))
    }
}

fn verifying_key(entry: Value, algorithms: &[Algorithm]) -> Option<VerifyingKey> {
    let kid = entry
        .get("kid")
        .and_then(Value::as_str)
        .unwrap_or("(no kid)")
        .to_owned();
    let claims_rsa = entry.get("kty").and_then(Value::as_str) == Some("RSA");
    let jwk: Jwk = match serde_json::from_value(entry) {
        Ok(jwk) => jwk,
        Err(e) => {
            log::warn!("JWKS: skipping key {kid}: {e}");
            return None;
        }
    };
    let AlgorithmParameters::RSA(_) = &jwk.algorithm else {
        if claims_rsa {
            log::warn!("JWKS: skipping key {kid}: an RSA key without its modulus or exponent");
        } else {
            log::debug!("JWKS: ignoring key {kid} (not an RSA key)");
        }
        return None;
    };
    if !matches!(
        jwk.common.public_key_use,
        None | Some(PublicKeyUse::Signature)
    ) {
        log::debug!("JWKS: ignoring key {kid} (not a signing key)");
        return None;
    }
    let alg = match jwk.common.key_algorithm {
        None => None,
        Some(named) => match Algorithm::try_from(named) {
            Ok(alg) if algorithms.contains(&alg) => Some(alg),
            _ => {
                log::debug!("JWKS: ignoring key {kid} (alg {named} not allowed)");
                return None;
            }
        },
    };
    match DecodingKey::from_jwk(&jwk) {
        Ok(key) => Some(VerifyingKey {
            kid: jwk.common.key_id,
            alg,
            key,
        }),
        Err(e) => {
            log::warn!("JWKS: skipping key {kid}: bad modulus or exponent ({e})");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jwks_keeps_usable_rsa_signing_keys_only() {
        let n = "sXchDaQebHnPiGvyDOAT4saGEUetSyo9MKLOoWFsueri23bOdgWp4Dy1WlUzewbgBHod5pcM9H95GQRV3JDXboIRROSBigeC5yjU1hGzHHyXss8UDprecbAYxknTcQkhslANGRUZmdTOQ5qTRsLAt6BTYuyvVRdhS8exSZEy_c4gs_7svlJJQ4H9_NxsiIoLwAEk7-Q3UXERGYw_75IDrGA84-lA_-Ct4eTlXHBIY2EaV7t7LjJaynVJCpkv4LKjTTAumiGUIuQhrNhZLuF_RJLqHpM2kgWFLU7-VTdL1VbC2tejvcI2BlMkEpk1BzBZI0KQB0GaDWFLN-aEAw3vRw";
        let rsa = |kid: &str, extra: Value| {
            let mut jwk = serde_json::json!({"kty": "RSA", "kid": kid, "n": n, "e": "AQAB"});
            if let (Some(map), Some(more)) = (jwk.as_object_mut(), extra.as_object()) {
                map.extend(more.clone());
            }
            jwk
        };
        let doc = serde_json::json!({"keys": [
            rsa("plain", serde_json::json!({})),
            rsa("sig", serde_json::json!({"use": "sig", "alg": "RS256"})),
            rsa("enc", serde_json::json!({"use": "enc"})),
            rsa("other-alg", serde_json::json!({"alg": "RS512"})),
            rsa("unknown-alg", serde_json::json!({"alg": "XY1"})),
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "a", "y": "b"},
            {"kty": "RSA", "kid": "no-modulus", "e": "AQAB"},
            {"kty": "RSA", "kid": "bad-base64", "n": "!!!", "e": "AQAB"},
            "not an object"
        ]});
        let body = serde_json::to_vec(&doc).unwrap_or_default();
        let set = KeySet::from_jwks(&body, &[Algorithm::RS256]).unwrap_or_default();
        let kids: Vec<_> = set.kids().collect();
        assert_eq!(kids, vec![Some("plain"), Some("sig")]);
        assert!(KeySet::from_jwks(b"<html>", &[Algorithm::RS256]).is_err());
        assert!(KeySet::from_jwks(b"{\"keys\": 1}", &[Algorithm::RS256]).is_err());
    }
}
