//! The application under test: started on port 0 with the test profile,
//! the binary run as a user runs it, and the HTTP client and its readers.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use diesel::prelude::*;
use serde_json::{Value, json};
use todoapi::settings;
use todoapi::startup::Application;

use super::{JwksServer, TestDb, token};

pub fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

pub struct TestApp {
    pub address: String,
    pub dev_issuer: Option<std::sync::Arc<todoapi::dev_issuer::DevIssuer>>,
    pub port: u16,
    /// The metrics listener's port, when `metrics.listen` asked for one.
    pub metrics_port: Option<u16>,
    pub jwks: JwksServer,
    pub db: TestDb,
    pub client: reqwest::Client,
}

/// A server with the test profile, trusting a JWKS server that publishes k1.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

/// As `spawn_app`, with settings overridden through `APP__…` variables.
pub async fn spawn_app_with(vars: &[(&str, &str)]) -> TestApp {
    let jwks = JwksServer::start(&["k1"]).await;
    spawn_app_on(jwks, TestDb::new(), vars).await
}

pub async fn spawn_app_on(jwks: JwksServer, db: TestDb, vars: &[(&str, &str)]) -> TestApp {
    spawn_app_routed(jwks, db, vars, |s| todoapi::resources::router(&s.tasks)).await
}

/// As `spawn_app_on`, serving the routes `router` makes of the settings.
pub async fn spawn_app_routed(
    jwks: JwksServer,
    db: TestDb,
    vars: &[(&str, &str)],
    router: impl FnOnce(&settings::Settings) -> todoapi::rest::router::Router,
) -> TestApp {
    // RUST_LOG=todoapi=debug shows the server's log in a failing test's output.
    let _ = env_logger::builder().is_test(true).try_init();
    let mut env: HashMap<String, String> = HashMap::new();
    env.insert("APP_ENV".into(), "test".into());
    env.insert("APP__DATABASE__URL".into(), db.url().into());
    env.insert("APP__AUTH__JWKS_URI".into(), jwks.uri.clone());
    env.insert("APP__AUTH__DEV_ISSUER__KEY_PATH".into(), shared_dev_key());
    for (k, v) in vars {
        env.insert((*k).into(), (*v).into());
    }
    let settings = settings::load(&config_dir(), &env).expect("test settings");
    let router = router(&settings);
    let app = Application::build_with(settings, router)
        .await
        .expect("application starts");
    let port = app.port();
    let metrics_port = app.metrics_port();
    let dev_issuer = app.dev_issuer();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        dev_issuer,
        port,
        metrics_port,
        jwks,
        db,
        client: client(),
    }
}

/// The `todoapi` binary with a clean environment: the project's config
/// folder, `RUST_LOG=warn`, then these variables.
pub fn todoapi(args: &[&str], vars: &[(&str, &str)]) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_todoapi"));
    command
        .args(args)
        .env_clear()
        .env("APP_CONFIG_DIR", config_dir())
        .env("RUST_LOG", "warn")
        .envs(vars.iter().copied());
    command
}

/// A started process (`todoapi serve`), killed and reaped when dropped, so
/// that a failing test leaves no server behind.
pub struct Running(std::process::Child);

impl Running {
    pub fn spawn(command: &mut std::process::Command) -> Running {
        Running(command.spawn().expect("start todoapi"))
    }

    pub fn from_child(child: std::process::Child) -> Running {
        Running(child)
    }
}

impl std::ops::Deref for Running {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        &self.0
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        &mut self.0
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Running {
    /// Stops the server and returns what it logged (its stderr, piped).
    pub fn stop_and_read_log(&mut self) -> String {
        use std::io::Read;
        let _ = self.0.kill();
        let mut log = String::new();
        if let Some(mut stderr) = self.0.stderr.take() {
            let _ = stderr.read_to_string(&mut log);
        }
        let _ = self.0.wait();
        log
    }

    /// `todoapi serve` with these variables, stdout and stderr piped; waits
    /// for its first line and returns the base URL it announced.
    pub fn serve(vars: &[(&str, &str)]) -> (Running, String) {
        use std::io::Read;
        let mut child = Running::spawn(
            todoapi(&["serve"], vars)
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped()),
        );
        let mut first_line = Vec::new();
        if let Some(stdout) = child.stdout.as_mut() {
            let mut byte = [0u8; 1];
            while stdout.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
                first_line.push(byte[0]);
            }
        }
        let line = String::from_utf8_lossy(&first_line).into_owned();
        let base = line
            .trim_start_matches("todoapi is listening on ")
            .trim()
            .to_owned();
        assert!(base.starts_with("http://127.0.0.1:"), "{line}");
        (child, base)
    }
}

/// `todoapi <args>` in the test profile on the database at `url`, run to its end.
pub fn todoapi_on(url: &str, args: &[&str]) -> std::process::Output {
    todoapi_with_db(url, args, &[])
}

/// As `todoapi_on`, with more variables.
pub fn todoapi_with_db(url: &str, args: &[&str], vars: &[(&str, &str)]) -> std::process::Output {
    let mut all = vec![("APP_ENV", "test"), ("APP__DATABASE__URL", url)];
    all.extend_from_slice(vars);
    todoapi(args, &all).output().expect("run todoapi")
}

/// One development signing key for the whole suite (made by the first test
/// that needs it; creation is safe against concurrent tests).
pub fn shared_dev_key() -> String {
    PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("dev_issuer_key.pem")
        .display()
        .to_string()
}

/// A client that shows redirects instead of following them.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .expect("HTTP client")
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request with a valid token.
    pub fn authed(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(token())
    }

    pub fn anonymous(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client.request(method, self.url(path))
    }

    pub fn with_token(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .header("Authorization", format!("Bearer {token}"))
    }

    /// Runs SQL on the app's database directly (test setup).
    pub fn sql(&self, statement: &str) {
        let mut conn = self.db.connect();
        diesel::sql_query(statement)
            .execute(&mut conn)
            .expect("test SQL");
    }

    pub fn count(&self, table_and_filter: &str) -> i64 {
        count_in(&self.db, table_and_filter)
    }
}

/// Sends the request; status, headers and body as JSON.
pub async fn send(request: reqwest::RequestBuilder) -> (u16, reqwest::header::HeaderMap, Value) {
    read(request.send().await.expect("request sent")).await
}

/// Status, headers and body as JSON (Null when empty or not JSON).
pub async fn read(response: reqwest::Response) -> (u16, reqwest::header::HeaderMap, Value) {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let bytes = response.bytes().await.expect("response body");
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    (status, headers, body)
}

pub fn header<'a>(headers: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

pub fn detail(message: &str) -> Value {
    json!({ "detail": message })
}

/// A raw HTTP/1.1 exchange, for requests reqwest will not send (blocking).
pub fn raw_http(port: u16, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    stream.write_all(request).expect("write");
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response);
    String::from_utf8_lossy(&response).into_owned()
}

/// `SELECT COUNT(*) FROM <table_and_filter>` on a test database.
pub fn count_in(db: &TestDb, table_and_filter: &str) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = db.connect();
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table_and_filter}"))
        .get_result::<Count>(&mut conn)
        .expect("count")
        .n
}
