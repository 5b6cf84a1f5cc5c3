//! The development issuer: its key, endpoints, client-credentials grant and CLI.

use std::os::unix::fs::PermissionsExt;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::*;

const CLIENT_ID: &str = "todoapi-dev";
const CLIENT_SECRET: &str = "todoapi-dev-secret";

async fn grant(app: &TestApp, body: Value) -> (u16, reqwest::header::HeaderMap, Value) {
    send(app.anonymous(Method::POST, "/oauth/token").json(&body)).await
}

fn good_grant() -> Value {
    json!({"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "audience": AUDIENCE})
}

#[tokio::test]
async fn publishes_its_key_and_discovery_document() {
    let app = spawn_app().await;
    let (status, _, jwks) = send(app.anonymous(Method::GET, "/.well-known/jwks.json")).await;
    assert_eq!(status, 200);
    let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
    assert_eq!(keys.len(), 1);
    assert_eq!(
        (
            keys[0]["kty"].clone(),
            keys[0]["alg"].clone(),
            keys[0]["use"].clone()
        ),
        (json!("RSA"), json!("RS256"), json!("sig"))
    );
    assert!(
        keys[0]["kid"].as_str().is_some_and(|k| k.len() == 43),
        "RFC 7638 thumbprint: {}",
        keys[0]
    );
    assert!(keys[0].get("d").is_none(), "no private part");

    let (status, _, doc) =
        send(app.anonymous(Method::GET, "/.well-known/openid-configuration")).await;
    assert_eq!(status, 200);
    let issuer = format!("http://127.0.0.1:{}/", app.port);
    assert_eq!(doc["issuer"], json!(issuer));
    assert_eq!(
        doc["jwks_uri"],
        json!(format!("{issuer}.well-known/jwks.json"))
    );
    assert_eq!(doc["token_endpoint"], json!(format!("{issuer}oauth/token")));
}

#[tokio::test]
async fn client_credentials_grant_in_auth0_shape() {
    let app = spawn_app().await;
    let (status, headers, body) = grant(&app, good_grant()).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(header(&headers, "cache-control"), "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 86400);
    assert_eq!(body["scope"], "read:tasks write:tasks");
    let token = body["access_token"].as_str().unwrap_or_default().to_owned();
    let (status, _, tasks) = send(app.with_token(Method::GET, "/api/task/", &token)).await;
    assert_eq!((status, tasks.as_array().map(Vec::len)), (200, Some(3)));

    // A form body, no audience (the default one), and Basic client authentication work too.
    // The path of earlier versions answers too.
    let response = app
        .anonymous(Method::POST, "/dev/oauth/token")
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let response = app
        .anonymous(Method::POST, "/oauth/token")
        .basic_auth(CLIENT_ID, Some(CLIENT_SECRET))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn grant_errors_follow_oauth2() {
    let app = spawn_app().await;
    let mut wrong_grant = good_grant();
    wrong_grant["grant_type"] = json!("password");
    let mut wrong_secret = good_grant();
    wrong_secret["client_secret"] = json!("guess");
    let mut wrong_audience = good_grant();
    wrong_audience["audience"] = json!("https://other.example");
    let cases = [
        (wrong_grant, 400, "unsupported_grant_type"),
        (
            json!({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}),
            400,
            "invalid_request",
        ),
        (
            json!({"grant_type": "client_credentials"}),
            400,
            "invalid_request",
        ),
        (
            json!({"grant_type": "client_credentials", "client_id": CLIENT_ID}),
            400,
            "invalid_request",
        ),
        (json!([1]), 400, "invalid_request"),
        (wrong_secret, 401, "invalid_client"),
        (wrong_audience, 403, "access_denied"),
    ];
    for (body, status, error) in cases {
        let (code, headers, answer) = grant(&app, body.clone()).await;
        assert_eq!(
            (code, answer["error"].clone()),
            (status, json!(error)),
            "{body}"
        );
        assert!(
            answer["error_description"]
                .as_str()
                .is_some_and(|d| !d.is_empty()),
            "{answer}"
        );
        assert_eq!(header(&headers, "cache-control"), "no-store");
    }
    for path in ["/oauth/token", "/dev/oauth/token"] {
        let (code, _, body) = send(app.anonymous(Method::GET, path)).await;
        assert_eq!(
            (code, body),
            (405, detail("Method \"GET\" not allowed.")),
            "{path}"
        );
    }
}

#[tokio::test]
async fn dev_tokens_and_tenant_tokens_are_both_trusted() {
    let app = spawn_app_with(&[("APP__AUTH__USERNAME_HANDLER", "sub")]).await;
    let (_, _, body) = grant(&app, good_grant()).await;
    let dev_token = body["access_token"].as_str().unwrap_or_default().to_owned();
    assert_eq!(
        app.with_token(Method::GET, "/api/task/", &dev_token)
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.authed(Method::GET, "/api/task/")
            .send()
            .await
            .unwrap()
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.count("auth_user WHERE username = 'todoapi-dev@clients'"),
        1
    );
    // A dev-issuer token cannot borrow the tenant's issuer, nor the other way round.
    let dev = app
        .dev_issuer
        .clone()
        .expect("dev issuer on in the test profile");
    let mut extra = serde_json::Map::new();
    extra.insert("iss".into(), json!(ISSUER));
    let forged = dev
        .mint(todoapi::dev_issuer::TokenOptions {
            sub: "x".into(),
            extra,
            ..Default::default()
        })
        .unwrap()
        .token;
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &forged)).await;
    assert_eq!((status, body), (401, detail("Error decoding signature.")));
    let tenant_as_dev = TokenSpec::default()
        .claim("iss", json!(dev.issuer()))
        .sign();
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &tenant_as_dev)).await;
    assert_eq!((status, body), (401, detail("Error decoding signature.")));
}

#[tokio::test]
async fn a_server_without_the_dev_issuer_refuses_its_tokens() {
    let on = spawn_app().await;
    let (_, _, body) = grant(&on, good_grant()).await;
    let dev_token = body["access_token"].as_str().unwrap_or_default().to_owned();

    let off = spawn_app_with(&[("APP__AUTH__DEV_ISSUER__ENABLED", "false")]).await;
    let (status, headers, body) = send(off.with_token(Method::GET, "/api/task/", &dev_token)).await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        header(&headers, "www-authenticate"),
        "Bearer realm=\"api\", error=\"invalid_token\""
    );
    for path in [
        "/.well-known/jwks.json",
        "/.well-known/openid-configuration",
        "/dev/oauth/token",
        "/oauth/token",
        "/authorize",
        "/userinfo",
        "/v2/logout",
        "/config.json",
    ] {
        let (status, _, body) = send(off.anonymous(Method::POST, path).json(&good_grant())).await;
        assert_eq!((status, body), (404, detail("Not found.")), "{path}");
    }
}

#[tokio::test]
async fn the_key_is_created_private_and_reused() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("var").join("dev_key.pem");
    let key_var = key_path.display().to_string();
    let vars = [("APP__AUTH__DEV_ISSUER__KEY_PATH", key_var.as_str())];
    let first = spawn_app_with(&vars).await;
    let mode = std::fs::metadata(&key_path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let kid = |app: &TestApp| {
        let app_url = app.url("/.well-known/jwks.json");
        let client = app.client.clone();
        async move {
            let jwks: Value = client
                .get(app_url)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            jwks["keys"][0]["kid"].clone()
        }
    };
    let first_kid = kid(&first).await;
    let second = spawn_app_with(&vars).await;
    assert_eq!(kid(&second).await, first_kid, "same key after a restart");

    std::fs::write(&key_path, "not a key").unwrap();
    let jwks = JwksServer::start(&["k1"]).await;
    let mut env = std::collections::HashMap::new();
    env.insert("APP_ENV".to_owned(), "test".to_owned());
    env.insert(
        "APP__AUTH__DEV_ISSUER__KEY_PATH".to_owned(),
        key_var.clone(),
    );
    env.insert("APP__AUTH__JWKS_URI".to_owned(), jwks.uri.clone());
    let db = TestDb::new();
    env.insert("APP__DATABASE__URL".to_owned(), db.url().to_owned());
    let settings = todoapi::settings::load(&config_dir(), &env).unwrap();
    match todoapi::startup::Application::build(settings).await {
        Ok(_) => panic!("a corrupt key must stop start-up"),
        Err(e) => assert!(e.to_string().contains(&key_var), "{e}"),
    }
}

fn cli_token(port: u16, args: &[&str]) -> String {
    let port = port.to_string();
    let key = shared_dev_key();
    let vars = [
        ("APP_ENV", "test"),
        ("APP__SERVER__PORT", port.as_str()),
        ("APP__AUTH__DEV_ISSUER__KEY_PATH", key.as_str()),
    ];
    let out = todoapi(&[&["token"], args].concat(), &vars)
        .output()
        .expect("run todoapi token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[tokio::test]
async fn the_token_command_prints_many_distinct_tokens_for_load_tests() {
    let app = spawn_app().await;
    let out = cli_token(app.port, &["--count", "25"]);
    let tokens: Vec<&str> = out.lines().collect();
    assert_eq!(tokens.len(), 25);
    let ids: std::collections::BTreeSet<String> = tokens
        .iter()
        .map(|t| claims_of(t)["jti"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(ids.len(), 25, "each its own jti: {ids:?}");
    for token in [tokens[0], tokens[24]] {
        let (status, _, _) = send(app.with_token(Method::GET, "/api/task/", token)).await;
        assert_eq!(status, 200);
    }
}

#[tokio::test]
async fn the_token_command_prints_tokens_a_running_server_accepts() {
    let app = spawn_app_with(&[("APP__AUTH__USERNAME_HANDLER", "sub")]).await;
    let token = cli_token(app.port, &[]);
    assert_eq!(token.split('.').count(), 3);
    let (status, _, _) = send(app.with_token(Method::GET, "/api/task/", &token)).await;
    assert_eq!(status, 200);

    let token = cli_token(
        app.port,
        &[
            "--sub",
            "alice",
            "--scope",
            "read:tasks",
            "--permission",
            "read:tasks",
            "--permission",
            "delete:tasks",
            "--expires-in",
            "120",
        ],
    );
    let claims = claims_of(&token);
    assert_eq!(claims["sub"], "alice");
    assert_eq!(claims["scope"], "read:tasks");
    assert_eq!(claims["permissions"], json!(["read:tasks", "delete:tasks"]));
    assert_eq!(claims["aud"], AUDIENCE);
    assert_eq!(
        claims["iss"],
        json!(format!("http://127.0.0.1:{}/", app.port))
    );
    assert_eq!(
        claims["exp"].as_i64().unwrap_or(0) - claims["iat"].as_i64().unwrap_or(0),
        120
    );
    let (status, _, _) = send(app.with_token(Method::GET, "/api/task/", &token)).await;
    assert_eq!(status, 200);
    assert_eq!(app.count("auth_user WHERE username = 'alice'"), 1);

    let other_audience = cli_token(app.port, &["--audience", "https://other.example"]);
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &other_audience)).await;
    assert_eq!(
        (status, body),
        (401, detail("Incorrect authentication credentials."))
    );
    let expired = cli_token(app.port, &["--expires-in", "0"]);
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &expired)).await;
    assert_eq!((status, body), (401, detail("Signature has expired.")));
}

#[test]
fn a_key_others_can_read_is_used_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("dev_key.pem");
    let key_var = key_path.display().to_string();
    let vars = [
        ("APP_ENV", "test"),
        ("APP__SERVER__PORT", "8000"),
        ("APP__AUTH__DEV_ISSUER__KEY_PATH", key_var.as_str()),
    ];
    let run = || todoapi(&["token"], &vars).output().unwrap();
    let created = run();
    assert!(created.status.success(), "{created:?}");
    let warning = "readable by others; chmod 600 it";
    for (mode, warned) in [(0o600, false), (0o640, true), (0o604, true), (0o400, false)] {
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(mode)).unwrap();
        let out = run();
        assert!(out.status.success(), "{mode:o}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stderr.contains(warning), warned, "{mode:o}: {stderr}");
    }
}

#[test]
fn the_token_command_needs_the_dev_issuer() {
    let vars = [
        ("APP_ENV", "test"),
        ("APP__SERVER__PORT", "8000"),
        ("APP__AUTH__DEV_ISSUER__ENABLED", "false"),
    ];
    let out = todoapi(&["token"], &vars).output().unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("auth.dev_issuer.enabled"));
}

#[test]
fn production_refuses_the_dev_issuer() {
    let vars = [
        ("APP_ENV", "production"),
        ("AUTH0_DOMAIN", "example.auth0.com"),
        ("API_IDENTIFIER", "https://todo.example.com"),
        ("APP__AUTH__DEV_ISSUER__ENABLED", "true"),
    ];
    let out = todoapi(&["serve"], &vars).output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("auth.dev_issuer.enabled") && stderr.contains("production"),
        "{stderr}"
    );
}

/// `make run`'s promise: the curl line `serve` prints lists the three seeded
/// tasks, on a fresh folder (the database and key are created under var/).
#[tokio::test]
async fn the_printed_curl_line_lists_the_seeded_tasks() {
    use std::io::{BufRead, BufReader};
    let cwd = tempfile::tempdir().unwrap();
    // The server's log, to show in a failure.
    let log_path = cwd.path().join("stderr.log");
    let mut child = Running::spawn(
        todoapi(&["serve"], &[("APP__SERVER__PORT", "0")])
            .current_dir(cwd.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::fs::File::create(&log_path).expect("log file")),
    );
    let stdout = child.stdout.take().expect("stdout");
    let banner = tokio::task::spawn_blocking(move || {
        let mut seen = Vec::new();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let done = line.starts_with("curl ");
            seen.push(line);
            if done {
                break;
            }
        }
        seen
    })
    .await
    .expect("reader");
    // Where to get more tokens: the client id, secret and token URL.
    let issuer_line = banner
        .iter()
        .find(|l| l.starts_with("Development issuer "))
        .cloned()
        .unwrap_or_default();
    assert!(
        issuer_line.contains(
            "(client id \"todoapi-dev\", secret \"todoapi-dev-secret\", token URL http://127.0.0.1:"
        ) && issuer_line.ends_with("/oauth/token)"),
        "{banner:?} {}",
        std::fs::read_to_string(&log_path).unwrap_or_default()
    );
    let curl = banner.last().cloned().filter(|l| l.starts_with("curl "));
    let curl = curl.expect("a curl line");
    // curl -H "Authorization: Bearer <token>" <url>
    let token = curl
        .split("Bearer ")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let url = curl.rsplit(' ').next().unwrap_or_default().to_owned();
    let tasks: Value = client()
        .get(&url)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    let titles: Vec<&str> = tasks
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["title"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(titles, vec!["Workout", "Shopping", "Counting"]);
    assert!(
        cwd.path().join("var/todoapi.sqlite3").is_file(),
        "the default database under var/"
    );
    assert!(
        cwd.path().join("var/dev_issuer_key.pem").is_file(),
        "the development key under var/"
    );
}

/// Each issuer has its own algorithms: the tenant's HS256 and shared secret
/// do not make the development issuer accept HMAC tokens.
#[tokio::test]
async fn the_development_issuer_takes_rs256_only_whatever_the_tenant_allows() {
    let secret = "a-shared-secret-of-thirty-two-bytes!";
    let app = spawn_app_with(&[
        ("APP__AUTH__ALGORITHMS", "RS256,HS256"),
        ("APP__AUTH__SECRET", secret),
    ])
    .await;
    let tenant_hs256 = TokenSpec::default().hmac(secret.as_bytes()).sign();
    assert_eq!(
        send(app.with_token(Method::GET, "/api/task/", &tenant_hs256))
            .await
            .0,
        200,
        "the tenant's HS256 token"
    );
    let dev_iss = app
        .dev_issuer
        .as_ref()
        .map(|d| d.issuer().to_owned())
        .unwrap_or_default();
    let forged = TokenSpec::default()
        .claim("iss", json!(dev_iss))
        .hmac(secret.as_bytes())
        .sign();
    let (status, _, body) = send(app.with_token(Method::GET, "/api/task/", &forged)).await;
    assert_eq!(
        (status, body),
        (401, detail("Incorrect authentication credentials."))
    );
}
