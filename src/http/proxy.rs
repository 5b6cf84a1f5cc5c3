//! Who is on the other end: the client's address, the scheme and the host it
//! addressed. `X-Forwarded-For`, `-Proto` and `-Host` count only when the
//! peer is one of `server.trusted_proxies`; anyone else could make the API
//! root's links point elsewhere, mark plain http as https, or put any
//! address in the access log.

use std::net::IpAddr;

use actix_web::HttpRequest;
use actix_web::dev::ServiceRequest;
use actix_web::http::header::{self, HeaderMap};

use crate::settings::TrustedProxies;

/// The request as the client made it, before any trusted proxy (what
/// RFC 7239 calls forwarded: for, proto, host).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forwarded {
    /// The client's address; the peer's when it is not a trusted proxy.
    pub client: Option<IpAddr>,
    /// `http` or `https`.
    pub scheme: &'static str,
    /// `host[:port]` as addressed (sanitized), if given.
    pub host: Option<String>,
}

impl Forwarded {
    pub fn of(req: &HttpRequest, trusted: &TrustedProxies) -> Forwarded {
        resolve(req.peer_addr().map(|a| a.ip()), req.headers(), trusted)
    }

    pub fn of_service(req: &ServiceRequest, trusted: &TrustedProxies) -> Forwarded {
        resolve(req.peer_addr().map(|a| a.ip()), req.headers(), trusted)
    }

    pub fn is_https(&self) -> bool {
        self.scheme == "https"
    }
}

/// Every value of a header, comma-separated lists split, in order.
fn values<'a>(headers: &'a HeaderMap, name: &str) -> Vec<&'a str> {
    headers
        .get_all(name)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect()
}

fn resolve(peer: Option<IpAddr>, headers: &HeaderMap, trusted: &TrustedProxies) -> Forwarded {
    let own_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(sanitize_host)
        .map(str::to_owned);
    let Some(peer) = peer.filter(|p| trusted.contains(*p)) else {
        return Forwarded {
            client: peer,
            scheme: "http",
            host: own_host,
        };
    };
    // From the nearest hop outwards: the first address that is not one of
    // our proxies is the client's; what lies beyond it is the client's word.
    let mut client = peer;
    for hop in values(headers, "x-forwarded-for").into_iter().rev() {
        let Some(addr) = parse_hop(hop) else { break };
        client = addr;
        if !trusted.contains(addr) {
            break;
        }
    }
    // The nearest proxy's value is the one it saw.
    let scheme = match values(headers, "x-forwarded-proto").last().copied() {
        Some(p) if p.eq_ignore_ascii_case("https") => "https",
        _ => "http",
    };
    let host = values(headers, "x-forwarded-host")
        .last()
        .and_then(|h| sanitize_host(h))
        .map(str::to_owned)
        .or(own_host);
    Forwarded {
        client: Some(client),
        scheme,
        host,
    }
}

/// An address as proxies write it: `203.0.113.9`, `2001:db8::1`,
/// `[2001:db8::1]:443`, `203.0.113.9:5000`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(addr) = hop.parse() {
        return Some(addr);
    }
    if let Ok(socket) = hop.parse::<std::net::SocketAddr>() {
        return Some(socket.ip());
    }
    None
}

/// A Host value fit for a URL: letters, digits and `.-:[]` only.
pub fn sanitize_host(host: &str) -> Option<&str> {
    let ok = !host.is_empty()
        && host.len() <= 255
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then_some(host)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.append(HeaderName::from_static(k), HeaderValue::from_static(v));
        }
        map
    }

    fn trusted(list: &[&str]) -> TrustedProxies {
        TrustedProxies::new(list.iter().filter_map(|s| s.parse().ok()).collect())
    }

    fn ip(s: &str) -> Option<IpAddr> {
        s.parse().ok()
    }

    const FORWARDED: &[(&str, &str)] = &[
        ("host", "10.0.0.5:8000"),
        ("x-forwarded-for", "203.0.113.9"),
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "todo.example.com"),
    ];

    #[test]
    fn an_untrusted_peer_is_taken_at_its_word_only_for_host() {
        let origin = resolve(
            ip("198.51.100.7"),
            &headers(FORWARDED),
            &trusted(&["10.0.0.0/8"]),
        );
        assert_eq!(
            origin,
            Forwarded {
                client: ip("198.51.100.7"),
                scheme: "http",
                host: Some("10.0.0.5:8000".into())
            }
        );
        // No list at all: nobody is trusted, loopback included.
        let origin = resolve(ip("127.0.0.1"), &headers(FORWARDED), &trusted(&[]));
        assert_eq!((origin.client, origin.scheme), (ip("127.0.0.1"), "http"));
    }

    #[test]
    fn a_trusted_proxy_tells_the_client_scheme_and_host() {
        let origin = resolve(
            ip("10.0.0.2"),
            &headers(FORWARDED),
            &trusted(&["10.0.0.0/8"]),
        );
        assert_eq!(
            origin,
            Forwarded {
                client: ip("203.0.113.9"),
                scheme: "https",
                host: Some("todo.example.com".into())
            }
        );
    }

    #[test]
    fn the_chain_is_walked_from_the_nearest_hop_and_stops_at_the_first_stranger() {
        let h = headers(&[
            ("x-forwarded-for", "6.6.6.6, 203.0.113.9"),
            ("x-forwarded-for", "10.0.0.3"),
        ]);
        let origin = resolve(ip("10.0.0.2"), &h, &trusted(&["10.0.0.0/8"]));
        assert_eq!(
            origin.client,
            ip("203.0.113.9"),
            "6.6.6.6 is the client's word"
        );
        // Garbage in the chain: the last hop read is the answer.
        let h = headers(&[("x-forwarded-for", "not-an-ip, 10.0.0.3")]);
        let origin = resolve(ip("10.0.0.2"), &h, &trusted(&["10.0.0.0/8"]));
        assert_eq!(origin.client, ip("10.0.0.3"));
        // Ports and brackets as some proxies write them.
        let h = headers(&[("x-forwarded-for", "[2001:db8::1]:443, 198.51.100.7:5000")]);
        let origin = resolve(ip("10.0.0.2"), &h, &trusted(&["10.0.0.0/8"]));
        assert_eq!(origin.client, ip("198.51.100.7"));
        // No header: the proxy itself.
        let origin = resolve(ip("10.0.0.2"), &headers(&[]), &trusted(&["10.0.0.0/8"]));
        assert_eq!(origin.client, ip("10.0.0.2"));
    }

    #[test]
    fn proto_and_host_are_the_nearest_proxys_and_must_be_sane() {
        let h = headers(&[
            ("host", "api:8000"),
            ("x-forwarded-proto", "https, http"),
            ("x-forwarded-host", "evil.example/path"),
        ]);
        let origin = resolve(ip("127.0.0.1"), &h, &trusted(&["127.0.0.1"]));
        assert_eq!(origin.scheme, "http");
        assert_eq!(
            origin.host.as_deref(),
            Some("api:8000"),
            "an unfit host is ignored"
        );
        let h = headers(&[("x-forwarded-proto", "HTTPS")]);
        let origin = resolve(ip("127.0.0.1"), &h, &trusted(&["127.0.0.1"]));
        assert!(origin.is_https());
        let h = headers(&[("x-forwarded-proto", "gopher")]);
        let origin = resolve(ip("127.0.0.1"), &h, &trusted(&["127.0.0.1"]));
        assert_eq!(origin.scheme, "http");
    }
}
