//! The API's resources, each in one file: its model access, serializer and
//! viewset (`tasks.rs`), or a plain view (`health.rs`, `ready.rs`).
//!
//! Adding a resource: write its file, its table in a migration, and add one
//! line to [`router`].

pub mod health;
pub mod ready;
pub mod tasks;

use crate::rest::router::Router;
use crate::settings::TasksSettings;

/// Every route of the API.
pub fn router(tasks: &TasksSettings) -> Router {
    let mut router = Router::new();
    router
        .register(tasks::viewset(tasks.ownership))
        .route(health::route())
        .route(ready::route());
    router
}
