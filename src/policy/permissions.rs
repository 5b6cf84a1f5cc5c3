//! DRF's permission classes: what a class is ([`Class`]: its name, its
//! message, `has_permission`, `has_object_permission`), one type each in
//! `classes.rs`, and the classes settings may name ([`CLASSES`]): parsing,
//! display and the list in error messages come from their types.

mod classes;

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

pub use classes::{
    AllowAny, HasScope, IsAdminUser, IsAuthenticated, IsAuthenticatedOrReadOnly, IsCreator,
    ReadScope, WriteScope,
};

use super::UnknownName;

/// DRF's message for a refused permission, unless a class has its own.
pub const PERMISSION_DENIED: &str = "You do not have permission to perform this action.";
/// The original's `IsCreator.message` (v1.14).
pub const NOT_THE_CREATOR: &str = "You must be the creator of this object.";

/// What a class sees of the one asking (`auth::Principal` is one).
pub trait Requester {
    fn is_authenticated(&self) -> bool;
    fn is_staff(&self) -> bool;
    /// Whether the token grants `scope`.
    fn has_scope(&self, scope: &str) -> bool;
    /// The token's `sub`.
    fn subject(&self) -> Option<&str>;
}

/// A request as a permission class sees it.
pub struct Request<'a> {
    /// DRF's SAFE_METHODS: GET, HEAD, OPTIONS.
    pub safe: bool,
    pub who: &'a dyn Requester,
}

/// DRF's `BasePermission`, as a class is written.
pub trait Class: fmt::Debug + Send + Sync + Sized + 'static {
    /// Its name in settings and code (`IsAuthenticated`).
    const NAME: &'static str;
    /// What a refused request is told (DRF's `message`).
    const MESSAGE: &'static str = PERMISSION_DENIED;
    /// It takes one scope, written after a colon (`HasScope:read:tasks`).
    const TAKES_SCOPE: bool = false;
    /// It judges objects (`has_object_permission` may refuse).
    const OBJECT_LEVEL: bool = false;

    /// The class, with its scope when it takes one ("" otherwise).
    fn new(scope: &str) -> Self;
    fn has_permission(&self, request: &Request) -> bool;
    fn has_object_permission(&self, _request: &Request, _created_by: Option<&str>) -> bool {
        true
    }
    /// The scope it was written with.
    fn scope(&self) -> Option<&str> {
        None
    }
    /// The scope a token needs for a safe (or unsafe) method, for the schema.
    fn required_scope(&self, _safe: bool) -> Option<&str> {
        None
    }
}

/// A [`Class`] behind a pointer: what a route's list holds.
trait Permission: fmt::Debug + Send + Sync {
    fn name(&self) -> &'static str;
    fn message(&self) -> &'static str;
    fn object_level(&self) -> bool;
    fn has_permission(&self, request: &Request) -> bool;
    fn has_object_permission(&self, request: &Request, created_by: Option<&str>) -> bool;
    fn scope(&self) -> Option<&str>;
    fn required_scope(&self, safe: bool) -> Option<&str>;
}

impl<C: Class> Permission for C {
    fn name(&self) -> &'static str {
        C::NAME
    }
    fn message(&self) -> &'static str {
        C::MESSAGE
    }
    fn object_level(&self) -> bool {
        C::OBJECT_LEVEL
    }
    fn has_permission(&self, request: &Request) -> bool {
        Class::has_permission(self, request)
    }
    fn has_object_permission(&self, request: &Request, created_by: Option<&str>) -> bool {
        Class::has_object_permission(self, request, created_by)
    }
    fn scope(&self) -> Option<&str> {
        Class::scope(self)
    }
    fn required_scope(&self, safe: bool) -> Option<&str> {
        Class::required_scope(self, safe)
    }
}

/// A permission class, as `permission_classes` and the `rest_framework`
/// settings name it. Two are equal when they are written the same.
#[derive(Debug, Clone)]
pub struct PermissionClass(Arc<dyn Permission>);

impl PermissionClass {
    pub fn new(class: impl Class) -> Self {
        PermissionClass(Arc::new(class))
    }

    /// The class's name, without its scope.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// What a refused request is told (DRF's `permission.message`).
    pub fn message(&self) -> &'static str {
        self.0.message()
    }

    /// The scope a scope class requires.
    pub fn scope(&self) -> Option<&str> {
        self.0.scope()
    }

    /// Whether it judges objects too.
    pub fn object_level(&self) -> bool {
        self.0.object_level()
    }

    /// DRF's `has_permission`: before the view runs.
    pub fn has_permission(&self, request: &Request) -> bool {
        self.0.has_permission(request)
    }

    /// DRF's `has_object_permission`: on the object a detail view fetched.
    pub fn has_object_permission(&self, request: &Request, created_by: Option<&str>) -> bool {
        self.0.has_object_permission(request, created_by)
    }

    /// The scope a token needs for a safe (or unsafe) method.
    pub fn required_scope(&self, safe: bool) -> Option<&str> {
        self.0.required_scope(safe)
    }

    /// Every class's name, as settings write it, for messages.
    pub fn names() -> Vec<String> {
        CLASSES
            .iter()
            .map(|entry| match entry.takes_scope {
                true => format!("{}:<scope>", entry.name),
                false => entry.name.to_owned(),
            })
            .collect()
    }

    /// A comma-separated list (`IsAuthenticated,ReadScope:read:tasks`), as a
    /// file or an environment variable writes `permission_classes`.
    pub fn parse_list(text: &str) -> Result<Vec<PermissionClass>, UnknownName> {
        let classes: Vec<PermissionClass> = text
            .split(',')
            .map(str::trim)
            .filter(|name| !name.is_empty())
            .map(str::parse)
            .collect::<Result<_, _>>()?;
        if classes.is_empty() {
            return Err(UnknownName(
                "names no permission class; use AllowAny to let anyone in".into(),
            ));
        }
        Ok(classes)
    }
}

impl PartialEq for PermissionClass {
    fn eq(&self, other: &Self) -> bool {
        self.name() == other.name() && self.scope() == other.scope()
    }
}

impl Eq for PermissionClass {}

/// A class settings may name.
struct Entry {
    name: &'static str,
    takes_scope: bool,
    build: fn(&str) -> PermissionClass,
}

const fn entry<C: Class>() -> Entry {
    fn build<C: Class>(scope: &str) -> PermissionClass {
        PermissionClass::new(C::new(scope))
    }
    Entry {
        name: C::NAME,
        takes_scope: C::TAKES_SCOPE,
        build: build::<C>,
    }
}

/// The classes settings may name.
const CLASSES: &[Entry] = &[
    entry::<AllowAny>(),
    entry::<IsAuthenticated>(),
    entry::<IsAuthenticatedOrReadOnly>(),
    entry::<IsAdminUser>(),
    entry::<IsCreator>(),
    entry::<HasScope>(),
    entry::<ReadScope>(),
    entry::<WriteScope>(),
];

/// The module DRF's own classes live in; their dotted names are accepted too.
const DRF_MODULE: &str = "rest_framework.permissions.";

impl FromStr for PermissionClass {
    type Err = UnknownName;

    /// `IsAuthenticated`, DRF's dotted `rest_framework.permissions.IsAuthenticated`,
    /// or a scope class with its scope, `HasScope:read:tasks`.
    fn from_str(s: &str) -> Result<Self, UnknownName> {
        let written = s.trim();
        let short = written.strip_prefix(DRF_MODULE).unwrap_or(written);
        let (name, scope) = match short.split_once(':') {
            Some((name, scope)) => (name, Some(scope.trim())),
            None => (short, None),
        };
        let unknown = || {
            UnknownName(format!(
                "unknown permission class {written:?}; use one of {}",
                PermissionClass::names().join(", ")
            ))
        };
        let entry = CLASSES
            .iter()
            .find(|entry| entry.name == name)
            .ok_or_else(unknown)?;
        match (entry.takes_scope, scope) {
            (false, None) => Ok((entry.build)("")),
            (true, Some(scope)) if is_scope_token(scope) => Ok((entry.build)(scope)),
            (true, _) => Err(UnknownName(format!(
                "{written:?}: {name} needs one scope, as in {name}:read:tasks"
            ))),
            (false, Some(_)) => Err(unknown()),
        }
    }
}

/// RFC 6749 §3.3's scope-token: printable ASCII but space, `"` and `\`.
fn is_scope_token(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\')
}

impl fmt::Display for PermissionClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.scope() {
            Some(scope) => write!(f, "{}:{scope}", self.name()),
            None => f.write_str(self.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_parses_from_its_own_name_and_drfs_dotted_one() {
        let names = PermissionClass::names();
        assert_eq!(names.len(), CLASSES.len());
        for entry in CLASSES {
            let written = match entry.takes_scope {
                true => format!("{}:read:tasks", entry.name),
                false => entry.name.to_owned(),
            };
            let class: PermissionClass =
                written.parse().unwrap_or_else(|e| panic!("{written}: {e}"));
            assert_eq!(class.to_string(), written);
            assert_eq!(class.name(), entry.name);
            assert_eq!(class.scope().is_some(), entry.takes_scope);
            assert_eq!(
                format!("{DRF_MODULE}{written}").parse::<PermissionClass>(),
                Ok(class)
            );
            assert!(names.iter().any(|n| n.starts_with(entry.name)), "{names:?}");
        }
        let messages: Vec<&str> = CLASSES.iter().map(|e| (e.build)("s").message()).collect();
        assert_eq!(
            messages,
            [
                PERMISSION_DENIED,
                PERMISSION_DENIED,
                PERMISSION_DENIED,
                PERMISSION_DENIED,
                NOT_THE_CREATOR,
                PERMISSION_DENIED,
                PERMISSION_DENIED,
                PERMISSION_DENIED
            ]
        );
    }

    #[test]
    fn classes_are_equal_when_written_the_same() {
        let class = |written: &str| {
            written
                .parse::<PermissionClass>()
                .unwrap_or_else(|e| panic!("{written}: {e}"))
        };
        assert_eq!(
            class("HasScope:a"),
            PermissionClass::new(HasScope("a".into()))
        );
        assert_ne!(class("IsAuthenticated"), class("AllowAny"));
        assert_ne!(class("HasScope:a"), class("HasScope:b"));
        assert_ne!(class("HasScope:a"), class("ReadScope:a"));
    }

    #[test]
    fn refusals_name_the_classes_there_are() {
        let refused = "IsOwner"
            .parse::<PermissionClass>()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(refused.contains("\"IsOwner\""), "{refused}");
        for name in PermissionClass::names() {
            assert!(refused.contains(&name), "{refused}");
        }
        for bad in [
            "HasScope",
            "HasScope:",
            "ReadScope: ",
            "IsAuthenticated:x",
            "WriteScope:a b",
            "HasScope:a\"b",
            "HasScope:caf\u{e9}",
        ] {
            assert!(bad.parse::<PermissionClass>().is_err(), "{bad}");
        }
    }

    #[test]
    fn lists_read_as_settings_write_them() {
        assert_eq!(
            PermissionClass::parse_list(
                "IsAuthenticated, ReadScope:read:tasks,WriteScope:write:tasks"
            ),
            Ok(vec![
                PermissionClass::new(IsAuthenticated),
                PermissionClass::new(ReadScope("read:tasks".into())),
                PermissionClass::new(WriteScope("write:tasks".into())),
            ])
        );
        assert!(PermissionClass::parse_list(" , ").is_err());
        assert!(PermissionClass::parse_list("IsAuthenticated,Nope").is_err());
    }
}
