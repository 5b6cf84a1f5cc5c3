//! The names that settings give to policy, as a DRF project's settings.py
//! names classes: the permission classes and the username handlers. A leaf:
//! `settings` parses these names, `auth` implements what they mean
//! (`auth/permissions.rs`, `auth/users.rs`).

use std::fmt;
use std::str::FromStr;

/// A name no class or handler has; says which names there are.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct UnknownName(String);

/// DRF's message for a refused permission, unless a class has its own.
pub const PERMISSION_DENIED: &str = "You do not have permission to perform this action.";

/// A permission class, as `permission_classes` and `rest_framework` settings name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PermissionClass {
    AllowAny,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
    IsAdminUser,
}

/// One row per class: its name in settings and its refusal message. Parsing,
/// display and the list in error messages all come from here.
const PERMISSION_CLASSES: &[(PermissionClass, &str, &str)] = &[
    (PermissionClass::AllowAny, "AllowAny", PERMISSION_DENIED),
    (
        PermissionClass::IsAuthenticated,
        "IsAuthenticated",
        PERMISSION_DENIED,
    ),
    (
        PermissionClass::IsAuthenticatedOrReadOnly,
        "IsAuthenticatedOrReadOnly",
        PERMISSION_DENIED,
    ),
    (
        PermissionClass::IsAdminUser,
        "IsAdminUser",
        PERMISSION_DENIED,
    ),
];

/// The module DRF's own classes live in; their dotted names are accepted too.
const DRF_MODULE: &str = "rest_framework.permissions.";

impl PermissionClass {
    fn row(self) -> (PermissionClass, &'static str, &'static str) {
        PERMISSION_CLASSES
            .iter()
            .copied()
            .find(|(class, _, _)| *class == self)
            .unwrap_or((self, "?", PERMISSION_DENIED))
    }

    pub fn name(self) -> &'static str {
        self.row().1
    }

    /// What a refused request is told (DRF's `permission.message`).
    pub fn message(self) -> &'static str {
        self.row().2
    }

    /// Every class's name, for messages.
    pub fn names() -> Vec<&'static str> {
        PERMISSION_CLASSES
            .iter()
            .map(|(_, name, _)| *name)
            .collect()
    }
}

impl FromStr for PermissionClass {
    type Err = UnknownName;

    /// `IsAuthenticated`, or DRF's dotted `rest_framework.permissions.IsAuthenticated`.
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        let name = s.trim();
        let short = name.strip_prefix(DRF_MODULE).unwrap_or(name);
        PERMISSION_CLASSES
            .iter()
            .find(|(_, known, _)| *known == short)
            .map(|(class, _, _)| *class)
            .ok_or_else(|| {
                UnknownName(format!(
                    "unknown permission class {name:?}; use one of {}",
                    PermissionClass::names().join(", ")
                ))
            })
    }
}

impl fmt::Display for PermissionClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a verified token's payload names its user (djangorestframework-jwt's
/// `JWT_PAYLOAD_GET_USERNAME_HANDLER`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UsernameHandler {
    /// Every token maps to the one user `auth0user` (the original's handler).
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_parses_from_its_own_name_and_drfs_dotted_one() {
        for (class, name, message) in PERMISSION_CLASSES {
            assert_eq!(name.parse::<PermissionClass>(), Ok(*class));
            assert_eq!(
                format!("{DRF_MODULE}{name}").parse::<PermissionClass>(),
                Ok(*class)
            );
            assert_eq!(class.to_string(), *name);
            assert_eq!(class.message(), *message);
        }
        let refused = "IsOwner"
            .parse::<PermissionClass>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(refused.contains("\"IsOwner\""), "{refused}");
        for name in PermissionClass::names() {
            assert!(refused.contains(name), "{refused}");
        }
    }

    #[test]
    fn username_handlers_round_trip() {
        for text in ["auth0user", "sub", "claim:email"] {
            let handler: UsernameHandler = text.parse().unwrap_or(UsernameHandler::Sub);
            assert_eq!(handler.to_string(), text);
        }
        assert!("claim:".parse::<UsernameHandler>().is_err());
        assert!("email".parse::<UsernameHandler>().is_err());
    }
}
