//! What can go wrong with the database, classified where it happens: the
//! rest of the server sees a [`DbError`], never a diesel or r2d2 error.
//!
//! "The server went away" (answered 503, the connection discarded) is one
//! narrow rule per backend: PostgreSQL's connection-class errors, which
//! diesel reports as `ClosedConnection` (SQLSTATE class 08, or libpq's
//! connection gone bad) or `UnableToSendCommand`; SQLite's busy and locked
//! codes, which diesel reports only by their fixed messages.

use std::time::Duration;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection, or the server went away: try again later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A call took longer than `database.timeout_secs`.
    #[error("the database did not answer within {} s", .0.as_secs())]
    Timeout(Duration),
    #[error("no such row")]
    NotFound,
    /// A concurrent change got there first (a lost insert race, a unique key).
    #[error("conflict: {0}")]
    Conflict(String),
    /// Anything else: a bug or a schema that is not ours.
    #[error("database error: {0}")]
    Other(String),
}

impl From<super::listing::Mismatch> for DbError {
    fn from(e: super::listing::Mismatch) -> Self {
        DbError::Other(e.to_string())
    }
}

impl DbError {
    /// The kinds counted in metrics (a missing row is an answer, not counted).
    pub const KINDS: [&'static str; 4] = ["unavailable", "timeout", "conflict", "other"];

    /// This error's kind in [`DbError::KINDS`]; `None` for a missing row.
    pub fn kind(&self) -> Option<&'static str> {
        match self {
            DbError::Unavailable(_) => Some("unavailable"),
            DbError::Timeout(_) => Some("timeout"),
            DbError::NotFound => None,
            DbError::Conflict(_) => Some("conflict"),
            DbError::Other(_) => Some("other"),
        }
    }

    /// Whether the connection that saw this error should be dropped.
    pub fn breaks_connection(&self) -> bool {
        matches!(self, DbError::Unavailable(_))
    }
}

/// SQLite's messages for SQLITE_BUSY and SQLITE_LOCKED (`sqlite3_errstr`),
/// the only form in which diesel passes those codes on.
const SQLITE_BUSY: &str = "database is locked";
const SQLITE_LOCKED: &str = "database table is locked";

/// PostgreSQL: the connection is gone (diesel maps SQLSTATE class 08 and a
/// connection libpq marks bad to `ClosedConnection`; a failed send to
/// `UnableToSendCommand`).
fn postgres_gone(kind: &DatabaseErrorKind) -> bool {
    matches!(
        kind,
        DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand
    )
}

/// SQLite: another connection holds the lock past `busy_timeout`.
fn sqlite_busy(kind: &DatabaseErrorKind, message: &str) -> bool {
    matches!(kind, DatabaseErrorKind::Unknown)
        && (message == SQLITE_BUSY || message.starts_with(SQLITE_LOCKED))
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        match e {
            DieselError::NotFound => DbError::NotFound,
            DieselError::DatabaseError(kind, info)
                if postgres_gone(&kind) || sqlite_busy(&kind, info.message()) =>
            {
                DbError::Unavailable(info.message().to_owned())
            }
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info) => {
                DbError::Conflict(info.message().to_owned())
            }
            other => DbError::Other(other.to_string()),
        }
    }
}

impl From<r2d2::Error> for DbError {
    /// The pool gave no connection in time: none could be opened.
    fn from(e: r2d2::Error) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database_error(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    #[test]
    fn postgres_connection_errors_are_unavailable() {
        for kind in [
            DatabaseErrorKind::ClosedConnection,
            DatabaseErrorKind::UnableToSendCommand,
        ] {
            let e = DbError::from(database_error(kind, "server closed the connection"));
            assert!(matches!(e, DbError::Unavailable(_)), "{e:?}");
            assert!(e.breaks_connection());
        }
    }

    #[test]
    fn sqlite_busy_and_locked_are_unavailable_by_their_exact_messages() {
        for message in [SQLITE_BUSY, "database table is locked: task"] {
            let e = DbError::from(database_error(DatabaseErrorKind::Unknown, message));
            assert!(matches!(e, DbError::Unavailable(_)), "{message}");
        }
        // Near misses are bugs to see, not outages to retry.
        for message in [
            "the database is locked in a drawer",
            "no such table: task",
            "Database is locked",
        ] {
            let e = DbError::from(database_error(DatabaseErrorKind::Unknown, message));
            assert!(matches!(e, DbError::Other(_)), "{message}: {e:?}");
            assert!(!e.breaks_connection());
        }
        // The same text under another kind is that kind.
        let e = DbError::from(database_error(
            DatabaseErrorKind::CheckViolation,
            SQLITE_BUSY,
        ));
        assert!(matches!(e, DbError::Other(_)), "{e:?}");
    }

    #[test]
    fn the_rest_keeps_its_meaning() {
        assert!(matches!(
            DbError::from(DieselError::NotFound),
            DbError::NotFound
        ));
        let e = DbError::from(database_error(
            DatabaseErrorKind::UniqueViolation,
            "duplicate key value violates unique constraint",
        ));
        assert!(matches!(e, DbError::Conflict(_)), "{e:?}");
        let e = DbError::from(database_error(
            DatabaseErrorKind::NotNullViolation,
            "null value in column",
        ));
        assert!(matches!(e, DbError::Other(_)), "{e:?}");
        assert!(!DbError::NotFound.breaks_connection());
        assert!(!DbError::Timeout(Duration::from_secs(5)).breaks_connection());
    }
}
