//! Signing in from a browser on the development issuer, as Auth0's endpoints
//! answer it: `/authorize` (code + PKCE, implicit, web_message, prompt=none),
//! the sign-in page, `/oauth/token`'s authorization_code grant, `/userinfo`,
//! `/v2/logout`; and the SPA's own files and settings.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::Method;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};

use crate::helpers::*;

const CLIENT_ID: &str = "todoapi-dev";
const CALLBACK: &str = "http://localhost:4200/callback";
const VERIFIER: &str = "a-pkce-verifier-of-the-spa-at-least-43-characters-long";

fn s256(verifier: &str) -> String {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// auth0-spa-js's request: code, PKCE S256, openid profile email, a state and nonce.
fn code_request() -> Vec<(&'static str, String)> {
    vec![
        ("client_id", CLIENT_ID.into()),
        ("redirect_uri", CALLBACK.into()),
        ("audience", AUDIENCE.into()),
        ("scope", "openid profile email".into()),
        ("response_type", "code".into()),
        ("response_mode", "query".into()),
        ("state", "the-state".into()),
        ("nonce", "the-nonce".into()),
        ("code_challenge", s256(VERIFIER)),
        ("code_challenge_method", "S256".into()),
    ]
}

/// auth0-js v9's `authorize()` as the tutorial's app calls it.
fn implicit_request() -> Vec<(&'static str, String)> {
    vec![
        ("client_id", CLIENT_ID.into()),
        ("redirect_uri", CALLBACK.into()),
        ("audience", AUDIENCE.into()),
        ("scope", "openid profile".into()),
        ("response_type", "token id_token".into()),
        ("state", "tutorial-state".into()),
        ("nonce", "tutorial-nonce".into()),
    ]
}

fn with(
    mut params: Vec<(&'static str, String)>,
    name: &'static str,
    value: &str,
) -> Vec<(&'static str, String)> {
    params.retain(|(k, _)| *k != name);
    params.push((name, value.into()));
    params
}

fn without(mut params: Vec<(&'static str, String)>, name: &str) -> Vec<(&'static str, String)> {
    params.retain(|(k, _)| *k != name);
    params
}

async fn authorize(
    app: &TestApp,
    params: &[(&'static str, String)],
    session: Option<&str>,
) -> (u16, HeaderMap, String) {
    let mut request = app.anonymous(Method::GET, "/authorize").query(params);
    if let Some(session) = session {
        request = request.header("Cookie", format!("todoapi_dev_session={session}"));
    }
    text(request).await
}

/// The sign-in page's form, posted as a browser posts it.
async fn sign_in(
    app: &TestApp,
    params: &[(&'static str, String)],
    user: &[(&str, &str)],
) -> (u16, HeaderMap, String) {
    let mut form: Vec<(String, String)> = user
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    form.extend(
        params
            .iter()
            .map(|(k, v)| (format!("authorize.{k}"), v.clone())),
    );
    text(app.anonymous(Method::POST, "/authorize").form(&form)).await
}

async fn text(request: reqwest::RequestBuilder) -> (u16, HeaderMap, String) {
    let response = request.send().await.expect("request sent");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap_or_default())
}

/// The answer parameters of a redirect: its query, or its fragment.
fn answer(headers: &HeaderMap, in_fragment: bool) -> Vec<(String, String)> {
    let location = url::Url::parse(header(headers, "location")).expect("a Location URL");
    let part = if in_fragment {
        location.fragment().unwrap_or_default().to_owned()
    } else {
        location.query().unwrap_or_default().to_owned()
    };
    url::form_urlencoded::parse(part.as_bytes())
        .into_owned()
        .collect()
}

fn get<'a>(answer: &'a [(String, String)], name: &str) -> &'a str {
    answer
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

/// The session cookie the sign-in set, and its attributes.
fn session_cookie(headers: &HeaderMap) -> (String, String) {
    let cookie = headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("todoapi_dev_session="))
        .unwrap_or_default()
        .to_owned();
    let value = cookie
        .split(';')
        .next()
        .and_then(|kv| kv.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    (value, cookie)
}

async fn exchange(app: &TestApp, fields: &[(&str, &str)]) -> (u16, Value) {
    let (status, _, body) = send(app.anonymous(Method::POST, "/oauth/token").form(fields)).await;
    (status, body)
}

fn issuer_of(app: &TestApp) -> String {
    format!("http://127.0.0.1:{}/", app.port)
}

#[tokio::test]
async fn an_unknown_client_or_redirect_gets_a_page_never_a_redirect() {
    let app = spawn_app().await;
    for (params, says) in [
        (with(code_request(), "client_id", "other"), "Unknown client"),
        (without(code_request(), "client_id"), "Unknown client"),
        (
            with(
                code_request(),
                "redirect_uri",
                "https://evil.example/callback",
            ),
            "is not among auth.dev_issuer.callback_urls",
        ),
        (
            with(
                code_request(),
                "redirect_uri",
                "http://localhost:4200/other",
            ),
            "is not among auth.dev_issuer.callback_urls",
        ),
        (without(code_request(), "redirect_uri"), "redirect_uri"),
    ] {
        let (status, headers, page) = authorize(&app, &params, None).await;
        assert_eq!(status, 400, "{params:?}");
        assert!(headers.get("location").is_none(), "{params:?}");
        assert!(header(&headers, "content-type").starts_with("text/html"));
        assert!(page.contains(says), "{params:?}: {page}");
        // The same through the sign-in form: nobody is sent anywhere.
        let (status, headers, _) = sign_in(&app, &params, &[("sub", "auth0|alice")]).await;
        assert_eq!(status, 400, "{params:?}");
        assert!(headers.get("location").is_none(), "{params:?}");
    }
    // The page escapes what it repeats.
    let hostile = with(code_request(), "client_id", "<script>alert(1)</script>");
    let (_, _, page) = authorize(&app, &hostile, None).await;
    assert!(
        !page.contains("<script>alert") && page.contains("&#60;script&#62;alert(1)"),
        "{page}"
    );
}

#[tokio::test]
async fn other_errors_go_back_to_the_client_as_auth0_sends_them() {
    let app = spawn_app().await;
    let cases = [
        (
            with(code_request(), "response_type", "password"),
            "unsupported_response_type",
            false,
        ),
        (
            with(code_request(), "response_type", "code token"),
            "unsupported_response_type",
            false,
        ),
        (
            without(code_request(), "code_challenge"),
            "invalid_request",
            false,
        ),
        (
            with(code_request(), "code_challenge_method", "plain"),
            "invalid_request",
            false,
        ),
        (
            without(code_request(), "code_challenge_method"),
            "invalid_request",
            false,
        ),
        (
            with(code_request(), "response_mode", "form_post"),
            "invalid_request",
            false,
        ),
        (
            with(code_request(), "audience", "https://another-api.example"),
            "access_denied",
            false,
        ),
        (
            without(implicit_request(), "nonce"),
            "invalid_request",
            true,
        ),
        (
            with(implicit_request(), "scope", "profile"),
            "invalid_scope",
            true,
        ),
    ];
    for (params, error, in_fragment) in cases {
        let (status, headers, _) = authorize(&app, &params, None).await;
        assert_eq!(status, 302, "{params:?}");
        assert!(
            header(&headers, "location").starts_with(CALLBACK),
            "{params:?}"
        );
        let answer = answer(&headers, in_fragment);
        assert_eq!(get(&answer, "error"), error, "{params:?}: {answer:?}");
        assert!(!get(&answer, "error_description").is_empty(), "{answer:?}");
        let state = params.iter().find(|(k, _)| *k == "state").map(|(_, v)| v);
        assert_eq!(Some(get(&answer, "state")), state.map(String::as_str));
        assert!(get(&answer, "code").is_empty() && get(&answer, "access_token").is_empty());
    }
    // Auth0's wording for an API it does not know.
    let (_, headers, _) = authorize(
        &app,
        &with(code_request(), "audience", "https://another-api.example"),
        None,
    )
    .await;
    assert_eq!(
        get(&answer(&headers, false), "error_description"),
        "Service not found: https://another-api.example"
    );
}

#[tokio::test]
async fn the_code_flow_with_pkce_as_auth0_spa_js_runs_it() {
    let app = spawn_app().await;
    let issuer = issuer_of(&app);
    let request = code_request();

    // Nobody signed in: silent sign-in is refused, an interactive one shows the page.
    let silent = with(request.clone(), "prompt", "none");
    let (status, headers, _) = authorize(&app, &silent, None).await;
    assert_eq!(status, 302);
    let refused = answer(&headers, false);
    assert_eq!(
        (get(&refused, "error"), get(&refused, "state")),
        ("login_required", "the-state")
    );
    let (status, headers, page) = authorize(&app, &request, None).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type").starts_with("text/html"));
    assert_eq!(header(&headers, "cache-control"), "no-store");
    assert!(
        page.contains("value=\"auth0|dev-user\""),
        "the suggested user: {page}"
    );
    assert!(page.contains("name=\"authorize.code_challenge\""), "{page}");
    let hinted = with(request.clone(), "login_hint", "auth0|bob");
    let (_, _, page) = authorize(&app, &hinted, None).await;
    assert!(page.contains("value=\"auth0|bob\""), "login_hint: {page}");

    // A sign-in with no user stays on the page and says why.
    let (status, headers, page) = sign_in(&app, &request, &[("sub", "  ")]).await;
    assert_eq!((status, headers.get("location")), (200, None));
    assert!(page.contains("Give a user"), "{page}");

    // Alice signs in: back to the client with a code and the state.
    let user = [
        ("sub", "auth0|alice"),
        ("name", "Alice Liddell"),
        ("email", "alice@example.com"),
        ("permissions", "read:reports, export:tasks"),
    ];
    let (status, headers, _) = sign_in(&app, &request, &user).await;
    assert_eq!(status, 302);
    assert!(header(&headers, "location").starts_with(&format!("{CALLBACK}?")));
    let back = answer(&headers, false);
    assert_eq!(get(&back, "state"), "the-state");
    let code = get(&back, "code").to_owned();
    assert!(code.len() >= 43, "a code of 32 random bytes: {code}");
    let (session, cookie) = session_cookie(&headers);
    assert!(!session.is_empty(), "{headers:?}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http: {cookie}");

    // The exchange: tokens as Auth0 issues them.
    let exchange_fields = [
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("code", code.as_str()),
        ("code_verifier", VERIFIER),
        ("redirect_uri", CALLBACK),
    ];
    let (status, tokens) = exchange(&app, &exchange_fields).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        (
            tokens["token_type"].clone(),
            tokens["expires_in"].clone(),
            tokens["scope"].clone()
        ),
        (json!("Bearer"), json!(86400), json!("openid profile email"))
    );
    let access_token = tokens["access_token"].as_str().unwrap_or_default();
    let access = claims_of(access_token);
    assert_eq!(access["iss"], json!(issuer));
    assert_eq!(access["sub"], "auth0|alice");
    assert_eq!(
        access["aud"],
        json!([AUDIENCE, format!("{issuer}userinfo")])
    );
    assert_eq!(access["azp"], CLIENT_ID);
    assert_eq!(access["scope"], "openid profile email");
    let permissions = access["permissions"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(
        permissions.contains(&json!("read:reports"))
            && permissions.contains(&json!("export:tasks")),
        "{access}"
    );
    let id = claims_of(tokens["id_token"].as_str().unwrap_or_default());
    assert_eq!(id["iss"], json!(issuer));
    assert_eq!(id["aud"], CLIENT_ID);
    assert_eq!(id["sub"], "auth0|alice");
    assert_eq!(
        (
            id["nonce"].clone(),
            id["name"].clone(),
            id["nickname"].clone(),
            id["email"].clone()
        ),
        (
            json!("the-nonce"),
            json!("Alice Liddell"),
            json!("alice"),
            json!("alice@example.com")
        )
    );

    // The access token is the API's; the profile is at /userinfo.
    let (status, _, tasks) = send(app.with_token(Method::GET, "/api/task/", access_token)).await;
    assert_eq!((status, tasks.as_array().map(Vec::len)), (200, Some(3)));
    let (status, _, profile) = send(app.with_token(Method::GET, "/userinfo", access_token)).await;
    assert_eq!(status, 200);
    assert_eq!(
        profile,
        json!({"sub": "auth0|alice", "name": "Alice Liddell", "nickname": "alice", "email": "alice@example.com"})
    );

    // A code is used once.
    let (status, refused) = exchange(&app, &exchange_fields).await;
    assert_eq!(
        (status, refused["error"].clone()),
        (403, json!("invalid_grant"))
    );

    // Signed in: silent sign-in now gets a code, for the same user.
    let (status, headers, _) = authorize(&app, &silent, Some(&session)).await;
    assert_eq!(status, 302);
    let code = get(&answer(&headers, false), "code").to_owned();
    let fields = [
        ("grant_type", "authorization_code"),
        ("client_id", CLIENT_ID),
        ("code", code.as_str()),
        ("code_verifier", VERIFIER),
        ("redirect_uri", CALLBACK),
    ];
    let (status, tokens) = exchange(&app, &fields).await;
    assert_eq!(status, 200, "{tokens}");
    assert_eq!(
        claims_of(tokens["access_token"].as_str().unwrap_or_default())["sub"],
        "auth0|alice"
    );
    // prompt=login asks again even with a session.
    let (status, _, page) =
        authorize(&app, &with(request, "prompt", "login"), Some(&session)).await;
    assert_eq!(status, 200);
    assert!(page.contains("<form"), "{page}");
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_redirect_and_verifier() {
    let app = spawn_app().await;
    let request = code_request();
    let fresh_code = || async {
        let (_, headers, _) = sign_in(&app, &request, &[("sub", "auth0|alice")]).await;
        get(&answer(&headers, false), "code").to_owned()
    };
    for (client, redirect, verifier, says) in [
        ("another-client", CALLBACK, VERIFIER, "another client"),
        (
            CLIENT_ID,
            "http://localhost:8080/callback",
            VERIFIER,
            "redirect_uri",
        ),
        (
            CLIENT_ID,
            CALLBACK,
            "not-the-verifier-of-this-code-but-long-enough-anyway",
            "code verifier",
        ),
    ] {
        let code = fresh_code().await;
        let (status, body) = exchange(
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", client),
                ("code", code.as_str()),
                ("code_verifier", verifier),
                ("redirect_uri", redirect),
            ],
        )
        .await;
        assert_eq!(
            (status, body["error"].clone()),
            (403, json!("invalid_grant"))
        );
        let description = body["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(says), "{description}");
        // A refused exchange spends the code: the right one fails after it.
        let (status, _) = exchange(
            &app,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", CLIENT_ID),
                ("code", code.as_str()),
                ("code_verifier", VERIFIER),
                ("redirect_uri", CALLBACK),
            ],
        )
        .await;
        assert_eq!(status, 403);
    }
    // A made-up code, and a request missing a field.
    let (status, body) = exchange(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("code", "made-up"),
            ("code_verifier", VERIFIER),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(
        (status, body["error"].clone()),
        (403, json!("invalid_grant"))
    );
    let code = fresh_code().await;
    let (status, body) = exchange(
        &app,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", CLIENT_ID),
            ("code", code.as_str()),
            ("redirect_uri", CALLBACK),
        ],
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "invalid_request", "error_description": "code_verifier is required"})
        )
    );
}

#[tokio::test]
async fn the_implicit_flow_as_the_tutorials_auth0_js_runs_it() {
    let app = spawn_app().await;
    let request = implicit_request();
    let (status, headers, _) = sign_in(&app, &request, &[("sub", "auth0|carol")]).await;
    assert_eq!(status, 302);
    assert!(header(&headers, "location").starts_with(&format!("{CALLBACK}#")));
    let back = answer(&headers, true);
    assert_eq!(
        (
            get(&back, "token_type"),
            get(&back, "expires_in"),
            get(&back, "scope"),
            get(&back, "state")
        ),
        ("Bearer", "86400", "openid profile", "tutorial-state")
    );
    let access_token = get(&back, "access_token");
    let id = claims_of(get(&back, "id_token"));
    assert_eq!(
        (id["aud"].clone(), id["nonce"].clone(), id["name"].clone()),
        (json!(CLIENT_ID), json!("tutorial-nonce"), json!("carol"))
    );
    assert!(id.get("email").is_none(), "no e-mail given: {id}");
    // OIDC's at_hash binds the ID token to the access token beside it.
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, access_token.as_bytes());
    assert_eq!(
        id["at_hash"],
        json!(URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16]))
    );
    let (status, _, _) = send(app.with_token(Method::GET, "/api/task/", access_token)).await;
    assert_eq!(status, 200);
    // As Auth0: the profile scope gives the name; no email scope, no e-mail.
    let (_, _, profile) = send(app.with_token(Method::GET, "/userinfo", access_token)).await;
    assert_eq!(
        profile,
        json!({"sub": "auth0|carol", "name": "carol", "nickname": "carol"})
    );

    // `token` alone (no openid): an access token for the API only, no ID token.
    let token_only = with(
        with(request.clone(), "response_type", "token"),
        "scope",
        "read:tasks",
    );
    let (_, headers, _) = sign_in(&app, &token_only, &[("sub", "auth0|carol")]).await;
    let back = answer(&headers, true);
    assert!(get(&back, "id_token").is_empty(), "{back:?}");
    let access = claims_of(get(&back, "access_token"));
    assert_eq!(access["aud"], json!(AUDIENCE));
    let (status, _, _) =
        send(app.with_token(Method::GET, "/userinfo", get(&back, "access_token"))).await;
    assert_eq!(status, 401, "not a token for /userinfo");

    // `id_token` alone: no access token.
    let id_only = with(request, "response_type", "id_token");
    let (_, headers, _) = sign_in(&app, &id_only, &[("sub", "auth0|carol")]).await;
    let back = answer(&headers, true);
    assert!(get(&back, "access_token").is_empty(), "{back:?}");
    assert_eq!(claims_of(get(&back, "id_token"))["sub"], "auth0|carol");
}

#[tokio::test]
async fn web_message_posts_the_answer_to_the_clients_origin_only() {
    let app = spawn_app().await;
    let (_, headers, _) = sign_in(&app, &code_request(), &[("sub", "auth0|alice")]).await;
    let (session, _) = session_cookie(&headers);
    let silent = with(
        with(
            with(code_request(), "response_mode", "web_message"),
            "prompt",
            "none",
        ),
        "state",
        "</script><script>alert(1)</script>",
    );
    let (status, headers, page) = authorize(&app, &silent, Some(&session)).await;
    assert_eq!(status, 200);
    assert!(headers.get("location").is_none());
    assert_eq!(
        header(&headers, "content-security-policy"),
        "frame-ancestors http://localhost:4200"
    );
    assert!(
        page.contains("postMessage(") && page.contains("\"http://localhost:4200\""),
        "{page}"
    );
    assert!(
        page.contains("\"type\":\"authorization_response\""),
        "{page}"
    );
    assert!(page.contains("\"code\":\""), "{page}");
    // A state cannot close the script.
    assert!(!page.contains("</script><script>alert"), "{page}");
    assert_eq!(page.matches("</script>").count(), 1, "{page}");

    // Not signed in: login_required, in the message too.
    let (status, _, page) = authorize(&app, &silent, None).await;
    assert_eq!(status, 200);
    assert!(page.contains("\"error\":\"login_required\""), "{page}");
}

#[tokio::test]
async fn behind_a_tls_proxy_the_session_works_in_another_sites_iframe() {
    let app = spawn_app_with(&[("APP__SERVER__TRUSTED_PROXIES", "127.0.0.1")]).await;
    let mut form: Vec<(String, String)> = vec![("sub".into(), "auth0|alice".into())];
    form.extend(
        code_request()
            .into_iter()
            .map(|(k, v)| (format!("authorize.{k}"), v)),
    );
    let (status, headers, _) = text(
        app.anonymous(Method::POST, "/authorize")
            .header("X-Forwarded-Proto", "https")
            .header("X-Forwarded-Host", "auth.todo.localhost")
            .form(&form),
    )
    .await;
    assert_eq!(status, 302);
    let (_, cookie) = session_cookie(&headers);
    assert!(
        cookie.contains("Secure")
            && cookie.contains("SameSite=None")
            && cookie.contains("HttpOnly"),
        "{cookie}"
    );
    // From a peer that is not a trusted proxy, X-Forwarded-Proto means nothing.
    let untrusted = spawn_app().await;
    let (_, headers, _) = text(
        untrusted
            .anonymous(Method::POST, "/authorize")
            .header("X-Forwarded-Proto", "https")
            .form(&form),
    )
    .await;
    let (_, cookie) = session_cookie(&headers);
    assert!(
        cookie.contains("SameSite=Lax") && !cookie.contains("Secure"),
        "{cookie}"
    );
}

#[tokio::test]
async fn logout_ends_the_session_and_returns_only_where_allowed() {
    let app = spawn_app().await;
    let (_, headers, _) = sign_in(&app, &code_request(), &[("sub", "auth0|alice")]).await;
    let (session, _) = session_cookie(&headers);
    let silent = with(code_request(), "prompt", "none");

    // A returnTo that is not allowed: signed out all the same, sent nowhere.
    let (_, headers, _) = sign_in(&app, &code_request(), &[("sub", "auth0|bob")]).await;
    let (bobs, _) = session_cookie(&headers);
    let (status, headers, body) = text(
        app.anonymous(Method::GET, "/v2/logout")
            .query(&[
                ("returnTo", "https://evil.example/"),
                ("client_id", CLIENT_ID),
            ])
            .header("Cookie", format!("todoapi_dev_session={bobs}")),
    )
    .await;
    assert_eq!(status, 400);
    assert!(headers.get("location").is_none());
    assert!(body.contains("auth.dev_issuer.logout_urls"), "{body}");
    let (_, headers, _) = authorize(&app, &silent, Some(&bobs)).await;
    assert_eq!(get(&answer(&headers, false), "error"), "login_required");

    // Alice's session still works until she signs out.
    let (_, headers, _) = authorize(&app, &silent, Some(&session)).await;
    assert!(!get(&answer(&headers, false), "code").is_empty());
    let (status, headers, _) = text(
        app.anonymous(Method::GET, "/v2/logout")
            .query(&[
                ("returnTo", "http://localhost:4200"),
                ("client_id", CLIENT_ID),
            ])
            .header("Cookie", format!("todoapi_dev_session={session}")),
    )
    .await;
    assert_eq!(status, 302);
    assert_eq!(header(&headers, "location"), "http://localhost:4200");
    let (_, removal) = session_cookie(&headers);
    assert!(
        removal.contains("Max-Age=0"),
        "the cookie is removed: {removal}"
    );
    let (_, headers, _) = authorize(&app, &silent, Some(&session)).await;
    assert_eq!(get(&answer(&headers, false), "error"), "login_required");

    // The server's own origin is allowed (the SPA it serves); no returnTo is a plain page.
    let own = app.url("/");
    let (status, headers, _) = text(
        app.anonymous(Method::GET, "/v2/logout")
            .query(&[("returnTo", own.as_str())]),
    )
    .await;
    assert_eq!((status, header(&headers, "location")), (302, own.as_str()));
    let (status, _, body) = text(app.anonymous(Method::GET, "/v2/logout")).await;
    assert_eq!((status, body.as_str()), (200, "Signed out."));
}

#[tokio::test]
async fn userinfo_wants_this_issuers_token_for_userinfo() {
    let app = spawn_app().await;
    let challenge = json!({"error": "invalid_token", "error_description": "an access token of this issuer for /userinfo is required"});
    let (status, _, body) = send(app.anonymous(Method::GET, "/userinfo")).await;
    assert_eq!((status, body), (401, challenge.clone()));
    // A tenant's token, and the issuer's own API-only token, are not for /userinfo.
    let (status, _, body) = send(app.authed(Method::GET, "/userinfo")).await;
    assert_eq!((status, body), (401, challenge.clone()));
    let (_, _, granted) = send(app.anonymous(Method::POST, "/oauth/token").json(&json!({
        "grant_type": "client_credentials", "client_id": CLIENT_ID,
        "client_secret": "todoapi-dev-secret", "audience": AUDIENCE
    })))
    .await;
    let api_only = granted["access_token"].as_str().unwrap_or_default();
    let (status, _, body) = send(app.with_token(Method::GET, "/userinfo", api_only)).await;
    assert_eq!((status, body), (401, challenge));
}

#[tokio::test]
async fn discovery_lists_every_endpoint_and_the_spa_gets_its_settings() {
    let app = spawn_app().await;
    let issuer = issuer_of(&app);
    let (status, _, doc) =
        send(app.anonymous(Method::GET, "/.well-known/openid-configuration")).await;
    assert_eq!(status, 200);
    for (key, path) in [
        ("authorization_endpoint", "authorize"),
        ("token_endpoint", "oauth/token"),
        ("userinfo_endpoint", "userinfo"),
        ("end_session_endpoint", "v2/logout"),
        ("jwks_uri", ".well-known/jwks.json"),
    ] {
        assert_eq!(doc[key], json!(format!("{issuer}{path}")), "{key}");
    }
    assert_eq!(doc["code_challenge_methods_supported"], json!(["S256"]));
    let (status, _, config) = send(app.anonymous(Method::GET, "/config.json")).await;
    assert_eq!(status, 200);
    assert_eq!(
        config,
        json!({
            "domain": issuer.trim_end_matches('/'),
            "clientId": CLIENT_ID,
            "audience": AUDIENCE,
            "apiBase": "/api"
        })
    );
}

#[tokio::test]
async fn the_spa_is_served_at_the_root_when_static_dir_is_set() {
    let spa = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docker/spa");
    let spa = spa.to_string_lossy().into_owned();
    let app = spawn_app_with(&[("APP__SERVER__STATIC_DIR", &spa)]).await;
    for (path, content_type) in [
        ("/", "text/html"),
        ("/app.js", "text/javascript"),
        ("/app.css", "text/css"),
        ("/vendor/auth0-spa-js.production.js", "text/javascript"),
    ] {
        let response = app.anonymous(Method::GET, path).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let got = header(response.headers(), "content-type").to_owned();
        assert!(got.starts_with(content_type), "{path}: {got}");
    }
    let (_, _, page) = text(app.anonymous(Method::GET, "/")).await;
    assert!(page.contains("app.js"), "{page}");
    // The API's routes win over files, and a missing file is the API's JSON 404.
    let (status, _, tasks) = send(app.authed(Method::GET, "/api/task/")).await;
    assert_eq!((status, tasks.as_array().map(Vec::len)), (200, Some(3)));
    let (status, _, body) = send(app.anonymous(Method::GET, "/no-such-file.js")).await;
    assert_eq!((status, body), (404, detail("Not found.")));
    let (status, headers, _) = send(app.authed(Method::GET, "/api/task")).await;
    assert_eq!((status, header(&headers, "location")), (308, "/api/task/"));
    // No way out of the folder.
    let port = app.port;
    for path in [
        "/../../Cargo.toml",
        "/%2e%2e/%2e%2e/Cargo.toml",
        "/..%2f..%2fCargo.toml",
    ] {
        let request =
            format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
        let response = tokio::task::spawn_blocking(move || raw_http(port, request.as_bytes()))
            .await
            .expect("raw request");
        assert!(!response.starts_with("HTTP/1.1 200"), "{path}: {response}");
        assert!(!response.contains("[package]"), "{path}: {response}");
    }

    // Without the setting (production's default), nothing is served at /.
    let plain = spawn_app().await;
    let (status, _, body) = send(plain.anonymous(Method::GET, "/app.js")).await;
    assert_eq!((status, body), (404, detail("Not found.")));
}
