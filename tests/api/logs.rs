//! The log an operator reads: in JSON, one object per line with the
//! request's ID, route, method, status, time, client and user; a line from
//! inside a handler carries its request's ID too. Tokens, secrets, keys and
//! the Authorization header never reach it, in either format.

use serde_json::{Value, json};

use crate::helpers::*;

const SECRET: &str = "todoapi-dev-secret";

/// The server's log (stderr) after `requests` ran against it, with these settings.
async fn log_of(format: &str, key_path: &str, requests: impl AsyncFnOnce(&str)) -> String {
    let jwks = JwksServer::start(&["k1"]).await;
    let db = TestDb::new();
    let (mut child, base) = Running::serve(&[
        ("APP_ENV", "test"),
        ("APP__SERVER__PORT", "0"),
        ("APP__DATABASE__URL", db.url()),
        ("APP__AUTH__JWKS_URI", jwks.uri.as_str()),
        ("APP__AUTH__DEV_ISSUER__KEY_PATH", key_path),
        ("APP__LOG__FORMAT", format),
        ("RUST_LOG", "debug"),
    ]);
    requests(&base).await;
    child.stop_and_read_log()
}

/// Sends a token every way a client might (header, query, cookie), a
/// refused one, and the development issuer's client secret (body and Basic).
async fn send_secrets(base: &str, tokens: &[String]) {
    let client = client();
    for (n, t) in tokens.iter().enumerate() {
        let _ = client
            .get(format!("{base}/api/task/?access_token={t}"))
            .bearer_auth(t)
            .header("Cookie", format!("token={t}"))
            .header("X-Request-Id", format!("secret-test-{n}"))
            .send()
            .await
            .expect("request");
    }
    let _ = client
        .post(format!("{base}/oauth/token"))
        .json(&json!({"grant_type": "client_credentials", "client_id": "todoapi-dev", "client_secret": SECRET, "audience": AUDIENCE}))
        .send()
        .await
        .expect("token request");
    let _ = client
        .post(format!("{base}/oauth/token"))
        .basic_auth("todoapi-dev", Some(SECRET))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_secret", SECRET),
        ])
        .send()
        .await
        .expect("token request");
}

fn tokens() -> Vec<String> {
    vec![
        token(),
        TokenSpec::default().claim("exp", json!(now() - 100)).sign(),
        TokenSpec::default().signed_by("k2").sign(),
        "not-a-token-but-secret-enough".to_owned(),
    ]
}

fn assert_no_secrets(log: &str, tokens: &[String], key_path: &std::path::Path) {
    for t in tokens {
        let signature = t.rsplit('.').next().unwrap_or_default();
        assert!(!log.contains(t.as_str()), "a token reached the log");
        assert!(
            signature.len() < 8 || !log.contains(signature),
            "a signature reached the log"
        );
    }
    assert!(!log.contains(SECRET), "the client secret reached the log");
    assert!(
        !log.to_ascii_lowercase().contains("authorization:"),
        "a header reached the log"
    );
    assert!(!log.contains("Bearer "), "a credential reached the log");
    let key = std::fs::read_to_string(key_path).unwrap_or_default();
    let body: String = key.lines().filter(|l| !l.starts_with("-----")).collect();
    assert!(
        body.len() > 64 && !log.contains(&body[..64]),
        "the key reached the log"
    );
}

/// The log of a server in `format` that was sent every secret; checks that
/// none of them reached it.
async fn secrets_log(format: &str) -> String {
    let dir = tempfile::tempdir().expect("temp dir");
    let key_path = dir.path().join("dev_key.pem");
    let tokens = tokens();
    let log = log_of(format, &key_path.display().to_string(), async |base| {
        send_secrets(base, &tokens).await;
    })
    .await;
    assert_no_secrets(&log, &tokens, &key_path);
    log
}

#[tokio::test]
async fn json_lines_say_which_request_and_carry_no_secret() {
    let log = secrets_log("json").await;
    let lines: Vec<Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not a JSON line: {l}")))
        .collect();
    for line in &lines {
        for field in ["time", "level", "target", "message"] {
            assert!(line[field].is_string(), "{field} in {line}");
        }
    }
    let access = |id: &str| {
        lines
            .iter()
            .find(|l| l["target"] == "todoapi::access" && l["request_id"] == id)
            .unwrap_or_else(|| panic!("no access line for {id}: {log}"))
            .clone()
    };
    let ok = access("secret-test-0");
    assert_eq!(
        (
            &ok["route"],
            &ok["method"],
            &ok["status"],
            &ok["path"],
            &ok["client"]
        ),
        (
            &json!("task-list"),
            &json!("GET"),
            &json!(200),
            &json!("/api/task/"),
            &json!("127.0.0.1")
        ),
        "{ok}"
    );
    assert!(ok["user"].as_str().is_some_and(|u| !u.is_empty()), "{ok}");
    assert!(ok["duration_ms"].as_f64().is_some_and(|d| d > 0.0), "{ok}");
    assert!(ok["bytes"].as_u64().is_some(), "{ok}");
    // A line from inside the handler names its request.
    let refused = lines
        .iter()
        .find(|l| l["target"] == "todoapi::auth" && l["request_id"] == "secret-test-1")
        .unwrap_or_else(|| panic!("the refusal is logged with its ID: {log}"));
    assert!(
        refused["message"]
            .as_str()
            .is_some_and(|m| m.contains("expired")),
        "{refused}"
    );
    assert_eq!(access("secret-test-1")["status"], json!(401));
    assert_eq!(access("secret-test-1")["user"], Value::Null);
    // Lines outside a request have no request fields.
    let start = lines
        .iter()
        .find(|l| l["target"] == "actix_server::builder")
        .expect("a start-up line");
    assert!(start.get("request_id").is_none(), "{start}");
}

#[tokio::test]
async fn text_lines_end_with_the_request_id_and_carry_no_secret() {
    let log = secrets_log("text").await;
    assert!(
        log.lines().any(
            |l| l.contains("todoapi::access] 127.0.0.1 GET /api/task/ 200 ")
                && l.ends_with(" id=secret-test-0")
        ),
        "{log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("authentication refused: expired")
                && l.ends_with(" id=secret-test-1")),
        "{log}"
    );
}
