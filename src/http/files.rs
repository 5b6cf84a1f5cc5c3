//! What is not an API route: `server.static_dir`'s files (the SPA), and
//! the answer to a path nothing serves.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::error::ApiError;

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
