//! The names that settings give to policy, as a DRF project's settings.py
//! names classes: the permission classes, the username handlers and the
//! task ownership mode; how lists are paginated and filtered (`listing.rs`);
//! the throttle classes and rates (`throttles.rs`).
//! A leaf: `settings` parses these names, `auth`, `api` and `rest` implement
//! what they mean (`auth/permissions.rs`, `auth/users.rs`, `rest/`).

mod listing;
mod permissions;
mod throttles;

use std::fmt;
use std::str::FromStr;

pub use listing::{FilterBackend, PaginationClass};
pub use permissions::{
    AllowAny, Class, HasScope, IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly, IsCreator,
    NOT_THE_CREATOR, PERMISSION_DENIED, PermissionClass, ReadScope, Request, Requester, WriteScope,
};
pub use throttles::{Rate, ThrottleClass};

/// A name no class, handler or mode has; says which names there are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownName(String);

/// How a verified token's payload names its user (djangorestframework-jwt's
/// `JWT_PAYLOAD_GET_USERNAME_HANDLER`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum UsernameHandler {
    /// Every token maps to the one user `auth0user` (the original's handler).
    #[default]
    Auth0User,
    /// Each subject gets its own user, created on first sight.
    Sub,
    /// The named claim (e.g. `email`) is the username, created on first sight.
    Claim(String),
}

/// The one user of the original's handler.
pub const AUTH0_USER: &str = "auth0user";

impl FromStr for UsernameHandler {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        match s.trim() {
            AUTH0_USER => Ok(UsernameHandler::Auth0User),
            "sub" => Ok(UsernameHandler::Sub),
            other => match other.strip_prefix("claim:") {
                Some(claim) if !claim.trim().is_empty() => {
                    Ok(UsernameHandler::Claim(claim.trim().to_owned()))
                }
                _ => Err(UnknownName(format!(
                    "unknown username handler {other:?}; use auth0user, sub or claim:<name>"
                ))),
            },
        }
    }
}

impl fmt::Display for UsernameHandler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsernameHandler::Auth0User => f.write_str(AUTH0_USER),
            UsernameHandler::Sub => f.write_str("sub"),
            UsernameHandler::Claim(c) => write!(f, "claim:{c}"),
        }
    }
}

/// Whose tasks a user sees (`tasks.ownership`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Ownership {
    /// Every authenticated user sees and changes every task (the original at v1.11).
    #[default]
    Shared,
    /// Each sees and changes the tasks their token's `sub` created (v1.14).
    Creator,
}

impl FromStr for Ownership {
    type Err = UnknownName;
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        match s.trim() {
            "shared" => Ok(Ownership::Shared),
            "creator" => Ok(Ownership::Creator),
            other => Err(UnknownName(format!(
                "unknown ownership {other:?}; use shared or creator"
            ))),
        }
    }
}

impl fmt::Display for Ownership {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Ownership::Shared => "shared",
            Ownership::Creator => "creator",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_handlers_and_ownership_round_trip() {
        for text in ["auth0user", "sub", "claim:email"] {
            let handler: UsernameHandler = text.parse().unwrap_or(UsernameHandler::Sub);
            assert_eq!(handler.to_string(), text);
        }
        assert!("claim:".parse::<UsernameHandler>().is_err());
        assert!("email".parse::<UsernameHandler>().is_err());
        for text in ["shared", "creator"] {
            assert_eq!(
                text.parse::<Ownership>().map(|o| o.to_string()),
                Ok(text.into())
            );
        }
        assert!("mine".parse::<Ownership>().is_err());
    }
}
