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

const fn setting(
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

const fn secret(key: &'static str, default: &'static str, help: &'static str) -> Setting {
    Setting {
        key,
        default,
        kind: Kind::Text,
        shown: Shown::Secret,
        alias: None,
        help,
    }
}

const fn aliased(mut s: Setting, alias: &'static str) -> Setting {
    s.alias = Some(alias);
    s
}

use Kind::{Boolean, Integer, List, Map, Text};

/// Every setting, in the order of `config/default.toml`.
pub const SETTINGS: &[Setting] = &[
    setting("server.host", "\"127.0.0.1\"", Text, "address to listen on"),
    setting("server.port", "8000", Integer, "port (0 = any free port)"),
    setting(
        "server.workers",
        "0",
        Integer,
        "worker threads; 0 = one per CPU core",
    ),
    setting(
        "server.backlog",
        "2048",
        Integer,
        "connections the kernel may queue before they are accepted (a burst beyond it waits a second); 1 to 65535",
    ),
    setting(
        "server.max_body_bytes",
        "65536",
        Integer,
        "larger request bodies get 413",
    ),
    setting(
        "server.max_header_bytes",
        "16384",
        Integer,
        "request line and headers; more gets 431 (1024 to 131072)",
    ),
    setting(
        "server.trusted_proxies",
        "[]",
        List,
        "proxies (addresses or CIDRs, e.g. \"10.0.0.0/8\") whose X-Forwarded-For/-Proto/-Host are believed; empty = none",
    ),
    setting(
        "server.shutdown_drain_secs",
        "3",
        Integer,
        "on SIGTERM, first keep serving this long with every response closing its connection (proxies move off)",
    ),
    setting(
        "server.shutdown_timeout_secs",
        "30",
        Integer,
        "then: stop accepting, let in-flight requests finish for up to this, and exit 0",
    ),
    setting(
        "server.time_zone",
        "\"UTC\"",
        Text,
        "Django's TIME_ZONE: \"today\" for a new task's dates (an IANA name, e.g. Europe/Paris)",
    ),
    setting(
        "server.static_dir",
        "\"\"",
        Text,
        "a folder of static files served at / (the SPA in development); empty = none",
    ),
    Setting {
        shown: Shown::UrlPassword,
        ..aliased(
            setting(
                "database.url",
                "\"var/todoapi.sqlite3\"",
                Text,
                "a SQLite path (sqlite:// optional) or postgres://user:pass@host/db",
            ),
            "DATABASE_URL",
        )
    },
    setting(
        "database.pool_size",
        "0",
        Integer,
        "connections; 0 = one per CPU core (at least 2)",
    ),
    setting(
        "database.migrate_on_start",
        "true",
        Boolean,
        "serve applies pending migrations first",
    ),
    setting(
        "database.timeout_secs",
        "5",
        Integer,
        "budget of a database call (a pooled connection and the query); then 503",
    ),
    aliased(
        setting(
            "auth.domain",
            "\"\"",
            Text,
            "the Auth0 tenant, e.g. example.eu.auth0.com",
        ),
        "AUTH0_DOMAIN",
    ),
    aliased(
        setting(
            "auth.audience",
            "[]",
            List,
            "the API identifier(s), a string or a list; required in production",
        ),
        "API_IDENTIFIER",
    ),
    setting(
        "auth.issuer",
        "\"\"",
        Text,
        "the exact iss accepted; default https://{domain}/",
    ),
    setting(
        "auth.jwks_uri",
        "\"\"",
        Text,
        "default https://{domain}/.well-known/jwks.json; https, plain http only to loopback",
    ),
    setting(
        "auth.algorithms",
        "[\"RS256\"]",
        List,
        "accepted alg: RS/PS 256/384/512, HS256/384/512 with auth.secret; none never",
    ),
    setting(
        "auth.leeway_secs",
        "0",
        Integer,
        "clock skew allowed on exp and nbf",
    ),
    setting(
        "auth.token_cache_size",
        "10000",
        Integer,
        "verified tokens remembered (each hit re-checks exp, nbf and its key); 0 = verify every request",
    ),
    setting(
        "auth.user_cache_secs",
        "5",
        Integer,
        "how long a remembered token's user row is believed (a disabled user is refused within this); 0 = read it every request",
    ),
    setting(
        "auth.header_prefix",
        "\"Bearer\"",
        Text,
        "the Authorization scheme, matched case-insensitively",
    ),
    setting(
        "auth.username_handler",
        "\"auth0user\"",
        Text,
        "auth0user (every token is the user auth0user), sub (a user per subject), claim:<name>",
    ),
    secret(
        "auth.secret",
        "\"\"",
        "shared secret, only for HS256/384/512",
    ),
    setting(
        "auth.issuers.<name>.issuer",
        "\"\"",
        Text,
        "another identity provider trusted beside the tenant (a custom domain, a second tenant), under a name of yours: the exact iss of its tokens",
    ),
    setting(
        "auth.issuers.<name>.jwks_uri",
        "\"\"",
        Text,
        "its key set; default {issuer}.well-known/jwks.json (a custom domain names its tenant's)",
    ),
    setting(
        "auth.issuers.<name>.audience",
        "[]",
        List,
        "the aud its tokens carry; default auth.audience",
    ),
    setting(
        "auth.issuers.<name>.algorithms",
        "[]",
        List,
        "RS/PS 256/384/512; default auth.algorithms less HS* (the shared secret is the tenant's)",
    ),
    setting(
        "auth.issuers.<name>.username_handler",
        "\"\"",
        Text,
        "how its tokens map to a user; default auth.username_handler",
    ),
    setting(
        "auth.jwks.refresh_secs",
        "600",
        Integer,
        "background refresh of the tenant's key set",
    ),
    setting(
        "auth.jwks.cooldown_secs",
        "30",
        Integer,
        "an unknown kid refetches at most once per this",
    ),
    setting("auth.jwks.timeout_secs", "5", Integer, "per fetch"),
    setting(
        "auth.jwks.retry_max_secs",
        "30",
        Integer,
        "backoff ceiling while fetches fail",
    ),
    setting(
        "auth.jwks.min_refresh_secs",
        "60",
        Integer,
        "floor of an earlier refresh asked by Cache-Control: max-age",
    ),
    setting(
        "auth.jwks.max_stale_secs",
        "86400",
        Integer,
        "fetched keys stay trusted this long while refreshes fail; then 503",
    ),
    setting(
        "auth.dev_issuer.enabled",
        "false",
        Boolean,
        "the development issuer, a local stand-in for a tenant; refused in production",
    ),
    setting(
        "auth.dev_issuer.key_path",
        "\"var/dev_issuer_key.pem\"",
        Text,
        "its RSA-2048 key, created on first run (mode 0600)",
    ),
    setting(
        "auth.dev_issuer.issuer",
        "\"\"",
        Text,
        "its iss; default the server's own base URL",
    ),
    setting(
        "auth.dev_issuer.client_id",
        "\"todoapi-dev\"",
        Text,
        "for the client-credentials grant at /oauth/token",
    ),
    secret(
        "auth.dev_issuer.client_secret",
        "\"todoapi-dev-secret\"",
        "for the client-credentials grant at /oauth/token",
    ),
    setting(
        "auth.dev_issuer.scope",
        "\"read:tasks write:tasks\"",
        Text,
        "scope of its tokens",
    ),
    setting(
        "auth.dev_issuer.token_lifetime_secs",
        "86400",
        Integer,
        "default lifetime of its tokens",
    ),
    setting(
        "auth.dev_issuer.callback_urls",
        "[\"http://localhost:4200/callback\", \"http://localhost:8080/callback\"]",
        List,
        "where /authorize may send a browser back, besides the server's own origin",
    ),
    setting(
        "auth.dev_issuer.logout_urls",
        "[\"http://localhost:4200\", \"http://localhost:8080\"]",
        List,
        "where /v2/logout may send a browser back, besides the server's own origin",
    ),
    setting(
        "rest_framework.default_permission_classes",
        "[\"IsAuthenticated\"]",
        List,
        "DRF's DEFAULT_PERMISSION_CLASSES: the classes of routes that declare none, all must pass",
    ),
    setting(
        "rest_framework.default_permission",
        "\"\"",
        Text,
        "one class, the older form: when set, it replaces default_permission_classes",
    ),
    setting(
        "rest_framework.default_pagination_class",
        "\"\"",
        Text,
        "DRF's DEFAULT_PAGINATION_CLASS: PageNumberPagination, LimitOffsetPagination or CursorPagination; empty = lists are bare arrays (the original)",
    ),
    setting(
        "rest_framework.page_size",
        "0",
        Integer,
        "DRF's PAGE_SIZE: items per page (LimitOffsetPagination's default limit); a pagination class needs it",
    ),
    setting(
        "rest_framework.page_size_query_param",
        "\"\"",
        Text,
        "a query parameter (e.g. page_size) with which a client sets the page size; empty = none",
    ),
    setting(
        "rest_framework.max_page_size",
        "1000",
        Integer,
        "the most page_size_query_param may ask for",
    ),
    setting(
        "rest_framework.max_limit",
        "1000",
        Integer,
        "LimitOffsetPagination: the most ?limit= may ask for",
    ),
    setting(
        "rest_framework.default_filter_backends",
        "[]",
        List,
        "DRF's DEFAULT_FILTER_BACKENDS: SearchFilter (?search=), OrderingFilter (?ordering=); empty = none (the original)",
    ),
    setting(
        "rest_framework.search_param",
        "\"search\"",
        Text,
        "DRF's SEARCH_PARAM: SearchFilter's query parameter",
    ),
    setting(
        "rest_framework.ordering_param",
        "\"ordering\"",
        Text,
        "DRF's ORDERING_PARAM: OrderingFilter's query parameter",
    ),
    setting(
        "rest_framework.permissions",
        "{}",
        Map,
        "route name -> classes (a list, or a comma-separated string); wins over code and default",
    ),
    setting(
        "rest_framework.pagination",
        "{}",
        Map,
        "list route name -> its pagination class (None: unpaginated); wins over the default",
    ),
    setting(
        "rest_framework.filters",
        "{}",
        Map,
        "list route name -> its filter backends (a list, or a comma-separated string); wins over the default",
    ),
    setting(
        "tasks.ownership",
        "\"shared\"",
        Text,
        "shared (everyone sees every task, the original at v1.11) or creator (each sees their own, v1.14)",
    ),
    setting(
        "cors.allowed_origins",
        "[]",
        List,
        "origins a browser may call from (* any); empty = none",
    ),
];

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
        .map(|s| (edit_distance(key, s.key), s.key))
        .filter(|(d, known)| *d <= known.len() / 3 + 1)
        .min()
        .map(|(_, known)| known)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
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
