//! The API: its routes, declared once each and registered with the router
//! (`router.rs`), which derives their names, paths, `Allow` and OPTIONS.
//!
//! Adding a resource: write its module (a `viewset()` like `tasks.rs`, its
//! queries in `db/models.rs`, its table in a migration) and add one line to
//! [`router`].

pub mod body;
pub mod cors;
pub mod dev_issuer;
pub mod fields;
pub mod health;
pub mod limits;
pub mod negotiation;
pub mod openapi;
pub mod proxy;
pub mod ready;
pub mod root;
pub mod router;
pub mod tasks;
pub mod view;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;
use crate::settings::TasksSettings;
use router::Router;

/// Every route of the API.
pub fn router(tasks: &TasksSettings) -> Router {
    let mut router = Router::new();
    router
        .register(tasks::viewset(tasks.ownership))
        .route(health::route())
        .route(ready::route());
    router
}

/// `server.static_dir` at `/`, `index.html` for the folder; a path that is
/// no file goes on to [`fallback`] (JSON 404 or the slash redirect).
pub fn static_files(dir: &std::path::Path) -> actix_files::Files {
    actix_files::Files::new("/", dir)
        .index_file("index.html")
        .prefer_utf8(true)
        .default_handler(web::to(fallback))
}

/// Unrouted paths: 308 to the slash form when that is a route (308 keeps a
/// POST's method and body, where Django's 301 loses them), else a JSON 404.
/// Routes are the named resources: the static files' catch-all has no name,
/// so a missing file is a 404, not a redirect.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    if !path.ends_with('/') {
        let with_slash = format!("{path}/");
        if req.resource_map().match_name(&with_slash).is_some() {
            let location = match req.query_string() {
                "" => with_slash,
                query => format!("{with_slash}?{query}"),
            };
            return HttpResponse::PermanentRedirect()
                .insert_header((header::LOCATION, location))
                .finish();
        }
    }
    actix_web::ResponseError::error_response(&ApiError::NotFound)
}
