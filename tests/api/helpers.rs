//! Test fixtures: a fresh server on port 0 with its own database (a SQLite
//! file in a temp dir, or a PostgreSQL database created and dropped), a JWKS
//! server on loopback that the test controls, and a signer for tokens.
//!
//! The backend: SQLite, unless `TEST_BACKEND=postgres`, then the database
//! server at `TEST_POSTGRES_URL` (see the Makefile's `test` target).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use actix_web::{App, HttpResponse, HttpServer, web};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{self, KeyPair as _};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use diesel::prelude::*;
use serde_json::{Map, Value, json};
use todoapi::db::DbConnection;
use todoapi::settings::{self, DatabaseUrl};
use todoapi::startup::Application;

pub const ISSUER: &str = "https://tenant.test.example/";
pub const AUDIENCE: &str = "https://todo-api.test.example";

// ---------------------------------------------------------------------------
// Keys and tokens

/// An RSA signing key with its JWK.
pub struct TestKey {
    pub kid: &'static str,
    pair: KeyPair,
}

static KEYS: OnceLock<Vec<TestKey>> = OnceLock::new();

/// Three RSA-2048 keys, generated once per test process: k1, k2, k3.
pub fn key(kid: &str) -> &'static TestKey {
    let keys = KEYS.get_or_init(|| {
        ["k1", "k2", "k3"]
            .into_iter()
            .map(|kid| TestKey {
                kid,
                pair: KeyPair::generate(KeySize::Rsa2048).expect("RSA key generation"),
            })
            .collect()
    });
    keys.iter()
        .find(|k| k.kid == kid)
        .expect("unknown test kid")
}

impl TestKey {
    pub fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        })
    }

    /// The public key as PEM (SubjectPublicKeyInfo), as an attacker would find it.
    pub fn public_pem(&self) -> String {
        let der = self.pair.public_key().as_der().expect("public key DER");
        let b64 = STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap_or_default())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    fn sign(&self, alg: &str, message: &[u8]) -> Vec<u8> {
        let padding: &'static dyn signature::RsaEncoding = match alg {
            "RS256" => &signature::RSA_PKCS1_SHA256,
            "RS384" => &signature::RSA_PKCS1_SHA384,
            "RS512" => &signature::RSA_PKCS1_SHA512,
            "PS256" => &signature::RSA_PSS_SHA256,
            other => panic!("test signer has no {other}"),
        };
        let mut sig = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                padding,
                &aws_lc_rs::rand::SystemRandom::new(),
                message,
                &mut sig,
            )
            .expect("signing");
        sig
    }
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default()
}

/// A token to sign: Auth0-shaped claims by default, every part changeable.
#[derive(Clone)]
pub struct TokenSpec {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signer: &'static str,
    hmac_secret: Option<Vec<u8>>,
}

impl Default for TokenSpec {
    fn default() -> Self {
        let now = now();
        let header = json!({"alg": "RS256", "typ": "JWT", "kid": "k1"});
        let claims = json!({
            "iss": ISSUER,
            "sub": "auth0|abc123",
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 3600,
            "scope": "read:tasks write:tasks",
        });
        TokenSpec {
            header: header.as_object().cloned().unwrap_or_default(),
            claims: claims.as_object().cloned().unwrap_or_default(),
            signer: "k1",
            hmac_secret: None,
        }
    }
}

impl TokenSpec {
    pub fn claim(mut self, name: &str, value: Value) -> Self {
        self.claims.insert(name.into(), value);
        self
    }

    pub fn without_claim(mut self, name: &str) -> Self {
        self.claims.remove(name);
        self
    }

    pub fn header(mut self, name: &str, value: Value) -> Self {
        self.header.insert(name.into(), value);
        self
    }

    pub fn without_header(mut self, name: &str) -> Self {
        self.header.remove(name);
        self
    }

    /// Header `kid` and signing key both.
    pub fn kid(self, kid: &'static str) -> Self {
        self.header("kid", json!(kid)).signed_by(kid)
    }

    /// Signs with this key whatever the header says.
    pub fn signed_by(mut self, kid: &'static str) -> Self {
        self.signer = kid;
        self
    }

    /// HS256 keyed with these bytes (key-confusion tests).
    pub fn hmac(mut self, secret: &[u8]) -> Self {
        self.header.insert("alg".into(), json!("HS256"));
        self.hmac_secret = Some(secret.to_vec());
        self
    }

    pub fn sign(&self) -> String {
        let encode = |v: &Map<String, Value>| {
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap_or_default())
        };
        let input = format!("{}.{}", encode(&self.header), encode(&self.claims));
        let alg = self
            .header
            .get("alg")
            .and_then(Value::as_str)
            .unwrap_or("RS256");
        let sig = match alg {
            "none" => Vec::new(),
            "HS256" => {
                let secret = self.hmac_secret.clone().unwrap_or_default();
                let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret);
                aws_lc_rs::hmac::sign(&key, input.as_bytes())
                    .as_ref()
                    .to_vec()
            }
            "RS256" | "RS384" | "RS512" | "PS256" => key(self.signer).sign(alg, input.as_bytes()),
            // A header naming an algorithm we cannot sign with lies: sign RS256.
            _ => key(self.signer).sign("RS256", input.as_bytes()),
        };
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }
}

/// A token from raw header and payload JSON (for malformed inputs), signed RS256 by `kid`.
pub fn sign_raw(header_json: &str, payload_json: &str, kid: &str) -> String {
    sign_segments(
        &URL_SAFE_NO_PAD.encode(header_json),
        &URL_SAFE_NO_PAD.encode(payload_json),
        kid,
    )
}

/// A token whose first two segments are exactly these (any encoding), with a
/// valid RS256 signature over them: only the encoding can make it wrong.
pub fn sign_segments(header: &str, payload: &str, kid: &str) -> String {
    let input = format!("{header}.{payload}");
    let sig = key(kid).sign("RS256", input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

/// Default claims as a JSON text, with `extra` spliced in before the closing brace.
pub fn payload_json(extra: &str) -> String {
    let now = now();
    format!(
        r#"{{"iss":"{ISSUER}","sub":"auth0|abc123","aud":"{AUDIENCE}","iat":{now},"exp":{}{extra}}}"#,
        now + 3600
    )
}

/// A valid token for the default test tenant.
pub fn token() -> String {
    TokenSpec::default().sign()
}

// ---------------------------------------------------------------------------
// A JWKS server the test controls

#[derive(Default)]
pub struct JwksState {
    pub keys: Vec<Value>,
    /// Answer this status instead of 200.
    pub status: Option<u16>,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Answer these bytes instead of the key set.
    pub raw_body: Option<Vec<u8>>,
    pub cache_control: Option<String>,
    pub fetches: usize,
}

pub struct JwksServer {
    pub uri: String,
    state: Arc<Mutex<JwksState>>,
}

impl JwksServer {
    pub async fn start(kids: &[&'static str]) -> JwksServer {
        let state = Arc::new(Mutex::new(JwksState::default()));
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind JWKS server");
        let port = listener.local_addr().expect("JWKS address").port();
        let data = web::Data::from(state.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(data.clone())
                .route("/.well-known/jwks.json", web::get().to(serve_jwks))
        })
        .workers(1)
        .listen(listener)
        .expect("listen JWKS server")
        .run();
        tokio::spawn(server);
        let jwks = JwksServer {
            uri: format!("http://127.0.0.1:{port}/.well-known/jwks.json"),
            state,
        };
        jwks.publish(kids);
        jwks
    }

    fn with<T>(&self, f: impl FnOnce(&mut JwksState) -> T) -> T {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut state)
    }

    /// Publishes exactly these keys, in this order.
    pub fn publish(&self, kids: &[&'static str]) {
        let keys = kids.iter().map(|kid| key(kid).jwk()).collect();
        self.with(|s| s.keys = keys);
    }

    pub fn publish_raw(&self, keys: Vec<Value>) {
        self.with(|s| s.keys = keys);
    }

    pub fn fail_with(&self, status: Option<u16>) {
        self.with(|s| s.status = status);
    }

    pub fn hang_for(&self, delay: Duration) {
        self.with(|s| s.delay = delay);
    }

    /// Serve these bytes (garbage, a huge body) instead of the key set; `None` to stop.
    pub fn serve_raw(&self, body: Option<Vec<u8>>) {
        self.with(|s| s.raw_body = body);
    }

    pub fn cache_control(&self, value: &str) {
        self.with(|s| s.cache_control = Some(value.to_owned()));
    }

    pub fn fetches(&self) -> usize {
        self.with(|s| s.fetches)
    }
}

async fn serve_jwks(state: web::Data<Mutex<JwksState>>) -> HttpResponse {
    let (status, keys, delay, raw, cache_control) = {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        s.fetches += 1;
        (
            s.status,
            s.keys.clone(),
            s.delay,
            s.raw_body.clone(),
            s.cache_control.clone(),
        )
    };
    if !delay.is_zero() {
        actix_web::rt::time::sleep(delay).await;
    }
    if let Some(code) = status {
        return HttpResponse::build(
            actix_web::http::StatusCode::from_u16(code).unwrap_or_default(),
        )
        .body("unavailable");
    }
    let mut response = HttpResponse::Ok();
    if let Some(value) = cache_control {
        response.insert_header(("Cache-Control", value));
    }
    match raw {
        Some(body) => response.content_type("application/json").body(body),
        None => response.json(json!({ "keys": keys })),
    }
}

// ---------------------------------------------------------------------------
// Databases

static DB_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database of the test's own, removed when dropped.
pub enum TestDb {
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
    /// Another test's database, used and left alone.
    Shared { url: String },
}

pub fn backend() -> &'static str {
    match std::env::var("TEST_BACKEND").as_deref() {
        Ok("postgres") => "postgres",
        Ok("sqlite") | Err(_) => "sqlite",
        Ok(other) => panic!("TEST_BACKEND={other}: expected sqlite or postgres"),
    }
}

impl TestDb {
    pub fn new() -> TestDb {
        if backend() == "postgres" {
            let admin_url = std::env::var("TEST_POSTGRES_URL")
                .expect("TEST_BACKEND=postgres needs TEST_POSTGRES_URL");
            let name = format!(
                "todoapi_test_{}_{}_{}",
                std::process::id(),
                DB_COUNTER.fetch_add(1, Ordering::Relaxed),
                SystemTime::now()
                    .duration_since(UNIX_EPOCH)
                    .map(|d| d.subsec_nanos())
                    .unwrap_or_default()
            );
            let mut admin = PgConnection::establish(&admin_url).expect("connect TEST_POSTGRES_URL");
            diesel::sql_query(format!("CREATE DATABASE {name}"))
                .execute(&mut admin)
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("TEST_POSTGRES_URL is a URL");
            url.set_path(&format!("/{name}"));
            TestDb::Postgres {
                admin_url,
                name,
                url: url.to_string(),
            }
        } else {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = dir.path().join("todoapi.sqlite3").display().to_string();
            TestDb::Sqlite { _dir: dir, url }
        }
    }

    /// The database at `url`, owned by someone else (never dropped).
    pub fn shared(url: &str) -> TestDb {
        TestDb::Shared {
            url: url.to_owned(),
        }
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } | TestDb::Shared { url } => {
                url
            }
        }
    }

    pub fn connect(&self) -> DbConnection {
        let url = DatabaseUrl::parse(self.url()).expect("database URL");
        DbConnection::open(&url).expect("open test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

// ---------------------------------------------------------------------------
// The application

pub fn config_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("config")
}

pub struct TestApp {
    pub address: String,
    pub dev_issuer: Option<std::sync::Arc<todoapi::auth::dev_issuer::DevIssuer>>,
    pub port: u16,
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
    spawn_app_routed(jwks, db, vars, todoapi::api::router()).await
}

/// As `spawn_app_on`, serving these routes instead of the API's own.
pub async fn spawn_app_routed(
    jwks: JwksServer,
    db: TestDb,
    vars: &[(&str, &str)],
    router: todoapi::api::router::Router,
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
    let app = Application::build_with(settings, router)
        .await
        .expect("application starts");
    let port = app.port();
    let dev_issuer = app.dev_issuer();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address: format!("http://127.0.0.1:{port}"),
        dev_issuer,
        port,
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

/// `todoapi <args>` in the test profile on the database at `url`, run to its end.
pub fn todoapi_on(url: &str, args: &[&str]) -> std::process::Output {
    todoapi(args, &[("APP_ENV", "test"), ("APP__DATABASE__URL", url)])
        .output()
        .expect("run todoapi")
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
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let mut conn = self.db.connect();
        diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table_and_filter}"))
            .get_result::<Count>(&mut conn)
            .expect("count")
            .n
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

// ---------------------------------------------------------------------------
// Faults

/// A TCP relay to another server that can be cut (open connections dropped,
/// new ones refused) and restored: a database that goes away and comes back.
pub struct TcpRelay {
    pub port: u16,
    up: tokio::sync::watch::Sender<bool>,
}

impl TcpRelay {
    pub async fn start(target: std::net::SocketAddr) -> TcpRelay {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind relay");
        let port = listener.local_addr().expect("relay address").port();
        let (up, watch) = tokio::sync::watch::channel(true);
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("relay runtime");
            rt.block_on(async move {
                listener
                    .set_nonblocking(true)
                    .expect("non-blocking listener");
                let listener = tokio::net::TcpListener::from_std(listener).expect("relay listener");
                loop {
                    let Ok((mut inbound, _)) = listener.accept().await else {
                        continue;
                    };
                    if !*watch.borrow() {
                        continue; // dropped: refused
                    }
                    let mut watch = watch.clone();
                    tokio::spawn(async move {
                        let Ok(mut outbound) = tokio::net::TcpStream::connect(target).await else {
                            return;
                        };
                        let cut = async {
                            while *watch.borrow_and_update() {
                                if watch.changed().await.is_err() {
                                    std::future::pending::<()>().await;
                                }
                            }
                        };
                        tokio::select! {
                            _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                            _ = cut => {}
                        }
                    });
                }
            });
        });
        TcpRelay { port, up }
    }

    /// Drops every open connection and refuses new ones until `restore`.
    pub async fn cut(&self) {
        let _ = self.up.send(false);
        // Let the relay's tasks see it and close their sockets.
        tokio::time::sleep(Duration::from_millis(200)).await;
    }

    pub fn restore(&self) {
        let _ = self.up.send(true);
    }
}

// ---------------------------------------------------------------------------
// Dates

/// Today in an IANA time zone, as `YYYY-MM-DD`.
pub fn today_in(zone: &str) -> String {
    let tz = jiff::tz::TimeZone::get(zone).expect("a time zone");
    tz.to_datetime(jiff::Timestamp::now())
        .date()
        .strftime("%Y-%m-%d")
        .to_string()
}

/// Runs the request and checks that `field` of the answer is today in
/// `zone`, allowing for midnight passing while it ran.
pub async fn assert_dated_today(
    request: reqwest::RequestBuilder,
    zone: &str,
    fields: &[&str],
) -> Value {
    let before = today_in(zone);
    let (status, _, body) = send(request).await;
    let after = today_in(zone);
    assert!((200..300).contains(&status), "{status} {body}");
    for field in fields {
        let value = body[*field].as_str().unwrap_or_default();
        assert!(
            value == before || value == after,
            "{field} = {value:?}, today is {before}"
        );
    }
    body
}
