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
use actix_web::{HttpRequest, Resource, web};
use serde_json::{Value, json};

use super::route::*;
use super::{metadata, openapi, root, view};
use crate::policy::{AllowAny, PermissionClass};
use crate::rest::listing::ListPolicy;
use crate::rest::permissions::Permissions;
use crate::rest::throttling::Throttles;
use crate::settings::RestFrameworkSettings;
use crate::state::AppState;

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
    /// The OpenAPI document, once made (every worker's copy shares it).
    document: Arc<std::sync::OnceLock<Value>>,
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
            fields: viewset.fields.clone(),
            object: None,
        });
        let detail_metadata = writes(&viewset.detail_actions, Method::PUT).map(|method| Metadata {
            method,
            fields: viewset.fields.clone(),
            object: Some(viewset.object.clone()),
        });
        let resource = ResourceDoc {
            fields: viewset.fields,
        };
        self.links.push((viewset.basename, list_pattern.clone()));
        self.routes.push(Route {
            name: format!("{}-list", viewset.basename),
            pattern: list_pattern,
            view: viewset.list,
            actions: viewset.list_actions,
            permission_classes: viewset.permission_classes.clone(),
            always: Vec::new(),
            throttle_classes: None,
            throttle_scope: viewset.throttle_scope.map(str::to_owned),
            metadata: list_metadata,
            returns: None,
            resource: Some(resource.clone()),
            list: Some(viewset.listing),
        });
        self.routes.push(Route {
            name: format!("{}-detail", viewset.basename),
            pattern: format!("{}/{{id:{}}}/", viewset.prefix, viewset.lookup),
            view: viewset.detail,
            actions: viewset.detail_actions,
            permission_classes: viewset.permission_classes,
            always: viewset.detail_always,
            throttle_classes: None,
            throttle_scope: viewset.throttle_scope.map(str::to_owned),
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
            vec![action(Method::GET, openapi::view)],
        )
        .permission_classes(&[PermissionClass::new(AllowAny)])
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
                    throttled: throttles_for(&route, rf).is_ok_and(|t| !t.is_empty()),
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

    /// Settings that name a route nobody registered, a list setting
    /// (pagination, filters) on a route that does not list, or a throttle
    /// scope with no rate.
    pub fn settings_problems(&self, rf: &RestFrameworkSettings) -> Vec<String> {
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
            .chain(routes.iter().filter_map(|r| throttles_for(r, rf).err()))
            .collect()
    }

    /// Adds every route to an app (once per worker).
    pub fn configure(&self, cfg: &mut web::ServiceConfig, rf: &RestFrameworkSettings) {
        cfg.app_data(web::Data::new(ApiDocs {
            routes: self.describe(rf),
            document: self.document.clone(),
        }));
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

/// The throttles in force on a route: classes from settings, then code,
/// then the default; the scope from settings, then code.
fn throttles_for(route: &Route, rf: &RestFrameworkSettings) -> Result<Throttles, String> {
    let classes = rf
        .throttle_classes
        .get(&route.name)
        .or(route.throttle_classes.as_ref())
        .unwrap_or(&rf.default_throttle_classes);
    let scope = rf
        .throttle_scope
        .get(&route.name)
        .or(route.throttle_scope.as_ref());
    Throttles::new(classes, scope.map(String::as_str), rf)
        .map_err(|e| format!("route {:?}: {e}", route.name))
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
        name: Arc::from(route.name.as_str()),
        view: route.view,
        allow: HeaderValue::from_str(&allow).unwrap_or(HeaderValue::from_static("OPTIONS")),
        permissions: permissions_for(&route, rf),
        // A scope without a rate stopped the start (`problems`).
        throttles: throttles_for(&route, rf).unwrap_or_default(),
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
        .route(web::method(Method::OPTIONS).to(metadata::options))
        .default_service(web::to(metadata::method_not_allowed))
        .wrap(from_fn(move |req, next| {
            view::view(info.clone(), req, next)
        }))
}
