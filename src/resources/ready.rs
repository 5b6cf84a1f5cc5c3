//! `GET /api/ready/`: readiness, open to anyone (declared `AllowAny`) and
//! never throttled. 200 when the database answers and the tenant's keys are
//! loaded and fresh, else 503 naming what is not ready. The cache is
//! reported; it makes the replica unready only when requests are refused
//! without it (`cache.refuse_when_unavailable`). `/api/health/` stays a
//! bare liveness check.

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::auth::keys::KeyState;
use crate::cache::CacheStatus;
use crate::error::RETRY_AFTER_SECS;
use crate::policy::{AllowAny, PermissionClass};
use crate::rest::route::{Route, ViewName, action};
use crate::state::AppState;

pub fn route() -> Route {
    Route::new(
        "ready",
        "ready/",
        ViewName {
            label: "Ready",
            description: "Readiness check: the database and the key set.",
        },
        vec![action(Method::GET, get)],
    )
    .permission_classes(&[PermissionClass::new(AllowAny)])
    // An orchestrator's probes must never be refused for their number.
    .throttle_classes(&[])
    .returns(json!({
        "type": "object",
        "properties": {
            "database": {"enum": ["ok", "unavailable"]},
            "jwks": {"enum": ["ok", "loading", "stale", "not configured"]},
            "keys": {"type": "integer", "minimum": 0},
            "jwks_age_secs": {"type": ["integer", "null"], "minimum": 0},
            "cached_tokens": {"type": "integer", "minimum": 0},
            "cache": {"enum": ["local", "ok", "unavailable"]},
        },
        "required": ["database", "jwks", "keys", "jwks_age_secs", "cached_tokens", "cache"],
    }))
}

async fn get(state: web::Data<AppState>) -> HttpResponse {
    let database_ok = state.db.ping().await;
    let keys = state.authenticator.key_status();
    let jwks = match keys.remote.map(|s| s.state) {
        None => "not configured",
        Some(KeyState::Ready) => "ok",
        Some(KeyState::Loading) => "loading",
        Some(KeyState::Stale) => "stale",
    };
    let cache = state.cache.status().await;
    let cache_ok =
        cache != CacheStatus::Unavailable || !state.settings.cache.refuse_when_unavailable;
    let ready = database_ok && matches!(jwks, "ok" | "not configured") && cache_ok;
    let body = json!({
        "database": if database_ok { "ok" } else { "unavailable" },
        "jwks": jwks,
        "keys": keys.total,
        "jwks_age_secs": keys.remote.and_then(|s| s.age).map(|age| age.as_secs()),
        "cached_tokens": state.authenticator.cached_tokens(),
        "cache": cache.as_str(),
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, RETRY_AFTER_SECS))
            .json(body)
    }
}
