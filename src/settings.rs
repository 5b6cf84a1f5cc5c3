//! This project's settings.py: typed settings loaded once, in layers.
//!
//! Layers, later wins: `config/default.toml` → `config/{APP_ENV}.toml` →
//! `config/local.toml` (optional, git-ignored) → the seed's environment names
//! (`AUTH0_DOMAIN`, `API_IDENTIFIER`, `DATABASE_URL`) → `APP__SECTION__KEY`.
//! Every value remembers where it came from, so a bad one stops start-up with
//! a message naming the key and its origin.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use config::{Config, ConfigError, File, FileFormat, Source, Value, ValueKind};
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use url::Url;

use crate::auth::permissions::Permission;
use crate::auth::users::UsernameHandler;

/// Prefix of the environment variables that override settings.
pub const ENV_PREFIX: &str = "APP__";
/// The seed's own variable names, accepted below `APP__…` in precedence.
const ALIASES: &[(&str, &str)] = &[
    ("AUTH0_DOMAIN", "auth.domain"),
    ("API_IDENTIFIER", "auth.audience"),
    ("DATABASE_URL", "database.url"),
];
/// Keys whose environment value is a comma-separated list.
const LIST_KEYS: &[&str] = &["auth.audience", "auth.algorithms", "cors.allowed_origins"];
/// Route names that `rest_framework.permissions` may name (DRF's router names).
pub const ROUTE_NAMES: &[&str] = &["api-root", "task-list", "task-detail", "health", "ready"];
/// actix-web's own limit on a request head.
const MAX_HEADER_BYTES_CEILING: usize = 128 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    Development,
    Test,
    Production,
}

impl Profile {
    pub fn name(self) -> &'static str {
        match self {
            Profile::Development => "development",
            Profile::Test => "test",
            Profile::Production => "production",
        }
    }
}

impl FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "development" => Ok(Profile::Development),
            "test" => Ok(Profile::Test),
            "production" => Ok(Profile::Production),
            other => Err(format!(
                "APP_ENV is {other:?}; expected development, test or production"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub profile: Profile,
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub auth: AuthSettings,
    pub rest_framework: RestFrameworkSettings,
    pub cors: CorsSettings,
    /// Where each effective value came from (`todoapi check` prints it).
    pub origins: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// 0 = one per core.
    pub workers: usize,
    pub max_body_bytes: usize,
    /// Request line and headers together; more is 431.
    pub max_header_bytes: usize,
    /// Build absolute URLs from `X-Forwarded-Proto`/`X-Forwarded-Host` (behind a trusted proxy).
    pub trust_proxy_headers: bool,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    pub migrate_on_start: bool,
    pub timeout_secs: u64,
}

/// The backend follows the URL: `postgres://…` or a SQLite path (`sqlite://` optional).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Url::parse(raw).map_err(|e| format!("not a valid PostgreSQL URL ({e})"))?;
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        let path = raw.strip_prefix("sqlite://").unwrap_or(raw);
        if path.is_empty() {
            return Err("is empty; give a SQLite file path or a postgres:// URL".into());
        }
        if path.contains("://") {
            return Err("has an unknown scheme; use a SQLite file path or postgres://".into());
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// The URL with any password replaced, for logs and `todoapi check`.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            DatabaseUrl::Postgres(raw) => match Url::parse(raw) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("********"));
                    url.to_string()
                }
                _ => raw.clone(),
            },
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub domain: Option<String>,
    /// Empty only outside production: then `aud` is not checked (as DRF with no JWT_AUDIENCE).
    pub audience: Vec<String>,
    /// `None` when no tenant is configured: no token can be verified.
    pub issuer: Option<String>,
    pub jwks_uri: Option<Url>,
    pub algorithms: Vec<Algorithm>,
    pub leeway_secs: u64,
    pub header_prefix: String,
    pub username_handler: UsernameHandler,
    /// Shared secret for HS* algorithms.
    pub secret: Option<Secret>,
    pub jwks: JwksSettings,
    pub dev_issuer: DevIssuerSettings,
}

/// The built-in development issuer (`auth.dev_issuer`): a local stand-in for
/// an Auth0 tenant, so that a fresh checkout works with no account and no network.
#[derive(Debug, Clone)]
pub struct DevIssuerSettings {
    pub enabled: bool,
    /// The RSA key, created on first run (mode 0600) and reused.
    pub key_path: PathBuf,
    /// `iss`; empty means the server's own base URL.
    pub issuer: Option<String>,
    /// `aud` of its tokens: `auth.audience`'s first value, else `todoapi`.
    pub audience: String,
    pub client_id: String,
    pub client_secret: Secret,
    pub scope: String,
    pub token_lifetime_secs: u64,
}

/// The audience of development tokens when `auth.audience` names none.
pub const DEV_AUDIENCE: &str = "todoapi";

/// How the tenant's key set is fetched and cached (`auth.jwks`).
#[derive(Debug, Clone, Deserialize)]
pub struct JwksSettings {
    /// Background refresh period.
    pub refresh_secs: u64,
    /// An unknown `kid` refetches only if the last fetch is older than this.
    pub cooldown_secs: u64,
    /// Per fetch: connect and response.
    pub timeout_secs: u64,
    /// Ceiling of the retry backoff while fetches fail.
    pub retry_max_secs: u64,
    /// Floor of an early refresh asked for by the response's `Cache-Control: max-age`.
    pub min_refresh_secs: u64,
    /// Fetched keys stay trusted this long while refreshes fail; then tokens get 503.
    pub max_stale_secs: u64,
}

/// A value that never shows in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"********\"")
    }
}

#[derive(Debug, Clone)]
pub struct RestFrameworkSettings {
    pub default_permission: Permission,
    /// Route name → permission class; wins over what the route declares in code.
    pub permissions: BTreeMap<String, Permission>,
}

#[derive(Debug, Clone)]
pub struct CorsSettings {
    /// Empty: CORS off.
    pub allowed_origins: Vec<String>,
}

/// Why settings could not be loaded: every problem, each naming its key and origin.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Load(String),
    #[error("invalid settings:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

// ---------------------------------------------------------------------------
// Raw layer: what the files and variables say, before validation.

#[derive(Debug, Deserialize)]
struct Raw {
    server: RawServer,
    database: RawDatabase,
    auth: RawAuth,
    rest_framework: RawRestFramework,
    cors: RawCors,
}

#[derive(Debug, Deserialize)]
struct RawServer {
    host: String,
    port: u16,
    workers: usize,
    max_body_bytes: usize,
    max_header_bytes: usize,
    trust_proxy_headers: bool,
}

#[derive(Debug, Deserialize)]
struct RawDatabase {
    url: String,
    pool_size: u32,
    migrate_on_start: bool,
    timeout_secs: u64,
}

#[derive(Debug, Deserialize)]
struct RawAuth {
    #[serde(default)]
    domain: String,
    #[serde(default)]
    audience: OneOrMany,
    #[serde(default)]
    issuer: String,
    #[serde(default)]
    jwks_uri: String,
    algorithms: OneOrMany,
    leeway_secs: u64,
    header_prefix: String,
    username_handler: String,
    #[serde(default)]
    secret: String,
    jwks: JwksSettings,
    dev_issuer: RawDevIssuer,
}

#[derive(Debug, Deserialize)]
struct RawDevIssuer {
    enabled: bool,
    key_path: String,
    #[serde(default)]
    issuer: String,
    client_id: String,
    client_secret: String,
    scope: String,
    token_lifetime_secs: u64,
}

#[derive(Debug, Deserialize)]
struct RawRestFramework {
    default_permission: String,
    #[serde(default)]
    permissions: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
struct RawCors {
    #[serde(default)]
    allowed_origins: OneOrMany,
}

/// A string or a list of strings (`audience = "x"` or `audience = ["x", "y"]`).
#[derive(Debug, Default, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    #[default]
    None,
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::None => Vec::new(),
            OneOrMany::One(s) if s.trim().is_empty() => Vec::new(),
            OneOrMany::One(s) => vec![s.trim().to_owned()],
            OneOrMany::Many(v) => v
                .into_iter()
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect(),
        }
    }
}

/// Environment variables as a settings layer, each value tagged with its variable's name.
#[derive(Debug, Clone)]
struct EnvLayer {
    entries: Vec<(String, String, String)>, // (key, value, variable)
}

impl EnvLayer {
    fn prefixed(env: &HashMap<String, String>) -> Self {
        let entries = env
            .iter()
            .filter_map(|(name, value)| {
                let rest = name.strip_prefix(ENV_PREFIX)?;
                let key = rest.to_lowercase().replace("__", ".");
                Some((key, value.clone(), name.clone()))
            })
            .collect();
        EnvLayer { entries }
    }

    fn aliases(env: &HashMap<String, String>) -> Self {
        let entries = ALIASES
            .iter()
            .filter_map(|(name, key)| {
                let value = env.get(*name)?;
                Some((key.to_string(), value.clone(), name.to_string()))
            })
            .collect();
        EnvLayer { entries }
    }
}

impl Source for EnvLayer {
    fn clone_into_box(&self) -> Box<dyn Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<config::Map<String, Value>, ConfigError> {
        let mut map = config::Map::new();
        for (key, value, variable) in &self.entries {
            let origin = format!("environment variable {variable}");
            let kind = if LIST_KEYS.contains(&key.as_str()) {
                ValueKind::Array(
                    value
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|s| Value::new(Some(&origin), ValueKind::String(s.to_owned())))
                        .collect(),
                )
            } else {
                ValueKind::String(value.clone())
            };
            map.insert(key.clone(), Value::new(Some(&origin), kind));
        }
        Ok(map)
    }
}

// ---------------------------------------------------------------------------
// Loading and validation.

/// The folder holding `default.toml` and the profile files: `APP_CONFIG_DIR`, else `./config`.
pub fn config_dir(env: &HashMap<String, String>) -> PathBuf {
    env.get("APP_CONFIG_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("config"))
}

/// Load from the process environment.
pub fn load_from_process_env() -> Result<Settings, SettingsError> {
    let env: HashMap<String, String> = std::env::vars().collect();
    load(&config_dir(&env), &env)
}

/// Load the layers from `dir` and the given environment (tests pass their own map).
pub fn load(dir: &Path, env: &HashMap<String, String>) -> Result<Settings, SettingsError> {
    let profile = match env.get("APP_ENV").map(|s| s.trim()) {
        None | Some("") => Profile::Development,
        Some(name) => name.parse().map_err(SettingsError::Load)?,
    };
    let default_file = dir.join("default.toml");
    if !default_file.is_file() {
        return Err(SettingsError::Load(format!(
            "settings file {} not found (run from the project folder, or set APP_CONFIG_DIR)",
            default_file.display()
        )));
    }
    let files: Vec<PathBuf> = [
        "default.toml".to_owned(),
        format!("{}.toml", profile.name()),
        "local.toml".to_owned(),
    ]
    .iter()
    .map(|name| dir.join(name))
    .collect();
    let file_source = |path: &Path| File::from(path).format(FileFormat::Toml).required(false);
    let env_layers = [EnvLayer::aliases(env), EnvLayer::prefixed(env)];
    let mut builder = Config::builder();
    for path in &files {
        builder = builder.add_source(file_source(path));
    }
    for layer in &env_layers {
        builder = builder.add_source(layer.clone());
    }
    let config = builder
        .build()
        .map_err(|e| SettingsError::Load(format!("cannot read settings: {e}")))?;
    let raw: Raw = config
        .clone()
        .try_deserialize()
        .map_err(|e| SettingsError::Load(format!("invalid settings: {e}")))?;

    // Each layer alone, highest first, to tell where a value came from
    // (config keeps an origin per value but loses it on the way out).
    let mut layers: Vec<(String, Config)> = Vec::new();
    for layer in env_layers.iter().rev() {
        for (key, _, variable) in &layer.entries {
            let single = Config::builder()
                .set_override(key.as_str(), "x")
                .and_then(|b| b.build());
            if let Ok(single) = single {
                layers.push((format!("environment variable {variable}"), single));
            }
        }
    }
    for path in files.iter().rev() {
        if let Ok(single) = Config::builder().add_source(file_source(path)).build() {
            layers.push((path.display().to_string(), single));
        }
    }
    validate(profile, raw, &layers)
}

/// Turns the raw layer into typed settings, collecting every problem.
fn validate(
    profile: Profile,
    raw: Raw,
    layers: &[(String, Config)],
) -> Result<Settings, SettingsError> {
    let origin = |key: &str| -> String {
        layers
            .iter()
            .find(|(_, layer)| layer.get::<Value>(key).is_ok())
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| "built-in default".to_owned())
    };
    let mut problems: Vec<String> = Vec::new();
    let mut problem = |key: &str, msg: String| {
        problems.push(format!("{key} (from {}): {msg}", origin(key)));
    };
    let production = profile == Profile::Production;

    // server
    if raw.server.host.trim().is_empty() {
        problem("server.host", "must not be empty".into());
    } else if raw.server.host.parse::<IpAddr>().is_err()
        && !raw
            .server
            .host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
    {
        problem(
            "server.host",
            format!("{:?} is not an IP address or host name", raw.server.host),
        );
    }
    if raw.server.max_body_bytes == 0 {
        problem("server.max_body_bytes", "must be greater than 0".into());
    }
    // actix-web refuses request heads over 128 KiB itself, with an empty 431.
    if !(1024..=MAX_HEADER_BYTES_CEILING).contains(&raw.server.max_header_bytes) {
        problem(
            "server.max_header_bytes",
            format!("must be between 1024 and {MAX_HEADER_BYTES_CEILING}"),
        );
    }

    // database
    let db_url = match DatabaseUrl::parse(&raw.database.url) {
        Ok(url) => url,
        Err(msg) => {
            problem("database.url", msg);
            DatabaseUrl::Sqlite(PathBuf::from("invalid"))
        }
    };
    if raw.database.timeout_secs == 0 {
        problem("database.timeout_secs", "must be greater than 0".into());
    }

    // auth
    let domain = raw.auth.domain.trim().to_owned();
    if !domain.is_empty()
        && (domain.contains('/') || domain.contains(':') || domain.contains(char::is_whitespace))
    {
        problem(
            "auth.domain",
            format!("{domain:?} must be a bare host name such as \"example.auth0.com\", not a URL"),
        );
    }
    let issuer = match (raw.auth.issuer.trim(), domain.is_empty()) {
        ("", true) => None,
        ("", false) => Some(format!("https://{domain}/")),
        (iss, _) => Some(iss.to_owned()),
    };
    let jwks_uri = match (raw.auth.jwks_uri.trim(), domain.is_empty()) {
        ("", true) => None,
        ("", false) => Url::parse(&format!("https://{domain}/.well-known/jwks.json")).ok(),
        (uri, _) => match parse_jwks_uri(uri) {
            Ok(url) => Some(url),
            Err(msg) => {
                problem("auth.jwks_uri", msg);
                None
            }
        },
    };
    if issuer.is_some() != (jwks_uri.is_some() || !raw.auth.jwks_uri.trim().is_empty()) {
        problem(
            "auth.issuer",
            "auth.issuer and auth.jwks_uri go together: set auth.domain, or both".into(),
        );
    }
    if production && issuer.is_none() {
        problem(
            "auth.domain",
            "must be set in production (or auth.issuer and auth.jwks_uri)".into(),
        );
    }
    let audience = raw.auth.audience.into_vec();
    if production && audience.is_empty() {
        problem(
            "auth.audience",
            "must be set in production: without it any token of the tenant would be accepted"
                .into(),
        );
    }
    let secret = Some(raw.auth.secret.clone())
        .filter(|s| !s.is_empty())
        .map(Secret);
    let mut algorithms = Vec::new();
    let alg_names = raw.auth.algorithms.into_vec();
    if alg_names.is_empty() {
        problem("auth.algorithms", "must name at least one algorithm".into());
    }
    for name in alg_names {
        match parse_algorithm(&name) {
            Ok(alg) => {
                if is_hmac(alg) && secret.is_none() {
                    problem(
                        "auth.algorithms",
                        format!("{name} needs a shared secret in auth.secret"),
                    );
                }
                algorithms.push(alg);
            }
            Err(msg) => problem("auth.algorithms", msg),
        }
    }
    if raw.auth.jwks.timeout_secs == 0 {
        problem("auth.jwks.timeout_secs", "must be greater than 0".into());
    }
    if raw.auth.jwks.refresh_secs == 0 {
        problem("auth.jwks.refresh_secs", "must be greater than 0".into());
    }
    if raw.auth.jwks.retry_max_secs == 0 {
        problem("auth.jwks.retry_max_secs", "must be greater than 0".into());
    }
    if raw.auth.jwks.max_stale_secs == 0 {
        problem("auth.jwks.max_stale_secs", "must be greater than 0".into());
    }
    let dev = raw.auth.dev_issuer;
    if dev.enabled && production {
        problem(
            "auth.dev_issuer.enabled",
            "must be false in production: the development issuer signs tokens for anyone who asks"
                .into(),
        );
    }
    if dev.enabled {
        if dev.key_path.trim().is_empty() {
            problem("auth.dev_issuer.key_path", "must not be empty".into());
        }
        if dev.client_id.trim().is_empty() || dev.client_secret.is_empty() {
            problem(
                "auth.dev_issuer.client_id",
                "the development issuer needs a client id and a client secret".into(),
            );
        }
        if dev.token_lifetime_secs == 0 {
            problem(
                "auth.dev_issuer.token_lifetime_secs",
                "must be greater than 0".into(),
            );
        }
        if !dev.issuer.trim().is_empty() && Url::parse(dev.issuer.trim()).is_err() {
            problem(
                "auth.dev_issuer.issuer",
                format!("{:?} is not a URL", dev.issuer),
            );
        }
    }
    let dev_issuer = DevIssuerSettings {
        enabled: dev.enabled,
        key_path: PathBuf::from(dev.key_path.trim()),
        issuer: Some(dev.issuer.trim().to_owned()).filter(|s| !s.is_empty()),
        audience: audience
            .first()
            .cloned()
            .unwrap_or_else(|| DEV_AUDIENCE.to_owned()),
        client_id: dev.client_id.trim().to_owned(),
        client_secret: Secret(dev.client_secret),
        scope: dev.scope,
        token_lifetime_secs: dev.token_lifetime_secs,
    };
    let header_prefix = raw.auth.header_prefix.trim().to_owned();
    if header_prefix.is_empty() || header_prefix.contains(char::is_whitespace) {
        problem(
            "auth.header_prefix",
            "must be one word, such as \"Bearer\"".into(),
        );
    }
    let username_handler = match raw.auth.username_handler.parse::<UsernameHandler>() {
        Ok(h) => h,
        Err(msg) => {
            problem("auth.username_handler", msg);
            UsernameHandler::Auth0User
        }
    };

    // rest_framework
    let default_permission = match raw.rest_framework.default_permission.parse::<Permission>() {
        Ok(p) => p,
        Err(msg) => {
            problem("rest_framework.default_permission", msg);
            Permission::IsAuthenticated
        }
    };
    let mut permissions = BTreeMap::new();
    for (route, class) in raw.rest_framework.permissions {
        // Environment variable names cannot hold '-': TASK_LIST means task-list.
        let name = route.to_lowercase().replace('_', "-");
        let key = format!("rest_framework.permissions.{route}");
        if !ROUTE_NAMES.contains(&name.as_str()) {
            problem(
                &key,
                format!(
                    "unknown route {route:?}; routes are {}",
                    ROUTE_NAMES.join(", ")
                ),
            );
            continue;
        }
        match class.parse::<Permission>() {
            Ok(p) => {
                permissions.insert(name, p);
            }
            Err(msg) => problem(&key, msg),
        }
    }

    // cors
    let allowed_origins = raw.cors.allowed_origins.into_vec();
    for o in &allowed_origins {
        if let Err(msg) = check_origin(o) {
            problem("cors.allowed_origins", msg);
        }
    }

    if !problems.is_empty() {
        return Err(SettingsError::Invalid(problems));
    }

    let mut origins = BTreeMap::new();
    for key in KNOWN_KEYS {
        origins.insert(key.to_string(), origin(key));
    }
    Ok(Settings {
        profile,
        server: ServerSettings {
            host: raw.server.host,
            port: raw.server.port,
            workers: raw.server.workers,
            max_body_bytes: raw.server.max_body_bytes,
            max_header_bytes: raw.server.max_header_bytes,
            trust_proxy_headers: raw.server.trust_proxy_headers,
        },
        database: DatabaseSettings {
            url: db_url,
            pool_size: raw.database.pool_size,
            migrate_on_start: raw.database.migrate_on_start,
            timeout_secs: raw.database.timeout_secs,
        },
        auth: AuthSettings {
            domain: Some(domain).filter(|d| !d.is_empty()),
            audience,
            issuer,
            jwks_uri,
            algorithms,
            leeway_secs: raw.auth.leeway_secs,
            header_prefix,
            username_handler,
            secret,
            jwks: raw.auth.jwks,
            dev_issuer,
        },
        rest_framework: RestFrameworkSettings {
            default_permission,
            permissions,
        },
        cors: CorsSettings { allowed_origins },
        origins,
    })
}

/// Keys reported by `todoapi check`.
const KNOWN_KEYS: &[&str] = &[
    "server.host",
    "server.port",
    "server.workers",
    "server.max_body_bytes",
    "server.max_header_bytes",
    "server.trust_proxy_headers",
    "database.url",
    "database.pool_size",
    "database.migrate_on_start",
    "database.timeout_secs",
    "auth.domain",
    "auth.audience",
    "auth.issuer",
    "auth.jwks_uri",
    "auth.algorithms",
    "auth.leeway_secs",
    "auth.header_prefix",
    "auth.username_handler",
    "auth.secret",
    "auth.jwks.refresh_secs",
    "auth.jwks.cooldown_secs",
    "auth.jwks.timeout_secs",
    "auth.jwks.retry_max_secs",
    "auth.jwks.min_refresh_secs",
    "auth.jwks.max_stale_secs",
    "auth.dev_issuer.enabled",
    "auth.dev_issuer.key_path",
    "auth.dev_issuer.issuer",
    "auth.dev_issuer.client_id",
    "auth.dev_issuer.client_secret",
    "auth.dev_issuer.scope",
    "auth.dev_issuer.token_lifetime_secs",
    "rest_framework.default_permission",
    "rest_framework.permissions",
    "cors.allowed_origins",
];

/// https anywhere; plain http only to loopback (tests and development).
pub fn parse_jwks_uri(raw: &str) -> Result<Url, String> {
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

fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
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

impl Settings {
    /// `host:port` to bind.
    pub fn bind_address(&self) -> String {
        format!("{}:{}", self.server.host, self.server.port)
    }

    /// Effective settings as `key = value  # origin` lines, secrets redacted.
    pub fn describe(&self) -> String {
        let list = |v: &[String]| format!("{v:?}");
        let algs: Vec<String> = self
            .auth
            .algorithms
            .iter()
            .map(|a| format!("{a:?}"))
            .collect();
        let permissions: Vec<String> = self
            .rest_framework
            .permissions
            .iter()
            .map(|(k, v)| format!("{k} = {}", v.name()))
            .collect();
        let rows: Vec<(&str, String)> = vec![
            ("server.host", format!("{:?}", self.server.host)),
            ("server.port", self.server.port.to_string()),
            ("server.workers", self.server.workers.to_string()),
            (
                "server.max_body_bytes",
                self.server.max_body_bytes.to_string(),
            ),
            (
                "server.max_header_bytes",
                self.server.max_header_bytes.to_string(),
            ),
            (
                "server.trust_proxy_headers",
                self.server.trust_proxy_headers.to_string(),
            ),
            (
                "database.url",
                format!("{:?}", self.database.url.redacted()),
            ),
            ("database.pool_size", self.database.pool_size.to_string()),
            (
                "database.migrate_on_start",
                self.database.migrate_on_start.to_string(),
            ),
            (
                "database.timeout_secs",
                self.database.timeout_secs.to_string(),
            ),
            (
                "auth.domain",
                format!("{:?}", self.auth.domain.clone().unwrap_or_default()),
            ),
            ("auth.audience", list(&self.auth.audience)),
            (
                "auth.issuer",
                format!("{:?}", self.auth.issuer.clone().unwrap_or_default()),
            ),
            (
                "auth.jwks_uri",
                format!(
                    "{:?}",
                    self.auth
                        .jwks_uri
                        .as_ref()
                        .map(Url::to_string)
                        .unwrap_or_default()
                ),
            ),
            ("auth.algorithms", list(&algs)),
            ("auth.leeway_secs", self.auth.leeway_secs.to_string()),
            (
                "auth.header_prefix",
                format!("{:?}", self.auth.header_prefix),
            ),
            (
                "auth.username_handler",
                format!("{:?}", self.auth.username_handler.to_string()),
            ),
            (
                "auth.secret",
                if self.auth.secret.is_some() {
                    "\"********\"".into()
                } else {
                    "\"\"".into()
                },
            ),
            (
                "auth.jwks.refresh_secs",
                self.auth.jwks.refresh_secs.to_string(),
            ),
            (
                "auth.jwks.cooldown_secs",
                self.auth.jwks.cooldown_secs.to_string(),
            ),
            (
                "auth.jwks.timeout_secs",
                self.auth.jwks.timeout_secs.to_string(),
            ),
            (
                "auth.jwks.retry_max_secs",
                self.auth.jwks.retry_max_secs.to_string(),
            ),
            (
                "auth.dev_issuer.enabled",
                self.auth.dev_issuer.enabled.to_string(),
            ),
            (
                "auth.dev_issuer.key_path",
                format!("{:?}", self.auth.dev_issuer.key_path.display().to_string()),
            ),
            (
                "auth.dev_issuer.issuer",
                format!(
                    "{:?}",
                    self.auth.dev_issuer.issuer.clone().unwrap_or_default()
                ),
            ),
            (
                "auth.dev_issuer.client_id",
                format!("{:?}", self.auth.dev_issuer.client_id),
            ),
            ("auth.dev_issuer.client_secret", "\"********\"".into()),
            (
                "auth.dev_issuer.scope",
                format!("{:?}", self.auth.dev_issuer.scope),
            ),
            (
                "auth.dev_issuer.token_lifetime_secs",
                self.auth.dev_issuer.token_lifetime_secs.to_string(),
            ),
            (
                "rest_framework.default_permission",
                format!("{:?}", self.rest_framework.default_permission.name()),
            ),
            (
                "rest_framework.permissions",
                format!("{{{}}}", permissions.join(", ")),
            ),
            ("cors.allowed_origins", list(&self.cors.allowed_origins)),
        ];
        let mut out = format!("# APP_ENV = {}\n", self.profile.name());
        for (key, value) in rows {
            let from = self
                .origins
                .get(key)
                .map(String::as_str)
                .unwrap_or("built-in default");
            out.push_str(&format!("{key} = {value}  # {from}\n"));
        }
        out
    }
}
