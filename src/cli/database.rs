//! The database commands: `migrate`, `add-indexes`, and what `check` says
//! of the database.

use std::process::ExitCode;

use todoapi::db::migrations::MigrationError;
use todoapi::db::{Db, indexes};
use todoapi::settings::{self, Settings};

/// What `todoapi check` says of the database: the indexes it lacks. Nothing
/// for a SQLite file that is not there yet (check creates nothing).
pub fn database_note(settings: &Settings) -> Option<String> {
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

pub fn add_indexes(settings: &Settings) -> ExitCode {
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

pub fn migrate(settings: &Settings, revert_all: bool) -> ExitCode {
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
