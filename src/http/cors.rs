//! CORS as the original's django-cors-headers (2.4) answers it, wrapping the
//! whole server:
//! - a preflight (`OPTIONS` with `Access-Control-Request-Method`) is answered
//!   here, before authentication: 200 with an empty body, and for an allowed
//!   origin the grant (origin, methods, headers, max age); any other origin
//!   gets the same 200 without it, so the browser refuses the call;
//! - every other response to an allowed origin carries
//!   `Access-Control-Allow-Origin`, errors and 401s included, so that the SPA
//!   can read them.
//!
//! Origins are compared whole (scheme, host and port), stricter than the
//! original's host-and-port whitelist.

use std::sync::Arc;

use actix_web::HttpResponse;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{self, HeaderMap, HeaderValue};
use actix_web::middleware::Next;

/// django-cors-headers' defaults.
const ALLOW_METHODS: &str = "DELETE, GET, OPTIONS, PATCH, POST, PUT";
const ALLOW_HEADERS: &[&str] = &[
    "accept",
    "accept-encoding",
    "authorization",
    "content-type",
    "dnt",
    "origin",
    "user-agent",
    "x-csrftoken",
    "x-requested-with",
];
const MAX_AGE_SECS: &str = "86400";
/// Headers of ours an SPA may want to read (not in the original): a
/// paginated list's pages are in `Link` too.
const EXPOSE_HEADERS: &str = "Allow, Link, WWW-Authenticate";
/// Bounds on what a preflight may add to the allowed headers.
const MAX_REQUESTED_HEADERS: usize = 32;
const MAX_HEADER_NAME_BYTES: usize = 64;

/// Who may call from a browser (`cors.allowed_origins`).
#[derive(Debug, Clone)]
pub struct CorsPolicy {
    origins: Vec<String>,
    any: bool,
}

impl CorsPolicy {
    pub fn new(allowed_origins: &[String]) -> Self {
        CorsPolicy {
            any: allowed_origins.iter().any(|o| o == "*"),
            origins: allowed_origins.to_vec(),
        }
    }

    fn enabled(&self) -> bool {
        !self.origins.is_empty()
    }

    /// The `Access-Control-Allow-Origin` value for this request's origin, if allowed.
    fn grant(&self, origin: Option<&HeaderValue>) -> Option<HeaderValue> {
        let origin = origin?;
        if self.any {
            return Some(HeaderValue::from_static("*"));
        }
        let text = origin.to_str().ok()?;
        self.origins
            .iter()
            .any(|o| o == text)
            .then(|| origin.clone())
    }
}

fn is_preflight(req: &ServiceRequest) -> bool {
    req.method() == Method::OPTIONS
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD)
}

/// The default allowed headers, plus those the preflight asks for (valid
/// header names only, bounded).
fn allowed_headers(requested: Option<&HeaderValue>) -> String {
    let mut names: Vec<String> = ALLOW_HEADERS.iter().map(|h| (*h).to_owned()).collect();
    let requested = requested.and_then(|v| v.to_str().ok()).unwrap_or("");
    for name in requested.split(',').take(MAX_REQUESTED_HEADERS) {
        let name = name.trim().to_ascii_lowercase();
        let valid = !name.is_empty()
            && name.len() <= MAX_HEADER_NAME_BYTES
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        if valid && !names.contains(&name) {
            names.push(name);
        }
    }
    names.join(", ")
}

/// Adds `Origin` to `Vary`, keeping what is there (the view's `Accept`).
fn vary_on_origin(headers: &mut HeaderMap) {
    let value = match headers.get(header::VARY).and_then(|v| v.to_str().ok()) {
        Some(existing) if !existing.is_empty() => format!("{existing}, Origin"),
        _ => "Origin".to_owned(),
    };
    if let Ok(value) = HeaderValue::from_str(&value) {
        headers.insert(header::VARY, value);
    }
}

pub async fn cors(
    policy: Arc<CorsPolicy>,
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let grant = policy.grant(req.headers().get(header::ORIGIN));
    if is_preflight(&req) {
        let mut response = HttpResponse::Ok().finish();
        let headers = response.headers_mut();
        if let Some(origin) = grant {
            let requested = req.headers().get(header::ACCESS_CONTROL_REQUEST_HEADERS);
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(ALLOW_METHODS),
            );
            if let Ok(value) = HeaderValue::from_str(&allowed_headers(requested)) {
                headers.insert(header::ACCESS_CONTROL_ALLOW_HEADERS, value);
            }
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(MAX_AGE_SECS),
            );
        }
        if policy.enabled() {
            vary_on_origin(headers);
        }
        return Ok(req.into_response(response));
    }
    let mut response = next.call(req).await?.map_into_boxed_body();
    let headers = response.headers_mut();
    if let Some(origin) = grant {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    if policy.enabled() {
        vary_on_origin(headers);
    }
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requested_headers_are_added_once_and_only_when_valid() {
        let asked = HeaderValue::from_static("Authorization, X-Custom,x-custom, bad header, ");
        let allowed = allowed_headers(Some(&asked));
        assert!(allowed.starts_with("accept, accept-encoding, authorization,"));
        assert!(allowed.ends_with(", x-custom"), "{allowed}");
        assert_eq!(allowed.matches("authorization").count(), 1);
        assert!(!allowed.contains("bad"), "{allowed}");
    }

    #[test]
    fn origins_match_whole() {
        let policy = CorsPolicy::new(&["http://localhost:4200".to_owned()]);
        let grant = |o: &'static str| policy.grant(Some(&HeaderValue::from_static(o)));
        assert!(grant("http://localhost:4200").is_some());
        assert!(grant("https://localhost:4200").is_none());
        assert!(grant("http://localhost:42000").is_none());
        assert!(policy.grant(None).is_none());
        let any = CorsPolicy::new(&["*".to_owned()]);
        assert_eq!(
            any.grant(Some(&HeaderValue::from_static("http://x.example"))),
            Some(HeaderValue::from_static("*"))
        );
    }
}
