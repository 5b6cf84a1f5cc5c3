//! `POST /oauth/token`, as Auth0's: the client-credentials grant (a
//! machine-to-machine client with its secret) and the authorization-code
//! grant with PKCE (a browser's client: one use, bound to client, redirect
//! URI and verifier, a minute long). Errors are RFC 6749's.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, json};

use super::{OAuthError, text};
use crate::dev_issuer::browser::Grant;
use crate::dev_issuer::{DevIssuer, TokenOptions};
use crate::rest::parsers::{self, Data};
use crate::state::AppState;

fn invalid_request(description: impl Into<String>) -> OAuthError {
    OAuthError::new(StatusCode::BAD_REQUEST, "invalid_request", description)
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

pub(super) async fn token(
    req: HttpRequest,
    state: web::Data<AppState>,
    dev: web::Data<DevIssuer>,
    payload: web::Payload,
) -> Result<HttpResponse, OAuthError> {
    let issuer = dev.get_ref();
    let data = parsers::parse(&req, payload, state.settings.server.max_body_bytes)
        .await
        .map_err(|e| invalid_request(format!("the body must be a JSON object or a form ({e})")))?;
    let grant_type =
        text(&data, "grant_type").ok_or_else(|| invalid_request("grant_type is required"))?;
    let body = match grant_type.as_str() {
        "client_credentials" => client_credentials(&req, &data, issuer)?,
        "authorization_code" => authorization_code(&data, issuer)?,
        other => {
            return Err(OAuthError::new(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                format!(
                    "grant type {other:?} is not supported; use authorization_code or client_credentials"
                ),
            ));
        }
    };
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

fn client_credentials(
    req: &HttpRequest,
    data: &Data,
    issuer: &DevIssuer,
) -> Result<serde_json::Value, OAuthError> {
    let (client_id, client_secret) = match (text(data, "client_id"), text(data, "client_secret")) {
        (Some(id), Some(secret)) => (id, secret),
        _ => basic_credentials(req)
            .ok_or_else(|| invalid_request("client_id and client_secret are required"))?,
    };
    if !issuer.client_matches(&client_id, &client_secret) {
        return Err(OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "unknown client or wrong client secret",
        ));
    }
    if let Some(audience) = text(data, "audience")
        && audience != issuer.audience()
    {
        return Err(OAuthError::new(
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
        .map_err(OAuthError::server)?;
    Ok(json!({
        "access_token": minted.token,
        "token_type": "Bearer",
        "expires_in": minted.expires_in,
        "scope": minted.scope,
    }))
}

fn authorization_code(data: &Data, issuer: &DevIssuer) -> Result<serde_json::Value, OAuthError> {
    let field =
        |name: &str| text(data, name).ok_or_else(|| invalid_request(format!("{name} is required")));
    let (code, client_id, redirect_uri, verifier) = (
        field("code")?,
        field("client_id")?,
        field("redirect_uri")?,
        field("code_verifier")?,
    );
    let grant = issuer
        .browsers
        .redeem(&code, &client_id, &redirect_uri, &verifier)
        .map_err(|e| OAuthError::new(StatusCode::FORBIDDEN, "invalid_grant", e.to_string()))?;
    let tokens = browser_tokens(issuer, &grant, true).map_err(OAuthError::server)?;
    Ok(tokens.json())
}

/// What a browser's sign-in gets: an access token for the API (and, when
/// `openid` is asked, for `/userinfo`), and an ID token when `openid` is asked.
pub(super) struct BrowserTokens {
    pub access_token: Option<String>,
    pub id_token: Option<String>,
    pub expires_in: u64,
    pub scope: String,
}

impl BrowserTokens {
    fn json(&self) -> serde_json::Value {
        let mut body = json!({
            "token_type": "Bearer",
            "expires_in": self.expires_in,
            "scope": self.scope,
        });
        if let Some(map) = body.as_object_mut() {
            if let Some(token) = &self.access_token {
                map.insert("access_token".into(), json!(token));
            }
            if let Some(token) = &self.id_token {
                map.insert("id_token".into(), json!(token));
            }
        }
        body
    }
}

/// Tokens as Auth0 issues them to a browser's client. `access`: whether an
/// access token is wanted (not for `response_type=id_token`).
pub(super) fn browser_tokens(
    issuer: &DevIssuer,
    grant: &Grant,
    access: bool,
) -> Result<BrowserTokens, crate::dev_issuer::DevIssuerError> {
    let openid = grant.scope.split_ascii_whitespace().any(|s| s == "openid");
    let mut extra = Map::new();
    extra.insert("azp".into(), json!(grant.client_id));
    if openid {
        extra.insert("aud".into(), json!([grant.audience, issuer.userinfo_url()]));
    }
    let minted = issuer.mint(TokenOptions {
        sub: grant.user.sub.clone(),
        scope: Some(grant.scope.clone()),
        permissions: grant.user.permissions.clone(),
        audience: Some(grant.audience.clone()),
        extra,
        ..TokenOptions::default()
    })?;
    let access_token = access.then_some(minted.token);
    let id_token = if openid {
        Some(issuer.mint_id_token(
            &grant.user,
            &grant.client_id,
            grant.nonce.as_deref(),
            access_token.as_deref(),
        )?)
    } else {
        None
    };
    Ok(BrowserTokens {
        access_token,
        id_token,
        expires_in: minted.expires_in,
        scope: minted.scope,
    })
}
