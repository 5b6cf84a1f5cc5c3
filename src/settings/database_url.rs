//! `database.url`: the backend follows the URL, and a password never shows.

use std::fmt;
use std::path::PathBuf;

use url::Url;

/// The backend follows the URL: `postgres://…` or a SQLite path (`sqlite://` optional).
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<Self, DatabaseUrlError> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            Url::parse(raw).map_err(DatabaseUrlError::Postgres)?;
            return Ok(DatabaseUrl::Postgres(raw.to_owned()));
        }
        let path = raw.strip_prefix("sqlite://").unwrap_or(raw);
        if path.is_empty() {
            return Err(DatabaseUrlError::Empty);
        }
        if path.contains("://") {
            return Err(DatabaseUrlError::Scheme);
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    /// The URL with any password replaced, for logs and `todoapi check`.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => path.display().to_string(),
            DatabaseUrl::Postgres(raw) => match Url::parse(raw) {
                Ok(mut url) if url.password().is_some() => {
                    let _ = url.set_password(Some("********"));
                    url.to_string()
                }
                _ => raw.clone(),
            },
        }
    }
}

/// A stand-in while a bad value is reported.
impl Default for DatabaseUrl {
    fn default() -> Self {
        DatabaseUrl::Sqlite(PathBuf::new())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DatabaseUrlError {
    #[error("is not a valid PostgreSQL URL ({0})")]
    Postgres(url::ParseError),
    #[error("is empty; give a SQLite file path or a postgres:// URL")]
    Empty,
    #[error("has an unknown scheme; use a SQLite file path or postgres://")]
    Scheme,
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}
