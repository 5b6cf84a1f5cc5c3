//! `todoapi probe`: asks the server this configuration runs whether it is
//! alive (`/api/health/`) or ready (`/api/ready/`), for a container's health
//! check (the image has no curl). Plain HTTP/1.1 over loopback, bounded.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

use crate::settings::Settings;

const TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    #[error("cannot reach {0}: {1}")]
    Unreachable(SocketAddr, std::io::Error),
    #[error("{0} answered {1}")]
    Status(String, String),
}

/// Where the server listens, as seen from the same host: a wildcard address
/// is reached through loopback.
fn target(settings: &Settings) -> SocketAddr {
    let ip = match settings.server.host.parse::<IpAddr>() {
        Ok(ip) if ip.is_unspecified() && ip.is_ipv6() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        Ok(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        Ok(ip) => ip,
        Err(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
    };
    SocketAddr::new(ip, settings.server.port)
}

/// GETs `path`; Ok with the status line when it is 200.
pub fn probe(settings: &Settings, path: &str) -> Result<String, ProbeError> {
    let address = target(settings);
    let unreachable = |e| ProbeError::Unreachable(address, e);
    let mut stream = TcpStream::connect_timeout(&address, TIMEOUT).map_err(unreachable)?;
    stream
        .set_read_timeout(Some(TIMEOUT))
        .map_err(unreachable)?;
    stream
        .set_write_timeout(Some(TIMEOUT))
        .map_err(unreachable)?;
    let request = format!("GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).map_err(unreachable)?;
    let mut head = Vec::new();
    let _ = stream.take(4096).read_to_end(&mut head);
    let text = String::from_utf8_lossy(&head);
    let status = text.lines().next().unwrap_or_default().trim().to_owned();
    if status.starts_with("HTTP/1.1 200") {
        Ok(status)
    } else {
        let shown = if status.is_empty() {
            "nothing".to_owned()
        } else {
            status
        };
        Err(ProbeError::Status(format!("http://{address}{path}"), shown))
    }
}
