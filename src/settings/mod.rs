//! This project's settings.py: typed settings loaded once, in layers.
//!
//! Layers, later wins: `config/default.toml` → `config/{APP_ENV}.toml` →
//! `config/local.toml` (optional, git-ignored) → the seed's environment names
//! (`AUTH0_DOMAIN`, `API_IDENTIFIER`, `DATABASE_URL`) → `APP__SECTION__KEY`.
//! Every value remembers where it came from, so a bad one stops start-up with
//! a message naming the key and its source.
//!
//! Here: the typed settings and `load`. `layers.rs`: environment variables as
//! a layer. `validate.rs`: every rule on a value. `describe.rs`: `todoapi check`.

mod database;
mod describe;
mod layers;
pub mod net;
pub mod schema;
mod sources;
mod validate;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use config::{Config, File, FileFormat};
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use url::Url;

use crate::policy::{FilterBackend, Ownership, PaginationClass, PermissionClass, UsernameHandler};
pub use database::{DatabaseUrl, DatabaseUrlError};
use layers::EnvLayer;
pub use net::{IpNet, TrustedProxies};
pub use sources::Sources;
pub use validate::is_hmac;

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
    pub tasks: TasksSettings,
    pub cors: CorsSettings,
    /// Where each effective value came from (`todoapi check` prints it).
    pub sources: Sources,
}

#[derive(Debug, Clone)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    /// 0 = one per core.
    pub workers: usize,
    /// The listening socket's backlog.
    pub backlog: u32,
    pub max_body_bytes: usize,
    /// Request line and headers together; more is 431.
    pub max_header_bytes: usize,
    /// Proxies whose `X-Forwarded-*` headers are believed.
    pub trusted_proxies: TrustedProxies,
    /// On SIGTERM: how long to serve on, closing each connection after its response.
    pub shutdown_drain_secs: u64,
    /// Then: how long requests in flight may take.
    pub shutdown_timeout_secs: u64,
    /// Django's `TIME_ZONE`: what "today" is for a task's default dates.
    pub time_zone: jiff::tz::TimeZone,
    /// Its name as given, for `todoapi check`.
    pub time_zone_name: String,
    /// Static files served at `/` (the SPA in development).
    pub static_dir: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct DatabaseSettings {
    pub url: DatabaseUrl,
    pub pool_size: u32,
    pub migrate_on_start: bool,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone)]
pub struct AuthSettings {
    pub domain: Option<String>,
    /// Empty only outside production: then `aud` is not checked (as DRF with no JWT_AUDIENCE).
    pub audience: Vec<String>,
    /// The Auth0 tenant trusted; `None` when none is configured.
    pub tenant: Option<Tenant>,
    /// More identity providers, in their names' order.
    pub issuers: Vec<IssuerSettings>,
    pub algorithms: Vec<Algorithm>,
    pub leeway_secs: u64,
    /// Verified tokens remembered; 0 = none.
    pub token_cache_size: usize,
    /// How long a remembered token's user row is believed.
    pub user_cache_secs: u64,
    pub header_prefix: String,
    pub username_handler: UsernameHandler,
    /// Shared secret for HS* algorithms.
    pub secret: Option<Secret>,
    pub jwks: JwksSettings,
    pub dev_issuer: DevIssuerSettings,
}

/// Another identity provider (`auth.issuers.<name>`): its `iss`, its keys,
/// and what its tokens must carry.
#[derive(Debug, Clone)]
pub struct IssuerSettings {
    /// The entry's name in settings.
    pub name: String,
    pub issuer: String,
    pub jwks_uri: Url,
    /// Empty only outside production: then `aud` is not checked.
    pub audience: Vec<String>,
    pub algorithms: Vec<Algorithm>,
    pub username_handler: UsernameHandler,
}

/// An identity provider: the exact `iss` of its tokens and where its keys are.
#[derive(Debug, Clone)]
pub struct Tenant {
    /// `auth.issuer`, default `https://{domain}/`.
    pub issuer: String,
    /// `auth.jwks_uri`, default `https://{domain}/.well-known/jwks.json`.
    pub jwks_uri: Url,
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
    /// Where `/authorize` may redirect, besides the server's own origin.
    pub callback_urls: Vec<Url>,
    /// Where `/v2/logout` may redirect, besides the server's own origin.
    pub logout_urls: Vec<Url>,
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
    /// For routes that declare no classes in code.
    pub default_permission_classes: Vec<PermissionClass>,
    /// Route name → permission classes; wins over what the route declares in
    /// code. The names are checked against the router's at start-up.
    pub permissions: BTreeMap<String, Vec<PermissionClass>>,
    /// DRF's `DEFAULT_PAGINATION_CLASS`; `None`: lists are bare arrays.
    pub default_pagination_class: Option<PaginationClass>,
    /// Route name → its class (`None`: unpaginated); wins over the default.
    pub pagination: BTreeMap<String, Option<PaginationClass>>,
    /// How pages are sized (`page_size` and the client's say in it).
    pub page: PageSettings,
    /// DRF's `DEFAULT_FILTER_BACKENDS`.
    pub default_filter_backends: Vec<FilterBackend>,
    /// Route name → its backends; wins over the default.
    pub filters: BTreeMap<String, Vec<FilterBackend>>,
    /// DRF's `SEARCH_PARAM` and `ORDERING_PARAM`.
    pub search_param: String,
    pub ordering_param: String,
    /// Every setting that names a route, for the check that the route exists.
    pub route_keys: Vec<RouteKey>,
}

/// DRF's `PAGE_SIZE` and the paginators' `page_size_query_param`,
/// `max_page_size` and `max_limit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageSettings {
    /// Items per page, and `LimitOffsetPagination`'s default limit; 0 = unset.
    pub page_size: u64,
    /// The query parameter a client may set the page size with; `None`: it may not.
    pub page_size_query_param: Option<String>,
    /// The most `page_size_query_param` may ask for.
    pub max_page_size: u64,
    /// The most `?limit=` may ask for.
    pub max_limit: u64,
}

/// A setting below a route name (`rest_framework.permissions.task-list`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteKey {
    /// The route it names, as the router names routes.
    pub route: String,
    /// The key and where it came from, for messages.
    pub key: String,
    /// Only a route that lists may have it (pagination, filters).
    pub lists: bool,
}

#[derive(Debug, Clone)]
pub struct TasksSettings {
    pub ownership: Ownership,
}

#[derive(Debug, Clone)]
pub struct CorsSettings {
    /// Empty: CORS off.
    pub allowed_origins: Vec<String>,
}

/// Why settings could not be loaded: every problem, each naming its key and source.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Load(String),
    #[error("invalid settings:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Invalid(Vec<String>),
}

impl Settings {
    /// `host:port` to bind.
    pub fn bind_address(&self) -> String {
        format!("{}:{}", self.server.host, self.server.port)
    }

    /// `http://host:port` at which this machine reaches the server (a
    /// wildcard bind address is reached on loopback).
    pub fn local_base_url(&self, port: u16) -> String {
        match self.server.host.as_str() {
            "0.0.0.0" | "::" | "[::]" | "" => format!("http://127.0.0.1:{port}"),
            host if host.contains(':') && !host.starts_with('[') => {
                format!("http://[{host}]:{port}")
            }
            host => format!("http://{host}:{port}"),
        }
    }
}

// ---------------------------------------------------------------------------
// Loading.

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

    let mut layers: Vec<(String, Config)> = Vec::new();
    for layer in env_layers.iter().rev() {
        for (key, value, variable) in layer.entries() {
            let single = Config::builder()
                .set_override(key, value)
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
    let sources = Sources {
        layers: Arc::new(layers),
        merged: Arc::new(config.clone()),
    };
    validate::validate(profile, &config, sources)
}
