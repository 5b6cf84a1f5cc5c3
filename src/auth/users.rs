//! How a verified token's payload maps to a user: what each
//! [`UsernameHandler`] (named in `auth.username_handler`) reads.

use serde_json::Value;

use super::claims::Claims;

use crate::policy::{AUTH0_USER, UsernameHandler};

/// Django's `username` limit; a longer claim is refused rather than truncated.
pub const MAX_USERNAME_CHARS: usize = 150;

impl UsernameHandler {
    /// The username for these claims; `None` when the claim is missing or unusable
    /// (DRF answers "Invalid payload.").
    pub fn username(&self, claims: &Claims) -> Option<String> {
        let name = match self {
            UsernameHandler::Auth0User => return Some(AUTH0_USER.to_owned()),
            UsernameHandler::Sub => claims.subject_claim(),
            UsernameHandler::Claim(claim) => claims.named(claim),
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_username_is_text_of_1_to_150_characters_without_nul() {
        let of = |sub: Value| {
            let claims = Claims::from(
                json!({ "sub": sub })
                    .as_object()
                    .cloned()
                    .unwrap_or_default(),
            );
            UsernameHandler::Sub.username(&claims)
        };
        let longest = "é".repeat(MAX_USERNAME_CHARS);
        assert_eq!(of(json!(longest)), Some(longest.clone()));
        assert_eq!(of(json!("auth0|a")), Some("auth0|a".to_owned()));
        for refused in [
            json!(""),
            json!(" \t"),
            json!(format!("{longest}x")),
            json!("a\0b"),
            json!(7),
        ] {
            assert_eq!(of(refused.clone()), None, "{refused}");
        }
    }
}
