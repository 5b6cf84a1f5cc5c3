//! A verified token's payload, read through what each claim means here: the
//! registered claims checked by validation (RFC 7519), the subject, and the
//! scopes and permissions that scope classes ask for. Every claim name this
//! server reads is written here once; a username handler may also name a
//! claim in settings (`claim:<name>`).

use serde_json::{Map, Value};

/// A JSON object as a token's header or payload holds it.
pub type JsonObject = Map<String, Value>;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Claims(JsonObject);

impl From<JsonObject> for Claims {
    fn from(object: JsonObject) -> Self {
        Claims(object)
    }
}

impl Claims {
    /// `iss`, when it is one string (an array holding it is no issuer).
    pub fn issuer(&self) -> Option<&str> {
        self.0.get("iss").and_then(Value::as_str)
    }

    /// `sub` as given (a username handler checks it).
    pub fn subject_claim(&self) -> Option<&Value> {
        self.0.get("sub")
    }

    /// `sub`, when it is non-empty text: whose tasks, in creator mode.
    pub fn subject(&self) -> Option<&str> {
        self.subject_claim()
            .and_then(Value::as_str)
            .filter(|sub| !sub.is_empty())
    }

    /// `exp`, `nbf` and `iat` as given; validation says what they may be.
    pub fn expires(&self) -> Option<&Value> {
        self.0.get("exp")
    }
    pub fn not_before(&self) -> Option<&Value> {
        self.0.get("nbf")
    }
    pub fn issued_at(&self) -> Option<&Value> {
        self.0.get("iat")
    }

    /// `exp` as seconds since the epoch, when it is a number.
    pub fn expires_at(&self) -> Option<f64> {
        self.expires().and_then(Value::as_f64)
    }

    /// The space-separated `scope`.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.0
            .get("scope")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .split_ascii_whitespace()
    }

    /// Auth0's RBAC `permissions`, the text ones.
    pub fn permissions(&self) -> impl Iterator<Item = &str> {
        self.0
            .get("permissions")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
    }

    /// Whether `scope` or `permissions` grants it.
    pub fn grants(&self, scope: &str) -> bool {
        self.scopes().any(|s| s == scope) || self.permissions().any(|p| p == scope)
    }

    /// A claim settings name (`auth.username_handler = "claim:<name>"`).
    pub fn named(&self, name: &str) -> Option<&Value> {
        self.0.get(name)
    }
}
