//! Every setting, declared once: its key, default, kind, the older variable
//! that may set it, whether it is secret, and what it means. From this table
//! come `config/default.toml` (a test keeps the file equal to
//! [`default_toml`]), the keys that are known (any other is refused, naming
//! the nearest known one), `todoapi check`'s rows and the README's table
//! ([`readme_table`], also kept equal by a test). Regenerate both with
//! `todoapi schema toml` and `todoapi schema readme`.

use std::collections::BTreeSet;

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
    /// One line: default.toml's comment and the README's meaning.
    pub help: &'static str,
}

pub(super) const fn setting(
    key: &'static str,
    default: &'static str,
    kind: Kind,
    help: &'static str,
) -> Setting {
    Setting {
        key,
        default,
        kind,
        shown: Shown::Plain,
        alias: None,
        help,
    }
}

pub(super) const fn secret(
    key: &'static str,
    default: &'static str,
    help: &'static str,
) -> Setting {
    Setting {
        key,
        default,
        kind: Kind::Text,
        shown: Shown::Secret,
        alias: None,
        help,
    }
}

pub(super) const fn aliased(mut s: Setting, alias: &'static str) -> Setting {
    s.alias = Some(alias);
    s
}

mod table;
pub use table::SETTINGS;

pub fn find(key: &str) -> Option<&'static Setting> {
    SETTINGS.iter().find(|s| matches(s.key, key))
}

/// The segment of a key that names an entry of a table (`auth.issuers.<name>.issuer`).
pub const NAME: &str = "<name>";

/// Whether `key` is the setting `pattern`, whose `<name>` takes any one segment.
pub fn matches(pattern: &str, key: &str) -> bool {
    if !pattern.contains(NAME) {
        return pattern == key;
    }
    let (mut p, mut k) = (pattern.split('.'), key.split('.'));
    loop {
        match (p.next(), k.next()) {
            (None, None) => return true,
            (Some(NAME), Some(segment)) if !segment.is_empty() => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// The environment variable that sets `key` (`APP__SECTION__KEY`).
pub fn variable(key: &str) -> String {
    format!("APP__{}", key.replace('.', "__").to_uppercase())
}

/// Whether a key is known: a setting, or any key below a map.
pub fn is_known(key: &str) -> bool {
    SETTINGS.iter().any(|s| match s.kind {
        Kind::Map => key == s.key || key.starts_with(&format!("{}.", s.key)),
        _ => matches(s.key, key),
    })
}

/// Keys of earlier versions, and what replaced them.
pub const RETIRED: &[(&str, &str)] = &[(
    "server.trust_proxy_headers",
    "replaced by server.trusted_proxies: list the proxies' addresses instead (e.g. [\"127.0.0.1\"])",
)];

/// The known key nearest to an unknown one: one it begins (`database.pool`
/// for `database.pool_size`), else the closest by edit distance, within reason.
pub fn nearest(key: &str) -> Option<&'static str> {
    if let Some(longer) = SETTINGS
        .iter()
        .filter(|s| key.contains('.') && s.key.starts_with(key))
        .min_by_key(|s| s.key.len())
    {
        return Some(longer.key);
    }
    SETTINGS
        .iter()
        .map(|s| (strsim::levenshtein(key, s.key), s.key))
        .filter(|(d, known)| *d <= known.len() / 3 + 1)
        .min()
        .map(|(_, known)| known)
}

/// What `config/default.toml` says before its keys, and before some sections.
const HEADER: &str = "\
# todoapi settings: this project's settings.py. Layers, later wins:
#   config/default.toml -> config/{APP_ENV}.toml -> config/local.toml (git-ignored)
#   -> AUTH0_DOMAIN, API_IDENTIFIER, DATABASE_URL -> APP__SECTION__KEY variables.
# `todoapi check` prints the effective values and where each came from. An
# unknown key stops start-up. Generated from src/settings/schema.rs
# (`todoapi schema toml`): change the schema, not this file.
";

fn section_note(section: &str) -> Option<&'static str> {
    match section {
        "auth.jwks" => Some("# The tenant's key set, cached in memory."),
        "auth.issuers.<name>" => Some(
            "# More identity providers, each under a name of yours; a token's iss picks\n\
             # its provider. For example a custom domain beside the canonical one:\n\
             # [auth.issuers.custom] issuer = \"https://login.example.com/\" and\n\
             # jwks_uri = \"https://example.auth0.com/.well-known/jwks.json\".",
        ),
        "auth.dev_issuer" => Some(
            "# A local stand-in for an Auth0 tenant, trusted beside the real one: it signs\n\
             # tokens with its own key (`todoapi token`, POST /oauth/token). Never in\n\
             # production: the server refuses to start with APP_ENV=production and this on.",
        ),
        _ => None,
    }
}

/// `config/default.toml`, rendered from [`SETTINGS`].
pub fn default_toml() -> String {
    let mut out = String::from(HEADER);
    let mut section = "";
    for s in SETTINGS {
        let (sect, name) = match s.kind {
            Kind::Map => (s.key, ""),
            _ => s.key.rsplit_once('.').unwrap_or(("", s.key)),
        };
        // A table's entries are the user's: shown as a commented example.
        let comment = if sect.contains(NAME) { "# " } else { "" };
        if sect != section {
            section = sect;
            out.push('\n');
            if let Some(note) = section_note(sect) {
                out.push_str(note);
                out.push('\n');
            }
            if s.kind == Kind::Map {
                out.push_str(&format!("# {}\n", s.help));
            }
            out.push_str(&format!("{comment}[{sect}]\n"));
        }
        if s.kind != Kind::Map {
            out.push_str(&format!("{comment}{name} = {}  # {}\n", s.default, s.help));
        }
    }
    out
}

/// The README's table of settings: key, variables, default, meaning;
/// `profile_defaults` adds what a profile file changes (`(key, profile, value)`).
pub fn readme_table(profile_defaults: &[(String, String, String)]) -> String {
    let mut out =
        String::from("| key | environment variable | default | meaning |\n|---|---|---|---|\n");
    for s in SETTINGS {
        let mut variables = match s.kind {
            Kind::Map => format!("`{}__<ROUTE>`", variable(s.key)),
            _ => format!("`{}`", variable(s.key)),
        };
        if let Some(alias) = s.alias {
            variables.push_str(&format!(", `{alias}`"));
        }
        let key = match s.kind {
            Kind::Map => format!("`{}.<route>`", s.key),
            _ => format!("`{}`", s.key),
        };
        let mut default = format!("`{}`", s.default);
        let changes: Vec<String> = profile_defaults
            .iter()
            .filter(|(key, _, _)| key == s.key)
            .map(|(_, profile, value)| format!("{profile}: `{value}`"))
            .collect();
        if !changes.is_empty() {
            default.push_str(&format!(" ({})", changes.join("; ")));
        }
        out.push_str(&format!(
            "| {key} | {variables} | {default} | {} |\n",
            s.help.replace('|', "\\|")
        ));
    }
    out
}

/// What the profile files in `dir` change: `(key, profile, value)`, for the README.
pub fn profile_defaults(dir: &std::path::Path) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for profile in ["development", "production"] {
        let path = dir.join(format!("{profile}.toml"));
        let layer = config::Config::builder()
            .add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(false),
            )
            .build()
            .and_then(|c| c.try_deserialize::<serde_json::Value>());
        let Ok(layer) = layer else { continue };
        for key in keys_of(&layer) {
            let pointer = format!("/{}", key.replace('.', "/"));
            if let Some(value) = layer.pointer(&pointer) {
                out.push((key, profile.to_owned(), value.to_string()));
            }
        }
    }
    out
}

/// The dotted keys of a nested TOML/JSON value (arrays and scalars are leaves).
pub fn keys_of(value: &serde_json::Value) -> BTreeSet<String> {
    fn walk(prefix: &str, value: &serde_json::Value, out: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) if !map.is_empty() || prefix.is_empty() => {
                for (k, v) in map {
                    let key = if prefix.is_empty() {
                        k.clone()
                    } else {
                        format!("{prefix}.{k}")
                    };
                    walk(&key, v, out);
                }
            }
            _ => {
                out.insert(prefix.to_owned());
            }
        }
    }
    let mut out = BTreeSet::new();
    walk("", value, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_known_keys() {
        assert_eq!(nearest("auth.audeince"), Some("auth.audience"));
        assert_eq!(nearest("server.prot"), Some("server.port"));
        assert_eq!(nearest("database.pool"), Some("database.pool_size"));
        assert_eq!(nearest("something.else.entirely"), None);
    }

    #[test]
    fn maps_take_any_key_below_them() {
        assert!(is_known("rest_framework.permissions.task-list"));
        assert!(is_known("server.port"));
        assert!(!is_known("server.prot"));
        assert!(!is_known("rest_framework.permissionsx"));
    }

    #[test]
    fn keys_are_unique_and_defaults_parse_as_toml() {
        let mut seen = BTreeSet::new();
        for s in SETTINGS {
            assert!(seen.insert(s.key), "{} twice", s.key);
        }
        let parsed = config::Config::builder()
            .add_source(config::File::from_str(
                &default_toml(),
                config::FileFormat::Toml,
            ))
            .build();
        assert!(parsed.is_ok(), "{:?}", parsed.err());
    }
}
