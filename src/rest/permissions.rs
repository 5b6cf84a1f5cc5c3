//! What DRF's permission classes (named in [`crate::policy`]) allow: each
//! class's `has_permission` and `has_object_permission`, and a route's list
//! of classes, all of which must pass.

use actix_web::http::Method;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::policy::PermissionClass;

/// What object-level classes see of the object a detail view fetched.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObjectView<'a> {
    /// Who created it (the token's `sub`), where the table keeps that.
    pub created_by: Option<&'a str>,
}

impl PermissionClass {
    /// DRF's `has_permission`: before the view runs.
    pub fn has_permission(&self, method: &Method, principal: &Principal) -> bool {
        match self {
            PermissionClass::AllowAny | PermissionClass::IsCreator => true,
            PermissionClass::IsAuthenticated => principal.is_authenticated(),
            PermissionClass::IsAuthenticatedOrReadOnly => {
                is_safe(method) || principal.is_authenticated()
            }
            PermissionClass::IsAdminUser => principal.user().is_some_and(|u| u.is_staff),
            PermissionClass::HasScope(scope) => principal.has_scope(scope),
            PermissionClass::ReadScope(scope) => !is_safe(method) || principal.has_scope(scope),
            PermissionClass::WriteScope(scope) => is_safe(method) || principal.has_scope(scope),
        }
    }

    /// DRF's `has_object_permission`: on the object a detail view fetched.
    pub fn has_object_permission(
        &self,
        _method: &Method,
        principal: &Principal,
        object: &ObjectView,
    ) -> bool {
        match self {
            PermissionClass::IsCreator => principal
                .subject()
                .is_some_and(|sub| object.created_by == Some(sub)),
            _ => true,
        }
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

    /// Whether a request without credentials may use `method` (the schema's
    /// optional security).
    pub fn allows_anonymous(&self, method: &Method) -> bool {
        self.allows(method, &Principal::Anonymous)
    }

    /// The scopes a token needs for `method`.
    pub fn scopes(&self, method: &Method) -> Vec<&str> {
        self.0
            .iter()
            .filter_map(|class| match class {
                PermissionClass::HasScope(s) => Some(s.as_str()),
                PermissionClass::ReadScope(s) if is_safe(method) => Some(s.as_str()),
                PermissionClass::WriteScope(s) if !is_safe(method) => Some(s.as_str()),
                _ => None,
            })
            .collect()
    }

    /// Whether an object-level rule applies (a 403 for someone else's object).
    pub fn has_object_rules(&self) -> bool {
        self.0.contains(&PermissionClass::IsCreator)
    }

    /// Whether every class lets this request through.
    pub fn allows(&self, method: &Method, principal: &Principal) -> bool {
        self.0.iter().all(|c| c.has_permission(method, principal))
    }

    /// DRF's `check_permissions`: the first class that refuses decides the
    /// answer, 401 for an anonymous request and 403 (with its message) otherwise.
    pub fn check(&self, method: &Method, principal: &Principal) -> Result<(), ApiError> {
        let refusing = self.0.iter().find(|c| !c.has_permission(method, principal));
        refusal(refusing, principal)
    }

    /// DRF's `check_object_permissions`, for the object a detail view fetched.
    pub fn check_object(
        &self,
        method: &Method,
        principal: &Principal,
        object: &ObjectView,
    ) -> Result<(), ApiError> {
        let refusing = self
            .0
            .iter()
            .find(|c| !c.has_object_permission(method, principal, object));
        refusal(refusing, principal)
    }
}

/// DRF's `permission_denied`: not authenticated is 401, else 403 with the
/// class's message; a missing scope also says which (RFC 6750 §3.1).
fn refusal(refusing: Option<&PermissionClass>, principal: &Principal) -> Result<(), ApiError> {
    match refusing {
        None => Ok(()),
        Some(_) if !principal.is_authenticated() => Err(ApiError::NotAuthenticated),
        Some(class) => Err(match class.scope() {
            Some(scope) => ApiError::InsufficientScope(scope.to_owned()),
            None => ApiError::PermissionDenied(class.message()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What the OpenAPI document reads of a route's classes.
    #[test]
    fn what_the_schema_reads() {
        let scoped = Permissions::new(vec![
            PermissionClass::IsAuthenticatedOrReadOnly,
            PermissionClass::HasScope("admin".into()),
            PermissionClass::ReadScope("read:tasks".into()),
            PermissionClass::WriteScope("write:tasks".into()),
        ]);
        assert_eq!(scoped.scopes(&Method::GET), ["admin", "read:tasks"]);
        assert_eq!(scoped.scopes(&Method::DELETE), ["admin", "write:tasks"]);
        // HasScope refuses the anonymous even on a safe method.
        assert!(!scoped.allows_anonymous(&Method::GET));
        let open = Permissions::new(vec![PermissionClass::IsAuthenticatedOrReadOnly]);
        assert!(open.allows_anonymous(&Method::GET) && !open.allows_anonymous(&Method::POST));
        assert!(open.scopes(&Method::GET).is_empty());
        assert!(!open.has_object_rules() && !scoped.has_object_rules());
        assert!(
            Permissions::new(vec![PermissionClass::AllowAny, PermissionClass::IsCreator])
                .has_object_rules()
        );
    }
}
