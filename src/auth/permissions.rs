//! DRF's permission classes and the rule that picks one per route.
//!
//! A route declares its class in code (like a view's `permission_classes`);
//! `rest_framework.permissions` in settings wins over it; without either the
//! route gets `rest_framework.default_permission`.

use std::fmt;
use std::str::FromStr;

use actix_web::http::Method;

use super::Principal;
use crate::settings::RestFrameworkSettings;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    AllowAny,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
    IsAdminUser,
}

impl Permission {
    pub fn name(self) -> &'static str {
        match self {
            Permission::AllowAny => "AllowAny",
            Permission::IsAuthenticated => "IsAuthenticated",
            Permission::IsAuthenticatedOrReadOnly => "IsAuthenticatedOrReadOnly",
            Permission::IsAdminUser => "IsAdminUser",
        }
    }

    /// DRF's `has_permission`.
    pub fn allows(self, method: &Method, principal: &Principal) -> bool {
        match self {
            Permission::AllowAny => true,
            Permission::IsAuthenticated => principal.is_authenticated(),
            Permission::IsAuthenticatedOrReadOnly => {
                is_safe(method) || principal.is_authenticated()
            }
            Permission::IsAdminUser => principal.user().is_some_and(|u| u.is_staff),
        }
    }

    /// The class in force for a route: settings, then code, then the default.
    pub fn for_route(
        route: &str,
        declared: Option<Permission>,
        settings: &RestFrameworkSettings,
    ) -> Permission {
        settings
            .permissions
            .get(route)
            .copied()
            .or(declared)
            .unwrap_or(settings.default_permission)
    }
}

/// DRF's SAFE_METHODS.
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

impl FromStr for Permission {
    type Err = String;

    /// Accepts `IsAuthenticated` and DRF's dotted `rest_framework.permissions.IsAuthenticated`.
    fn from_str(s: &str) -> Result<Self, String> {
        let name = s.trim();
        let short = name
            .strip_prefix("rest_framework.permissions.")
            .unwrap_or(name);
        match short {
            "AllowAny" => Ok(Permission::AllowAny),
            "IsAuthenticated" => Ok(Permission::IsAuthenticated),
            "IsAuthenticatedOrReadOnly" => Ok(Permission::IsAuthenticatedOrReadOnly),
            "IsAdminUser" => Ok(Permission::IsAdminUser),
            _ => Err(format!(
                "unknown permission class {name:?}; use AllowAny, IsAuthenticated, IsAuthenticatedOrReadOnly or IsAdminUser"
            )),
        }
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
