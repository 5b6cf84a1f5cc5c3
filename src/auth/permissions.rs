//! What DRF's permission classes (named in [`crate::policy`]) allow: each
//! class's `has_permission` and `has_object_permission`, and a route's list
//! of classes, all of which must pass.

use actix_web::http::Method;

use super::Principal;
use crate::error::ApiError;
use crate::policy::PermissionClass;

impl PermissionClass {
    /// DRF's `has_permission`: before the view runs.
    pub fn has_permission(self, method: &Method, principal: &Principal) -> bool {
        match self {
            PermissionClass::AllowAny => true,
            PermissionClass::IsAuthenticated => principal.is_authenticated(),
            PermissionClass::IsAuthenticatedOrReadOnly => {
                is_safe(method) || principal.is_authenticated()
            }
            PermissionClass::IsAdminUser => principal.user().is_some_and(|u| u.is_staff),
        }
    }

    /// DRF's `has_object_permission`: on the object a detail view fetched.
    /// None of today's classes looks at the object.
    pub fn has_object_permission(self, _method: &Method, _principal: &Principal) -> bool {
        true
    }
}

/// DRF's SAFE_METHODS.
pub fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A route's `permission_classes`, in force after settings and defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Permissions(Vec<PermissionClass>);

impl Permissions {
    pub fn new(classes: Vec<PermissionClass>) -> Self {
        Permissions(classes)
    }

    pub fn classes(&self) -> &[PermissionClass] {
        &self.0
    }

    /// Whether every class lets this request through.
    pub fn allows(&self, method: &Method, principal: &Principal) -> bool {
        self.0.iter().all(|c| c.has_permission(method, principal))
    }

    /// DRF's `check_permissions`: the first class that refuses decides the
    /// answer, 401 for an anonymous request and 403 (with its message) otherwise.
    pub fn check(&self, method: &Method, principal: &Principal) -> Result<(), ApiError> {
        let refusing = self.0.iter().find(|c| !c.has_permission(method, principal));
        refusal(refusing.copied(), principal)
    }

    /// DRF's `check_object_permissions`, for the object a detail view fetched.
    pub fn check_object(&self, method: &Method, principal: &Principal) -> Result<(), ApiError> {
        let refusing = self
            .0
            .iter()
            .find(|c| !c.has_object_permission(method, principal));
        refusal(refusing.copied(), principal)
    }
}

/// DRF's `permission_denied`: not authenticated is 401, else 403 with the class's message.
fn refusal(refusing: Option<PermissionClass>, principal: &Principal) -> Result<(), ApiError> {
    match refusing {
        None => Ok(()),
        Some(_) if !principal.is_authenticated() => Err(ApiError::NotAuthenticated),
        Some(class) => Err(ApiError::PermissionDenied(class.message())),
    }
}
