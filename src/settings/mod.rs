//! This project's settings.py: typed settings loaded once, in layers.
//!
//! Layers, later wins: `config/default.toml` → `config/{APP_ENV}.toml` →
//! `config/local.toml` (optional, git-ignored) → the seed's environment names
//! (`AUTH0_DOMAIN`, `API_IDENTIFIER`, `DATABASE_URL`) → `APP__SECTION__KEY`.
//! Every value remembers where it came from, so a bad one stops start-up with
//! a message naming the key and its source.
//!
//! Here: the settings and `load`. `sections/`: each section declared once
//! (keys, types, defaults, help, checks: `declare.rs`'s `section!`) with its
//! rules, read from the merged layers. `layers.rs`: environment
//! variables as a layer. `schema.rs`: the rows every section declares, as
//! `config/default.toml` and docs/configuration.md. `describe.rs`: `todoapi check`.

mod database_url;
mod declare;
mod describe;
mod layers;
pub mod net;
pub mod schema;
mod sections;
mod sources;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use config::{Config, File, FileFormat};

pub use database_url::{DatabaseUrl, DatabaseUrlError};
pub use declare::{KeySetUrl, PerRoute, TimeZone, is_hmac};
use layers::EnvLayer;
pub use net::{IpNet, TrustedProxies};
pub use sections::{
    AuthSettings, CacheSettings, CacheUrl, CorsSettings, DEV_AUDIENCE, DatabaseSettings,
    DevIssuerSettings, IssuerSettings, JwksSettings, PageSettings, RestFrameworkSettings, RouteKey,
    ServerSettings, TasksSettings, Tenant,
};
pub use sections::{LogFormat, LogSettings, MetricsSettings};
pub use sources::Sources;

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
    pub cache: CacheSettings,
    pub metrics: MetricsSettings,
    pub log: LogSettings,
    /// Where each effective value came from (`todoapi check` prints it).
    pub sources: Sources,
}

/// A value that never shows in logs or `Debug` output, and is wiped from
/// memory when dropped (`secrecy`).
pub struct Secret(secrecy::SecretBox<String>);

/// A copy is a secret of its own, wiped on its own drop.
impl Clone for Secret {
    fn clone(&self) -> Self {
        Secret::new(self.expose().to_owned())
    }
}

impl Secret {
    pub fn new(value: String) -> Self {
        Secret(secrecy::SecretBox::new(Box::new(value)))
    }

    pub fn expose(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.0)
    }
}

impl Default for Secret {
    fn default() -> Self {
        Secret::new(String::new())
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("\"********\"")
    }
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
    let unknown = schema::unknown_keys(&sources);
    sections::read(profile, &config, sources, unknown)
}
