//! Hostile input: tokens built to confuse parsers, keys offered by the token
//! itself, oversized heads and bodies, odd bytes. Always 4xx, never 5xx, and
//! never an echo of the token.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use reqwest::Method;
use serde_json::json;
use std::io::Read;

use crate::helpers::*;

const DECODE: &str = "Error decoding signature.";
const INCORRECT: &str = "Incorrect authentication credentials.";

async fn refused(app: &TestApp, what: &str, token: &str, message: &str) {
    let (status, headers, body) = send(app.with_token(Method::GET, "/api/task/", token)).await;
    assert_eq!((status, &body), (401, &detail(message)), "{what}");
    assert_eq!(
        header(&headers, "www-authenticate"),
        "Bearer realm=\"api\", error=\"invalid_token\"",
        "{what}"
    );
    assert!(
        !body.to_string().contains(token),
        "{what}: the body echoes the token"
    );
}

/// Re-encodes one segment of a valid token (0 header, 1 payload, 2 signature).
fn with_segment(token: &str, index: usize, segment: &str) -> String {
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[index] = segment.to_owned();
    parts.join(".")
}

#[tokio::test]
async fn tokens_are_parsed_strictly() {
    let app = spawn_app().await;
    let good = token();
    let header = r#"{"alg":"RS256","kid":"k1","x":"???>>>??>>"}"#;
    let payload = payload_json("");
    let url_safe = URL_SAFE_NO_PAD.encode(header);
    let standard = STANDARD_NO_PAD.encode(header);
    assert!(
        standard.contains('/') && standard.contains('+'),
        "{standard}"
    );
    let payload_b64 = URL_SAFE_NO_PAD.encode(&payload);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "padded header",
            sign_segments(
                &format!(
                    "{}=",
                    URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1"}"#)
                ),
                &payload_b64,
                "k1",
            ),
            DECODE,
        ),
        (
            "padded payload",
            sign_segments(
                &url_safe,
                &format!("{}==", URL_SAFE_NO_PAD.encode(format!("{payload} "))),
                "k1",
            ),
            DECODE,
        ),
        ("padded signature", format!("{good}=="), DECODE),
        (
            "standard alphabet",
            sign_segments(&standard, &payload_b64, "k1"),
            DECODE,
        ),
        (
            "a character outside base64url",
            sign_segments(
                &format!("{}*{}", &url_safe[..8], &url_safe[8..]),
                &payload_b64,
                "k1",
            ),
            DECODE,
        ),
        ("four segments", format!("{good}.e30"), DECODE),
        ("empty signature", with_segment(&good, 2, ""), DECODE),
        (
            "repeated alg in the header",
            sign_raw(
                r#"{"alg":"RS256","kid":"k1","alg":"none"}"#,
                &payload_json(""),
                "k1",
            ),
            DECODE,
        ),
        (
            "repeated sub in the payload",
            sign_raw(
                r#"{"alg":"RS256","kid":"k1"}"#,
                &payload_json(r#","sub":"auth0|admin""#),
                "k1",
            ),
            DECODE,
        ),
        (
            "repeated aud inside an object",
            sign_raw(
                r#"{"alg":"RS256","kid":"k1"}"#,
                &payload_json(r#","ext":{"a":1,"a":2}"#),
                "k1",
            ),
            DECODE,
        ),
        (
            "header not an object",
            sign_raw(r#"["RS256"]"#, &payload_json(""), "k1"),
            DECODE,
        ),
        (
            "payload not an object",
            sign_raw(r#"{"alg":"RS256","kid":"k1"}"#, "[1,2]", "k1"),
            DECODE,
        ),
        (
            "payload not JSON",
            sign_raw(r#"{"alg":"RS256","kid":"k1"}"#, "not json", "k1"),
            DECODE,
        ),
        (
            "alg not a string",
            sign_raw(r#"{"alg":256,"kid":"k1"}"#, &payload_json(""), "k1"),
            DECODE,
        ),
        (
            "kid not a string",
            sign_raw(r#"{"alg":"RS256","kid":1}"#, &payload_json(""), "k1"),
            DECODE,
        ),
        (
            "crit header",
            TokenSpec::default().header("crit", json!(["exp"])).sign(),
            INCORRECT,
        ),
        (
            "crit header, empty",
            TokenSpec::default().header("crit", json!([])).sign(),
            INCORRECT,
        ),
        (
            "nbf not a number",
            TokenSpec::default().claim("nbf", json!("soon")).sign(),
            DECODE,
        ),
        (
            "exp a boolean (PyJWT read it as 1: expired)",
            TokenSpec::default().claim("exp", json!(true)).sign(),
            DECODE,
        ),
        (
            "exp negative",
            TokenSpec::default().claim("exp", json!(-1)).sign(),
            "Signature has expired.",
        ),
        (
            "iat an object",
            TokenSpec::default().claim("iat", json!({"t": 1})).sign(),
            INCORRECT,
        ),
        (
            "PS256 when only RS256 is allowed",
            TokenSpec::default().header("alg", json!("PS256")).sign(),
            INCORRECT,
        ),
        (
            "alg in lower case",
            TokenSpec::default().header("alg", json!("rs256")).sign(),
            INCORRECT,
        ),
        (
            "token over 8 KiB",
            TokenSpec::default()
                .claim("pad", json!("x".repeat(7_000)))
                .sign(),
            DECODE,
        ),
    ];
    for (what, token, message) in cases {
        refused(&app, what, &token, message).await;
    }
    // Bytes beyond ASCII (obs-text, legal in a header value) are no token either.
    let value =
        reqwest::header::HeaderValue::from_bytes(b"Bearer \x80\xfe.\xff.abc").expect("obs-text");
    let (status, _, body) = send(
        app.anonymous(Method::GET, "/api/task/")
            .header("Authorization", value),
    )
    .await;
    assert_eq!((status, body), (401, detail(DECODE)));
    // The same tokens well formed are accepted: the refusals were the rules'.
    for well_formed in [
        sign_segments(&url_safe, &payload_b64, "k1"),
        sign_raw(
            r#"{"alg":"RS256","kid":"k1"}"#,
            &payload_json(r#","ext":{"a":1,"b":2}"#),
            "k1",
        ),
    ] {
        assert_eq!(
            send(app.with_token(Method::GET, "/api/task/", &well_formed))
                .await
                .0,
            200
        );
    }
}

#[tokio::test]
async fn keys_offered_by_the_token_are_never_used() {
    let attacker = JwksServer::start(&["k3"]).await;
    let app = spawn_app_with(&[("APP__AUTH__JWKS__COOLDOWN_SECS", "0")]).await;
    let jku = TokenSpec::default()
        .kid("k3")
        .header("jku", json!(attacker.uri.clone()))
        .header("x5u", json!(attacker.uri.clone()))
        .sign();
    refused(&app, "jku and x5u", &jku, DECODE).await;
    let embedded = TokenSpec::default()
        .kid("k3")
        .header("jwk", key("k3").jwk())
        .sign();
    refused(&app, "embedded jwk", &embedded, DECODE).await;
    let posing = TokenSpec::default()
        .header("jwk", key("k3").jwk())
        .signed_by("k3")
        .sign();
    refused(&app, "embedded jwk posing as k1", &posing, DECODE).await;
    let x5c = TokenSpec::default()
        .kid("k3")
        .header(
            "x5c",
            json!(["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]),
        )
        .sign();
    refused(&app, "x5c", &x5c, DECODE).await;
    assert_eq!(
        attacker.fetches(),
        0,
        "the attacker's key set was never fetched"
    );
}

#[tokio::test]
async fn oversized_request_heads_are_431() {
    let app = spawn_app().await;
    let (status, headers, body) = send(
        app.authed(Method::GET, "/api/task/")
            .header("X-Padding", "x".repeat(17 * 1024)),
    )
    .await;
    assert_eq!(
        (status, body),
        (431, detail("Request header fields too large."))
    );
    assert_eq!(header(&headers, "content-type"), "application/json");
    // Below the limit it is an ordinary request.
    assert_eq!(
        send(
            app.authed(Method::GET, "/api/task/")
                .header("X-Padding", "x".repeat(8 * 1024))
        )
        .await
        .0,
        200
    );
    // A huge token is refused by the same rule before any parsing.
    let (status, _, _) =
        send(app.with_token(Method::GET, "/api/task/", &"a".repeat(20 * 1024))).await;
    assert_eq!(status, 431);

    let strict = spawn_app_with(&[("APP__SERVER__MAX_HEADER_BYTES", "4096")]).await;
    let (status, _, _) = send(
        strict
            .authed(Method::GET, "/api/task/")
            .header("X-Padding", "x".repeat(5000)),
    )
    .await;
    assert_eq!(status, 431);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_4xx() {
    let app = spawn_app_with(&[("APP__SERVER__MAX_BODY_BYTES", "4096")]).await;
    let post = |body: Vec<u8>, content_type: &str| {
        app.authed(Method::POST, "/api/task/")
            .header("Content-Type", content_type.to_owned())
            .body(body)
    };
    // Over the limit, with Content-Length and chunked (no length announced).
    let (status, _, body) = send(post(vec![b' '; 5000], "application/json")).await;
    assert_eq!((status, body), (413, detail("Request body is too large.")));
    let port = app.port;
    let token = token();
    let response = tokio::task::spawn_blocking(move || {
        let chunk = "x".repeat(3000);
        let request = format!(
            "POST /api/task/ HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n{len:x}\r\n{chunk}\r\n{len:x}\r\n{chunk}\r\n0\r\n\r\n",
            len = chunk.len()
        );
        raw_http(port, request.as_bytes())
    })
    .await
    .expect("raw request");
    assert!(response.starts_with("HTTP/1.1 413"), "{response}");
    assert!(
        response.contains("Request body is too large."),
        "{response}"
    );

    // Deep nesting is a parse error, not a stack overflow.
    let deep = "[".repeat(3000);
    let (status, _, body) = send(post(deep.into_bytes(), "application/json")).await;
    assert_eq!(status, 400);
    assert!(
        body["detail"]
            .as_str()
            .is_some_and(|d| d.starts_with("JSON parse error - ")),
        "{body}"
    );
    // Invalid UTF-8, in JSON and in a form.
    let (status, _, body) = send(post(
        b"{\"title\": \"\xff\xfe\"}".to_vec(),
        "application/json",
    ))
    .await;
    assert_eq!(status, 400, "{body}");
    let (status, _, body) = send(post(
        b"title=%ff%fe".to_vec(),
        "application/x-www-form-urlencoded",
    ))
    .await;
    assert_eq!(
        (status, body),
        (400, detail("Form parse error - invalid UTF-8"))
    );
    let (status, _, body) = send(post(
        b"title=\xff".to_vec(),
        "application/x-www-form-urlencoded",
    ))
    .await;
    assert_eq!(
        (status, body),
        (400, detail("Form parse error - invalid UTF-8"))
    );
    // NUL bytes in a title are a field error on every backend (PostgreSQL refuses them outright).
    for body in [
        &br#"{"title": "a\u0000b", "content": "c"}"#[..],
        b"title=a%00b&content=c",
    ] {
        let content_type = if body[0] == b'{' {
            "application/json"
        } else {
            "application/x-www-form-urlencoded"
        };
        let (status, _, answer) = send(post(body.to_vec(), content_type)).await;
        assert_eq!(
            (status, answer),
            (400, json!({"title": ["Null characters are not allowed."]}))
        );
    }
    let (status, _, _) = send(
        app.authed(Method::PATCH, "/api/task/1/")
            .json(&json!({"content": "x\u{0}"})),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(app.count("task"), 3, "nothing was stored");
}

#[tokio::test]
async fn odd_ids_and_paths_are_404_not_500() {
    let app = spawn_app().await;
    for path in [
        "/api/task/2147483647/",
        "/api/task/2147483648/",
        "/api/task/9223372036854775807/",
        "/api/task/9223372036854775808/",
        "/api/task/-9223372036854775808/",
        "/api/task/%00/",
        "/api/task/1%2F2/",
        "/api/task/%F0%9F%98%80/",
        "/api/task/+/",
    ] {
        let (status, _, body) = send(app.authed(Method::GET, path)).await;
        assert_eq!((status, body), (404, detail("Not found.")), "{path}");
    }
}

/// Runs the binary with debug logging, sends it tokens good and bad, and
/// checks that neither its log nor its answers contain any of them.
#[tokio::test]
async fn tokens_and_keys_never_reach_the_log() {
    let jwks = JwksServer::start(&["k1"]).await;
    let db = TestDb::new();
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("dev_key.pem");
    let key_var = key_path.display().to_string();
    let vars = [
        ("APP_ENV", "test"),
        ("APP__SERVER__PORT", "0"),
        ("APP__DATABASE__URL", db.url()),
        ("APP__AUTH__JWKS_URI", jwks.uri.as_str()),
        ("APP__AUTH__DEV_ISSUER__KEY_PATH", key_var.as_str()),
        ("RUST_LOG", "debug"),
    ];
    let (mut child, base) = Running::serve(&vars);
    let mut stdout = child.stdout.take().expect("stdout");

    let client = client();
    let tokens = vec![
        token(),
        TokenSpec::default().claim("exp", json!(now() - 100)).sign(),
        TokenSpec::default().kid("k3").sign(),
        TokenSpec::default().claim("aud", json!("other")).sign(),
        TokenSpec::default().header("alg", json!("none")).sign(),
        sign_raw(
            r#"{"alg":"RS256","kid":"k1","kid":"k2"}"#,
            &payload_json(""),
            "k1",
        ),
        "not-a-token".to_owned(),
    ];
    for t in &tokens {
        let response = client
            .get(format!("{base}/api/task/?access_token={t}"))
            .bearer_auth(t)
            .send()
            .await
            .expect("request");
        let body = response.text().await.unwrap_or_default();
        assert!(!body.contains(t.as_str()), "the answer echoes a token");
    }
    let _ = child.kill();
    let mut log = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut log)
        .unwrap_or_default();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap_or_default();
    let _ = child.wait();
    assert!(
        log.contains("authentication refused"),
        "the refusals are logged: {log}"
    );
    let private_key = std::fs::read_to_string(&key_path).unwrap_or_default();
    let key_body: String = private_key
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    for t in &tokens {
        let signature = t.rsplit('.').next().unwrap_or_default();
        assert!(
            !log.contains(t.as_str()) && (signature.len() < 8 || !log.contains(signature)),
            "a token reached the log"
        );
    }
    assert!(
        !key_body.is_empty() && !log.contains(&key_body[..64]) && !rest.contains(&key_body[..64]),
        "the key reached the output"
    );
}

/// A token of `size` bytes: an Auth0 access token with RBAC permissions,
/// padded in its payload and header until it is exactly that long.
fn token_of_size(size: usize) -> String {
    let permissions: Vec<String> = (0..100)
        .map(|i| format!("read:tasks:project-{i:03}"))
        .collect();
    let base = TokenSpec::default().claim("permissions", json!(permissions));
    let sign = |pad: usize, header_pad: usize| {
        base.clone()
            .claim("https://todo.example/pad", json!("p".repeat(pad)))
            .header("x5t#pad", json!("h".repeat(header_pad)))
            .sign()
    };
    // Base64 takes 4 characters for 3 bytes: start a little short of the size.
    let short = size.saturating_sub(sign(0, 0).len()) * 3 / 4;
    for pad in short.saturating_sub(8)..short + 16 {
        for header_pad in 0..4 {
            let token = sign(pad, header_pad);
            if token.len() == size {
                return token;
            }
        }
    }
    panic!("no token of exactly {size} bytes")
}

/// Real access tokens with many permissions run to several KiB: up to 8 KiB
/// they are read, one byte more is refused before any parsing.
#[tokio::test]
async fn tokens_up_to_8_kib_are_read_and_one_byte_more_is_not() {
    // Made first: a request after a long pause could meet a closed keep-alive connection.
    let (realistic, at_limit, over) = (
        token_of_size(5 * 1024),
        token_of_size(8 * 1024),
        token_of_size(8 * 1024 + 1),
    );
    let app = spawn_app().await;
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &realistic)).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &at_limit)).await;
    assert_eq!(status, 200, "{body}");
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &over)).await;
    assert_eq!((status, body), (401, detail(DECODE)));
}
