//! `GET /api/`: DefaultRouter's API root, the absolute URL of each registered
//! viewset's list (the links come from the router).

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use super::router::API_PREFIX;
use crate::state::AppState;

/// `links`: each viewset's basename and its list pattern (`task/`).
pub fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    links: &[(&'static str, String)],
) -> HttpResponse {
    // `/api/.json` links to `/api/task.json`, as DRF's root keeps the format suffix.
    let json_suffix = req.path().trim_end_matches('/').ends_with(".json");
    let base = base_url(&req, state.settings.server.trust_proxy_headers);
    let body: Map<String, Value> = links
        .iter()
        .map(|(basename, pattern)| {
            let path = if json_suffix {
                format!("{}.json", pattern.trim_end_matches('/'))
            } else {
                pattern.clone()
            };
            (
                (*basename).to_owned(),
                Value::String(format!("{base}{API_PREFIX}{path}")),
            )
        })
        .collect();
    HttpResponse::Ok().json(body)
}

/// `scheme://host` as the client addressed us. Forwarded headers count only
/// behind a trusted proxy (`server.trust_proxy_headers`), else anyone could
/// make the links point elsewhere.
pub fn base_url(req: &HttpRequest, trust_proxy_headers: bool) -> String {
    if trust_proxy_headers {
        let info = req.connection_info();
        return format!(
            "{}://{}",
            info.scheme(),
            sanitize_host(info.host()).unwrap_or("localhost")
        );
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .and_then(sanitize_host)
        .map(str::to_owned)
        .unwrap_or_else(|| req.app_config().host().to_owned());
    format!("http://{host}")
}

fn sanitize_host(host: &str) -> Option<&str> {
    let ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']'));
    ok.then_some(host)
}
