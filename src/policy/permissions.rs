//! The permission classes settings may name, one table: each class's name
//! in settings, whether it takes a scope (`HasScope:read:tasks`), and its
//! refusal message. Parsing, display and the list in error messages all
//! come from it; `rest/permissions.rs` says what each allows.

use std::fmt;
use std::str::FromStr;

use super::UnknownName;

/// DRF's message for a refused permission, unless a class has its own.
pub const PERMISSION_DENIED: &str = "You do not have permission to perform this action.";
/// The original's `IsCreator.message` (v1.14).
pub const NOT_THE_CREATOR: &str = "You must be the creator of this object.";

/// A permission class, as `permission_classes` and `rest_framework` settings
/// name it. The scope classes carry the scope they require.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PermissionClass {
    AllowAny,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
    IsAdminUser,
    /// Object level: the object's `created_by` is the token's `sub`.
    IsCreator,
    /// The token's `scope` (space-separated) or `permissions` holds it.
    HasScope(String),
    /// As `HasScope`, required of safe methods (GET, HEAD, OPTIONS) only.
    ReadScope(String),
    /// As `HasScope`, required of the other methods only.
    WriteScope(String),
}

/// The kinds of class, one row each: the name in settings, whether it takes
/// a scope (`HasScope:read:tasks`) and the refusal message. Parsing, display
/// and the list in error messages all come from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    AllowAny,
    IsAuthenticated,
    IsAuthenticatedOrReadOnly,
    IsAdminUser,
    IsCreator,
    HasScope,
    ReadScope,
    WriteScope,
}

struct Row {
    kind: Kind,
    name: &'static str,
    takes_scope: bool,
    message: &'static str,
}

const CLASSES: &[Row] = &[
    Row {
        kind: Kind::AllowAny,
        name: "AllowAny",
        takes_scope: false,
        message: PERMISSION_DENIED,
    },
    Row {
        kind: Kind::IsAuthenticated,
        name: "IsAuthenticated",
        takes_scope: false,
        message: PERMISSION_DENIED,
    },
    Row {
        kind: Kind::IsAuthenticatedOrReadOnly,
        name: "IsAuthenticatedOrReadOnly",
        takes_scope: false,
        message: PERMISSION_DENIED,
    },
    Row {
        kind: Kind::IsAdminUser,
        name: "IsAdminUser",
        takes_scope: false,
        message: PERMISSION_DENIED,
    },
    Row {
        kind: Kind::IsCreator,
        name: "IsCreator",
        takes_scope: false,
        message: NOT_THE_CREATOR,
    },
    Row {
        kind: Kind::HasScope,
        name: "HasScope",
        takes_scope: true,
        message: PERMISSION_DENIED,
    },
    Row {
        kind: Kind::ReadScope,
        name: "ReadScope",
        takes_scope: true,
        message: PERMISSION_DENIED,
    },
    Row {
        kind: Kind::WriteScope,
        name: "WriteScope",
        takes_scope: true,
        message: PERMISSION_DENIED,
    },
];

/// The module DRF's own classes live in; their dotted names are accepted too.
const DRF_MODULE: &str = "rest_framework.permissions.";

impl PermissionClass {
    fn kind(&self) -> Kind {
        match self {
            PermissionClass::AllowAny => Kind::AllowAny,
            PermissionClass::IsAuthenticated => Kind::IsAuthenticated,
            PermissionClass::IsAuthenticatedOrReadOnly => Kind::IsAuthenticatedOrReadOnly,
            PermissionClass::IsAdminUser => Kind::IsAdminUser,
            PermissionClass::IsCreator => Kind::IsCreator,
            PermissionClass::HasScope(_) => Kind::HasScope,
            PermissionClass::ReadScope(_) => Kind::ReadScope,
            PermissionClass::WriteScope(_) => Kind::WriteScope,
        }
    }

    fn row(&self) -> &'static Row {
        let kind = self.kind();
        CLASSES
            .iter()
            .find(|row| row.kind == kind)
            .unwrap_or(&CLASSES[1])
    }

    fn of_kind(kind: Kind, scope: String) -> PermissionClass {
        match kind {
            Kind::AllowAny => PermissionClass::AllowAny,
            Kind::IsAuthenticated => PermissionClass::IsAuthenticated,
            Kind::IsAuthenticatedOrReadOnly => PermissionClass::IsAuthenticatedOrReadOnly,
            Kind::IsAdminUser => PermissionClass::IsAdminUser,
            Kind::IsCreator => PermissionClass::IsCreator,
            Kind::HasScope => PermissionClass::HasScope(scope),
            Kind::ReadScope => PermissionClass::ReadScope(scope),
            Kind::WriteScope => PermissionClass::WriteScope(scope),
        }
    }

    /// The class's name, without its scope.
    pub fn name(&self) -> &'static str {
        self.row().name
    }

    /// What a refused request is told (DRF's `permission.message`).
    pub fn message(&self) -> &'static str {
        self.row().message
    }

    /// The scope a scope class requires.
    pub fn scope(&self) -> Option<&str> {
        match self {
            PermissionClass::HasScope(s)
            | PermissionClass::ReadScope(s)
            | PermissionClass::WriteScope(s) => Some(s),
            _ => None,
        }
    }

    /// Every class's name, as settings write it, for messages.
    pub fn names() -> Vec<String> {
        CLASSES
            .iter()
            .map(|row| {
                if row.takes_scope {
                    format!("{}:<scope>", row.name)
                } else {
                    row.name.to_owned()
                }
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
        let row = CLASSES
            .iter()
            .find(|row| row.name == name)
            .ok_or_else(unknown)?;
        match (row.takes_scope, scope) {
            (false, None) => Ok(PermissionClass::of_kind(row.kind, String::new())),
            (true, Some(scope)) if is_scope_token(scope) => {
                Ok(PermissionClass::of_kind(row.kind, scope.to_owned()))
            }
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
        for row in CLASSES {
            let written = if row.takes_scope {
                format!("{}:read:tasks", row.name)
            } else {
                row.name.to_owned()
            };
            let class: PermissionClass = written.parse().unwrap_or(PermissionClass::AllowAny);
            assert_eq!(class.kind(), row.kind, "{written}");
            assert_eq!(class.to_string(), written);
            assert_eq!(class.name(), row.name);
            assert_eq!(class.message(), row.message);
            assert_eq!(class.scope().is_some(), row.takes_scope);
            assert_eq!(
                format!("{DRF_MODULE}{written}").parse::<PermissionClass>(),
                Ok(class)
            );
            assert!(names.iter().any(|n| n.starts_with(row.name)), "{names:?}");
        }
        assert_eq!(PermissionClass::IsCreator.message(), NOT_THE_CREATOR);
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
                PermissionClass::IsAuthenticated,
                PermissionClass::ReadScope("read:tasks".into()),
                PermissionClass::WriteScope("write:tasks".into()),
            ])
        );
        assert!(PermissionClass::parse_list(" , ").is_err());
        assert!(PermissionClass::parse_list("IsAuthenticated,Nope").is_err());
    }
}
