//! DRF's `SimpleMetadata`: the answer to OPTIONS on any route, and the 405
//! for a method a route does not have.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::parsers;
use super::route::RENDERS;
use super::serializer;
use super::view::RequestContext;
use crate::error::ApiError;
use crate::state::AppState;

pub async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(req.method().clone()))
}

/// OPTIONS on any route: DRF's `SimpleMetadata`. A write method's fields are
/// described only to whom may use it, and on a detail route only for an
/// object that exists and that they may use it on.
pub async fn options(
    ctx: RequestContext,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let route = &ctx.route;
    let mut body = json!({
        "name": route.view.label,
        "description": route.view.description,
        "renders": RENDERS,
        "parses": parsers::PARSES,
    });
    if let Some(metadata) = &route.metadata
        && route.permissions.allows(&metadata.method, &ctx.principal)
    {
        let described = match &metadata.object {
            None => true,
            Some(fetch) => {
                let id = req.match_info().get("id").unwrap_or_default().to_owned();
                fetch(state, id).await?.is_some_and(|object| {
                    route
                        .permissions
                        .check_object(&metadata.method, &ctx.principal, &object.view())
                        .is_ok()
                })
            }
        };
        if described && let Some(map) = body.as_object_mut() {
            map.insert(
                "actions".into(),
                json!({ metadata.method.as_str(): serializer::metadata(&metadata.fields) }),
            );
        }
    }
    Ok(HttpResponse::Ok().json(body))
}
