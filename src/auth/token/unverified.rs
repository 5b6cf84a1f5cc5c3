//! A token's header and payload, parsed strictly (RFC 7515, 7519, 8725)
//! once, before any key is touched.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::JsonObject;
use crate::error::AuthFailure;

/// Longer than any real access token; refused before decoding.
const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// A token's header and payload, parsed strictly (RFC 7515, 7519, 8725) once,
/// before any key is touched. Only [`TokenValidator::verify`] turns it into
/// claims, and it carries the token so that it cannot be checked against another.
pub struct Unverified<'a> {
    pub(super) token: &'a str,
    pub(super) header: JsonObject,
    pub(super) claims: JsonObject,
}

impl<'a> Unverified<'a> {
    pub fn parse(token: &'a str) -> Result<Self, AuthFailure> {
        if token.len() > MAX_TOKEN_BYTES {
            return Err(AuthFailure::Malformed);
        }
        let mut segments = token.split('.');
        let (Some(header), Some(payload), Some(_), None) = (
            segments.next(),
            segments.next(),
            segments.next(),
            segments.next(),
        ) else {
            return Err(AuthFailure::Malformed);
        };
        Ok(Unverified {
            token,
            header: strict_json_object(header)?,
            claims: strict_json_object(payload)?,
        })
    }

    /// The `iss` the token claims: only good for choosing whose keys verify it.
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }
}

/// A base64url segment (no padding, no other alphabet) holding a JSON object
/// whose member names are unique at every depth: with duplicates, two parsers
/// could read two different tokens.
fn strict_json_object(segment: &str) -> Result<JsonObject, AuthFailure> {
    let bytes = URL_SAFE_NO_PAD
        .decode(segment)
        .map_err(|_| AuthFailure::Malformed)?;
    match serde_json::from_slice::<Strict>(&bytes) {
        Ok(Strict(Value::Object(map))) => Ok(map),
        _ => Err(AuthFailure::Malformed),
    }
}

/// A JSON value read in one pass that fails on a repeated member name.
struct Strict(Value);

impl<'de> serde::Deserialize<'de> for Strict {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(StrictVisitor)
    }
}

struct StrictVisitor;

impl<'de> serde::de::Visitor<'de> for StrictVisitor {
    type Value = Strict;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JSON without repeated member names")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Strict, E> {
        Ok(Strict(Value::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Strict, E> {
        Ok(Strict(Value::from(v)))
    }
    fn visit_str<E>(self, v: &str) -> Result<Strict, E> {
        Ok(Strict(Value::String(v.to_owned())))
    }
    fn visit_string<E>(self, v: String) -> Result<Strict, E> {
        Ok(Strict(Value::String(v)))
    }
    fn visit_unit<E>(self) -> Result<Strict, E> {
        Ok(Strict(Value::Null))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Strict, A::Error> {
        let mut items = Vec::new();
        while let Some(Strict(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Strict(Value::Array(items)))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Strict, A::Error> {
        let mut members = Map::new();
        while let Some(name) = map.next_key::<String>()? {
            let Strict(value) = map.next_value()?;
            if members.insert(name, value).is_some() {
                return Err(serde::de::Error::custom("repeated member name"));
            }
        }
        Ok(Strict(Value::Object(members)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(json: &str) -> String {
        URL_SAFE_NO_PAD.encode(json)
    }

    #[test]
    fn repeated_member_names_are_refused_at_any_depth() {
        assert!(strict_json_object(&b64(r#"{"a": 1, "b": {"c": [1, {"d": 2}]}}"#)).is_ok());
        for bad in [
            r#"{"alg": "RS256", "alg": "none"}"#,
            r#"{"a": {"b": 1, "b": 2}}"#,
            r#"{"a": [{"b": 1, "b": 2}]}"#,
            r#"{"a": 1, "\u0061": 2}"#,
        ] {
            assert_eq!(
                strict_json_object(&b64(bad)).err(),
                Some(AuthFailure::Malformed),
                "{bad}"
            );
        }
    }

    #[test]
    fn segments_are_strict_base64url_json_objects() {
        let padded = format!("{}=", b64(r#"{"a":1}"#));
        let standard_alphabet = base64::engine::general_purpose::STANDARD.encode(r#"{"a":"??>"}"#);
        for bad in [
            padded.as_str(),
            standard_alphabet.as_str(),
            "",
            "e30.",
            &b64("[1]"),
            &b64("nul"),
        ] {
            assert_eq!(
                strict_json_object(bad).err(),
                Some(AuthFailure::Malformed),
                "{bad}"
            );
        }
    }
}
