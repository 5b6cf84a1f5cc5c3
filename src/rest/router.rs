//! DRF's router: a resource is declared once (a [`ViewSet`], or a plain
//! [`Route`]) and everything else is derived from that declaration — the
//! route names (`<basename>-list`, `<basename>-detail`, which
//! `rest_framework.permissions` keys on), the `.json` paths, `Allow`, the 405
//! for other methods, HEAD for GET, one OPTIONS answer (DRF's `SimpleMetadata`)
//! and the API root's links.

use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::HeaderValue;
use actix_web::middleware::from_fn;
use actix_web::{FromRequest, Handler, HttpRequest, HttpResponse, Resource, Responder, web};
use futures_util::future::LocalBoxFuture;
use serde_json::{Value, json};

use super::view::{self, RequestContext};
use super::{parsers, root};
use crate::error::ApiError;
use crate::policy::PermissionClass;
use crate::rest::listing::{ListDecl, ListPolicy};
use crate::rest::permissions::{ObjectView, Permissions};
use crate::settings::RestFrameworkSettings;
use crate::state::AppState;

/// All routes live below this prefix.
pub const API_PREFIX: &str = "/api/";
/// The API root's route name, as DRF's `DefaultRouter` names it.
pub const API_ROOT: &str = "api-root";
/// The schema's route name (`GET /api/schema/`).
pub const API_SCHEMA: &str = "api-schema";
/// The one media type this API renders.
pub const RENDERS: &[&str] = &["application/json"];

/// DRF's method order for `Allow` (its `http_method_names`).
const METHOD_ORDER: [Method; 7] = [
    Method::GET,
    Method::POST,
    Method::PUT,
    Method::PATCH,
    Method::DELETE,
    Method::HEAD,
    Method::OPTIONS,
];

type RouteFn = Arc<dyn Fn(Method) -> actix_web::Route + Send + Sync>;

/// One method of a route and its handler.
#[derive(Clone)]
pub struct Action {
    method: Method,
    build: RouteFn,
}

/// `method` is answered by `handler` (any actix-web handler).
pub fn action<F, Args>(method: Method, handler: F) -> Action
where
    F: Handler<Args> + Send + Sync,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    Action {
        method,
        build: Arc::new(move |method| web::method(method).to(handler.clone())),
    }
}

/// What object-level permission classes see of a detail route's object.
#[derive(Debug, Clone, Default)]
pub struct Object {
    pub created_by: Option<String>,
}

impl Object {
    pub fn view(&self) -> ObjectView<'_> {
        ObjectView {
            created_by: self.created_by.as_deref(),
        }
    }
}

/// The object a detail route's id names, `None` when there is none (DRF's
/// `get_object`; OPTIONS describes PUT only for an object one may PUT).
pub type FetchObject = Arc<
    dyn Fn(web::Data<AppState>, String) -> LocalBoxFuture<'static, Result<Option<Object>, ApiError>>
        + Send
        + Sync,
>;

/// What OPTIONS lists under `actions`: the fields of one write method.
#[derive(Clone)]
pub struct Metadata {
    method: Method,
    fields: fn() -> Value,
    object: Option<FetchObject>,
}

/// A view's name and description, as DRF's OPTIONS shows them.
#[derive(Debug, Clone, Copy)]
pub struct ViewName {
    pub label: &'static str,
    pub description: &'static str,
}

/// One named route: DRF's URL pattern with its view.
#[derive(Clone)]
pub struct Route {
    pub name: String,
    /// Below `/api/`, with its trailing slash (`""` is the root).
    pub pattern: String,
    pub view: ViewName,
    pub actions: Vec<Action>,
    /// Declared in code (a view's `permission_classes`); `None` takes the default.
    pub permission_classes: Option<Vec<PermissionClass>>,
    /// Added to whatever settings, code or the default give (a viewset's
    /// own rule, such as ownership's `IsCreator`).
    pub always: Vec<PermissionClass>,
    metadata: Option<Metadata>,
    /// A plain view's answer, as a JSON Schema (the OpenAPI document's).
    returns: Option<Value>,
    /// A viewset route's object (the OpenAPI document's).
    resource: Option<ResourceDoc>,
    /// A list route's search, ordering and pagination declaration.
    list: Option<ListDecl>,
}

/// What the OpenAPI document says of a viewset's object.
#[derive(Clone, Copy)]
pub struct ResourceDoc {
    /// The serializer's fields as OPTIONS describes them.
    pub fields: fn() -> Value,
    pub example: fn() -> Value,
}

impl Route {
    /// A plain view (not a viewset), such as `health`.
    pub fn new(name: &str, pattern: &str, view: ViewName, actions: Vec<Action>) -> Route {
        Route {
            name: name.to_owned(),
            pattern: pattern.to_owned(),
            view,
            actions,
            permission_classes: None,
            always: Vec::new(),
            metadata: None,
            returns: None,
            resource: None,
            list: None,
        }
    }

    /// Declares the JSON Schema of what the view answers (for the schema).
    pub fn returns(mut self, schema: Value) -> Route {
        self.returns = Some(schema);
        self
    }

    pub fn permission_classes(mut self, classes: &[PermissionClass]) -> Route {
        self.permission_classes = Some(classes.to_vec());
        self
    }

    /// The methods it answers, in DRF's order, HEAD with GET and always OPTIONS.
    fn methods(&self) -> Vec<Method> {
        let has = |m: &Method| self.actions.iter().any(|a| a.method == *m);
        METHOD_ORDER
            .iter()
            .filter(|m| match **m {
                Method::HEAD => has(&Method::GET),
                Method::OPTIONS => true,
                _ => has(m),
            })
            .cloned()
            .collect()
    }
}

/// DRF's `ModelViewSet` as a router registers it: a list route
/// (`<prefix>/`: list, create) and a detail route (`<prefix>/<id>/`:
/// retrieve, update, partial update, destroy), sharing a serializer's fields.
pub struct ViewSet {
    pub basename: &'static str,
    pub prefix: &'static str,
    /// The regular expression a detail id matches (`[0-9]+`: Django's `<int:…>`).
    pub lookup: &'static str,
    pub list: ViewName,
    pub detail: ViewName,
    pub list_actions: Vec<Action>,
    pub detail_actions: Vec<Action>,
    pub permission_classes: Option<Vec<PermissionClass>>,
    /// Classes the detail route has in addition, whatever settings say.
    pub detail_always: Vec<PermissionClass>,
    /// The serializer's fields as `SimpleMetadata` describes them.
    pub fields: fn() -> Value,
    /// One object as the API shows it: the OpenAPI document's example.
    pub example: fn() -> Value,
    pub object: FetchObject,
    /// What its list may be searched and ordered by.
    pub listing: ListDecl,
}

/// What the view middleware and the handlers know of their route.
pub struct RouteInfo {
    pub name: String,
    pub view: ViewName,
    pub allow: HeaderValue,
    pub permissions: Permissions,
    /// A list route's filters and paginator in force.
    pub listing: Option<ListPolicy>,
    metadata: Option<Metadata>,
}

/// What the OpenAPI document says of a route (openapi.rs renders it).
#[derive(Clone)]
pub struct RouteDoc {
    pub name: String,
    /// OpenAPI's form: `/api/task/{id}/`.
    pub path: String,
    /// The path parameter and its pattern, on a detail route.
    pub parameter: Option<(String, String)>,
    pub view: ViewName,
    pub methods: Vec<Method>,
    pub permissions: Permissions,
    /// A viewset's fields and example object.
    pub resource: Option<ResourceDoc>,
    /// A plain view's answer (JSON Schema).
    pub returns: Option<Value>,
    /// A list route's filters and paginator in force.
    pub listing: Option<ListPolicy>,
}

/// Every route's [`RouteDoc`], for the schema view.
pub struct ApiDocs(pub Vec<RouteDoc>);

/// `task/{id:[0-9]+}/` as OpenAPI writes it, and its parameter.
fn openapi_path(pattern: &str) -> (String, Option<(String, String)>) {
    let Some(open) = pattern.find('{') else {
        return (format!("{API_PREFIX}{pattern}"), None);
    };
    let mut depth = 0;
    let mut close = pattern.len();
    for (i, c) in pattern[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    close = open + i;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &pattern[open + 1..close];
    let (name, regex) = inner.split_once(':').unwrap_or((inner, "[^/]+"));
    let path = format!(
        "{API_PREFIX}{}{{{name}}}{}",
        &pattern[..open],
        pattern.get(close + 1..).unwrap_or("")
    );
    (path, Some((name.to_owned(), regex.to_owned())))
}

/// The root's answer: each viewset's list URL under its basename.
fn root_schema(links: &[(&'static str, String)]) -> Value {
    let properties: serde_json::Map<String, Value> = links
        .iter()
        .map(|(name, _)| {
            (
                (*name).to_owned(),
                json!({"type": "string", "format": "uri"}),
            )
        })
        .collect();
    let required: Vec<&str> = links.iter().map(|(name, _)| *name).collect();
    json!({"type": "object", "properties": properties, "required": required})
}

/// The API's routes, in registration order.
#[derive(Clone, Default)]
pub struct Router {
    routes: Vec<Route>,
    /// The API root's links: a viewset's basename and its list path.
    links: Vec<(&'static str, String)>,
}

impl Router {
    pub fn new() -> Router {
        Router::default()
    }

    /// DRF's `router.register(prefix, viewset, basename)`.
    pub fn register(&mut self, viewset: ViewSet) -> &mut Router {
        let list_pattern = format!("{}/", viewset.prefix);
        let writes = |actions: &[Action], method: Method| {
            actions.iter().any(|a| a.method == method).then_some(method)
        };
        let list_metadata = writes(&viewset.list_actions, Method::POST).map(|method| Metadata {
            method,
            fields: viewset.fields,
            object: None,
        });
        let detail_metadata = writes(&viewset.detail_actions, Method::PUT).map(|method| Metadata {
            method,
            fields: viewset.fields,
            object: Some(viewset.object.clone()),
        });
        let resource = ResourceDoc {
            fields: viewset.fields,
            example: viewset.example,
        };
        self.links.push((viewset.basename, list_pattern.clone()));
        self.routes.push(Route {
            name: format!("{}-list", viewset.basename),
            pattern: list_pattern,
            view: viewset.list,
            actions: viewset.list_actions,
            permission_classes: viewset.permission_classes.clone(),
            always: Vec::new(),
            metadata: list_metadata,
            returns: None,
            resource: Some(resource),
            list: Some(viewset.listing),
        });
        self.routes.push(Route {
            name: format!("{}-detail", viewset.basename),
            pattern: format!("{}/{{id:{}}}/", viewset.prefix, viewset.lookup),
            view: viewset.detail,
            actions: viewset.detail_actions,
            permission_classes: viewset.permission_classes,
            always: viewset.detail_always,
            metadata: detail_metadata,
            returns: None,
            resource: Some(resource),
            list: None,
        });
        self
    }

    /// A plain named route.
    pub fn route(&mut self, route: Route) -> &mut Router {
        self.routes.push(route);
        self
    }

    /// The API root (DRF's `DefaultRouter`), linking every registered viewset.
    fn root(&self) -> Route {
        let links = Arc::new(self.links.clone());
        let get = move |req: HttpRequest, state: web::Data<AppState>| {
            let links = links.clone();
            async move { root::get(req, state, &links) }
        };
        Route::new(
            API_ROOT,
            "",
            ViewName {
                label: "Api Root",
                description: "The default basic root view for DefaultRouter",
            },
            vec![action(Method::GET, get)],
        )
        .returns(root_schema(&self.links))
    }

    /// The OpenAPI document of the API (`GET /api/schema/`), generated from
    /// these same declarations (openapi.rs).
    fn schema(&self) -> Route {
        Route::new(
            API_SCHEMA,
            "schema/",
            ViewName {
                label: "Schema",
                description: "The OpenAPI 3.1 description of this API.",
            },
            vec![action(Method::GET, super::openapi::view)],
        )
        .permission_classes(&[PermissionClass::AllowAny])
        .returns(json!({
            "type": "object",
            "properties": {"openapi": {"const": "3.1.0"}, "paths": {"type": "object"}},
            "required": ["openapi", "info", "paths"],
        }))
    }

    /// Every route, the API root and the schema first.
    fn all(&self) -> impl Iterator<Item = Route> + '_ {
        [self.root(), self.schema()]
            .into_iter()
            .chain(self.routes.iter().cloned())
    }

    /// What the schema says of every route, with the permissions in force.
    pub fn describe(&self, rf: &RestFrameworkSettings) -> Vec<RouteDoc> {
        self.all()
            .map(|route| {
                let (path, parameter) = openapi_path(&route.pattern);
                RouteDoc {
                    listing: listing_for(&route, rf),
                    permissions: permissions_for(&route, rf),
                    methods: route.methods(),
                    resource: route.resource,
                    returns: route.returns,
                    name: route.name,
                    path,
                    parameter,
                    view: route.view,
                }
            })
            .collect()
    }

    /// The names settings may give in `rest_framework.permissions`.
    pub fn names(&self) -> Vec<String> {
        self.all().map(|r| r.name).collect()
    }

    /// Settings that name a route nobody registered, or a list setting
    /// (pagination, filters) a route that does not list.
    pub fn unknown_routes(&self, rf: &RestFrameworkSettings) -> Vec<String> {
        let routes: Vec<Route> = self.all().collect();
        let names: Vec<&str> = routes.iter().map(|r| r.name.as_str()).collect();
        let lists: Vec<&str> = routes
            .iter()
            .filter(|r| r.list.is_some())
            .map(|r| r.name.as_str())
            .collect();
        rf.route_keys
            .iter()
            .filter_map(|k| {
                if !names.contains(&k.route.as_str()) {
                    Some(format!(
                        "{}: unknown route {:?}; routes are {}",
                        k.key,
                        k.route,
                        names.join(", ")
                    ))
                } else if k.lists && !lists.contains(&k.route.as_str()) {
                    Some(format!(
                        "{}: route {:?} does not list; list routes are {}",
                        k.key,
                        k.route,
                        lists.join(", ")
                    ))
                } else {
                    None
                }
            })
            .collect()
    }

    /// Adds every route to an app (once per worker).
    pub fn configure(&self, cfg: &mut web::ServiceConfig, rf: &RestFrameworkSettings) {
        cfg.app_data(web::Data::new(ApiDocs(self.describe(rf))));
        for route in self.all() {
            cfg.service(resource(route, rf));
        }
    }
}

/// A list route's filters and paginator in force.
fn listing_for(route: &Route, rf: &RestFrameworkSettings) -> Option<ListPolicy> {
    route
        .list
        .clone()
        .map(|decl| ListPolicy::new(&route.name, decl, rf))
}

/// The classes in force on a route: settings, then code, then the default,
/// and the route's own `always` classes.
fn permissions_for(route: &Route, rf: &RestFrameworkSettings) -> Permissions {
    let mut classes = rf
        .permissions
        .get(&route.name)
        .or(route.permission_classes.as_ref())
        .unwrap_or(&rf.default_permission_classes)
        .clone();
    classes.extend(route.always.iter().cloned());
    Permissions::new(classes)
}

/// The actix-web resource of a route: its paths (DRF's
/// `format_suffix_patterns`: `task/`, `task.json`, `task.json/`; the root's
/// `.json`), its methods, OPTIONS, 405 for the rest, wrapped in its view.
fn resource(
    route: Route,
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
    let allow = route
        .methods()
        .iter()
        .map(Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let info = Arc::new(RouteInfo {
        name: route.name.clone(),
        view: route.view,
        allow: HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static("OPTIONS")),
        permissions: permissions_for(&route, rf),
        listing: listing_for(&route, rf),
        metadata: route.metadata.clone(),
    });
    let stem = format!("{API_PREFIX}{}", route.pattern.trim_end_matches('/'));
    let mut resource = web::resource(vec![
        format!("{API_PREFIX}{}", route.pattern),
        format!("{stem}.json"),
        format!("{stem}.json/"),
    ])
    .name(&route.name);
    for a in &route.actions {
        resource = resource.route((a.build)(a.method.clone()));
        if a.method == Method::GET {
            resource = resource.route((a.build)(Method::HEAD));
        }
    }
    resource
        .route(web::method(Method::OPTIONS).to(options))
        .default_service(web::to(method_not_allowed))
        .wrap(from_fn(move |req, next| {
            view::view(info.clone(), req, next)
        }))
}

pub(crate) async fn method_not_allowed(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::MethodNotAllowed(req.method().clone()))
}

/// OPTIONS on any route: DRF's `SimpleMetadata`. A write method's fields are
/// described only to whom may use it, and on a detail route only for an
/// object that exists and that they may use it on.
async fn options(
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
                json!({ metadata.method.as_str(): (metadata.fields)() }),
            );
        }
    }
    Ok(HttpResponse::Ok().json(body))
}
