//! The `todoapi` command: parses arguments and calls the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use todoapi::db::migrations::MigrationError;
use todoapi::db::{Db, indexes};
#[cfg(feature = "dev-issuer")]
use todoapi::dev_issuer::{self, DevIssuer, TokenOptions};
use todoapi::settings::{self, Settings, schema};
use todoapi::startup::Application;

#[derive(Parser)]
#[command(
    name = "todoapi",
    version,
    about = "The todo app's back-end (tasks behind Auth0 JWTs)"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default); applies pending migrations first unless
    /// database.migrate_on_start = false.
    Serve,
    /// Apply pending database migrations.
    Migrate {
        /// Revert every migration instead (drops all data).
        #[arg(long)]
        revert_all: bool,
    },
    /// Print the effective settings (secrets redacted) and what the database
    /// lacks; exit non-zero when the settings are invalid.
    Check,
    /// Add the list's indexes where our migrations did not run (a database
    /// the original made); PostgreSQL builds them without blocking writes.
    AddIndexes,
    /// Print the API's OpenAPI 3.1 document (what GET /api/schema/ serves).
    Openapi,
    /// Ask the running server whether it is alive (/api/health/) or, with
    /// --ready, ready (/api/ready/); exit 0 on 200. For container health checks.
    Probe {
        #[arg(long)]
        ready: bool,
    },
    /// Print what the settings schema renders: `toml` (config/default.toml)
    /// or `readme` (the README's table of settings).
    Schema {
        #[arg(value_parser = ["toml", "readme"])]
        what: String,
    },
    /// Print a token signed by the development issuer (auth.dev_issuer), which
    /// a running development server accepts.
    #[cfg(feature = "dev-issuer")]
    Token {
        /// The subject (`sub`).
        #[arg(long, default_value = "dev-user")]
        sub: String,
        /// The `scope` claim (default: auth.dev_issuer.scope; "" leaves it out).
        #[arg(long)]
        scope: Option<String>,
        /// Adds to the `permissions` claim; repeat for more.
        #[arg(long = "permission", value_name = "PERMISSION")]
        permissions: Vec<String>,
        /// Lifetime in seconds (default: auth.dev_issuer.token_lifetime_secs).
        #[arg(long)]
        expires_in: Option<u64>,
        /// The `aud` claim (default: the server's audience).
        #[arg(long)]
        audience: Option<String>,
        /// How many tokens, one per line, each with its own `jti` (for load tests).
        #[arg(long, default_value_t = 1)]
        count: usize,
    },
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
    if let Some(Command::Schema { what }) = &cli.command {
        // Needs no settings: it prints what they are made of.
        let env: std::collections::HashMap<String, String> = std::env::vars().collect();
        match what.as_str() {
            "toml" => print!("{}", schema::default_toml()),
            _ => print!(
                "{}",
                schema::readme_table(&schema::profile_defaults(&settings::config_dir(&env)))
            ),
        }
        return ExitCode::SUCCESS;
    }
    let settings = match settings::load_from_process_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("todoapi: {e}");
            return ExitCode::from(2);
        }
    };
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(settings),
        Command::Migrate { revert_all } => migrate(&settings, revert_all),
        Command::Schema { .. } => ExitCode::SUCCESS,
        Command::Openapi => {
            let docs =
                todoapi::resources::router(&settings.tasks).describe(&settings.rest_framework);
            // As the server would trust them: the tenant, the other providers, the dev issuer.
            let issuers: Vec<String> = settings
                .auth
                .tenant
                .iter()
                .map(|t| t.issuer.clone())
                .chain(settings.auth.issuers.iter().map(|i| i.issuer.clone()))
                .chain(dev_issuer_url(&settings))
                .collect();
            let server = settings.local_base_url(settings.server.port);
            let document = todoapi::rest::openapi::document(&docs, &settings, &issuers, &server);
            match serde_json::to_string_pretty(&document) {
                Ok(text) => {
                    println!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("todoapi: openapi: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Probe { ready } => {
            let path = if ready { "/api/ready/" } else { "/api/health/" };
            match todoapi::probe::probe(&settings, path) {
                Ok(status) => {
                    println!("{status}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("todoapi: probe: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::AddIndexes => add_indexes(&settings),
        Command::Check => {
            print!("{}", settings.describe());
            if let Some(note) = database_note(&settings) {
                println!("# database: {note}");
            }
            let unknown = todoapi::resources::router(&settings.tasks)
                .unknown_routes(&settings.rest_framework);
            if unknown.is_empty() {
                println!("# settings are valid");
                ExitCode::SUCCESS
            } else {
                eprintln!("todoapi: invalid settings:");
                for problem in unknown {
                    eprintln!("  - {problem}");
                }
                ExitCode::from(2)
            }
        }
        #[cfg(feature = "dev-issuer")]
        Command::Token {
            sub,
            scope,
            permissions,
            expires_in,
            audience,
            count,
        } => {
            let options = TokenOptions {
                sub,
                scope,
                permissions,
                expires_in,
                audience,
                ..TokenOptions::default()
            };
            match tokens(&settings, options, count) {
                Ok(tokens) => {
                    println!("{}", tokens.join("\n"));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("todoapi: token: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

#[cfg(feature = "dev-issuer")]
/// `count` tokens of the development issuer; more than one get distinct
/// `jti`s and are signed on every core.
fn tokens(settings: &Settings, options: TokenOptions, count: usize) -> Result<Vec<String>, String> {
    let dev = dev_issuer_for_cli(settings)?;
    if count <= 1 {
        return Ok(vec![dev.mint(options).map_err(|e| e.to_string())?.token]);
    }
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunks: Vec<Vec<usize>> = (0..threads)
        .map(|t| (t..count).step_by(threads).collect())
        .collect();
    let signed = std::thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .iter()
            .map(|ids| {
                let (dev, options) = (&dev, &options);
                scope.spawn(move || {
                    ids.iter()
                        .map(|id| {
                            let mut one = options.clone();
                            one.extra
                                .insert("jti".into(), serde_json::json!(id.to_string()));
                            dev.mint(one).map(|m| m.token).map_err(|e| e.to_string())
                        })
                        .collect::<Result<Vec<String>, String>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().map_err(|_| "a signing thread failed".to_owned())?)
            .collect::<Result<Vec<Vec<String>>, String>>()
    })?;
    Ok(signed.into_iter().flatten().collect())
}

/// The development issuer's `iss` while it is on.
#[cfg(feature = "dev-issuer")]
fn dev_issuer_url(settings: &Settings) -> Option<String> {
    (settings.auth.dev_issuer.enabled)
        .then(|| dev_issuer::issuer_url(settings, settings.server.port))
}

#[cfg(not(feature = "dev-issuer"))]
fn dev_issuer_url(_: &Settings) -> Option<String> {
    None
}

/// The development issuer as a running server with these settings has it.
#[cfg(feature = "dev-issuer")]
fn dev_issuer_for_cli(settings: &Settings) -> Result<DevIssuer, String> {
    if !settings.auth.dev_issuer.enabled {
        return Err("the development issuer is off (auth.dev_issuer.enabled = false)".into());
    }
    if settings.server.port == 0 && settings.auth.dev_issuer.issuer.is_none() {
        return Err(
            "server.port is 0, so the issuer URL is unknown; set auth.dev_issuer.issuer".into(),
        );
    }
    let issuer = dev_issuer::issuer_url(settings, settings.server.port);
    DevIssuer::load_or_create(&settings.auth.dev_issuer, issuer).map_err(|e| e.to_string())
}

/// What a developer needs once the server listens: where, a token, a first request.
fn announce(app: &Application, settings: &Settings) {
    let base = settings.local_base_url(app.port());
    println!("todoapi is listening on {base}");
    #[cfg(feature = "dev-issuer")]
    announce_dev_issuer(app, settings, &base);
}

/// The development issuer's client and a first token, while it runs.
#[cfg(feature = "dev-issuer")]
fn announce_dev_issuer(app: &Application, settings: &Settings, base: &str) {
    let Some(dev) = app.dev_issuer() else {
        return;
    };
    let minted = dev.mint(TokenOptions {
        sub: "dev-user".into(),
        ..TokenOptions::default()
    });
    match minted {
        Ok(minted) => {
            println!(
                "Development issuer {} (client id {:?}, secret {:?}, token URL {base}/oauth/token)",
                dev.issuer(),
                dev.client_id(),
                dev.client_secret().expose()
            );
            if settings
                .server
                .static_dir
                .as_ref()
                .is_some_and(|d| d.is_dir())
            {
                println!("The SPA: open {base}/ and sign in (as auth0|dev-user, or anyone)");
            }
            println!(
                "A token, valid for {} s (more: `todoapi token`):\n\n{}\n",
                minted.expires_in, minted.token
            );
            println!(
                "List the tasks:\n\ncurl -H \"Authorization: Bearer {}\" {base}/api/task/\n",
                minted.token
            );
        }
        Err(e) => log::warn!("development issuer: {e}"),
    }
}

fn serve(settings: Settings) -> ExitCode {
    let result = actix_web::rt::System::new().block_on(async move {
        let shown = settings.clone();
        // Invalid settings exit 2, as when they are read; anything else 1.
        let app = Application::build(settings).await.map_err(|e| {
            let invalid = matches!(e, todoapi::startup::StartError::Settings(_));
            (e.to_string(), if invalid { 2 } else { 1 })
        })?;
        announce(&app, &shown);
        app.run_until_signalled()
            .await
            .map_err(|e| (e.to_string(), 1))
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((e, code)) => {
            eprintln!("todoapi: {e}");
            ExitCode::from(code)
        }
    }
}

/// What `todoapi check` says of the database: the indexes it lacks. Nothing
/// for a SQLite file that is not there yet (check creates nothing).
fn database_note(settings: &Settings) -> Option<String> {
    if let settings::DatabaseUrl::Sqlite(path) = &settings.database.url
        && !path.exists()
    {
        return None;
    }
    let db = match Db::connect(&settings.database) {
        Ok(db) => db,
        Err(e) => return Some(format!("not checked ({e})")),
    };
    let mut conn = db.get().ok()?;
    match indexes::missing(&mut conn) {
        Ok(missing) if missing.is_empty() => None,
        Ok(missing) => Some(indexes::advice(&missing)),
        Err(e) => Some(format!("not checked ({e})")),
    }
}

fn add_indexes(settings: &Settings) -> ExitCode {
    let run = || -> Result<Vec<String>, MigrationError> {
        let db = Db::connect(&settings.database)?;
        let mut conn = db.get()?;
        Ok(indexes::add_missing(&mut conn)?)
    };
    match run() {
        Ok(made) if made.is_empty() => {
            println!("no index to add: the database has the list's indexes");
            ExitCode::SUCCESS
        }
        Ok(made) => {
            for name in made {
                println!("added index {name}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("todoapi: add-indexes: {e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(settings: &Settings, revert_all: bool) -> ExitCode {
    let run = || -> Result<Vec<String>, MigrationError> {
        let db = Db::connect(&settings.database)?;
        let mut conn = db.get()?;
        if revert_all {
            let reverted = conn.revert_migrations()?;
            Ok(reverted.iter().map(|v| format!("reverted {v}")).collect())
        } else {
            Ok(conn.apply_migrations()?.lines())
        }
    };
    match run() {
        Ok(lines) if lines.is_empty() => {
            println!(
                "no migrations to {}",
                if revert_all { "revert" } else { "apply" }
            );
            ExitCode::SUCCESS
        }
        Ok(lines) => {
            for line in lines {
                println!("{line}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("todoapi: migrate: {e}");
            ExitCode::FAILURE
        }
    }
}
