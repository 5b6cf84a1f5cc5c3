//! The HTTP server: the listening socket, and every worker's app.

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::{ConnectionType, header};
use actix_web::middleware::{DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpServer, web};

use super::StartError;
use super::dev::{self, DevIssuer};
use crate::http;
use crate::http::cors::CorsPolicy;
use crate::http::observe::Observer;
use crate::rest::router::Router;
use crate::state::AppState;

/// Each worker's blocking threads: one per pooled connection, and a few for
/// static files. Database calls beyond that queue in tokio, and a thread
/// that ends one query takes the next at once. Unbounded (actix's 512 / cores),
/// 64 requests waiting for 2 connections were 64 threads, each leaving its
/// allocations in a malloc arena of its own: a SQLite server counting
/// 1 100 000 rows went from 17 to 70 MiB resident. (A semaphore in front of
/// the blocking pool bounded them too, but each connection then sat idle
/// through two thread hand-offs between queries: -40% requests/s on
/// PostgreSQL.)
const BLOCKING_SPARE: usize = 2;

/// A listening socket with room for `backlog` connections not yet accepted:
/// std's `bind` allows 128, which a burst of new connections overflows (the
/// kernel drops their SYNs; clients retry a second later).
pub(super) fn listen(address: &str, backlog: u32) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Protocol, Socket, Type};
    let resolved = std::net::ToSocketAddrs::to_socket_addrs(address)?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address"))?;
    let socket = Socket::new(
        Domain::for_address(resolved),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    // As std's bind: a restart may reuse the port while old connections linger.
    socket.set_reuse_address(true)?;
    socket.bind(&resolved.into())?;
    socket.listen(i32::try_from(backlog).unwrap_or(i32::MAX))?;
    Ok(socket.into())
}

/// While draining, each response tells the client (a proxy) not to reuse
/// its connection, so that by the time idle connections are closed no
/// proxy is about to send a request on one.
async fn close_when_draining(
    draining: Arc<AtomicBool>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if draining.load(Ordering::Relaxed) {
        res.response_mut()
            .head_mut()
            .set_connection_type(ConnectionType::Close);
    }
    Ok(res)
}

/// The HTTP server: every worker's app (middleware, the router's routes,
/// the development issuer's, static files last) on `listener`.
pub(super) fn http_server(
    state: web::Data<AppState>,
    router: Router,
    dev_issuer: Option<Arc<DevIssuer>>,
    draining: Arc<AtomicBool>,
    listener: TcpListener,
) -> Result<Server, StartError> {
    let workers = state.settings.server.workers;
    let blocking_threads = state.db.pool_size() as usize + BLOCKING_SPARE;
    let cors = Arc::new(CorsPolicy::new(&state.settings.cors.allowed_origins));
    let static_dir = state.settings.server.static_dir.clone().filter(|dir| {
        let there = dir.is_dir();
        if !there {
            log::warn!(
                "server.static_dir {} is not a folder: no static files are served",
                dir.display()
            );
        }
        there
    });
    let dev = dev_issuer.map(web::Data::from);
    let observer = Arc::new(Observer {
        metrics: state.metrics.clone(),
        trusted: state.settings.server.trusted_proxies.clone(),
        record: state.settings.metrics.enabled,
    });
    let mut server = HttpServer::new({
        let state = state.clone();
        let draining = draining.clone();
        move || {
            let draining = draining.clone();
            let settings = &state.settings;
            let cors = cors.clone();
            let router = router.clone();
            let static_dir = static_dir.clone();
            let dev = dev.clone();
            let max_header_bytes = settings.server.max_header_bytes;
            let observer = observer.clone();
            let metrics_path = settings.metrics.main_port_path().map(str::to_owned);
            App::new()
                .app_data(state.clone())
                .wrap(from_fn(move |req, next| {
                    close_when_draining(draining.clone(), req, next)
                }))
                .wrap(from_fn(move |req, next| {
                    http::limits::limit_head(max_header_bytes, req, next)
                }))
                .wrap(from_fn(move |req, next| {
                    http::cors::cors(cors.clone(), req, next)
                }))
                // As Django's security and clickjacking middleware did for the original.
                .wrap(
                    DefaultHeaders::new()
                        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                        .add((header::X_FRAME_OPTIONS, "DENY")),
                )
                // Outermost: the ID, the metrics and the access line see
                // every answer, the other middleware's refusals included.
                .wrap(from_fn(move |req, next| {
                    http::observe::observe(observer.clone(), req, next)
                }))
                .configure(|cfg| {
                    // Before the router: a path of its own, no token asked.
                    if let Some(path) = &metrics_path {
                        cfg.route(path, web::get().to(super::metrics::exposition));
                    }
                    router.configure(cfg, &settings.rest_framework)
                })
                .configure(|cfg| {
                    dev::configure(cfg, dev);
                    // Last: files answer only what no route does.
                    if let Some(dir) = &static_dir {
                        cfg.service(http::files::static_files(dir));
                    }
                })
                .default_service(web::to(http::files::fallback))
        }
    })
    .listen(listener)
    .map_err(|source| StartError::Bind {
        address: state.settings.bind_address(),
        source,
    })?;
    if workers > 0 {
        server = server.workers(workers);
    }
    server = server.worker_max_blocking_threads(blocking_threads);
    // Signals are ours (run_until_signalled): SIGTERM drains first.
    server = server
        .shutdown_timeout(state.settings.server.shutdown_timeout_secs)
        .disable_signals();
    Ok(server.run())
}
