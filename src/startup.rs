//! Assembles the server: database, key store, authenticator, routes.
//! `Application::build` binds the listener, so tests can ask for port 0.

mod dev;
mod metrics;
mod server;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use actix_web::dev::Server;
use actix_web::web;

use crate::auth::providers::Providers;
use crate::auth::{Authenticator, CachePolicy};
use crate::cache::Cache;
use crate::db::{Db, indexes};
use crate::policy::Ownership;
use crate::resources;
use crate::rest::router::Router;
use crate::settings::Settings;
use crate::state::AppState;
use dev::DevIssuer;
use server::{http_server, listen};

pub struct Application {
    port: u16,
    server: Server,
    /// The metrics listener's server and port (`metrics.listen`).
    metrics_server: Option<(Server, u16)>,
    dev_issuer: Option<Arc<DevIssuer>>,
    background: Vec<tokio::task::JoinHandle<()>>,
    /// Set on SIGTERM: every response closes its connection.
    draining: Arc<AtomicBool>,
    drain: Duration,
    /// The listening socket (a second handle), to refuse new connections
    /// before stopping.
    listening: Option<TcpListener>,
}

/// After the listener closes, how long connections already accepted have
/// to send their request before the server stops.
const ACCEPTED_GRACE: Duration = Duration::from_millis(500);
/// actix's `pause()` returns once the accept thread is told, not once it has
/// stopped polling the listener; shutting the socket before then makes it
/// accept on a shut socket and log two errors. Its thread does nothing
/// else: a few milliseconds suffice, this is a wide margin.
const PAUSE_SETTLE: Duration = Duration::from_millis(100);

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
    #[error("cache: {0}")]
    Cache(#[from] crate::cache::CacheError),
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

    /// Assembles the parts, each built from its own settings: the database
    /// (migrated unless told not to), the listener, authentication (whose
    /// key stores start fetching in the background), the HTTP server. Must
    /// run inside a Tokio runtime.
    pub async fn build_with(settings: Settings, router: Router) -> Result<Application, StartError> {
        let unknown = router.settings_problems(&settings.rest_framework);
        if !unknown.is_empty() {
            return Err(StartError::Settings(unknown));
        }
        dev::available(&settings)?;
        let metrics = Arc::new(metrics::new(&settings));
        let db = database(&settings, &metrics)?;
        // Bind first: the development issuer's URL is the server's own, port included.
        let (listener, port) = bind(&settings)?;
        let metrics_listener = metrics::bind(&settings)?;
        let auth = authentication(&settings, &db, port)?;
        let cache = Cache::new(&settings.cache)?;
        let drain = Duration::from_secs(settings.server.shutdown_drain_secs);
        let state = web::Data::new(AppState {
            settings,
            db,
            authenticator: auth.authenticator.observed(metrics.auth.clone()),
            cache,
            metrics,
        });
        let metrics_server = metrics_listener
            .map(|(listener, port)| metrics::server(state.clone(), listener).map(|s| (s, port)))
            .transpose()?;
        let draining = Arc::new(AtomicBool::new(false));
        let listening = listener.try_clone().ok();
        let server = http_server(
            state,
            router,
            auth.dev_issuer.clone(),
            draining.clone(),
            listener,
        )?;
        Ok(Application {
            port,
            server,
            metrics_server,
            dev_issuer: auth.dev_issuer,
            background: auth.background,
            draining,
            drain,
            listening,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The metrics listener's port, when `metrics.listen` asks for one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics_server.as_ref().map(|(_, port)| *port)
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
        // The metrics listener serves as long as the API does.
        let metrics = self.metrics_server.map(|(server, _)| {
            let handle = server.handle();
            (tokio::spawn(server), handle)
        });
        let result = self.server.await;
        if let Some((task, handle)) = metrics {
            handle.stop(false).await;
            let _ = task.await;
        }
        for task in self.background {
            task.abort();
        }
        result
    }
}

/// The database, migrated unless told not to, checked against the settings.
fn database(settings: &Settings, metrics: &crate::metrics::Metrics) -> Result<Db, StartError> {
    let mut db = Db::connect_observed(&settings.database, metrics.db.clone())
        .map_err(StartError::Database)?;
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
    Ok(db)
}

/// The listening socket, and the port it got.
fn bind(settings: &Settings) -> Result<(TcpListener, u16), StartError> {
    bind_to(&settings.bind_address(), settings.server.backlog)
}

/// A listening socket on `address` (see [`listen`]), and the port it got.
fn bind_to(address: &str, backlog: u32) -> Result<(TcpListener, u16), StartError> {
    let failed = |source| StartError::Bind {
        address: address.to_owned(),
        source,
    };
    let listener = listen(address, backlog).map_err(failed)?;
    let port = listener.local_addr().map_err(failed)?.port();
    Ok((listener, port))
}

/// What authentication is made of at start-up.
struct Authentication {
    authenticator: Authenticator,
    /// The key stores' refreshes, running.
    background: Vec<tokio::task::JoinHandle<()>>,
    dev_issuer: Option<Arc<DevIssuer>>,
}

/// The identity providers of settings (and the development issuer), their
/// key stores fetching in the background: start-up does not wait for them.
fn authentication(settings: &Settings, db: &Db, port: u16) -> Result<Authentication, StartError> {
    let providers = Providers::from_settings(&settings.auth)?;
    let background = providers
        .stores
        .iter()
        .map(|store| tokio::spawn(store.clone().keep_fresh()))
        .collect();
    let mut issuers = providers.issuers;
    let dev_issuer = match dev::start(settings, port)? {
        Some((dev, issuer)) => {
            issuers.push(issuer);
            Some(dev)
        }
        None => None,
    };
    if issuers.is_empty() {
        log::warn!("no identity provider configured (auth.domain): every token will be refused");
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
    Ok(Authentication {
        authenticator,
        background,
        dev_issuer,
    })
}
