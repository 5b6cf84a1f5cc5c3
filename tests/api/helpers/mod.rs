//! Test fixtures, one file per concern: keys and tokens, a JWKS server the
//! test controls, a database of the test's own, the application (a fresh
//! server on port 0, the binary, the HTTP client), faults, dates and Redis.
//!
//! The backend: SQLite, unless `TEST_BACKEND=postgres`, then the database
//! server at `TEST_POSTGRES_URL` (see the Makefile's `test` target).

mod app;
mod dates;
mod db;
mod exposition;
mod faults;
mod jwks;
mod redis;
mod tokens;

pub use app::*;
pub use dates::*;
pub use db::*;
pub use exposition::*;
pub use faults::*;
pub use jwks::*;
pub use redis::*;
pub use tokens::*;
