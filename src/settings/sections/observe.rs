//! `[metrics]` and `[log]`: what operators see of a running server.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use crate::settings::declare::section;

section! {
    pub struct MetricsSettings at "metrics" {
        /// record metrics as requests go; false = none recorded, none served (listen and path ignored)
        pub enabled: bool = "true";
        /// a listener of its own for Prometheus at /metrics, e.g. "127.0.0.1:9464" (keep it off the public proxy); empty = none
        pub listen: String = r#""""#, check listen;
        /// also serve the metrics on the main port under this path, e.g. "/metrics" (no token asked: only behind a proxy that hides it); empty = none
        pub path: String = r#""""#, check path;
    }
}

section! {
    pub struct LogSettings at "log" {
        /// text (one line per record, the access line's fields in it) or json (one object per line: time, level, target, message, request_id, route, method, status, duration_ms, client, user); RUST_LOG still picks the levels
        pub format: LogFormat = r#""text""#;
    }
}

/// How each log record is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!("{other:?} is not text or json")),
        }
    }
}

impl fmt::Display for LogFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogFormat::Text => "text",
            LogFormat::Json => "json",
        })
    }
}

impl MetricsSettings {
    /// The metrics listener's address, when one is asked for.
    pub fn listen_address(&self) -> Option<SocketAddr> {
        self.listen.trim().parse().ok().filter(|_| self.enabled)
    }

    /// The path on the main port, when one is asked for.
    pub fn main_port_path(&self) -> Option<&str> {
        Some(self.path.as_str()).filter(|p| self.enabled && !p.is_empty())
    }
}

fn listen(address: &str) -> Result<(), String> {
    let address = address.trim();
    match address.is_empty() || address.parse::<SocketAddr>().is_ok() {
        true => Ok(()),
        false => Err(format!(
            "{address:?} is not an IP address and port such as \"127.0.0.1:9464\""
        )),
    }
}

fn path(path: &str) -> Result<(), String> {
    let ok = path.is_empty()
        || (path.starts_with('/')
            && path.len() > 1
            && !path.starts_with("/api/")
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.')));
    match ok {
        true => Ok(()),
        false => Err(format!(
            "{path:?} is not a path such as \"/metrics\" (outside /api/, letters, digits, / - _ .)"
        )),
    }
}
