//! `GET /api/ready/`: readiness, open to anyone (declared `AllowAny`). 200 when
//! the database answers and the tenant's keys are loaded and fresh, else 503
//! naming what is not ready. `/api/health/` stays a bare liveness check.

use actix_web::http::Method;
use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::auth::keys::KeyState;
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
    .returns(json!({
        "type": "object",
        "properties": {
            "database": {"enum": ["ok", "unavailable"]},
            "jwks": {"enum": ["ok", "loading", "stale", "not configured"]},
            "keys": {"type": "integer", "minimum": 0},
            "jwks_age_secs": {"type": ["integer", "null"], "minimum": 0},
            "cached_tokens": {"type": "integer", "minimum": 0},
        },
        "required": ["database", "jwks", "keys", "jwks_age_secs", "cached_tokens"],
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
    let ready = database_ok && matches!(jwks, "ok" | "not configured");
    let body = json!({
        "database": if database_ok { "ok" } else { "unavailable" },
        "jwks": jwks,
        "keys": keys.total,
        "jwks_age_secs": keys.remote.and_then(|s| s.age).map(|age| age.as_secs()),
        "cached_tokens": state.authenticator.cached_tokens(),
    });
    if ready {
        HttpResponse::Ok().json(body)
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, RETRY_AFTER_SECS))
            .json(body)
    }
}
