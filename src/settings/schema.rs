//! Every setting's row, as the sections declare them (`sections/`, through
//! `declare.rs`'s `section!`): its key, default, kind, the older variable
//! that may set it, whether it is secret, and what it means. From these rows
//! come `config/default.toml` (a test keeps the file equal to
//! [`default_toml`]), the keys that are known (any other is refused, naming
//! the nearest known one), `todoapi check`'s rows and docs/configuration.md's table
//! ([`settings_table`], also kept equal by a test). Regenerate both with
//! `todoapi schema toml` and `todoapi schema table`.

use std::collections::BTreeSet;

use super::Sources;

pub use super::declare::{Kind, Setting, Shown};
pub use super::sections::SETTINGS;

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

/// Every key a layer sets that no section declares.
pub(super) fn unknown_keys(sources: &Sources) -> Vec<String> {
    let mut problems = Vec::new();
    for (source, layer) in sources.layers.iter() {
        let keys = layer
            .clone()
            .try_deserialize::<serde_json::Value>()
            .map(|v| keys_of(&v))
            .unwrap_or_default();
        for key in keys.iter().filter(|k| !k.is_empty() && !is_known(k)) {
            if let Some((_, replaced)) = RETIRED.iter().find(|(old, _)| old == key) {
                problems.push(format!("{key} (from {source}): {replaced}"));
                continue;
            }
            let hint = nearest(key)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            problems.push(format!("{key} (from {source}): unknown setting{hint}"));
        }
    }
    problems
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
# unknown key stops start-up. Generated from src/settings/sections/
# (`make settings-docs`): change the declarations, not this file.
";

fn section_note(section: &str) -> Option<&'static str> {
    match section {
        "auth.jwks" => Some("# The tenant's key set, cached in memory."),
        "auth.issuers.<name>" => Some(
            "# More identity providers, each under a name of yours; a token's iss picks\n\
             # its provider. For example a custom domain beside the canonical one:\n\
             # [auth.issuers.custom] issuer = \"https://login.example.com/\" and\n\
             # jwks_uri = \"https://your-tenant.eu.auth0.com/.well-known/jwks.json\".",
        ),
        "auth.dev_issuer" => Some(
            "# A local stand-in for an Auth0 tenant, trusted beside the real one: it signs\n\
             # tokens with its own key (`todoapi token`, POST /oauth/token). Never in\n\
             # production: the server refuses to start with APP_ENV=production and this on.",
        ),
        _ => None,
    }
}

/// The section a row is written in (a table below a setting is its own).
fn section_of(s: &Setting) -> &'static str {
    match s.kind {
        Kind::Map => s.key,
        _ => s.key.rsplit_once('.').map_or("", |(section, _)| section),
    }
}

/// `config/default.toml`, rendered from [`SETTINGS`]: each section once, in
/// the order sections first appear.
pub fn default_toml() -> String {
    let mut out = String::from(HEADER);
    let mut sections: Vec<&str> = Vec::new();
    for s in SETTINGS.iter() {
        if !sections.contains(&section_of(s)) {
            sections.push(section_of(s));
        }
    }
    for sect in sections {
        let rows: Vec<&Setting> = SETTINGS.iter().filter(|s| section_of(s) == sect).collect();
        // A table's entries are the user's: shown as a commented example.
        let comment = if sect.contains(NAME) { "# " } else { "" };
        out.push('\n');
        if let Some(note) = section_note(sect) {
            out.push_str(note);
            out.push('\n');
        }
        for s in rows.iter().filter(|s| s.kind == Kind::Map) {
            out.push_str(&format!("# {}\n", s.help()));
        }
        out.push_str(&format!("{comment}[{sect}]\n"));
        for s in rows.iter().filter(|s| s.kind != Kind::Map) {
            let name = s.key.rsplit_once('.').map_or(s.key, |(_, name)| name);
            out.push_str(&format!(
                "{comment}{name} = {}  # {}\n",
                s.default,
                s.help()
            ));
        }
    }
    out
}

/// docs/configuration.md's table of settings: key, variables, default, meaning;
/// `profile_defaults` adds what a profile file changes (`(key, profile, value)`).
pub fn settings_table(profile_defaults: &[(String, String, String)]) -> String {
    let mut out =
        String::from("| key | environment variable | default | meaning |\n|---|---|---|---|\n");
    for s in SETTINGS.iter() {
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
            s.help().replace('|', "\\|")
        ));
    }
    out
}

/// What the profile files in `dir` change: `(key, profile, value)`, for the settings table.
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
        for s in SETTINGS.iter() {
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
