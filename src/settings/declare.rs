//! A settings section declared once: [`section!`] turns one list of fields
//! (name, type, default as TOML writes it, one doc line, an optional older
//! variable and an optional check) into the typed struct, its schema rows
//! (`config/default.toml`, docs/configuration.md's table, the known keys) and the
//! reader that fills it from the merged layers. A field's type says how it
//! is read ([`SettingValue`]): its kind, whether it is secret, and what a
//! bad value is told.

mod read;
mod text;
mod values;

use config::Value;

pub(super) use read::Reader;
pub use text::{FromText, KeySetUrl, TimeZone, is_hmac};
pub use values::PerRoute;

/// How a value is read (from the environment, lists are comma-separated).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Integer,
    Boolean,
    /// A string or a list of strings.
    List,
    /// Any key below it (route names).
    Map,
}

/// How `todoapi check` shows the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shown {
    Plain,
    /// Never shown.
    Secret,
    /// A URL whose password is never shown.
    UrlPassword,
}

#[derive(Debug, Clone, Copy)]
pub struct Setting {
    pub key: &'static str,
    /// As TOML writes it in `config/default.toml`.
    pub default: &'static str,
    pub kind: Kind,
    pub shown: Shown,
    /// The original project's variable for it, read below `APP__` ones.
    pub alias: Option<&'static str>,
    /// One line: default.toml's comment and the settings table's meaning (the
    /// field's doc comment, so with a leading space: see [`Setting::help`]).
    pub help: &'static str,
}

impl Setting {
    /// What the setting means, in one line.
    pub fn help(&self) -> &'static str {
        self.help.trim()
    }
}

/// What is wrong with a value: the part of it (a table's entry; empty for
/// the value itself) and why.
pub type Problems = Vec<(String, String)>;

/// A type a setting can have.
pub trait SettingValue: Sized + Default {
    const KIND: Kind;
    const SHOWN: Shown = Shown::Plain;
    /// An absent key is a problem, except for an optional one.
    const REQUIRED: bool = true;

    /// The value, with what is wrong with it pushed to `problems` (then a
    /// stand-in, or the parts that were right, is returned).
    fn read(value: Value, problems: &mut Problems) -> Self;
}

/// Declares a settings section: see the module's documentation.
///
/// ```ignore
/// section! {
///     /// The section's doc.
///     pub struct ServerSettings at "server" {
///         /// port (0 = any free port)
///         pub port: u16 = "8000";
///         /// larger request bodies get 413
///         pub max_body_bytes: usize = "65536", check positive;
///     }
///     nested { pub jwks: JwksSettings, }     // a section of its own, read by itself
///     derived { pub tenant: Option<Tenant>, } // filled by the section's rules
/// }
/// ```
macro_rules! section {
    (
        $(#[$meta:meta])*
        pub struct $name:ident at $prefix:literal {
            $(
                #[doc = $help:literal]
                $(#[alias = $alias:literal])?
                pub $field:ident: $ty:ty = $default:literal $(, check $check:expr)?;
            )*
        }
        $(nested { $(pub $nfield:ident: $nty:ident,)* })?
        $(derived { $($(#[doc = $dhelp:literal])* pub $dfield:ident: $dty:ty,)* })?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone)]
        pub struct $name {
            $(#[doc = $help] pub $field: $ty,)*
            $($(pub $nfield: $nty,)*)?
            $($($(#[doc = $dhelp])* pub $dfield: $dty,)*)?
        }

        impl $name {
            /// The section's own rows of the schema (not its nested sections').
            pub const SETTINGS: &'static [$crate::settings::declare::Setting] = &[$(
                $crate::settings::declare::Setting {
                    key: concat!($prefix, ".", stringify!($field)),
                    default: $default,
                    kind: <$ty as $crate::settings::declare::SettingValue>::KIND,
                    shown: <$ty as $crate::settings::declare::SettingValue>::SHOWN,
                    alias: $crate::settings::declare::section!(@alias $($alias)?),
                    help: $help,
                },
            )*];

            /// Reads the section's fields below `prefix` (a table's entry
            /// names its own), each checked, every problem collected in `r`.
            #[allow(unused_variables)]
            pub(in crate::settings) fn read_at(
                r: &mut $crate::settings::declare::Reader,
                prefix: &str,
            ) -> Self {
                $name {
                    $($field: {
                        let key = format!("{prefix}.{}", stringify!($field));
                        let known = r.problems.len();
                        let value: $ty = r.read(&key);
                        // A stand-in for a value that could not be read is not checked.
                        $(if r.problems.len() == known
                            && let Err(message) = ($check)(&value)
                        {
                            r.problem(&key, message);
                        })?
                        value
                    },)*
                    $($($nfield: $nty::read(r),)*)?
                    $($($dfield: Default::default(),)*)?
                }
            }

            // A table's entry (`auth.issuers.<name>`) is read with `read_at` only.
            #[allow(dead_code)]
            pub(in crate::settings) fn read(r: &mut $crate::settings::declare::Reader) -> Self {
                Self::read_at(r, $prefix)
            }
        }
    };
    (@alias) => { None };
    (@alias $alias:literal) => { Some($alias) };
}
pub(crate) use section;

/// A check for [`section!`]: more than zero.
pub fn positive<T: Default + PartialEq>(value: &T) -> Result<(), String> {
    match *value == T::default() {
        true => Err("must be greater than 0".into()),
        false => Ok(()),
    }
}

/// A check for [`section!`]: within `low..=high`.
pub fn between<T: PartialOrd + std::fmt::Display + Copy>(
    low: T,
    high: T,
) -> impl Fn(&T) -> Result<(), String> {
    move |value| match (low..=high).contains(value) {
        true => Ok(()),
        false => Err(format!("must be {low} to {high}")),
    }
}

#[cfg(test)]
mod tests {
    use config::{Config, File, FileFormat};

    use super::*;
    use crate::settings::{Secret, Sources};

    section! {
        pub struct Sample at "sample" {
            /// a count
            pub count: u16 = "3", check positive;
            /// a name
            #[alias = "SAMPLE_NAME"]
            pub name: String = r#""x""#;
            /// a key
            pub key: Option<Secret> = r#""""#;
            /// where to go
            pub urls: Vec<url::Url> = "[]";
        }
    }

    fn read(toml: &str) -> (Sample, Vec<String>) {
        let config = Config::builder()
            .add_source(File::from_str(toml, FileFormat::Toml))
            .build()
            .expect("the test's TOML parses");
        let sources = Sources::default();
        let mut r = Reader::new(&config, &sources);
        let sample = Sample::read(&mut r);
        (sample, r.problems)
    }

    #[test]
    fn one_declaration_gives_the_rows() {
        let rows: Vec<(&str, Kind, Shown, Option<&str>, &str)> = Sample::SETTINGS
            .iter()
            .map(|s| (s.key, s.kind, s.shown, s.alias, s.help()))
            .collect();
        assert_eq!(
            rows,
            [
                ("sample.count", Kind::Integer, Shown::Plain, None, "a count"),
                (
                    "sample.name",
                    Kind::Text,
                    Shown::Plain,
                    Some("SAMPLE_NAME"),
                    "a name"
                ),
                ("sample.key", Kind::Text, Shown::Secret, None, "a key"),
                ("sample.urls", Kind::List, Shown::Plain, None, "where to go"),
            ]
        );
        assert_eq!(Sample::SETTINGS[1].default, "\"x\"");
    }

    #[test]
    fn one_declaration_reads_typed_values() {
        let (sample, problems) = read(
            "[sample]\ncount = 5\nname = \" y \"\nkey = \" s \"\nurls = \"https://a.example/cb\"",
        );
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(sample.count, 5);
        assert_eq!(sample.name, "y");
        assert_eq!(sample.key.map(|k| k.expose().to_owned()), Some("s".into()));
        assert_eq!(sample.urls.len(), 1);
        let (sample, _) = read("[sample]\ncount = 1\nname = \"\"\nkey = \"\"\nurls = []");
        assert!(sample.key.is_none(), "blank is none");
    }

    #[test]
    fn each_bad_value_is_a_problem_naming_its_key() {
        let (sample, problems) =
            read("[sample]\ncount = 0\nkey = 1\nurls = [\"ftp://a\", \"https://b.example\"]");
        assert_eq!(
            problems,
            [
                "sample.count (from built-in default): must be greater than 0",
                "sample.name (from built-in default): is missing (config/default.toml sets every key)",
                "sample.urls (from built-in default): \"ftp://a\" is not an http(s) URL",
            ]
        );
        assert_eq!(sample.urls.len(), 1, "the right items are kept");
        let (_, problems) = read("[sample]\ncount = 70000\nname = [1]\nurls = []");
        assert_eq!(
            problems,
            [
                "sample.count (from built-in default): 70000 is out of range",
                "sample.name (from built-in default): must be text",
            ]
        );
    }
}
