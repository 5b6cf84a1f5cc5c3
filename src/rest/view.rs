//! What DRF's `APIView` does around every handler, as one resource middleware:
//! content negotiation (406), authentication (401), the route's permission
//! classes (401 anonymous / 403 authenticated), its throttles (429), then
//! the handler; and on every
//! response, the route's `Allow` header and `Vary: Accept`.

use std::sync::Arc;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::negotiation;
use super::route::RouteInfo;
use crate::auth::Principal;
use crate::error::ApiError;
use crate::http::observe::RequestScope;
use crate::http::proxy::Forwarded;
use crate::state::AppState;

/// What the view knows about a request once it reaches the handler.
#[derive(Clone)]
pub struct RequestContext {
    pub route: Arc<RouteInfo>,
    pub principal: Principal,
}

/// The middleware body for one route (wrapped with `from_fn` by the router).
pub async fn view(
    route: Arc<RouteInfo>,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let allow = route.allow.clone();
    let scope = RequestScope::of(&req);
    if let Some(scope) = &scope {
        scope.set_route(route.name.clone());
    }
    let mut response = match initial(&route, &req, scope.as_deref()).await {
        Ok(principal) => {
            req.extensions_mut()
                .insert(RequestContext { route, principal });
            next.call(req).await?.map_into_boxed_body()
        }
        Err(e) => req.error_response(e).map_into_boxed_body(),
    };
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, allow);
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

/// DRF's `APIView.initial`: negotiate, authenticate, check permissions, then throttles.
async fn initial(
    route: &RouteInfo,
    req: &ServiceRequest,
    scope: Option<&RequestScope>,
) -> Result<Principal, ApiError> {
    negotiation::check(req.request())?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let principal = state.authenticator.authenticate(authorization).await?;
    if let (Some(scope), Some(user)) = (scope, principal.user()) {
        scope.set_user(&user.username);
    }
    route.permissions.check(req.method(), &principal)?;
    if !route.throttles.is_empty() {
        let trusted = &state.settings.server.trusted_proxies;
        // The observer resolved it once already.
        let client = || match scope {
            Some(scope) => scope.client,
            None => Forwarded::of_service(req, trusted).client,
        };
        let refuse = state.settings.cache.refuse_when_unavailable;
        let checked = route
            .throttles
            .check(&state.cache, refuse, &principal, client)
            .await;
        if let Err(ApiError::Throttled(_)) = &checked {
            state.metrics.throttled(&route.name);
        }
        checked?;
    }
    Ok(principal)
}

impl actix_web::FromRequest for RequestContext {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &actix_web::HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        std::future::ready(
            req.extensions()
                .get::<RequestContext>()
                .cloned()
                .ok_or_else(|| ApiError::internal("handler reached without its view")),
        )
    }
}
