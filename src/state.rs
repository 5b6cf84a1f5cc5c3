//! What every handler and middleware shares, built once at start-up (outside
//! the worker closure, so that all workers share the pool and the key store).

use std::sync::Arc;

use crate::auth::Authenticator;
use crate::auth::dev_issuer::DevIssuer;
use crate::db::Db;
use crate::settings::Settings;

pub struct AppState {
    pub settings: Settings,
    pub db: Db,
    pub authenticator: Authenticator,
    /// While `auth.dev_issuer.enabled`.
    pub dev_issuer: Option<Arc<DevIssuer>>,
}
