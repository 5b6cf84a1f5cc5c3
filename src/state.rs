//! What every handler and middleware shares, built once at start-up (outside
//! the worker closure, so that all workers share the pool and the key store).

use crate::auth::Authenticator;
use crate::cache::Cache;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::settings::Settings;

pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub authenticator: Authenticator,
    /// Django's `CACHES`: the throttles' counts.
    pub cache: Cache,
    /// What `/metrics` exposes; parts record into it as requests go.
    pub metrics: std::sync::Arc<Metrics>,
}
