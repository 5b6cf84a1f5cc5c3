//! The `todoapi` command's parts, beside `main.rs` (the binary's, not the
//! library's): the server, the database commands, the development issuer.

pub mod database;
pub mod dev;
pub mod serve;
