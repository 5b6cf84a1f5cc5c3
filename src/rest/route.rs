//! What a route is: DRF's URL pattern with its view, the methods it
//! answers, its permission classes, and what OPTIONS, the schema and the
//! handlers know of it. The [`Router`](super::router::Router) turns these
//! declarations into actix-web resources.

use std::sync::Arc;

use actix_web::http::Method;
use actix_web::http::header::HeaderValue;
use actix_web::{FromRequest, Handler, Responder, web};
use futures_util::future::LocalBoxFuture;
use serde_json::Value;

use crate::error::ApiError;
use crate::policy::{PermissionClass, ThrottleClass};
use crate::rest::listing::{ListDecl, ListPolicy};
use crate::rest::permissions::{ObjectView, Permissions};
use crate::rest::serializer::FieldSpec;
use crate::rest::throttling::Throttles;
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
    pub(super) method: Method,
    pub(super) build: RouteFn,
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
    pub method: Method,
    pub fields: Arc<[FieldSpec]>,
    pub object: Option<FetchObject>,
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
    /// Declared in code (a view's `throttle_classes`); `None` takes the default.
    pub throttle_classes: Option<Vec<ThrottleClass>>,
    /// The view's `throttle_scope` (ScopedRateThrottle's key in the rates).
    pub throttle_scope: Option<String>,
    pub(super) metadata: Option<Metadata>,
    /// A plain view's answer, as a JSON Schema (the OpenAPI document's).
    pub(super) returns: Option<Value>,
    /// A viewset route's object (the OpenAPI document's).
    pub(super) resource: Option<ResourceDoc>,
    /// A list route's search, ordering and pagination declaration.
    pub(super) list: Option<ListDecl>,
}

/// What the OpenAPI document says of a viewset's object.
#[derive(Clone)]
pub struct ResourceDoc {
    /// The serializer's fields.
    pub fields: Arc<[FieldSpec]>,
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
            throttle_classes: None,
            throttle_scope: None,
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

    /// A view's own `throttle_classes` (`&[]`: never throttled, such as the probes).
    pub fn throttle_classes(mut self, classes: &[ThrottleClass]) -> Route {
        self.throttle_classes = Some(classes.to_vec());
        self
    }

    /// The methods it answers, in DRF's order, HEAD with GET and always OPTIONS.
    pub(super) fn methods(&self) -> Vec<Method> {
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
    /// The viewset's `throttle_scope`, for both its routes.
    pub throttle_scope: Option<&'static str>,
    /// The serializer's fields.
    pub fields: Arc<[FieldSpec]>,
    pub object: FetchObject,
    /// What its list may be searched and ordered by.
    pub listing: ListDecl,
}

/// What the view middleware and the handlers know of their route.
pub struct RouteInfo {
    /// The router's name of the route: the `route` label of metrics and logs.
    pub name: Arc<str>,
    pub view: ViewName,
    pub allow: HeaderValue,
    pub permissions: Permissions,
    pub throttles: Throttles,
    /// A list route's filters and paginator in force.
    pub listing: Option<ListPolicy>,
    pub metadata: Option<Metadata>,
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
    /// Whether a throttle applies (the schema's 429).
    pub throttled: bool,
    /// A viewset's fields and example object.
    pub resource: Option<ResourceDoc>,
    /// A plain view's answer (JSON Schema).
    pub returns: Option<Value>,
    /// A list route's filters and paginator in force.
    pub listing: Option<ListPolicy>,
}

/// Every route's [`RouteDoc`], for the schema view, and the document made
/// of them: made once (the first request), shared by every worker; only
/// its `servers` is the request's own.
pub struct ApiDocs {
    pub routes: Vec<RouteDoc>,
    pub document: Arc<std::sync::OnceLock<Value>>,
}

/// `task/{id:[0-9]+}/` as OpenAPI writes it, and its parameter.
pub(super) fn openapi_path(pattern: &str) -> (String, Option<(String, String)>) {
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
