//! The development issuer's endpoints, mounted only while
//! `auth.dev_issuer.enabled`: its key set, its discovery document, and the
//! OAuth 2.0 client-credentials grant in the shape of Auth0's `/oauth/token`.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::body::{self, Data};
use super::fields::Input;
use crate::auth::dev_issuer::{DevIssuer, TokenOptions};
use crate::error::ApiError;
use crate::state::AppState;

pub const JWKS_PATH: &str = "/.well-known/jwks.json";
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";
pub const TOKEN_PATH: &str = "/dev/oauth/token";

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(JWKS_PATH)
            .route(web::get().to(jwks))
            .route(web::head().to(jwks))
            .default_service(web::to(super::router::method_not_allowed)),
    )
    .service(
        web::resource(DISCOVERY_PATH)
            .route(web::get().to(discovery))
            .route(web::head().to(discovery))
            .default_service(web::to(super::router::method_not_allowed)),
    )
    .service(
        web::resource(TOKEN_PATH)
            .route(web::post().to(token))
            .default_service(web::to(super::router::method_not_allowed)),
    );
}

fn issuer(state: &AppState) -> Result<&DevIssuer, ApiError> {
    state.dev_issuer.as_deref().ok_or(ApiError::NotFound)
}

async fn jwks(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .json(issuer(&state)?.jwks()))
}

async fn discovery(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let issuer = issuer(&state)?;
    let base = issuer.issuer().trim_end_matches('/');
    Ok(HttpResponse::Ok().json(json!({
        "issuer": issuer.issuer(),
        "jwks_uri": format!("{base}{JWKS_PATH}"),
        "token_endpoint": format!("{base}{TOKEN_PATH}"),
        "grant_types_supported": ["client_credentials"],
        "token_endpoint_auth_methods_supported": ["client_secret_post", "client_secret_basic"],
        "response_types_supported": ["token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["RS256"],
    })))
}

fn invalid_request(description: impl Into<String>) -> ApiError {
    ApiError::oauth(StatusCode::BAD_REQUEST, "invalid_request", description)
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

/// `client_secret_basic`: the client's id and secret in an `Authorization: Basic` header.
fn basic_credentials(req: &HttpRequest) -> Option<(String, String)> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((id.to_owned(), secret.to_owned()))
}

async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let issuer = issuer(&state)?;
    let data = body::parse(&req, payload, state.settings.server.max_body_bytes)
        .await
        .map_err(|e| invalid_request(format!("the body must be a JSON object or a form ({e})")))?;
    let grant_type =
        text(&data, "grant_type").ok_or_else(|| invalid_request("grant_type is required"))?;
    if grant_type != "client_credentials" {
        return Err(ApiError::oauth(
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
            format!("grant type {grant_type:?} is not supported; use client_credentials"),
        ));
    }
    let (client_id, client_secret) = match (text(&data, "client_id"), text(&data, "client_secret"))
    {
        (Some(id), Some(secret)) => (id, secret),
        _ => basic_credentials(&req)
            .ok_or_else(|| invalid_request("client_id and client_secret are required"))?,
    };
    if !issuer.client_matches(&client_id, &client_secret) {
        return Err(ApiError::oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong client secret",
        ));
    }
    if let Some(audience) = text(&data, "audience")
        && audience != issuer.audience()
    {
        return Err(ApiError::oauth(
            StatusCode::FORBIDDEN,
            "access_denied",
            format!("Service not found: {audience}"),
        ));
    }
    let mut extra = Map::new();
    extra.insert("gty".into(), json!("client-credentials"));
    extra.insert("azp".into(), json!(client_id));
    let minted = issuer
        .mint(TokenOptions {
            sub: format!("{client_id}@clients"),
            extra,
            ..TokenOptions::default()
        })
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(json!({
            "access_token": minted.token,
            "token_type": "Bearer",
            "expires_in": minted.expires_in,
            "scope": minted.scope,
        })))
}
