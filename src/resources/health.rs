//! `GET /api/health/`: liveness, open to anyone (declared `AllowAny` in code)
//! and never throttled (an orchestrator's probe).

use actix_web::HttpResponse;
use actix_web::http::Method;
use serde_json::json;

use crate::policy::{AllowAny, PermissionClass};
use crate::rest::route::{Route, ViewName, action};

pub fn route() -> Route {
    Route::new(
        "health",
        "health/",
        ViewName {
            label: "Health",
            description: "Liveness check.",
        },
        vec![action(Method::GET, get)],
    )
    .permission_classes(&[PermissionClass::new(AllowAny)])
    .throttle_classes(&[])
    .returns(json!({
        "type": "object",
        "properties": {"status": {"const": "ok"}},
        "required": ["status"],
    }))
}

async fn get() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}
