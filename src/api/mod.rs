//! The API's routes, named as DRF's router names them, each with the
//! permission class it declares in code (like a view's `permission_classes`).

pub mod body;
pub mod cors;
pub mod dev_issuer;
pub mod fields;
pub mod health;
pub mod limits;
pub mod metadata;
pub mod negotiation;
pub mod ready;
pub mod root;
pub mod tasks;
pub mod view;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::from_fn;
use actix_web::{HttpRequest, HttpResponse, Resource, web};

use crate::auth::permissions::Permission;
use crate::error::ApiError;
use crate::settings::RestFrameworkSettings;

/// A route as DRF's router would build it.
#[derive(Debug)]
pub struct Route {
    /// The router's name; `rest_framework.permissions` keys on it.
    pub name: &'static str,
    /// The path below `/api/`, as the router writes it (with its trailing slash).
    pub pattern: &'static str,
    /// OPTIONS `name`, as DRF derives it from the view.
    pub label: &'static str,
    pub description: &'static str,
    /// The `Allow` header: the view's allowed methods.
    pub allow: &'static str,
    /// Declared in code; `None` takes `rest_framework.default_permission`.
    pub permission: Option<Permission>,
}

pub const API_ROOT: Route = Route {
    name: "api-root",
    pattern: "",
    label: "Api Root",
    description: "The default basic root view for DefaultRouter",
    allow: "GET, HEAD, OPTIONS",
    permission: None,
};

// The original's views: `TaskList` and `TaskDetail`, their docstrings as descriptions.
pub const TASK_LIST: Route = Route {
    name: "task-list",
    pattern: "task/",
    label: "Task List",
    description: "Lists and creates tasks.",
    allow: "GET, POST, HEAD, OPTIONS",
    permission: None,
};

pub const TASK_DETAIL: Route = Route {
    name: "task-detail",
    // The original's `<int:task_id>`: anything but digits matches no route (404).
    pattern: "task/{id:[0-9]+}/",
    label: "Task Detail",
    description: "Returns a single Task and allows updates and deletion of a Task.",
    allow: "GET, PUT, PATCH, DELETE, HEAD, OPTIONS",
    permission: None,
};

pub const HEALTH: Route = Route {
    name: "health",
    pattern: "health/",
    label: "Health",
    description: "Liveness check.",
    allow: "GET, HEAD, OPTIONS",
    permission: Some(Permission::AllowAny),
};

pub const READY: Route = Route {
    name: "ready",
    pattern: "ready/",
    label: "Ready",
    description: "Readiness check: the database and the key set.",
    allow: "GET, HEAD, OPTIONS",
    permission: Some(Permission::AllowAny),
};

/// Registers every API route. Paths end with a slash, each has `.json` forms
/// (see [`resource`]); a path missing its slash is redirected by [`fallback`].
pub fn configure(cfg: &mut web::ServiceConfig, rf: &RestFrameworkSettings) {
    cfg.service(
        resource(&API_ROOT, rf)
            .route(web::get().to(root::get))
            .route(web::head().to(root::get))
            .route(web::method(Method::OPTIONS).to(root::options)),
    )
    .service(
        resource(&TASK_LIST, rf)
            .route(web::get().to(tasks::list))
            .route(web::head().to(tasks::list))
            .route(web::post().to(tasks::create))
            .route(web::method(Method::OPTIONS).to(tasks::list_options)),
    )
    .service(
        resource(&TASK_DETAIL, rf)
            .route(web::get().to(tasks::retrieve))
            .route(web::head().to(tasks::retrieve))
            .route(web::put().to(tasks::update))
            .route(web::patch().to(tasks::partial_update))
            .route(web::delete().to(tasks::destroy))
            .route(web::method(Method::OPTIONS).to(tasks::detail_options)),
    )
    .service(
        resource(&HEALTH, rf)
            .route(web::get().to(health::get))
            .route(web::head().to(health::get))
            .route(web::method(Method::OPTIONS).to(health::options)),
    )
    .service(
        resource(&READY, rf)
            .route(web::get().to(ready::get))
            .route(web::head().to(ready::get))
            .route(web::method(Method::OPTIONS).to(ready::options)),
    );
}

/// A named resource wrapped in its view (negotiation, authentication, permission),
/// answering 405 for methods it does not route. Its paths are DRF's
/// `format_suffix_patterns`: `task/`, `task.json` and `task.json/` (the root: `.json`).
fn resource(
    route: &'static Route,
    rf: &RestFrameworkSettings,
) -> Resource<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<BoxBody>,
        Error = actix_web::Error,
        InitError = (),
    > + use<>,
> {
    let permission = Permission::for_route(route.name, route.permission, rf);
    // `task/` gives `/api/task.json`; the root's empty pattern gives `/api/.json`.
    let stem = format!("/api/{}", route.pattern.trim_end_matches('/'));
    web::resource(vec![
        format!("/api/{}", route.pattern),
        format!("{stem}.json"),
        format!("{stem}.json/"),
    ])
    .name(route.name)
    .default_service(web::to(method_not_allowed))
    .wrap(from_fn(move |req, next| {
        view::view(route, permission, req, next)
    }))
}

pub(crate) async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(req.method().clone()))
}

/// Unrouted paths: 308 to the slash form when that exists (308 keeps a POST's
/// method and body, where Django's 301 loses them), else a JSON 404.
pub async fn fallback(req: HttpRequest) -> HttpResponse {
    let path = req.path();
    if !path.ends_with('/') {
        let with_slash = format!("{path}/");
        if req.resource_map().has_resource(&with_slash) {
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
