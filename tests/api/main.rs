//! The API suite: real server on port 0, real HTTP, a database of each test's
//! own, a JWKS server on loopback. Runs on SQLite, and on PostgreSQL with
//! `TEST_BACKEND=postgres TEST_POSTGRES_URL=…` (`make test` does both when it can).

mod auth;
mod browser_login;
mod cache;
mod cors;
mod dev_issuer;
mod filters;
mod fuzz;
mod helpers;
mod hostile;
mod indexes;
mod issuers;
mod lifecycle;
mod list_settings;
mod logs;
mod metrics;
mod migrations;
mod modules;
mod original_db;
mod ownership;
mod pagination;
mod permissions;
mod plans;
mod project;
mod proxy;
mod request_id;
mod resilience;
mod router;
mod schema;
mod settings;
mod statements;

mod tasks;
mod throttling;
mod token_cache;
