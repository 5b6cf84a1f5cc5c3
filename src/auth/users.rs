//! How a verified token's payload maps to a user: what each
//! [`UsernameHandler`] (named in `auth.username_handler`) reads.

use serde_json::{Map, Value};

use crate::policy::{AUTH0_USER, UsernameHandler};

/// Django's `username` limit; a longer claim is refused rather than truncated.
pub const MAX_USERNAME_CHARS: usize = 150;

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
