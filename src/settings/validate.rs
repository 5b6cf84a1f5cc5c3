//! Every rule on a setting's value: the merged layers in, typed settings
//! out, or every problem at once, each naming its key and where it came
//! from. One function per section feeds one problem list; values are read
//! by the kinds the schema declares (`schema.rs`), and a key the schema does
//! not know is itself a problem, naming the nearest known key.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;

use config::{Config, Value, ValueKind};
use url::Url;

use super::schema::{self, Kind};
use super::*;

mod auth;
mod issuers;
mod keys;
mod rest_framework;
use auth::auth;
pub use keys::is_hmac;
use rest_framework::rest_framework;

/// actix-web's own limit on a request head.
const MAX_HEADER_BYTES_CEILING: usize = 128 * 1024;

/// Reads typed values out of the merged layers, collecting every problem.
pub(super) struct Reader<'a> {
    config: &'a Config,
    sources: &'a Sources,
    problems: Vec<String>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(config: &'a Config, sources: &'a Sources) -> Self {
        Reader {
            config,
            sources,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, key: &str, message: impl Into<String>) {
        let origin = self.sources.of(key);
        self.problems
            .push(format!("{key} (from {origin}): {}", message.into()));
    }

    fn value(&mut self, key: &str, kind: Kind) -> Option<Value> {
        debug_assert!(
            schema::find(key).is_some_and(|s| s.kind == kind),
            "{key} is not a {kind:?} in the schema"
        );
        match self.config.get::<Value>(key) {
            Ok(value) => Some(value),
            Err(_) => {
                self.problem(key, "is missing (config/default.toml sets every key)");
                None
            }
        }
    }

    /// Whether a layer sets `key` (a table entry's optional field).
    fn has(&self, key: &str) -> bool {
        self.config.get::<Value>(key).is_ok()
    }

    /// The entries' names of a table of tables (`auth.issuers`).
    fn names(&mut self, key: &str) -> Vec<String> {
        match self.config.get::<Value>(key) {
            Err(_) => Vec::new(),
            Ok(value) => match value.into_table() {
                Ok(table) => table.into_keys().collect(),
                Err(_) => {
                    self.problem(key, "must be a table of named entries");
                    Vec::new()
                }
            },
        }
    }

    fn text(&mut self, key: &str) -> String {
        match self.value(key, Kind::Text).map(Value::into_string) {
            Some(Ok(text)) => text,
            Some(Err(_)) => {
                self.problem(key, "must be text");
                String::new()
            }
            None => String::new(),
        }
    }

    fn integer<T: TryFrom<i64> + Default>(&mut self, key: &str) -> T {
        match self.value(key, Kind::Integer).map(Value::into_int) {
            Some(Ok(n)) => match T::try_from(n) {
                Ok(n) => n,
                Err(_) => {
                    self.problem(key, format!("{n} is out of range"));
                    T::default()
                }
            },
            Some(Err(_)) => {
                self.problem(key, "must be a whole number");
                T::default()
            }
            None => T::default(),
        }
    }

    fn boolean(&mut self, key: &str) -> bool {
        match self.value(key, Kind::Boolean).map(Value::into_bool) {
            Some(Ok(b)) => b,
            Some(Err(_)) => {
                self.problem(key, "must be true or false");
                false
            }
            None => false,
        }
    }

    /// A string or a list of strings; blanks dropped, each trimmed.
    fn list(&mut self, key: &str) -> Vec<String> {
        let Some(value) = self.value(key, Kind::List) else {
            return Vec::new();
        };
        let items = match value.kind {
            ValueKind::Array(items) => items,
            ValueKind::Nil => Vec::new(),
            _ => vec![value],
        };
        let mut out = Vec::new();
        for item in items {
            match item.into_string() {
                Ok(s) if s.trim().is_empty() => {}
                Ok(s) => out.push(s.trim().to_owned()),
                Err(_) => self.problem(key, "must be text or a list of text"),
            }
        }
        out
    }

    /// A table of text values.
    fn map(&mut self, key: &str) -> BTreeMap<String, String> {
        let Some(value) = self.value(key, Kind::Map) else {
            return BTreeMap::new();
        };
        let mut out = BTreeMap::new();
        match value.into_table() {
            Ok(table) => {
                for (name, value) in table {
                    // A list of text is its items, comma-separated.
                    let text = match value.kind {
                        ValueKind::Array(items) => items
                            .into_iter()
                            .map(Value::into_string)
                            .collect::<Result<Vec<_>, _>>()
                            .map(|items| items.join(",")),
                        _ => value.into_string(),
                    };
                    match text {
                        Ok(text) => {
                            out.insert(name, text);
                        }
                        Err(_) => {
                            self.problem(&format!("{key}.{name}"), "must be text or a list of text")
                        }
                    }
                }
            }
            Err(_) => self.problem(key, "must be a table"),
        }
        out
    }
}

/// Every key a layer sets that the schema does not know.
pub(super) fn unknown_keys(sources: &Sources) -> Vec<String> {
    let mut problems = Vec::new();
    for (source, layer) in sources.layers.iter() {
        let keys = layer
            .clone()
            .try_deserialize::<serde_json::Value>()
            .map(|v| schema::keys_of(&v))
            .unwrap_or_default();
        for key in keys
            .iter()
            .filter(|k| !k.is_empty() && !schema::is_known(k))
        {
            if let Some((_, replaced)) = schema::RETIRED.iter().find(|(old, _)| old == key) {
                problems.push(format!("{key} (from {source}): {replaced}"));
                continue;
            }
            let hint = schema::nearest(key)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            problems.push(format!("{key} (from {source}): unknown setting{hint}"));
        }
    }
    problems
}

/// Turns the merged layers into typed settings, collecting every problem.
pub(super) fn validate(
    profile: Profile,
    config: &Config,
    sources: Sources,
) -> Result<Settings, SettingsError> {
    let mut problems = unknown_keys(&sources);
    let mut r = Reader::new(config, &sources);
    let server = server(&mut r);
    let database = database(&mut r);
    let auth = auth(&mut r, profile);
    let rest_framework = rest_framework(&mut r);
    let tasks = tasks(&mut r);
    let cors = cors(&mut r);
    problems.extend(r.problems);
    if !problems.is_empty() {
        return Err(SettingsError::Invalid(problems));
    }
    Ok(Settings {
        profile,
        server,
        database,
        auth,
        rest_framework,
        tasks,
        cors,
        sources,
    })
}

fn server(r: &mut Reader) -> ServerSettings {
    let host = r.text("server.host");
    if host.trim().is_empty() {
        r.problem("server.host", "must not be empty");
    } else if host.parse::<IpAddr>().is_err()
        && !host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        r.problem(
            "server.host",
            format!("{host:?} is not an IP address or host name"),
        );
    }
    let max_body_bytes: usize = r.integer("server.max_body_bytes");
    if max_body_bytes == 0 {
        r.problem("server.max_body_bytes", "must be greater than 0");
    }
    // actix-web refuses request heads over 128 KiB itself, with an empty 431.
    let max_header_bytes: usize = r.integer("server.max_header_bytes");
    if !(1024..=MAX_HEADER_BYTES_CEILING).contains(&max_header_bytes) {
        r.problem(
            "server.max_header_bytes",
            format!("must be between 1024 and {MAX_HEADER_BYTES_CEILING}"),
        );
    }
    let time_zone_name = r.text("server.time_zone").trim().to_owned();
    let time_zone = match jiff::tz::TimeZone::get(&time_zone_name) {
        Ok(tz) => tz,
        Err(_) => {
            r.problem(
                "server.time_zone",
                format!(
                    "{time_zone_name:?} is not a time zone; use an IANA name such as \"UTC\" or \"Europe/Paris\""
                ),
            );
            jiff::tz::TimeZone::UTC
        }
    };
    let backlog: u32 = r.integer("server.backlog");
    if !(1..=65535).contains(&backlog) {
        r.problem("server.backlog", "must be 1 to 65535");
    }
    let mut trusted = Vec::new();
    for item in r.list("server.trusted_proxies") {
        match item.parse::<IpNet>() {
            Ok(net) => trusted.push(net),
            Err(e) => r.problem("server.trusted_proxies", format!("{item:?}: {e}")),
        }
    }
    let trusted_proxies = TrustedProxies::new(trusted);
    let static_dir = Some(r.text("server.static_dir").trim().to_owned())
        .filter(|d| !d.is_empty())
        .map(PathBuf::from);
    ServerSettings {
        static_dir,
        host,
        port: r.integer("server.port"),
        workers: r.integer("server.workers"),
        backlog,
        max_body_bytes,
        max_header_bytes,
        trusted_proxies,
        shutdown_drain_secs: r.integer("server.shutdown_drain_secs"),
        shutdown_timeout_secs: r.integer("server.shutdown_timeout_secs"),
        time_zone,
        time_zone_name,
    }
}

fn database(r: &mut Reader) -> DatabaseSettings {
    let url = match DatabaseUrl::parse(&r.text("database.url")) {
        Ok(url) => url,
        Err(e) => {
            r.problem("database.url", e.to_string());
            DatabaseUrl::Sqlite(PathBuf::from("invalid"))
        }
    };
    let timeout_secs: u64 = r.integer("database.timeout_secs");
    if timeout_secs == 0 {
        r.problem("database.timeout_secs", "must be greater than 0");
    }
    DatabaseSettings {
        url,
        pool_size: r.integer("database.pool_size"),
        migrate_on_start: r.boolean("database.migrate_on_start"),
        timeout_secs,
    }
}

fn tasks(r: &mut Reader) -> TasksSettings {
    let ownership = match r.text("tasks.ownership").parse::<Ownership>() {
        Ok(o) => o,
        Err(e) => {
            r.problem("tasks.ownership", e.to_string());
            Ownership::Shared
        }
    };
    TasksSettings { ownership }
}

fn cors(r: &mut Reader) -> CorsSettings {
    let allowed_origins = r.list("cors.allowed_origins");
    for o in &allowed_origins {
        if let Err(msg) = check_origin(o) {
            r.problem("cors.allowed_origins", msg);
        }
    }
    CorsSettings { allowed_origins }
}

/// https anywhere; plain http only to loopback (tests and development).
fn check_origin(origin: &str) -> Result<(), String> {
    if origin == "*" {
        return Ok(());
    }
    let url = Url::parse(origin)
        .map_err(|_| format!("{origin:?} is not an origin such as \"https://app.example.com\""))?;
    let bare = url.path() == "/" && !origin.ends_with('/');
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !bare
        || url.query().is_some()
    {
        return Err(format!(
            "{origin:?} is not an origin such as \"https://app.example.com\" (scheme, host and port only)"
        ));
    }
    Ok(())
}
