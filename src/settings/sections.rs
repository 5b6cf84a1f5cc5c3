//! The sections of the settings, each declared once in its own file (its
//! keys, types, defaults, help and checks) with the rules between its values.

mod app;
mod auth;
mod cache;
mod database;
mod dev_issuer;
mod issuers;
mod observe;
mod rest_framework;
mod server;

use std::sync::LazyLock;

use config::Config;

pub use app::{CorsSettings, TasksSettings};
pub use auth::{AuthSettings, JwksSettings, Tenant};
pub use cache::{CacheSettings, CacheUrl};
pub use database::DatabaseSettings;
pub use dev_issuer::{DEV_AUDIENCE, DevIssuerSettings};
pub use issuers::IssuerSettings;
pub use observe::{LogFormat, LogSettings, MetricsSettings};
pub use rest_framework::{PageSettings, RestFrameworkSettings, RouteKey};
pub use server::ServerSettings;

use super::declare::{Reader, Setting};
use super::{Profile, Settings, SettingsError, Sources};

/// Every setting, in the order of `config/default.toml`.
pub static SETTINGS: LazyLock<Vec<Setting>> = LazyLock::new(|| {
    [
        ServerSettings::SETTINGS,
        DatabaseSettings::SETTINGS,
        AuthSettings::SETTINGS,
        issuers::IssuerEntry::SETTINGS,
        JwksSettings::SETTINGS,
        DevIssuerSettings::SETTINGS,
        RestFrameworkSettings::SETTINGS,
        PageSettings::SETTINGS,
        TasksSettings::SETTINGS,
        CorsSettings::SETTINGS,
        CacheSettings::SETTINGS,
        MetricsSettings::SETTINGS,
        LogSettings::SETTINGS,
    ]
    .concat()
});

/// Turns the merged layers into typed settings, or every problem at once.
/// `problems`: those found before (the unknown keys).
pub(super) fn read(
    profile: Profile,
    config: &Config,
    sources: Sources,
    problems: Vec<String>,
) -> Result<Settings, SettingsError> {
    let mut r = Reader::new(config, &sources);
    r.problems = problems;
    let server = ServerSettings::read(&mut r);
    let database = DatabaseSettings::read(&mut r);
    let mut auth = AuthSettings::read(&mut r);
    auth.settle(&mut r, profile);
    let mut rest_framework = RestFrameworkSettings::read(&mut r);
    rest_framework.settle(&mut r);
    let tasks = TasksSettings::read(&mut r);
    let cors = CorsSettings::read(&mut r);
    let cache = CacheSettings::read(&mut r);
    let metrics = MetricsSettings::read(&mut r);
    let log = LogSettings::read(&mut r);
    if !r.problems.is_empty() {
        return Err(SettingsError::Invalid(r.problems));
    }
    Ok(Settings {
        profile,
        server,
        database,
        auth,
        rest_framework,
        tasks,
        cors,
        cache,
        metrics,
        log,
        sources,
    })
}
