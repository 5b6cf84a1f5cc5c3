//! `GET /api/health/`: liveness, open to anyone (declared `AllowAny` in code).

use actix_web::HttpResponse;
use serde_json::json;

use super::metadata;
use super::view::RequestContext;

pub async fn get() -> HttpResponse {
    HttpResponse::Ok().json(json!({ "status": "ok" }))
}

pub async fn options(ctx: RequestContext) -> HttpResponse {
    HttpResponse::Ok().json(metadata::describe(ctx.route, None))
}
