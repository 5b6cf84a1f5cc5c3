//! The log: env_logger (RUST_LOG picks the levels) with a format of ours, in
//! text or JSON lines (`log.format`). A line written while a request is
//! served carries its ID, and in JSON what else its scope knows.
//!
//! Nothing here reads a header: tokens and keys reach the log only if a
//! message puts them there, and none does (tests/api/logs.rs greps for them).

use std::io::Write;

use env_logger::fmt::Formatter;
use log::Record;
use serde_json::{Map, Value, json};

use super::observe::{ACCESS_TARGET, RequestScope};
use crate::settings::LogFormat;

/// Installs the process's logger (once; later calls do nothing).
pub fn init(format: LogFormat) {
    let mut builder =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info"));
    match format {
        LogFormat::Text => builder.format(text),
        LogFormat::Json => builder.format(json_line),
    };
    let _ = builder.try_init();
}

/// `[time LEVEL target] message id=…`.
fn text(buf: &mut Formatter, record: &Record) -> std::io::Result<()> {
    let id = RequestScope::with_current(|scope| format!(" id={}", scope.id)).unwrap_or_default();
    writeln!(
        buf,
        "[{} {:<5} {}] {}{id}",
        buf.timestamp_millis(),
        record.level(),
        record.target(),
        record.args()
    )
}

fn json_line(buf: &mut Formatter, record: &Record) -> std::io::Result<()> {
    let mut line = Map::new();
    line.insert("time".into(), json!(buf.timestamp_millis().to_string()));
    line.insert("level".into(), json!(record.level().as_str()));
    line.insert("target".into(), json!(record.target()));
    line.insert("message".into(), json!(record.args().to_string()));
    RequestScope::with_current(|scope| request_fields(scope, record, &mut line));
    serde_json::to_writer(&mut *buf, &Value::Object(line))?;
    writeln!(buf)
}

/// What a request's scope knows: every line has its ID, route, method,
/// client and user; the access line also the status, time and size.
fn request_fields(scope: &RequestScope, record: &Record, line: &mut Map<String, Value>) {
    line.insert("request_id".into(), json!(scope.id));
    line.insert("route".into(), json!(scope.route().as_deref()));
    line.insert("method".into(), json!(scope.method.as_str()));
    line.insert("path".into(), json!(scope.path));
    line.insert(
        "client".into(),
        json!(scope.client.map(|ip| ip.to_string())),
    );
    line.insert("user".into(), json!(scope.user()));
    if record.target() == ACCESS_TARGET
        && let Some((status, seconds, bytes)) = scope.answer()
    {
        line.insert("status".into(), json!(status));
        line.insert(
            "duration_ms".into(),
            json!((seconds * 1_000_000.0).round() / 1000.0),
        );
        line.insert("bytes".into(), json!(bytes));
    }
}
