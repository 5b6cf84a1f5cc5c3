//! todoapi: the todo app's back-end. Tasks at `/api/task/`, every request
//! authenticated by default with an Auth0-issued RS256 JWT, policy declared in
//! layered settings the way a Django REST framework project declares it.
//!
//! Where a rule lives: settings in [`settings`], the database in [`db`],
//! authentication and permissions in [`auth`], the endpoints in [`api`], every
//! error body in [`error`], DRF's pagination and filters in [`rest`], the
//! server's assembly in [`startup`].

pub mod auth;
pub mod cache;
pub mod db;
#[cfg(feature = "dev-issuer")]
pub mod dev_issuer;
pub mod error;
pub mod http;
pub mod metrics;
pub mod policy;
pub mod probe;
pub mod resources;
pub mod rest;
pub mod settings;
pub mod startup;
pub mod state;
