//! DRF's permission classes, one type each: its name in settings, its
//! message, `has_permission` and `has_object_permission`. A new class is a
//! type here and a line in `CLASSES` (`permissions.rs`).

use super::{Class, NOT_THE_CREATOR, Request};

/// Anyone, with or without credentials.
#[derive(Debug)]
pub struct AllowAny;

impl Class for AllowAny {
    const NAME: &'static str = "AllowAny";
    fn new(_: &str) -> Self {
        AllowAny
    }
    fn has_permission(&self, _: &Request) -> bool {
        true
    }
}

/// Any authenticated user.
#[derive(Debug)]
pub struct IsAuthenticated;

impl Class for IsAuthenticated {
    const NAME: &'static str = "IsAuthenticated";
    fn new(_: &str) -> Self {
        IsAuthenticated
    }
    fn has_permission(&self, request: &Request) -> bool {
        request.who.is_authenticated()
    }
}

/// Anyone may read; an authenticated user may write.
#[derive(Debug)]
pub struct IsAuthenticatedOrReadOnly;

impl Class for IsAuthenticatedOrReadOnly {
    const NAME: &'static str = "IsAuthenticatedOrReadOnly";
    fn new(_: &str) -> Self {
        IsAuthenticatedOrReadOnly
    }
    fn has_permission(&self, request: &Request) -> bool {
        request.safe || request.who.is_authenticated()
    }
}

/// A user whose `is_staff` is set.
#[derive(Debug)]
pub struct IsAdminUser;

impl Class for IsAdminUser {
    const NAME: &'static str = "IsAdminUser";
    fn new(_: &str) -> Self {
        IsAdminUser
    }
    fn has_permission(&self, request: &Request) -> bool {
        request.who.is_staff()
    }
}

/// Object level (the original's v1.14): the object's `created_by` is the
/// token's `sub`.
#[derive(Debug)]
pub struct IsCreator;

impl Class for IsCreator {
    const NAME: &'static str = "IsCreator";
    fn new(_: &str) -> Self {
        IsCreator
    }
    const MESSAGE: &'static str = NOT_THE_CREATOR;
    const OBJECT_LEVEL: bool = true;
    fn has_permission(&self, _: &Request) -> bool {
        true
    }
    fn has_object_permission(&self, request: &Request, created_by: Option<&str>) -> bool {
        request
            .who
            .subject()
            .is_some_and(|sub| created_by == Some(sub))
    }
}

/// The token's `scope` (space-separated) or `permissions` holds the scope.
#[derive(Debug)]
pub struct HasScope(pub String);

impl Class for HasScope {
    const NAME: &'static str = "HasScope";
    const TAKES_SCOPE: bool = true;
    fn new(scope: &str) -> Self {
        HasScope(scope.to_owned())
    }
    fn scope(&self) -> Option<&str> {
        Some(&self.0)
    }
    fn has_permission(&self, request: &Request) -> bool {
        request.who.has_scope(&self.0)
    }
    fn required_scope(&self, _safe: bool) -> Option<&str> {
        Some(&self.0)
    }
}

/// As `HasScope`, required of safe methods (GET, HEAD, OPTIONS) only.
#[derive(Debug)]
pub struct ReadScope(pub String);

impl Class for ReadScope {
    const NAME: &'static str = "ReadScope";
    const TAKES_SCOPE: bool = true;
    fn new(scope: &str) -> Self {
        ReadScope(scope.to_owned())
    }
    fn scope(&self) -> Option<&str> {
        Some(&self.0)
    }
    fn has_permission(&self, request: &Request) -> bool {
        !request.safe || request.who.has_scope(&self.0)
    }
    fn required_scope(&self, safe: bool) -> Option<&str> {
        safe.then_some(self.0.as_str())
    }
}

/// As `HasScope`, required of the other methods only.
#[derive(Debug)]
pub struct WriteScope(pub String);

impl Class for WriteScope {
    const NAME: &'static str = "WriteScope";
    const TAKES_SCOPE: bool = true;
    fn new(scope: &str) -> Self {
        WriteScope(scope.to_owned())
    }
    fn scope(&self) -> Option<&str> {
        Some(&self.0)
    }
    fn has_permission(&self, request: &Request) -> bool {
        request.safe || request.who.has_scope(&self.0)
    }
    fn required_scope(&self, safe: bool) -> Option<&str> {
        (!safe).then_some(self.0.as_str())
    }
}
