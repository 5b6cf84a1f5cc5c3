//! A route's permission classes (each one type, in `policy/permissions/`),
//! all of which must pass, and what a refusal answers.

use actix_web::http::Method;

use crate::auth::Principal;
use crate::error::ApiError;
use crate::policy::{PermissionClass, Request};

/// What object-level classes see of the object a detail view fetched.
#[derive(Debug, Clone, Copy, Default)]
pub struct ObjectView<'a> {
    /// Who created it (the token's `sub`), where the table keeps that.
    pub created_by: Option<&'a str>,
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
            .filter_map(|class| class.required_scope(is_safe(method)))
            .collect()
    }

    /// Whether an object-level rule applies (a 403 for someone else's object).
    pub fn has_object_rules(&self) -> bool {
        self.0.iter().any(PermissionClass::object_level)
    }

    /// Whether every class lets this request through.
    pub fn allows(&self, method: &Method, principal: &Principal) -> bool {
        let request = request(method, principal);
        self.0.iter().all(|c| c.has_permission(&request))
    }

    /// DRF's `check_permissions`: the first class that refuses decides the
    /// answer, 401 for an anonymous request and 403 (with its message) otherwise.
    pub fn check(&self, method: &Method, principal: &Principal) -> Result<(), ApiError> {
        let request = request(method, principal);
        let refusing = self.0.iter().find(|c| !c.has_permission(&request));
        refusal(refusing, principal)
    }

    /// DRF's `check_object_permissions`, for the object a detail view fetched.
    pub fn check_object(
        &self,
        method: &Method,
        principal: &Principal,
        object: &ObjectView,
    ) -> Result<(), ApiError> {
        let request = request(method, principal);
        let refusing = self
            .0
            .iter()
            .find(|c| !c.has_object_permission(&request, object.created_by));
        refusal(refusing, principal)
    }
}

fn request<'a>(method: &Method, principal: &'a Principal) -> Request<'a> {
    Request {
        safe: is_safe(method),
        who: principal,
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
    use crate::policy::{
        AllowAny, HasScope, IsAuthenticatedOrReadOnly, IsCreator, ReadScope, WriteScope,
    };

    /// What the OpenAPI document reads of a route's classes.
    #[test]
    fn what_the_schema_reads() {
        let scoped = Permissions::new(vec![
            PermissionClass::new(IsAuthenticatedOrReadOnly),
            PermissionClass::new(HasScope("admin".into())),
            PermissionClass::new(ReadScope("read:tasks".into())),
            PermissionClass::new(WriteScope("write:tasks".into())),
        ]);
        assert_eq!(scoped.scopes(&Method::GET), ["admin", "read:tasks"]);
        assert_eq!(scoped.scopes(&Method::DELETE), ["admin", "write:tasks"]);
        // HasScope refuses the anonymous even on a safe method.
        assert!(!scoped.allows_anonymous(&Method::GET));
        let open = Permissions::new(vec![PermissionClass::new(IsAuthenticatedOrReadOnly)]);
        assert!(open.allows_anonymous(&Method::GET) && !open.allows_anonymous(&Method::POST));
        assert!(open.scopes(&Method::GET).is_empty());
        assert!(!open.has_object_rules() && !scoped.has_object_rules());
        assert!(
            Permissions::new(vec![
                PermissionClass::new(AllowAny),
                PermissionClass::new(IsCreator)
            ])
            .has_object_rules()
        );
    }
}
