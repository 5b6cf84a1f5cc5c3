//! What DRF's `APIView` does around every handler, as one resource middleware:
//! content negotiation (406), authentication (401), the route's permission
//! (401 anonymous / 403 authenticated), then the handler; and on every
//! response, the route's `Allow` header and `Vary: Accept`.

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, web};

use super::Route;
use super::negotiation;
use crate::auth::Principal;
use crate::auth::permissions::Permission;
use crate::error::ApiError;
use crate::startup::AppState;

/// What the view knows about a request once it reaches the handler.
#[derive(Clone)]
pub struct RequestContext {
    pub route: &'static Route,
    pub permission: Permission,
    pub principal: Principal,
}

/// The middleware body for one route, its permission class already resolved
/// (wrapped with `from_fn` in `api::resource`).
pub async fn view(
    route: &'static Route,
    permission: Permission,
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let mut response = match initial(permission, &req).await {
        Ok(principal) => {
            req.extensions_mut().insert(RequestContext {
                route,
                permission,
                principal,
            });
            next.call(req).await?.map_into_boxed_body()
        }
        Err(e) => req.error_response(e).map_into_boxed_body(),
    };
    let headers = response.headers_mut();
    headers.insert(header::ALLOW, HeaderValue::from_static(route.allow));
    headers.insert(header::VARY, HeaderValue::from_static("Accept"));
    Ok(response)
}

/// DRF's `APIView.initial`: negotiate, authenticate, check permissions.
async fn initial(permission: Permission, req: &ServiceRequest) -> Result<Principal, ApiError> {
    negotiation::check(req.request())?;
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("application state missing"))?;
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(HeaderValue::as_bytes);
    let principal = state.authenticator.authenticate(authorization).await?;
    if !permission.allows(req.method(), &principal) {
        return Err(if principal.is_authenticated() {
            ApiError::PermissionDenied
        } else {
            ApiError::NotAuthenticated
        });
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
