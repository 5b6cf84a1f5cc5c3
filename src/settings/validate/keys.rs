//! What a key setting may name: a JWKS URI (https, or plain http to
//! loopback only) and a JWT algorithm.

use std::str::FromStr;

use jsonwebtoken::Algorithm;
use url::Url;

pub(super) fn parse_jwks_uri(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not a valid URL ({e})"))?;
    match url.scheme() {
        "https" => Ok(url),
        "http" if is_loopback(&url) => Ok(url),
        "http" => Err(format!(
            "{raw:?} uses plain http to a non-loopback host; use https"
        )),
        other => Err(format!("{raw:?} has scheme {other:?}; use https")),
    }
}

pub(super) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

pub(super) fn parse_algorithm(name: &str) -> Result<Algorithm, String> {
    if name.eq_ignore_ascii_case("none") {
        return Err("\"none\" (unsigned tokens) is never allowed".into());
    }
    match Algorithm::from_str(name) {
        Ok(
            alg @ (Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::PS384
            | Algorithm::PS512
            | Algorithm::HS256
            | Algorithm::HS384
            | Algorithm::HS512),
        ) => Ok(alg),
        _ => Err(format!(
            "unsupported algorithm {name:?}; use RS256, RS384, RS512, PS256, PS384, PS512 or HS256, HS384, HS512"
        )),
    }
}

pub fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}
