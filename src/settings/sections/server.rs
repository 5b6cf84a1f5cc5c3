//! `[server]`: where to listen, how much a request may carry, which proxies
//! are believed, how a SIGTERM drains, and what "today" is.

use std::net::IpAddr;
use std::path::PathBuf;

use crate::settings::TrustedProxies;
use crate::settings::declare::{TimeZone, between, positive, section};

/// actix-web's own limit on a request head: beyond it, an empty 431.
const MAX_HEADER_BYTES_CEILING: usize = 128 * 1024;

section! {
    pub struct ServerSettings at "server" {
        /// address to listen on
        pub host: String = r#""127.0.0.1""#, check host;
        /// port (0 = any free port)
        pub port: u16 = "8000";
        /// worker threads; 0 = one per CPU core
        pub workers: usize = "0";
        /// connections the kernel may queue before they are accepted (a burst beyond it waits a second); 1 to 65535
        pub backlog: u32 = "2048", check between(1, 65535);
        /// larger request bodies get 413
        pub max_body_bytes: usize = "65536", check positive;
        /// request line and headers; more gets 431 (1024 to 131072)
        pub max_header_bytes: usize = "16384", check between(1024, MAX_HEADER_BYTES_CEILING);
        /// proxies (addresses or CIDRs, e.g. "10.0.0.0/8") whose X-Forwarded-For/-Proto/-Host are believed; empty = none
        pub trusted_proxies: TrustedProxies = "[]";
        /// on SIGTERM, first keep serving this long with every response closing its connection (proxies move off)
        pub shutdown_drain_secs: u64 = "3";
        /// then: stop accepting, let in-flight requests finish for up to this, and exit 0
        pub shutdown_timeout_secs: u64 = "30";
        /// Django's TIME_ZONE: "today" for a new task's dates (an IANA name, e.g. Europe/Paris)
        pub time_zone: TimeZone = r#""UTC""#;
        /// a folder of static files served at / (the SPA in development); empty = none
        pub static_dir: Option<PathBuf> = r#""""#;
    }
}

/// An IP address or a host name.
fn host(host: &str) -> Result<(), String> {
    if host.trim().is_empty() {
        return Err("must not be empty".into());
    }
    let name = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.');
    match host.parse::<IpAddr>().is_ok() || name {
        true => Ok(()),
        false => Err(format!("{host:?} is not an IP address or host name")),
    }
}
