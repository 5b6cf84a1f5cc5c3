//! OPTIONS bodies, shaped like DRF's `SimpleMetadata`.

use actix_web::http::Method;
use serde_json::{Value, json};

use super::Route;
use super::body::PARSES;
use super::view::RequestContext;

/// The one media type this API renders.
pub const RENDERS: &[&str] = &["application/json"];

pub fn describe(route: &Route, actions: Option<Value>) -> Value {
    let mut body = json!({
        "name": route.label,
        "description": route.description,
        "renders": RENDERS,
        "parses": PARSES,
    });
    if let (Some(actions), Some(map)) = (actions, body.as_object_mut()) {
        map.insert("actions".into(), actions);
    }
    body
}

/// Whether the requester could use `method` on this route (DRF re-checks permissions per action).
pub fn allowed(ctx: &RequestContext, method: Method) -> bool {
    ctx.permission.allows(&method, &ctx.principal)
}
