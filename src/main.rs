//! The `todoapi` command: parses arguments and calls the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use cli::database::{add_indexes, database_note, migrate};
use cli::dev::dev_issuer_url;
#[cfg(feature = "dev-issuer")]
use cli::dev::tokens;
use cli::serve::serve;
#[cfg(feature = "dev-issuer")]
use todoapi::dev_issuer::TokenOptions;
use todoapi::settings::{self, schema};

mod cli;

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
    /// or `table` (docs/configuration.md's table of settings).
    Schema {
        #[arg(value_parser = ["toml", "table"])]
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
    let cli = Cli::parse();
    if let Some(Command::Schema { what }) = &cli.command {
        // Needs no settings: it prints what they are made of.
        let env: std::collections::HashMap<String, String> = std::env::vars().collect();
        match what.as_str() {
            "toml" => print!("{}", schema::default_toml()),
            _ => print!(
                "{}",
                schema::settings_table(&schema::profile_defaults(&settings::config_dir(&env)))
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
    todoapi::http::logging::init(settings.log.format);
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
                .settings_problems(&settings.rest_framework);
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
