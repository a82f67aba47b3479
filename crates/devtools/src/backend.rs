//! The database the tools work on, and errors for the person at the terminal.

use crate::config::{self, Config};
use domain::ports::{PortError, Store};
use std::path::Path;
use std::sync::Arc;

/// An error for the person at the terminal: one line, and an exit code.
pub struct Failure {
    pub message: String,
    pub code: u8,
}

pub fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code,
    }
}

/// A store error as one line, without the adapter's prefix.
pub fn port(context: &str, e: PortError) -> Failure {
    match e {
        PortError::Failure(m) => fail(1, format!("{context}: {m}")),
        PortError::Conflict(what) => fail(1, format!("{context}: conflict ({what})")),
        e @ PortError::AuditChainBroken { .. } => fail(1, format!("{context}: {e}")),
    }
}

/// The concrete store behind the port, for what only one kind can do (backups, migration lists).
#[derive(Clone)]
pub enum Backend {
    Sqlite(store_sqlite::SqliteStore),
    Postgres(store_postgres::PgStore),
}

impl Backend {
    pub fn store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(s) => Arc::new(s.clone()),
            Backend::Postgres(p) => Arc::new(p.clone()),
        }
    }

    pub async fn migrate(&self) -> Result<(), PortError> {
        match self {
            Backend::Sqlite(s) => s.migrate().await,
            Backend::Postgres(p) => p.migrate().await,
        }
    }

    /// Lets SQLite checkpoint its WAL and PostgreSQL end sessions cleanly.
    pub async fn close(&self) {
        match self {
            Backend::Sqlite(s) => s.close().await,
            Backend::Postgres(p) => p.close().await,
        }
    }
}

#[derive(PartialEq, Eq)]
pub enum OpenMode {
    /// Create the database if needed and bring the schema up to date.
    Migrate,
    /// Use an existing database as it is (read-only commands must not change it).
    Existing,
}

pub async fn open(config: &Config, mode: OpenMode) -> Result<Backend, Failure> {
    let backend = if config.is_postgres() {
        let pg = store_postgres::PgStore::connect(&config.database_url)
            .await
            .map_err(|e| {
                port(
                    &format!(
                        "cannot connect to PostgreSQL at {}",
                        config::redact_url(&config.database_url)
                    ),
                    e,
                )
            })?;
        Backend::Postgres(pg)
    } else {
        let path = store_sqlite::database_path(&config.database_url);
        if mode == OpenMode::Existing && !path.exists() {
            return Err(fail(
                1,
                format!(
                    "no database at {}; check database_url (`vendepunkt migrate` creates a new one)",
                    path.display()
                ),
            ));
        }
        let lite = store_sqlite::SqliteStore::open(&config.database_url)
            .await
            .map_err(|e| {
                port(
                    &format!("cannot open the SQLite database {}", path.display()),
                    e,
                )
            })?;
        Backend::Sqlite(lite)
    };
    if mode == OpenMode::Migrate {
        backend
            .migrate()
            .await
            .map_err(|e| port("migration failed", e))?;
    }
    Ok(backend)
}

/// The first line of a password file (only the line ending goes: spaces may be part of a
/// passphrase).
pub fn read_password(file: &Path) -> Result<String, Failure> {
    let text = std::fs::read_to_string(file).map_err(|e| {
        fail(
            2,
            format!("password-file: cannot read {}: {e}", file.display()),
        )
    })?;
    Ok(text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r')
        .to_string())
}

/// Form field names as the command-line flags that fill them.
pub fn cli_field(field: &str) -> &str {
    match field {
        "display_name" => "name",
        "roles" => "role",
        other => other,
    }
}

pub fn describe(e: domain::types::FieldError) -> &'static str {
    use domain::types::FieldError::*;
    match e {
        Required => "required",
        TooLong => "too long",
        TooShort => "too short",
        InvalidCharacters => "has characters that are not allowed",
        PasswordTooShort => "the password needs at least 12 characters",
        PasswordTooLong => "the password can have at most 256 characters",
        PasswordTooCommon => "this password is too common; choose another",
        PasswordContainsUsername => "the password cannot contain the username",
        DateInvalid => "is not a date (use YYYY-MM-DD)",
        DateOutOfRange => "is outside the years 2000 to 2100",
        EndBeforeStart => "is before the start",
        NotAChoice => "is not one of the choices",
        NumberInvalid => "is not a valid number",
        MustConfirm => "must be confirmed",
        AttachmentTooLarge => "is too large",
        AttachmentType => "is not a PDF, PNG or JPEG file",
        AttachmentName => "has a file name that is not allowed",
        AttachmentPixels => "is a picture with too many pixels",
        AttachmentEncrypted => "is a password-protected PDF",
        TimeInvalid => "is not a date and time",
        TimeInPast => "is in the past",
        UsernameTaken => "is already taken",
        ProtectedNotAllowed => "cannot be protected at this office",
    }
}
