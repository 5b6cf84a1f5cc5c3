//! Every rule on a setting's value: the merged layers in, typed settings
//! out, or every problem at once, each naming its key and where it came
//! from. One function per section feeds one problem list; values are read
//! by the kinds the schema declares (`schema.rs`), and a key the schema does
//! not know is itself a problem, naming the nearest known key.

use std::collections::BTreeMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::str::FromStr;

use config::{Config, Value, ValueKind};
use jsonwebtoken::Algorithm;
use url::Url;

use super::schema::{self, Kind};
use super::*;

mod issuers;
mod rest_framework;
use rest_framework::rest_framework;

/// actix-web's own limit on a request head.
const MAX_HEADER_BYTES_CEILING: usize = 128 * 1024;

/// Reads typed values out of the merged layers, collecting every problem.
pub(super) struct Reader<'a> {
    config: &'a Config,
    origins: &'a Origins,
    problems: Vec<String>,
}

impl<'a> Reader<'a> {
    pub(super) fn new(config: &'a Config, origins: &'a Origins) -> Self {
        Reader {
            config,
            origins,
            problems: Vec::new(),
        }
    }

    fn problem(&mut self, key: &str, message: impl Into<String>) {
        let origin = self.origins.of(key);
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
pub(super) fn unknown_keys(origins: &Origins) -> Vec<String> {
    let mut problems = Vec::new();
    for (origin, layer) in origins.layers.iter() {
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
                problems.push(format!("{key} (from {origin}): {replaced}"));
                continue;
            }
            let hint = schema::nearest(key)
                .map(|k| format!("; did you mean {k}?"))
                .unwrap_or_default();
            problems.push(format!("{key} (from {origin}): unknown setting{hint}"));
        }
    }
    problems
}

/// Turns the merged layers into typed settings, collecting every problem.
pub(super) fn validate(
    profile: Profile,
    config: &Config,
    origins: Origins,
) -> Result<Settings, SettingsError> {
    let mut problems = unknown_keys(&origins);
    let mut r = Reader::new(config, &origins);
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
        origins,
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

fn auth(r: &mut Reader, profile: Profile) -> AuthSettings {
    let production = profile == Profile::Production;
    let domain = r.text("auth.domain").trim().to_owned();
    if !domain.is_empty()
        && (domain.contains('/') || domain.contains(':') || domain.contains(char::is_whitespace))
    {
        r.problem(
            "auth.domain",
            format!("{domain:?} must be a bare host name such as \"example.auth0.com\", not a URL"),
        );
    }
    let tenant = tenant(r, &domain);
    let audience = r.list("auth.audience");
    if production && audience.is_empty() {
        r.problem(
            "auth.audience",
            "must be set in production: without it any token of the tenant would be accepted",
        );
    }
    let secret = Some(r.text("auth.secret"))
        .filter(|s| !s.is_empty())
        .map(Secret);
    let mut algorithms = Vec::new();
    let alg_names = r.list("auth.algorithms");
    if alg_names.is_empty() {
        r.problem("auth.algorithms", "must name at least one algorithm");
    }
    for name in alg_names {
        match parse_algorithm(&name) {
            Ok(alg) => {
                if is_hmac(alg) && secret.is_none() {
                    r.problem(
                        "auth.algorithms",
                        format!("{name} needs a shared secret in auth.secret"),
                    );
                }
                algorithms.push(alg);
            }
            Err(msg) => r.problem("auth.algorithms", msg),
        }
    }
    let header_prefix = r.text("auth.header_prefix").trim().to_owned();
    if header_prefix.is_empty() || header_prefix.contains(char::is_whitespace) {
        r.problem("auth.header_prefix", "must be one word, such as \"Bearer\"");
    }
    let username_handler = match r.text("auth.username_handler").parse::<UsernameHandler>() {
        Ok(h) => h,
        Err(e) => {
            r.problem("auth.username_handler", e.to_string());
            UsernameHandler::Auth0User
        }
    };
    let dev_issuer = dev_issuer(r, production, &audience);
    let issuers = issuers::issuers(
        r,
        issuers::Defaults {
            audience: &audience,
            algorithms: &algorithms,
            username_handler: &username_handler,
            production,
        },
    );
    if production && tenant.is_none() && issuers.is_empty() {
        r.problem(
            "auth.domain",
            "must be set in production (or auth.issuer and auth.jwks_uri, or an auth.issuers entry)",
        );
    }
    let mut seen: Vec<&str> = tenant.iter().map(|t| t.issuer.as_str()).collect();
    for entry in &issuers {
        if seen.contains(&entry.issuer.as_str()) {
            r.problem(
                &format!("auth.issuers.{}.issuer", entry.name),
                format!(
                    "{:?} is trusted already: each iss picks one provider",
                    entry.issuer
                ),
            );
        }
        seen.push(&entry.issuer);
    }
    AuthSettings {
        issuers,
        domain: Some(domain).filter(|d| !d.is_empty()),
        audience,
        tenant,
        algorithms,
        leeway_secs: r.integer("auth.leeway_secs"),
        token_cache_size: r.integer("auth.token_cache_size"),
        user_cache_secs: r.integer("auth.user_cache_secs"),
        header_prefix,
        username_handler,
        secret,
        jwks: jwks(r),
        dev_issuer,
    }
}

/// `auth.issuer` and `auth.jwks_uri`, given or derived from the domain: both or neither.
fn tenant(r: &mut Reader, domain: &str) -> Option<Tenant> {
    let given_issuer = r.text("auth.issuer");
    let given_jwks_uri = r.text("auth.jwks_uri");
    let issuer = match (given_issuer.trim(), domain.is_empty()) {
        ("", true) => None,
        ("", false) => Some(format!("https://{domain}/")),
        (iss, _) => Some(iss.to_owned()),
    };
    let jwks_uri = match (given_jwks_uri.trim(), domain.is_empty()) {
        ("", true) => None,
        ("", false) => Url::parse(&format!("https://{domain}/.well-known/jwks.json")).ok(),
        (uri, _) => match parse_jwks_uri(uri) {
            Ok(url) => Some(url),
            Err(msg) => {
                r.problem("auth.jwks_uri", msg);
                None
            }
        },
    };
    if issuer.is_some() != (jwks_uri.is_some() || !given_jwks_uri.trim().is_empty()) {
        r.problem(
            "auth.issuer",
            "auth.issuer and auth.jwks_uri go together: set auth.domain, or both",
        );
    }
    // Both or neither: a half-configured tenant was reported above.
    match (issuer, jwks_uri) {
        (Some(issuer), Some(jwks_uri)) => Some(Tenant { issuer, jwks_uri }),
        _ => None,
    }
}

fn jwks(r: &mut Reader) -> JwksSettings {
    let positive = |r: &mut Reader, key: &str| -> u64 {
        let n = r.integer(key);
        if n == 0 {
            r.problem(key, "must be greater than 0");
        }
        n
    };
    JwksSettings {
        refresh_secs: positive(r, "auth.jwks.refresh_secs"),
        cooldown_secs: r.integer("auth.jwks.cooldown_secs"),
        timeout_secs: positive(r, "auth.jwks.timeout_secs"),
        retry_max_secs: positive(r, "auth.jwks.retry_max_secs"),
        min_refresh_secs: r.integer("auth.jwks.min_refresh_secs"),
        max_stale_secs: positive(r, "auth.jwks.max_stale_secs"),
    }
}

fn dev_issuer(r: &mut Reader, production: bool, audience: &[String]) -> DevIssuerSettings {
    let enabled = r.boolean("auth.dev_issuer.enabled");
    let key_path = r.text("auth.dev_issuer.key_path");
    let issuer = r.text("auth.dev_issuer.issuer");
    let client_id = r.text("auth.dev_issuer.client_id");
    let client_secret = r.text("auth.dev_issuer.client_secret");
    let token_lifetime_secs: u64 = r.integer("auth.dev_issuer.token_lifetime_secs");
    if enabled && production {
        r.problem(
            "auth.dev_issuer.enabled",
            "must be false in production: the development issuer signs tokens for anyone who asks",
        );
    }
    if enabled {
        if key_path.trim().is_empty() {
            r.problem("auth.dev_issuer.key_path", "must not be empty");
        }
        if client_id.trim().is_empty() {
            r.problem(
                "auth.dev_issuer.client_id",
                "the development issuer needs a client id",
            );
        }
        if client_secret.is_empty() {
            r.problem(
                "auth.dev_issuer.client_secret",
                "the development issuer needs a client secret",
            );
        }
        if token_lifetime_secs == 0 {
            r.problem(
                "auth.dev_issuer.token_lifetime_secs",
                "must be greater than 0",
            );
        }
        if !issuer.trim().is_empty() && Url::parse(issuer.trim()).is_err() {
            r.problem("auth.dev_issuer.issuer", format!("{issuer:?} is not a URL"));
        }
    }
    DevIssuerSettings {
        enabled,
        key_path: PathBuf::from(key_path.trim()),
        issuer: Some(issuer.trim().to_owned()).filter(|s| !s.is_empty()),
        audience: audience
            .first()
            .cloned()
            .unwrap_or_else(|| DEV_AUDIENCE.to_owned()),
        client_id: client_id.trim().to_owned(),
        client_secret: Secret(client_secret),
        scope: r.text("auth.dev_issuer.scope"),
        token_lifetime_secs,
        callback_urls: urls(r, "auth.dev_issuer.callback_urls"),
        logout_urls: urls(r, "auth.dev_issuer.logout_urls"),
    }
}

/// A list of absolute http(s) URLs.
fn urls(r: &mut Reader, key: &str) -> Vec<Url> {
    let mut out = Vec::new();
    for text in r.list(key) {
        match Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                out.push(url)
            }
            _ => r.problem(key, format!("{text:?} is not an http(s) URL")),
        }
    }
    out
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
pub(super) fn parse_jwks_uri(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not a valid URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "{raw:?} uses plain http to a non-loopback host; use https"
        )),
        other => Err(format!("{raw:?} has scheme {other:?}; use https")),
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

pub(super) fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    if name.eq_ignore_ascii_case("none") {
        return Err("\"none\" (unsigned tokens) is never allowed".into());
    }
    match Algorithm::from_str(name) {
        Ok(
            alg @ (Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
            | Algorithm::HS256
            | Algorithm::HS384
            | Algorithm::HS512),
        ) => Ok(alg),
        _ => Err(format!(
            "unsupported algorithm {name:?}; use RS256, RS384, RS512, PS256, PS384, PS512 or HS256, HS384, HS512"
        )),
    }
}

pub fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

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
