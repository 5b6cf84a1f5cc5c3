//! The development issuer's endpoints, mounted only while
//! `auth.dev_issuer.enabled`, at the paths an Auth0 tenant has them, so that
//! SDKs pointed at the server find them: its key set and discovery document,
//! `/authorize` with a sign-in page (`authorize.rs`), `/oauth/token`
//! (`token.rs`), `/userinfo` and `/v2/logout` (`account.rs`); and the
//! SPA's `config.json`.

mod account;
mod authorize;
mod pages;
mod token;

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpResponse, web};
use serde_json::{Value, json};

use crate::auth::Principal;
use crate::dev_issuer::DevIssuer;
use crate::error::ApiError;
use crate::http::proxy::Forwarded;
use crate::rest::fields::Input;
use crate::rest::parsers::Data;
use crate::rest::throttling::Throttles;
use crate::state::AppState;

pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const AUTHORIZE_PATH: &str = "/authorize";
pub const TOKEN_PATH: &str = "/oauth/token";
/// The token endpoint's first path here, kept for clients that have it.
pub const OLD_TOKEN_PATH: &str = "/dev/oauth/token";
pub const USERINFO_PATH: &str = "/userinfo";
pub const LOGOUT_PATH: &str = "/v2/logout";
/// The SPA's settings (`docker/spa/app.js` fetches it).
pub const SPA_CONFIG_PATH: &str = "/config.json";

/// A path and the handler of each method it answers.
type Endpoint = (&'static str, &'static [(Method, fn() -> actix_web::Route)]);

pub fn configure(cfg: &mut web::ServiceConfig) {
    let routes: [Endpoint; 8] = [
        (JWKS_PATH, &[(Method::GET, || web::get().to(jwks))]),
        (
            DISCOVERY_PATH,
            &[(Method::GET, || web::get().to(discovery))],
        ),
        (
            AUTHORIZE_PATH,
            &[
                (Method::GET, || web::get().to(authorize::get)),
                (Method::POST, || web::post().to(authorize::sign_in)),
            ],
        ),
        (
            TOKEN_PATH,
            &[(Method::POST, || web::post().to(token::token))],
        ),
        (
            OLD_TOKEN_PATH,
            &[(Method::POST, || web::post().to(token::token))],
        ),
        (
            USERINFO_PATH,
            &[(Method::GET, || web::get().to(account::userinfo))],
        ),
        (
            LOGOUT_PATH,
            &[(Method::GET, || web::get().to(account::logout))],
        ),
        (
            SPA_CONFIG_PATH,
            &[(Method::GET, || web::get().to(spa_config))],
        ),
    ];
    for (path, methods) in routes {
        let mut resource = web::resource(path);
        for (method, route) in methods {
            resource = resource.route(route());
            if *method == Method::GET {
                resource = resource.route(route().method(Method::HEAD));
            }
        }
        let resource = resource.default_service(web::to(crate::rest::metadata::method_not_allowed));
        match [AUTHORIZE_PATH, TOKEN_PATH, OLD_TOKEN_PATH].contains(&path) {
            true => cfg.service(resource.wrap(from_fn(throttled))),
            false => cfg.service(resource),
        };
    }
}

/// Sign-ins and token requests, counted by client address
/// (`auth.dev_issuer.throttle_rate`): the issuer signs for anyone who
/// asks, so that no one floods it.
async fn throttled(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    if let Some(state) = state.filter(|_| req.method() == Method::POST)
        && let Some(rate) = state.settings.auth.dev_issuer.throttle_rate
    {
        let client = Forwarded::of_service(&req, &state.settings.server.trusted_proxies).client;
        let refuse = state.settings.cache.refuse_when_unavailable;
        let check = Throttles::by_address("dev_issuer", rate)
            .check(&state.cache, refuse, &Principal::Anonymous, || client)
            .await;
        if let Err(e) = check {
            return Ok(req.error_response(e).map_into_boxed_body());
        }
    }
    next.call(req).await
}

/// An OAuth 2.0 error (RFC 6749 §5.2): `{"error", "error_description"}`,
/// not DRF's shape; what the token and userinfo endpoints answer.
#[derive(Debug, thiserror::Error)]
#[error("{description}")]
pub struct OAuthError {
    status: actix_web::http::StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    pub fn new(
        status: actix_web::http::StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> Self {
        OAuthError {
            status,
            error,
            description: description.into(),
        }
    }

    /// RFC 6749's `server_error`; the cause is logged, not shown.
    pub fn server(cause: impl std::fmt::Display) -> Self {
        log::error!("development issuer: {cause}");
        OAuthError::new(
            actix_web::http::StatusCode::INTERNAL_SERVER_ERROR,
            "server_error",
            "the development issuer failed",
        )
    }
}

impl actix_web::ResponseError for OAuthError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        HttpResponse::build(self.status)
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .json(json!({ "error": self.error, "error_description": self.description }))
    }
}

/// A text field of a JSON or form body.
fn text(data: &Data, field: &str) -> Option<String> {
    match data.get(field) {
        Input::Json(Value::String(s)) => Some(s.clone()),
        Input::Text(s) => Some(s.to_owned()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

async fn jwks(dev: web::Data<DevIssuer>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(dev.get_ref().jwks()))
}

async fn discovery(dev: web::Data<DevIssuer>) -> Result<HttpResponse, ApiError> {
    let issuer = dev.get_ref();
    let base = issuer.issuer().trim_end_matches('/');
    Ok(HttpResponse::Ok().json(json!({
        "issuer": issuer.issuer(),
        "authorization_endpoint": format!("{base}{AUTHORIZE_PATH}"),
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "userinfo_endpoint": format!("{base}{USERINFO_PATH}"),
        "end_session_endpoint": format!("{base}{LOGOUT_PATH}"),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "grant_types_supported": ["authorization_code", "implicit", "client_credentials"],
        "response_types_supported": ["code", "token", "id_token", "token id_token"],
        "response_modes_supported": ["query", "fragment", "web_message"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_post", "client_secret_basic"],
        "scopes_supported": ["openid", "profile", "email"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })))
}

/// The SPA's settings for this server: its own issuer as the Auth0 domain.
async fn spa_config(dev: web::Data<DevIssuer>) -> Result<HttpResponse, ApiError> {
    let issuer = dev.get_ref();
    let base = issuer.issuer().trim_end_matches('/');
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "domain": base,
            "clientId": issuer.client_id(),
            "audience": issuer.audience(),
            // Relative: the API is on the page's own origin.
            "apiBase": "/api",
        })))
}
