//! A JWKS server on loopback that the test controls: which keys it
//! publishes, faults (status, delay, raw bodies), `Cache-Control`, fetch count.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use super::key;

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
