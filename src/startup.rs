//! Assembles the server: database, key store, authenticator, routes.
//! `Application::build` binds the listener, so tests can ask for port 0.

mod dev;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServiceRequest, ServiceResponse};
use actix_web::http::{ConnectionType, header};
use actix_web::middleware::{DefaultHeaders, Logger, Next, from_fn};
use actix_web::{App, HttpServer, web};

use crate::auth::providers::Providers;
use crate::auth::{Authenticator, CachePolicy};
use crate::db::{Db, indexes};
use crate::http::cors::CorsPolicy;
use crate::http::proxy::Forwarded;
use crate::policy::Ownership;
use crate::rest::router::Router;
use crate::settings::Settings;
use crate::state::AppState;
use crate::{http, resources};
use dev::DevIssuer;

pub struct Application {
    port: u16,
    server: Server,
    dev_issuer: Option<Arc<DevIssuer>>,
    background: Vec<tokio::task::JoinHandle<()>>,
    /// Set on SIGTERM: every response closes its connection.
    draining: Arc<AtomicBool>,
    drain: Duration,
    /// The listening socket (a second handle), to refuse new connections
    /// before stopping.
    listening: Option<TcpListener>,
}

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
fn listen(address: &str, backlog: u32) -> std::io::Result<TcpListener> {
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

/// After the listener closes, how long connections already accepted have
/// to send their request before the server stops.
const ACCEPTED_GRACE: Duration = Duration::from_millis(500);
/// actix's `pause()` returns once the accept thread is told, not once it has
/// stopped polling the listener; shutting the socket before then makes it
/// accept on a shut socket and log two errors. Its thread does nothing
/// else: a few milliseconds suffice, this is a wide margin.
const PAUSE_SETTLE: Duration = Duration::from_millis(100);

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

/// A large table without the list's indexes (a database the original made)
/// is worth saying at start-up: every list would read all of it.
fn warn_of_missing_indexes(db: &Db) {
    let Ok(mut conn) = db.get() else { return };
    let missing = indexes::missing(&mut conn).unwrap_or_default();
    if !missing.is_empty() && indexes::is_large(&mut conn, "task").unwrap_or(false) {
        log::warn!("{}", indexes::advice(&missing));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] crate::db::DbError),
    #[error("migrations: {0}")]
    Migrations(crate::db::migrations::MigrationError),
    #[error("auth: {0}")]
    Keys(#[from] crate::auth::keys::KeyStoreError),
    #[cfg(feature = "dev-issuer")]
    #[error("development issuer: {0}")]
    DevIssuer(#[from] crate::dev_issuer::DevIssuerError),
    #[error("invalid settings:\n{}", .0.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n"))]
    Settings(Vec<String>),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

impl Application {
    /// The API's own routes ([`api::router`]); see [`Application::build_with`].
    pub async fn build(settings: Settings) -> Result<Application, StartError> {
        let router = resources::router(&settings.tasks);
        Application::build_with(settings, router).await
    }

    /// Checks the settings against the routes, opens the database (migrating
    /// it unless told not to), starts the key store's background fetch and
    /// binds the listener. Must run inside a Tokio runtime.
    pub async fn build_with(settings: Settings, router: Router) -> Result<Application, StartError> {
        let unknown = router.unknown_routes(&settings.rest_framework);
        if !unknown.is_empty() {
            return Err(StartError::Settings(unknown));
        }
        dev::available(&settings)?;
        let mut db = Db::connect(&settings.database).map_err(StartError::Database)?;
        if settings.database.migrate_on_start {
            let migrated = db.migrate().map_err(StartError::Migrations)?;
            for line in migrated.lines() {
                log::info!("migrations: {line}");
            }
        }

        warn_of_missing_indexes(&db);

        if settings.tasks.ownership == Ownership::Creator && !db.task_table().has_creator() {
            return Err(StartError::Settings(vec![format!(
                "tasks.ownership (from {}): creator needs the tasks' created_by, which this \
                 database lacks (one the original made at v1.11, or not migrated yet): migrate \
                 the original to v1.14 (or run todoapi migrate), or keep ownership shared",
                settings.sources.of("tasks.ownership")
            )]));
        }

        // Bind first: the development issuer's URL is the server's own, port included.
        let address = settings.bind_address();
        let listener =
            listen(&address, settings.server.backlog).map_err(|source| StartError::Bind {
                address: address.clone(),
                source,
            })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                address: address.clone(),
                source,
            })?
            .port();

        let providers = Providers::from_settings(&settings.auth)?;
        // Start-up does not wait for the identity providers.
        let background: Vec<_> = providers
            .stores
            .iter()
            .map(|store| tokio::spawn(store.clone().keep_fresh()))
            .collect();
        let mut issuers = providers.issuers;
        let dev_issuer = match dev::start(&settings, port)? {
            Some((dev, issuer)) => {
                issuers.push(issuer);
                Some(dev)
            }
            None => None,
        };
        if issuers.is_empty() {
            log::warn!(
                "no identity provider configured (auth.domain): every token will be refused"
            );
        }
        let authenticator = Authenticator::new(
            &settings.auth.header_prefix,
            issuers,
            db.clone(),
            CachePolicy {
                tokens: settings.auth.token_cache_size,
                user_max_age: Duration::from_secs(settings.auth.user_cache_secs),
            },
        )
        .map_err(|e| StartError::Settings(vec![e]))?;

        let workers = settings.server.workers;
        let blocking_threads = db.pool_size() as usize + BLOCKING_SPARE;
        let state = web::Data::new(AppState {
            settings,
            db,
            authenticator,
        });

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
        let draining = Arc::new(AtomicBool::new(false));
        let listening = listener.try_clone().ok();
        let dev = dev_issuer.clone().map(web::Data::from);
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
                let trusted = settings.server.trusted_proxies.clone();
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
                    // The path without its query string: a client could put a token there.
                    // The client as trusted proxies report it, else the peer.
                    .wrap(
                        Logger::new("%{client}xi %{method}xi %U %s %b %Dms")
                            .custom_request_replace("method", |req| req.method().to_string())
                            .custom_request_replace("client", move |req| {
                                Forwarded::of_service(req, &trusted)
                                    .client
                                    .map_or_else(|| "-".to_owned(), |ip| ip.to_string())
                            }),
                    )
                    .configure(|cfg| router.configure(cfg, &settings.rest_framework))
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
            address: address.clone(),
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
        Ok(Application {
            port,
            server: server.run(),
            dev_issuer,
            background,
            draining,
            drain: Duration::from_secs(state.settings.server.shutdown_drain_secs),
            listening,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The development issuer, while `auth.dev_issuer.enabled`.
    pub fn dev_issuer(&self) -> Option<Arc<DevIssuer>> {
        self.dev_issuer.clone()
    }

    /// Serves until a signal stops it. SIGTERM (an orchestrator's stop):
    /// for `server.shutdown_drain_secs` every response closes its
    /// connection, then the listener closes and requests in flight finish
    /// within `server.shutdown_timeout_secs`. SIGINT (Ctrl-C) and SIGQUIT
    /// stop at once.
    pub async fn run_until_signalled(mut self) -> std::io::Result<()> {
        use tokio::signal::unix::{SignalKind, signal};
        let handle = self.server.handle();
        let draining = self.draining.clone();
        let drain = self.drain;
        let listening = self.listening.take();
        let signals = (
            signal(SignalKind::terminate()),
            signal(SignalKind::interrupt()),
            signal(SignalKind::quit()),
        );
        match signals {
            (Ok(mut term), Ok(mut int), Ok(mut quit)) => {
                tokio::spawn(async move {
                    tokio::select! {
                        _ = term.recv() => {
                            log::info!(
                                "SIGTERM: draining for {} s, then stopping",
                                drain.as_secs()
                            );
                            draining.store(true, Ordering::Relaxed);
                            tokio::time::sleep(drain).await;
                            // Refuse new connections (a proxy retries those
                            // elsewhere), give the ones just accepted time to
                            // be read, then stop: actix drops connections it
                            // has not started to read.
                            // Paused first, so that the accept loop never
                            // sees the socket shut (it would log an error).
                            handle.pause().await;
                            tokio::time::sleep(PAUSE_SETTLE).await;
                            if let Some(listener) = &listening {
                                let _ = socket2::SockRef::from(listener)
                                    .shutdown(std::net::Shutdown::Read);
                            }
                            tokio::time::sleep(ACCEPTED_GRACE).await;
                            handle.stop(true).await;
                        }
                        _ = int.recv() => handle.stop(false).await,
                        _ = quit.recv() => handle.stop(false).await,
                    }
                });
            }
            _ => log::warn!("cannot listen for signals: stop the server with SIGKILL"),
        }
        self.run_until_stopped().await
    }

    /// Serves until the server stops (its handle; tests).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        for task in self.background {
            task.abort();
        }
        result
    }
}
