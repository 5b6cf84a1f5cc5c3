//! `GET /authorize`, as Auth0's: the implicit flow (`token`, `id_token`,
//! `token id_token`, answered in the fragment) and the authorization-code
//! flow with PKCE (`code`, S256 only, answered in the query), `web_message`
//! for silent sign-in in an iframe (auth0-spa-js's `checkSession`),
//! `prompt=none` (`login_required` until someone signed in). Anyone may sign
//! in as anyone: a small page asks for the user (a `sub`) and, optionally,
//! extra permissions; no password is kept. An unknown client or redirect
//! URI gets an error page, never a redirect; every other error goes back to
//! the client as Auth0 sends it (`error`, `error_description`, `state`).

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::pages::{error_page, sign_in_page, web_message};
use super::token::browser_tokens;
use crate::auth::users::MAX_USERNAME_CHARS;
use crate::dev_issuer::DevIssuer;
use crate::dev_issuer::browser::{Grant, SignIn};
use crate::error::ApiError;
use crate::http::proxy::Forwarded;
use crate::rest::parsers::{self, Data};
use crate::state::AppState;

/// The browser's session with the development issuer.
pub(super) const SESSION_COOKIE: &str = "todoapi_dev_session";
/// Who the sign-in page suggests.
const DEFAULT_SUB: &str = "auth0|dev-user";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Query,
    Fragment,
    WebMessage,
}

/// A checked `/authorize` request.
#[derive(Debug, Clone)]
struct Authorize {
    code: bool,
    token: bool,
    id_token: bool,
    client_id: String,
    redirect_uri: String,
    mode: Mode,
    audience: String,
    scope: String,
    state: Option<String>,
    nonce: Option<String>,
    prompt: Option<String>,
    login_hint: Option<String>,
    code_challenge: Option<String>,
    /// Every parameter as given, carried through the sign-in page.
    params: Vec<(String, String)>,
}

/// The sign-in form for this request, suggesting its login hint.
fn page(request: &Authorize, problem: Option<&str>) -> HttpResponse {
    let sub = request.login_hint.as_deref().unwrap_or(DEFAULT_SUB);
    sign_in_page(&request.params, sub, problem)
}

/// Why a request is refused: on a page of ours (the client cannot be
/// trusted with a redirect), or back at the client's redirect URI.
enum Refusal {
    Page(String),
    Redirect {
        to: Box<Authorize>,
        error: &'static str,
        description: String,
    },
}

fn param<'a>(params: &'a [(String, String)], name: &str) -> Option<&'a str> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

fn parse(params: Vec<(String, String)>, issuer: &DevIssuer) -> Result<Authorize, Refusal> {
    let get = |name: &str| param(&params, name).map(str::to_owned);
    let client_id = get("client_id").unwrap_or_default();
    if client_id != issuer.client_id() {
        return Err(Refusal::Page(format!(
            "Unknown client {client_id:?}: this development issuer's client id is {:?}.",
            issuer.client_id()
        )));
    }
    let redirect_uri = get("redirect_uri").unwrap_or_default();
    if !issuer.allows_callback(&redirect_uri) {
        return Err(Refusal::Page(format!(
            "The redirect_uri {redirect_uri:?} is not among auth.dev_issuer.callback_urls \
             (nor on this server's own origin)."
        )));
    }
    let response_type = get("response_type").unwrap_or_default();
    let types: Vec<&str> = response_type.split_ascii_whitespace().collect();
    let (code, token, id_token) = (
        types.contains(&"code"),
        types.contains(&"token"),
        types.contains(&"id_token"),
    );
    let default_mode = if code { Mode::Query } else { Mode::Fragment };
    let mode = match get("response_mode").as_deref() {
        None => Ok(default_mode),
        Some("query") => Ok(Mode::Query),
        Some("fragment") => Ok(Mode::Fragment),
        Some("web_message") => Ok(Mode::WebMessage),
        Some(other) => Err(other.to_owned()),
    };
    let mut request = Authorize {
        code,
        token,
        id_token,
        client_id,
        redirect_uri,
        mode: *mode.as_ref().unwrap_or(&default_mode),
        audience: get("audience").unwrap_or_else(|| issuer.audience().to_owned()),
        scope: get("scope").unwrap_or_default(),
        state: get("state"),
        nonce: get("nonce"),
        prompt: get("prompt"),
        login_hint: get("login_hint"),
        code_challenge: get("code_challenge"),
        params: Vec::new(),
    };
    let challenge_method = get("code_challenge_method");
    request.params = params;
    let refuse = |to: &Authorize, error: &'static str, description: String| {
        Err(Refusal::Redirect {
            to: Box::new(to.clone()),
            error,
            description,
        })
    };
    if let Err(other) = mode {
        return refuse(
            &request,
            "invalid_request",
            format!("response_mode {other:?} is not supported; use query, fragment or web_message"),
        );
    }
    let known = types
        .iter()
        .all(|t| matches!(*t, "code" | "token" | "id_token"));
    if types.is_empty() || !known || (code && (token || id_token)) {
        return refuse(
            &request,
            "unsupported_response_type",
            format!(
                "Unsupported response type: {response_type}; use code, token, id_token or token id_token"
            ),
        );
    }
    if code {
        if request.code_challenge.is_none() {
            return refuse(
                &request,
                "invalid_request",
                "code_challenge is required: this client uses PKCE".into(),
            );
        }
        if challenge_method.as_deref() != Some("S256") {
            return refuse(
                &request,
                "invalid_request",
                "code_challenge_method must be S256 (plain is not supported)".into(),
            );
        }
    }
    if id_token && request.nonce.is_none() {
        return refuse(
            &request,
            "invalid_request",
            "nonce is required with response_type id_token".into(),
        );
    }
    if id_token
        && !request
            .scope
            .split_ascii_whitespace()
            .any(|s| s == "openid")
    {
        return refuse(
            &request,
            "invalid_scope",
            "response_type id_token needs the openid scope".into(),
        );
    }
    if request.audience != issuer.audience() {
        let description = format!("Service not found: {}", request.audience);
        return refuse(&request, "access_denied", description);
    }
    Ok(request)
}

fn session_user(req: &HttpRequest, issuer: &DevIssuer) -> Option<SignIn> {
    let cookie = req.cookie(SESSION_COOKIE)?;
    issuer.browsers.session(cookie.value())
}

pub(super) async fn get(
    req: HttpRequest,
    dev: web::Data<DevIssuer>,
) -> Result<HttpResponse, ApiError> {
    let issuer = dev.get_ref();
    let params: Vec<(String, String)> = url::form_urlencoded::parse(req.query_string().as_bytes())
        .into_owned()
        .collect();
    let request = match parse(params, issuer) {
        Ok(request) => request,
        Err(refusal) => return Ok(refused(refusal)),
    };
    let signed_in = session_user(&req, issuer);
    match (request.prompt.as_deref(), signed_in) {
        (Some("none"), None) => Ok(refused(Refusal::Redirect {
            to: Box::new(request),
            error: "login_required",
            description: "Login required".into(),
        })),
        (Some("login"), _) | (_, None) => Ok(page(&request, None)),
        (_, Some(user)) => complete(issuer, &request, user, None),
    }
}

/// The sign-in page's form: the user, then the same response as `get`.
pub(super) async fn sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    dev: web::Data<DevIssuer>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let issuer = dev.get_ref();
    let form = match parsers::parse(&req, payload, state.settings.server.max_body_bytes).await? {
        Data::Form(pairs) => pairs,
        _ => return Ok(error_page("The sign-in form must be posted as a form.")),
    };
    let field = |name: &str| {
        param(&form, name)
            .map(str::trim)
            .unwrap_or_default()
            .to_owned()
    };
    let user = SignIn {
        sub: field("sub"),
        name: field("name"),
        email: field("email"),
        permissions: field("permissions")
            .split(|c: char| c == ',' || c.is_ascii_whitespace())
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    // The authorize request travels through the page as `authorize.*` fields.
    let carried: Vec<(String, String)> = form
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("authorize.")?.to_owned(), v.clone())))
        .collect();
    let request = match parse(carried, issuer) {
        Ok(request) => request,
        Err(refusal) => return Ok(refused(refusal)),
    };
    if user.sub.is_empty()
        || user.sub.chars().count() > MAX_USERNAME_CHARS
        || user.sub.contains('\0')
    {
        return Ok(page(
            &request,
            Some("Give a user: a sub such as auth0|alice, up to 150 characters."),
        ));
    }
    let user = SignIn {
        name: if user.name.is_empty() {
            user.nickname().to_owned()
        } else {
            user.name.clone()
        },
        ..user
    };
    let session = issuer.browsers.sign_in(user.clone());
    // Behind TLS (a proxy says so), the session also works in another site's
    // iframe (silent sign-in), as Auth0's does; plain http allows only Lax.
    let https = Forwarded::of(&req, &state.settings.server.trusted_proxies).is_https();
    let cookie = Cookie::build(SESSION_COOKIE, session)
        .path("/")
        .http_only(true)
        .secure(https)
        .same_site(if https { SameSite::None } else { SameSite::Lax })
        .finish();
    complete(issuer, &request, user, Some(cookie))
}

/// The answer to a request once its user is known: a code, or tokens.
fn complete(
    issuer: &DevIssuer,
    request: &Authorize,
    user: SignIn,
    cookie: Option<Cookie<'static>>,
) -> Result<HttpResponse, ApiError> {
    let grant = Grant {
        client_id: request.client_id.clone(),
        redirect_uri: request.redirect_uri.clone(),
        code_challenge: request.code_challenge.clone().unwrap_or_default(),
        scope: request.scope.clone(),
        audience: request.audience.clone(),
        nonce: request.nonce.clone(),
        user,
    };
    let mut answer: Vec<(String, String)> = Vec::new();
    if request.code {
        answer.push(("code".into(), issuer.browsers.issue_code(grant)));
    } else {
        let tokens = browser_tokens(issuer, &grant, request.token)
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if let Some(token) = tokens.access_token {
            answer.push(("access_token".into(), token));
            answer.push(("token_type".into(), "Bearer".into()));
            answer.push(("expires_in".into(), tokens.expires_in.to_string()));
            answer.push(("scope".into(), tokens.scope));
        }
        // The implicit flow returns an ID token only when one is asked for.
        if let Some(token) = tokens.id_token.filter(|_| request.id_token) {
            answer.push(("id_token".into(), token));
        }
    }
    if let Some(state) = &request.state {
        answer.push(("state".into(), state.clone()));
    }
    let mut response = deliver(request, &answer);
    if let Some(cookie) = cookie {
        let _ = response.add_cookie(&cookie);
    }
    Ok(response)
}

fn refused(refusal: Refusal) -> HttpResponse {
    match refusal {
        Refusal::Page(message) => error_page(&message),
        Refusal::Redirect {
            to,
            error,
            description,
        } => {
            let mut answer = vec![
                ("error".to_owned(), error.to_owned()),
                ("error_description".to_owned(), description),
            ];
            if let Some(state) = &to.state {
                answer.push(("state".into(), state.clone()));
            }
            deliver(&to, &answer)
        }
    }
}

/// Sends the answer back as the request's response mode asks.
fn deliver(request: &Authorize, answer: &[(String, String)]) -> HttpResponse {
    let encoded = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(answer)
        .finish();
    match request.mode {
        Mode::Query => {
            let separator = if request.redirect_uri.contains('?') {
                '&'
            } else {
                '?'
            };
            redirect(&format!("{}{separator}{encoded}", request.redirect_uri))
        }
        Mode::Fragment => redirect(&format!("{}#{encoded}", request.redirect_uri)),
        Mode::WebMessage => web_message(&request.redirect_uri, answer),
    }
}

fn redirect(location: &str) -> HttpResponse {
    HttpResponse::Found()
        .insert_header((header::LOCATION, location))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .finish()
}
