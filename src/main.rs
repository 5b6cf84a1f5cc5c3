//! The `todoapi` command: parses arguments and calls the library.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use todoapi::db::Db;
use todoapi::settings::{self, Settings};
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
    /// Print the effective settings (secrets redacted); exit non-zero when they are invalid.
    Check,
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).init();
    let cli = Cli::parse();
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
        Command::Check => {
            print!("{}", settings.describe());
            println!("# settings are valid");
            ExitCode::SUCCESS
        }
    }
}

fn serve(settings: Settings) -> ExitCode {
    let result = actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings)
            .await
            .map_err(|e| e.to_string())?;
        log::info!("listening on port {}", app.port());
        app.run_until_stopped().await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("todoapi: {e}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(settings: &Settings, revert_all: bool) -> ExitCode {
    let run = || -> Result<Vec<String>, String> {
        let db = Db::connect(&settings.database)?;
        let mut conn = db.get()?;
        if revert_all {
            conn.revert_migrations().map_err(|e| e.to_string())
        } else {
            conn.apply_migrations().map_err(|e| e.to_string())
        }
    };
    match run() {
        Ok(versions) if versions.is_empty() => {
            println!(
                "no migrations to {}",
                if revert_all { "revert" } else { "apply" }
            );
            ExitCode::SUCCESS
        }
        Ok(versions) => {
            let verb = if revert_all { "reverted" } else { "applied" };
            for v in versions {
                println!("{verb} {v}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("todoapi: migrate: {e}");
            ExitCode::FAILURE
        }
    }
}
