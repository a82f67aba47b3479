//! Errors of use cases. Each has a stable code that the web crate maps to a Fluent message, so
//! the user reads it in their own language; none carries internals.

use crate::ports::PortError;
use crate::types::FieldError;

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    /// Out of reach or does not exist (deliberately the same).
    #[error("not found")]
    NotFound,
    /// One or more fields were refused; `(field name, error)`.
    #[error("invalid input")]
    Invalid(Vec<(&'static str, FieldError)>),
    /// A protected client: a reason must be stated before the case is opened.
    #[error("reason required")]
    ReasonRequired,
    /// Username or password wrong, or the account is disabled (deliberately the same).
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Too many failed attempts; try again after this many seconds.
    #[error("throttled")]
    Throttled { retry_after_secs: i64 },
    /// Something already exists (for instance the username).
    #[error("conflict")]
    Conflict(&'static str),
    /// The setup token is wrong or already used.
    #[error("setup token invalid")]
    SetupTokenInvalid,
    /// The change was based on an old version: someone changed it meanwhile.
    #[error("stale version")]
    StaleVersion,
    /// A rule of the plan refuses this (code is the Fluent message id).
    #[error("refused: {0}")]
    Refused(&'static str),
    #[error(transparent)]
    Port(#[from] PortError),
}

impl DomainError {
    /// The Fluent message id shown to the user.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::NotFound => "error-not-found",
            DomainError::Invalid(_) => "error-invalid-input",
            DomainError::ReasonRequired => "error-reason-required",
            DomainError::InvalidCredentials => "login-failed",
            DomainError::Throttled { .. } => "login-throttled",
            DomainError::Conflict(_) => "error-conflict",
            DomainError::SetupTokenInvalid => "setup-token-invalid",
            DomainError::StaleVersion => "error-stale-version",
            DomainError::Refused(code) => code,
            DomainError::Port(PortError::Conflict(_)) => "error-conflict",
            DomainError::Port(PortError::Failure(_)) => "error-internal",
            DomainError::Port(PortError::AuditChainBroken { .. }) => "error-audit-trail",
        }
    }

    pub fn invalid(field: &'static str, e: FieldError) -> Self {
        DomainError::Invalid(vec![(field, e)])
    }
}

impl From<crate::policy::Denied> for DomainError {
    fn from(_: crate::policy::Denied) -> Self {
        DomainError::NotFound
    }
}
