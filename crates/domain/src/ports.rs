//! Ports: what the domain needs from the outside world. The storage crates implement
//! [`Store`]; the web crate and the binary implement the rest.
//!
//! Timestamps are UTC with microsecond precision (PostgreSQL's precision), so that a value
//! reads back from either database exactly as it was written; [`Clock`] implementations must
//! return values already truncated with [`truncate_to_micros`].

use crate::ids::UserId;
use crate::types::Secret;
use async_trait::async_trait;
use time::OffsetDateTime;

/// A failure of an adapter. The message is for logs and must not carry personal data.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PortError {
    /// The write was refused because it conflicts with what is stored (see [`Conflict`]).
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// The adapter failed (database down, disk full, ...).
    #[error("adapter failure: {0}")]
    Failure(String),
    /// The audit trail cannot be extended: row `seq` could not be appended because the chain
    /// is broken (a row after the head, a head that is not the last row), so the request that
    /// needed the row must not show or change anything. Nothing was written. An operational
    /// error, not a bug: `vendepunkt audit verify` names what is wrong (docs/OPERATIONS.md).
    #[error(
        "the audit trail needs attention: row {seq} cannot be appended (run `vendepunkt audit verify`)"
    )]
    AuditChainBroken { seq: i64 },
}

pub type PortResult<T> = Result<T, PortError>;

/// What a refused write conflicted with. Displays as a short word for logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Conflict {
    /// The row changed since the caller read it: the expected version is no longer the
    /// current one, or the row is no longer editable (see [`PlanWrite`]).
    #[error("stale")]
    Stale,
    /// A uniqueness rule was broken (a store's generic mapping of a unique violation).
    #[error("unique")]
    Unique,
    /// The username is already in use.
    #[error("username")]
    Username,
    /// The external identity (issuer, subject) is already linked to an account.
    #[error("identity")]
    Identity,
}

/// The current time, injected so that every time-dependent rule can be tested.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// Drops sub-microsecond precision.
pub fn truncate_to_micros(t: OffsetDateTime) -> OffsetDateTime {
    let nanos = t.nanosecond();
    t.replace_nanosecond(nanos - nanos % 1_000).unwrap_or(t)
}

/// Hashes and verifies passwords. Implementations do the expensive work off the async
/// executor (`spawn_blocking`).
#[async_trait]
pub trait PasswordHasher: Send + Sync {
    async fn hash(&self, password: &Secret) -> PortResult<String>;
    /// Whether `password` matches `hash`. A malformed hash is a mismatch.
    async fn verify(&self, password: &Secret, hash: &str) -> bool;
    /// Spends the same time as a real verification, so unknown users cannot be told from
    /// wrong passwords by timing.
    async fn verify_dummy(&self, password: &Secret);
}

/// Something happened that open pages of `recipient` should learn about (live updates).
/// Carries no content: the page fetches what it is allowed to see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveEvent {
    pub recipient: UserId,
    pub kind: String,
    /// What it is about (a thread id, a meeting id, ...), for throttling notices per thing.
    /// Never content.
    pub about: Option<String>,
}

/// Delivers live events to open pages (in-process broadcast with SQLite; LISTEN/NOTIFY with
/// PostgreSQL so that every instance hears them).
#[async_trait]
pub trait Notifier: Send + Sync {
    async fn publish(&self, event: LiveEvent) -> PortResult<()>;
}

/// Whether the database is there, for `/readyz` and `/metrics`. Every [`Store`] is one.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> PortResult<()>;
    /// Connection-pool figures for `/metrics`.
    fn pool_stats(&self) -> PoolStats;
}

/// Storage: every capability a database offers, one trait per feature (each in its feature's
/// `store.rs`). One implementation per database (`store-sqlite`, `store-postgres`, a file per
/// feature); both pass the same conformance suite (`testkit::conformance`). A use case asks
/// for the capabilities it needs (`S: PlanStore + ?Sized`), a handler holds the whole `Store`.
///
/// Methods that show or change a client's personal data take the audit event ("no audit, no
/// data"): a change writes its row in the same transaction as the change; a read that shows
/// data returns it only after its row is durable (the stores' group-commit appender, one
/// commit for many waiting views). If the audit row cannot be written, the data is not
/// returned and the change is not made.
pub trait Store:
    Send
    + Sync
    + HealthStore
    + crate::accounts::AccountsStore
    + crate::organisation::OrganisationStore
    + crate::organisation::client_accounts::AccountStore
    + crate::cases::store::CasesStore
    + crate::audit::AuditStore
    + crate::plan::store::PlanStore
    + crate::conversation::store::ConversationStore
    + crate::live::LiveStore
    + crate::contact::ContactStore
    + crate::notices::NoticesStore
    + crate::meetings::MeetingsStore
    + crate::feedback::store::FeedbackStore
    + crate::insights::InsightsStore
{
}

impl<T> Store for T where
    T: Send
        + Sync
        + HealthStore
        + crate::accounts::AccountsStore
        + crate::organisation::OrganisationStore
        + crate::organisation::client_accounts::AccountStore
        + crate::cases::store::CasesStore
        + crate::audit::AuditStore
        + crate::plan::store::PlanStore
        + crate::conversation::store::ConversationStore
        + crate::live::LiveStore
        + crate::contact::ContactStore
        + crate::notices::NoticesStore
        + crate::meetings::MeetingsStore
        + crate::feedback::store::FeedbackStore
        + crate::insights::InsightsStore
        + ?Sized
{
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// A notice ready to send: the address is personal data (never logged); subject and body
/// carry no content (see `domain::notices::text`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutgoingNotice {
    pub idempotency_key: String,
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// Sends notices by one channel (e-mail through SMTP or a file; SMS through an HTTP gateway).
/// A gateway that honours the idempotency key delivers a retried notice once.
#[async_trait]
pub trait NoticeSender: Send + Sync {
    async fn send(&self, notice: &OutgoingNotice) -> PortResult<()>;
}
