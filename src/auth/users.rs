//! How a verified token's payload maps to a user (djangorestframework-jwt's
//! `JWT_PAYLOAD_GET_USERNAME_HANDLER`).

use std::fmt;
use std::str::FromStr;

use serde_json::{Map, Value};

/// Django's `username` limit; a longer claim is refused rather than truncated.
pub const MAX_USERNAME_CHARS: usize = 150;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsernameHandler {
    /// Every token maps to the one user `auth0user` (the original's handler).
    Auth0User,
    /// Each subject gets its own user, created on first sight.
    Sub,
    /// The named claim (e.g. `email`) is the username, created on first sight.
    Claim(String),
}

pub const AUTH0_USER: &str = "auth0user";

impl UsernameHandler {
    /// The username for these claims; `None` when the claim is missing or unusable
    /// (DRF answers "Invalid payload.").
    pub fn username(&self, claims: &Map<String, Value>) -> Option<String> {
        let name = match self {
            UsernameHandler::Auth0User => return Some(AUTH0_USER.to_owned()),
            UsernameHandler::Sub => claims.get("sub"),
            UsernameHandler::Claim(claim) => claims.get(claim),
        };
        match name {
            Some(Value::String(s))
                if !s.trim().is_empty()
                    && s.chars().count() <= MAX_USERNAME_CHARS
                    && !s.contains('\0') =>
            {
                Some(s.clone())
            }
            _ => None,
        }
    }

    /// Whether an unknown username becomes a new user (else "Invalid signature.", as DRF).
    pub fn creates_users(&self) -> bool {
        !matches!(self, UsernameHandler::Auth0User)
    }
}

impl FromStr for UsernameHandler {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim() {
            "auth0user" => Ok(UsernameHandler::Auth0User),
            "sub" => Ok(UsernameHandler::Sub),
            other => match other.strip_prefix("claim:") {
                Some(claim) if !claim.trim().is_empty() => {
                    Ok(UsernameHandler::Claim(claim.trim().to_owned()))
                }
                _ => Err(format!(
                    "unknown username handler {other:?}; use auth0user, sub or claim:<name>"
                )),
            },
        }
    }
}

impl fmt::Display for UsernameHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsernameHandler::Auth0User => f.write_str("auth0user"),
            UsernameHandler::Sub => f.write_str("sub"),
            UsernameHandler::Claim(c) => write!(f, "claim:{c}"),
        }
    }
}
