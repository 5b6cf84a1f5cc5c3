//! `GET /userinfo` (the profile of an access token's user, for a token of
//! this issuer whose audiences include `/userinfo`) and `GET /v2/logout`
//! (ends the browser's session, then back to `returnTo` if it is allowed).

use actix_web::cookie::Cookie;
use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use super::OAuthError;
use super::authorize::SESSION_COOKIE;
use crate::auth::header::bearer_token;
use crate::dev_issuer::DevIssuer;
use crate::error::ApiError;

pub(super) async fn userinfo(
    req: HttpRequest,
    dev: web::Data<DevIssuer>,
) -> Result<HttpResponse, OAuthError> {
    let issuer = dev.get_ref();
    let unauthorized = || {
        OAuthError::new(
            StatusCode::UNAUTHORIZED,
            "invalid_token",
            "an access token of this issuer for /userinfo is required",
        )
    };
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes());
    let token = bearer_token(authorization, "Bearer")
        .ok()
        .flatten()
        .ok_or_else(unauthorized)?;
    let claims = issuer
        .verify_for_userinfo(token)
        .await
        .ok_or_else(unauthorized)?;
    let sub = claims.subject().unwrap_or_default();
    let mut body = json!({ "sub": sub });
    // As Auth0: the profile only with the profile scope, the e-mail with email.
    if let (Some(user), Some(map)) = (issuer.browsers.profile(sub), body.as_object_mut()) {
        let scopes: Vec<&str> = claims.scopes().collect();
        if scopes.contains(&"profile") {
            map.insert("name".into(), json!(user.name));
            map.insert("nickname".into(), json!(user.nickname()));
        }
        if scopes.contains(&"email") && !user.email.is_empty() {
            map.insert("email".into(), json!(user.email));
        }
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .json(body))
}

pub(super) async fn logout(
    req: HttpRequest,
    dev: web::Data<DevIssuer>,
) -> Result<HttpResponse, ApiError> {
    let issuer = dev.get_ref();
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        issuer.browsers.sign_out(cookie.value());
    }
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    let return_to = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == "returnTo")
        .map(|(_, v)| v.into_owned());
    let mut response = match return_to {
        None => HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body("Signed out."),
        Some(url) if issuer.allows_logout(&url) => HttpResponse::Found()
            .insert_header((header::LOCATION, url))
            .finish(),
        Some(url) => HttpResponse::BadRequest()
            .content_type("text/plain; charset=utf-8")
            .body(format!(
                "Signed out, but returnTo {url:?} is not among auth.dev_issuer.logout_urls."
            )),
    };
    let _ = response.add_cookie(&gone);
    Ok(response)
}
