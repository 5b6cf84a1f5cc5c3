//! `GET /api/`: DefaultRouter's API root, the absolute URL of each registered
//! viewset's list (the links come from the router).

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::{Map, Value};

use super::route::API_PREFIX;
use crate::http::proxy::Forwarded;
use crate::state::AppState;

/// `links`: each viewset's basename and its list pattern (`task/`).
pub fn get(
    req: HttpRequest,
    state: web::Data<AppState>,
    links: &[(&'static str, String)],
) -> HttpResponse {
    // `/api/.json` links to `/api/task.json`, as DRF's root keeps the format suffix.
    let json_suffix = req.path().trim_end_matches('/').ends_with(".json");
    let base = base_url(&req, &state);
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

/// `scheme://host` as the client addressed us (through trusted proxies only).
pub fn base_url(req: &HttpRequest, state: &AppState) -> String {
    let forwarded = Forwarded::of(req, &state.settings.server.trusted_proxies);
    let host = forwarded
        .host
        .unwrap_or_else(|| req.app_config().host().to_owned());
    format!("{}://{host}", forwarded.scheme)
}
