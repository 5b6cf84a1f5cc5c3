//! What text parses into: each type a setting's text (or a list's item)
//! may name, with what a bad one is told.

use std::path::PathBuf;
use std::str::FromStr;

use jsonwebtoken::Algorithm;
use url::Url;

use crate::policy::{
    FilterBackend, Ownership, PaginationClass, PermissionClass, Rate, ThrottleClass,
    UsernameHandler,
};
use crate::settings::{IpNet, LogFormat};

/// A value written as text (trimmed), or as one item of a list.
pub trait FromText: Sized {
    fn from_text(text: &str) -> Result<Self, String>;
}

impl FromText for String {
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text.to_owned())
    }
}

impl FromText for PathBuf {
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(PathBuf::from(text))
    }
}

macro_rules! from_str_text {
    ($($ty:ty),*) => {$(
        impl FromText for $ty {
            fn from_text(text: &str) -> Result<Self, String> {
                <$ty as FromStr>::from_str(text).map_err(|e| e.to_string())
            }
        }
    )*};
}
from_str_text!(
    Ownership,
    UsernameHandler,
    PermissionClass,
    FilterBackend,
    ThrottleClass,
    Rate,
    LogFormat
);

/// An IANA time zone (`server.time_zone`); UTC while a bad one is reported.
#[derive(Debug, Clone)]
pub struct TimeZone(pub jiff::tz::TimeZone);

impl Default for TimeZone {
    fn default() -> Self {
        TimeZone(jiff::tz::TimeZone::UTC)
    }
}

impl FromText for TimeZone {
    fn from_text(text: &str) -> Result<Self, String> {
        jiff::tz::TimeZone::get(text).map(TimeZone).map_err(|_| {
            format!(
                "{text:?} is not a time zone; use an IANA name such as \"UTC\" or \"Europe/Paris\""
            )
        })
    }
}

impl FromText for IpNet {
    fn from_text(text: &str) -> Result<Self, String> {
        text.parse().map_err(|e| format!("{text:?}: {e}"))
    }
}

/// An absolute http(s) URL (where a browser may be sent back).
impl FromText for Url {
    fn from_text(text: &str) -> Result<Self, String> {
        match Url::parse(text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => Ok(url),
            _ => Err(format!("{text:?} is not an http(s) URL")),
        }
    }
}

/// Where a key set is fetched: https, or plain http to loopback only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeySetUrl(pub Url);

impl Default for KeySetUrl {
    fn default() -> Self {
        KeySetUrl(Url::parse("https://invalid/").expect("a fixed URL parses"))
    }
}

impl FromText for KeySetUrl {
    fn from_text(raw: &str) -> Result<Self, String> {
        let url = Url::parse(raw).map_err(|e| format!("{raw:?} is not a valid URL ({e})"))?;
        match url.scheme() {
            "https" => Ok(KeySetUrl(url)),
            "http" if is_loopback(&url) => Ok(KeySetUrl(url)),
            "http" => Err(format!(
                "{raw:?} uses plain http to a non-loopback host; use https"
            )),
            other => Err(format!("{raw:?} has scheme {other:?}; use https")),
        }
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    }
}

/// A JWT algorithm this server verifies: RS/PS 256/384/512, HS 256/384/512.
impl FromText for Algorithm {
    fn from_text(name: &str) -> Result<Self, String> {
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
}

/// Signed with a shared secret rather than a key pair.
pub fn is_hmac(alg: Algorithm) -> bool {
    matches!(alg, Algorithm::HS256 | Algorithm::HS384 | Algorithm::HS512)
}

/// A route's classes (`IsAuthenticated,ReadScope:read:tasks`).
impl FromText for Vec<PermissionClass> {
    fn from_text(text: &str) -> Result<Self, String> {
        PermissionClass::parse_list(text).map_err(|e| e.to_string())
    }
}

/// A route's filter backends.
impl FromText for Vec<FilterBackend> {
    fn from_text(text: &str) -> Result<Self, String> {
        FilterBackend::parse_list(text).map_err(|e| e.to_string())
    }
}

/// A route's paginator, `None` for none.
impl FromText for Option<PaginationClass> {
    fn from_text(text: &str) -> Result<Self, String> {
        PaginationClass::parse_setting(text).map_err(|e| e.to_string())
    }
}

/// A route's throttle classes (`UserRateThrottle,ScopedRateThrottle`).
impl FromText for Vec<ThrottleClass> {
    fn from_text(text: &str) -> Result<Self, String> {
        ThrottleClass::parse_list(text).map_err(|e| e.to_string())
    }
}
