//! The metrics' assembly: the registry told what this server is, the
//! exposition (recorded metrics, then the state read at the scrape), and the
//! listener of its own (`metrics.listen`) or a path on the main port
//! (`metrics.path`).

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::http::header;
use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

use super::StartError;
use crate::cache::CacheStatus;
use crate::db::DbError;
use crate::error::AuthFailure;
use crate::metrics::{DbMetrics, Facts, Format, KeySetSample, Metrics, PoolSample, Scrape};
use crate::settings::{DatabaseUrl, Settings};
use crate::state::AppState;

/// Where Prometheus scrapes: the metrics listener's only path.
pub const PATH: &str = "/metrics";

pub(super) fn new(settings: &Settings) -> Metrics {
    let reasons = AuthFailure::ALL.map(AuthFailure::reason);
    Metrics::new(Facts {
        backend: match settings.database.url {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        },
        refusal_reasons: &reasons,
        db_error_kinds: &DbError::KINDS,
        db: DbMetrics::default(),
    })
}

/// GET /metrics: Prometheus's text, or OpenMetrics when `Accept` prefers it.
pub async fn exposition(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let format = Format::from_accept(
        req.headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    let mut now = Scrape::default();
    let (connections, idle) = state.db.pool_state();
    now.pool(PoolSample {
        max: state.db.pool_size(),
        connections,
        idle,
    });
    now.token_cache_size(state.authenticator.cached_tokens());
    let sets: Vec<KeySetSample> = state
        .authenticator
        .key_sets()
        .into_iter()
        .map(|(issuer, s)| KeySetSample {
            issuer,
            keys: s.keys,
            age: s.age,
            fetched: s.fetched,
            failed: s.failed,
            next_refresh: s.next_refresh,
        })
        .collect();
    now.key_sets(&sets);
    match state.cache.status().await {
        CacheStatus::Local => {}
        CacheStatus::Ok => now.shared_cache(true),
        CacheStatus::Unavailable => now.shared_cache(false),
    }
    HttpResponse::Ok()
        .content_type(format.content_type())
        .body(state.metrics.render(format, &now))
}

/// The metrics listener's socket and port, when `metrics.listen` names one.
pub(super) fn bind(settings: &Settings) -> Result<Option<(TcpListener, u16)>, StartError> {
    // A scraper's few connections need no deep accept queue.
    const BACKLOG: u32 = 128;
    settings
        .metrics
        .listen_address()
        .map(|address| super::bind_to(&address.to_string(), BACKLOG))
        .transpose()
}

/// The metrics listener: one worker, `GET /metrics`, nothing else.
pub(super) fn server(
    state: web::Data<AppState>,
    listener: TcpListener,
) -> Result<Server, StartError> {
    let address = listener
        .local_addr()
        .map(|a| a.to_string())
        .unwrap_or_default();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .route(PATH, web::get().to(exposition))
    })
    .workers(1)
    .listen(listener)
    .map_err(|source| StartError::Bind { address, source })?
    .disable_signals()
    .shutdown_timeout(1)
    .run();
    Ok(server)
}
