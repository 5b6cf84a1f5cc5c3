//! Each request observed from outside every other middleware: its ID (kept
//! or made, echoed), its [`RequestScope`] (what its log lines carry), its
//! metrics, and its access line.

use std::cell::{Cell, RefCell};
use std::net::IpAddr;
use std::rc::Rc;
use std::sync::Arc;
use std::time::Instant;

use actix_web::HttpMessage;
use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::HeaderValue;
use actix_web::middleware::Next;

use super::proxy::Forwarded;
use super::request_id::{self, HEADER};
use crate::metrics::{Metrics, RequestLabels, method_label};
use crate::settings::TrustedProxies;

/// The access lines' log target (`RUST_LOG=todoapi::access=off` silences them).
pub const ACCESS_TARGET: &str = "todoapi::access";
/// The route label of a request no route matched.
pub const UNMATCHED: &str = "unmatched";

tokio::task_local! {
    static SCOPE: Rc<RequestScope>;
}

/// What a request's log lines say of it. Filled as it goes: the route and
/// the user once the view knows them, the answer at the end.
pub struct RequestScope {
    pub id: String,
    /// Cloned, not formatted: a standard method's clone allocates nothing.
    pub method: Method,
    pub path: String,
    /// As trusted proxies report it, else the peer.
    pub client: Option<IpAddr>,
    route: RefCell<Option<Arc<str>>>,
    user: RefCell<Option<String>>,
    /// Status, seconds, body bytes: set just before the access line.
    answer: Cell<Option<(u16, f64, Option<u64>)>>,
}

impl RequestScope {
    /// The scope of the request being served on this task, if any.
    pub fn with_current<R>(f: impl FnOnce(&RequestScope) -> R) -> Option<R> {
        SCOPE.try_with(|scope| f(scope)).ok()
    }

    /// A request's scope, from its extensions.
    pub fn of(req: &ServiceRequest) -> Option<Rc<RequestScope>> {
        req.extensions().get::<Rc<RequestScope>>().cloned()
    }

    /// The router's name of the route serving it.
    pub fn set_route(&self, route: Arc<str>) {
        *self.route.borrow_mut() = Some(route);
    }

    pub fn set_user(&self, user: &str) {
        *self.user.borrow_mut() = Some(user.to_owned());
    }

    pub fn route(&self) -> Option<Arc<str>> {
        self.route.borrow().clone()
    }

    pub fn user(&self) -> Option<String> {
        self.user.borrow().clone()
    }

    pub fn answer(&self) -> Option<(u16, f64, Option<u64>)> {
        self.answer.get()
    }
}

/// What the middleware needs, shared by every worker.
pub struct Observer {
    pub metrics: Arc<Metrics>,
    pub trusted: TrustedProxies,
    /// `metrics.enabled`: false records nothing (the ID and the log stay).
    pub record: bool,
}

pub async fn observe(
    observer: Arc<Observer>,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let start = Instant::now();
    let _in_flight = observer.record.then(|| observer.metrics.http.started());
    let kept = req
        .headers()
        .get(&HEADER)
        .filter(|id| request_id::well_formed(id.as_bytes()))
        .and_then(|id| id.to_str().ok())
        .map(str::to_owned);
    let scope = Rc::new(RequestScope {
        id: kept.unwrap_or_else(request_id::new_id),
        method: req.method().clone(),
        // Never the query string: a client could put a token there.
        path: req.path().to_owned(),
        client: Forwarded::of_service(&req, &observer.trusted).client,
        route: RefCell::new(None),
        user: RefCell::new(None),
        answer: Cell::new(None),
    });
    req.extensions_mut().insert(scope.clone());
    SCOPE
        .scope(scope.clone(), async move {
            let result = next.call(req).await;
            let (status, bytes, route) = match &result {
                Ok(res) => (
                    res.status().as_u16(),
                    match res.response().body().size() {
                        BodySize::Sized(n) => Some(n),
                        _ => None,
                    },
                    scope.route().unwrap_or_else(|| route_label(res)),
                ),
                Err(e) => (
                    e.as_response_error().status_code().as_u16(),
                    None,
                    scope.route().unwrap_or_else(|| Arc::from(UNMATCHED)),
                ),
            };
            scope.set_route(route.clone());
            let seconds = start.elapsed().as_secs_f64();
            if observer.record {
                observer.metrics.http.finished(
                    RequestLabels {
                        route,
                        method: method_label(scope.method.as_str()),
                        status,
                    },
                    seconds,
                );
            }
            scope.answer.set(Some((status, seconds, bytes)));
            log::info!(
                target: ACCESS_TARGET,
                "{} {} {} {status} {} {:.3}ms",
                scope.client.map_or_else(|| "-".to_owned(), |ip| ip.to_string()),
                scope.method,
                scope.path,
                bytes.map_or_else(|| "-".to_owned(), |n| n.to_string()),
                seconds * 1000.0,
            );
            let mut res = result?;
            if let Ok(id) = HeaderValue::from_str(&scope.id) {
                res.headers_mut().insert(HEADER, id);
            }
            Ok(res)
        })
        .await
}

/// A request the router's views did not serve: the pattern of what served
/// it (the development issuer's pages, static files), else `unmatched`.
/// Patterns are the application's own, so the label stays bounded.
fn route_label(res: &ServiceResponse<BoxBody>) -> Arc<str> {
    match res.request().match_pattern() {
        Some(pattern) if !pattern.is_empty() => Arc::from(pattern),
        _ => Arc::from(UNMATCHED),
    }
}
