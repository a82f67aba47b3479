//! Ports: what the domain needs from the outside world. The storage crates implement
//! [`Store`]; the web crate and the binary implement the rest.
//!
//! Timestamps are UTC with microsecond precision (PostgreSQL's precision), so that a value
//! reads back from either database exactly as it was written; [`Clock`] implementations must
//! return values already truncated with [`truncate_to_micros`].

use crate::audit::{AccessLogEntry, AuditRow, NewAuditEvent};
use crate::ids::{
    ClientId, MeasureId, OfficeId, OrganisationId, PlanHistoryId, PlanItemId, TeamId, UserId,
};
use crate::policy::{CaseloadScope, ClientScope};
use crate::roles::{Actor, Role, RoleGrant};
use crate::types::{PersonName, Secret, UnitName, Username};
use async_trait::async_trait;
use time::OffsetDateTime;

/// A failure of an adapter. The message is for logs and must not carry personal data.
#[derive(Debug, thiserror::Error)]
pub enum PortError {
    /// A uniqueness rule was broken (for instance a username already in use).
    #[error("conflict: {0}")]
    Conflict(&'static str),
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

// The records of each feature's store capability, at their old paths.
pub use crate::contact::{ContactStatus, ContactStore};
pub use crate::conversation::store::{
    AttachmentFile, AttachmentMeta, ConversationStore, MessageRow, NewAttachment, NewMessage,
    NewThread, ThreadRecord, ThreadSummary,
};
#[doc(hidden)]
pub use crate::insights::InsightsStore as FeedbackAggregates;
pub use crate::live::{LiveStore, StoredLiveEvent};
pub use crate::meetings::store::{
    AgendaPointRow, MeetingNotesRow, MeetingRecord, MeetingRow, MeetingsStore, NotesCommentRow,
};
pub use crate::notices::{NoticeAttempt, NoticeRow, NoticesStore};

// ----- records passed through the Store port -----

#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub id: OrganisationId,
    pub name: UnitName,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewOffice {
    pub id: OfficeId,
    pub organisation_id: OrganisationId,
    pub name: UnitName,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewTeam {
    pub id: TeamId,
    pub office_id: OfficeId,
    pub name: UnitName,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub id: OfficeId,
    pub organisation_id: OrganisationId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub office_id: OfficeId,
    pub name: String,
    pub members: Vec<UserId>,
}

/// A new person. `password_hash` is `None` for people who will only log in through an
/// external identity provider (OIDC), which is linked through [`Store::link_identity`].
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub username: Username,
    pub display_name: PersonName,
    pub password_hash: Option<String>,
    pub grants: Vec<RoleGrant>,
    pub protected_access: Vec<OfficeId>,
    pub created_at: OffsetDateTime,
}

/// What login needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: UserId,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub grants: Vec<RoleGrant>,
}

/// A server-side session. Only the SHA-256 of the token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

/// A new client case. `user_id` links the client's own account, if they have one.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: ClientId,
    pub office_id: OfficeId,
    pub user_id: Option<UserId>,
    pub name: PersonName,
    pub protected: bool,
    pub created_at: OffsetDateTime,
}

/// The personal data shown on a client's case page (grows with later features).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    pub id: ClientId,
    pub name: String,
    pub office_id: OfficeId,
    pub office_name: String,
    pub counselor: Option<(UserId, String)>,
    pub protected: bool,
    pub created_at: OffsetDateTime,
}

/// A row in a counselor's list of clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSummary {
    pub id: ClientId,
    pub name: String,
    pub office_id: OfficeId,
    pub assigned_counselor: Option<UserId>,
    pub protected: bool,
}

/// A failed login attempt, counted per key (`user:<name>` or `ip:<address>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedLogin {
    pub key: String,
    pub at: OffsetDateTime,
}

/// Storage. One implementation per database (`store-sqlite`, `store-postgres`); both pass the
/// same conformance suite (`testkit::conformance`).
///
/// Methods that show or change a client's personal data take the audit event and write it in
/// the same transaction as the read or write ("no audit, no data"): if the audit row cannot be
/// written, the data is not returned and the change is not made.
///
/// Collecting client feedback (issue 5) is its own port,
/// [`crate::feedback::store::FeedbackStore`], which every store implements too.
#[async_trait]
pub trait Store:
    Send
    + Sync
    + crate::feedback::store::FeedbackStore
    + crate::insights::InsightsStore
    + crate::accounts::AccountStore
    + crate::access_log::AccessLogStore
    + crate::conversation::store::ConversationStore
    + crate::live::LiveStore
    + crate::contact::ContactStore
    + crate::notices::NoticesStore
    + crate::meetings::MeetingsStore
{
    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> PortResult<()>;
    /// Connection-pool figures for `/metrics`.
    fn pool_stats(&self) -> PoolStats;

    // organisation
    async fn create_organisation(&self, org: NewOrganisation) -> PortResult<()>;
    async fn create_office(&self, office: NewOffice) -> PortResult<()>;
    async fn create_team(&self, team: NewTeam) -> PortResult<()>;
    async fn add_team_member(&self, team: TeamId, user: UserId) -> PortResult<()>;
    async fn list_offices(&self, org: OrganisationId) -> PortResult<Vec<Office>>;
    async fn list_teams(&self, office: OfficeId) -> PortResult<Vec<Team>>;
    async fn organisation_count(&self) -> PortResult<i64>;
    /// All organisation ids, oldest first (the command line works on the only one).
    async fn organisation_ids(&self) -> PortResult<Vec<OrganisationId>>;

    // people and identity
    async fn create_user(&self, user: NewUser) -> PortResult<()>;
    async fn user_count(&self) -> PortResult<i64>;
    async fn credentials_by_username(&self, username: &Username)
    -> PortResult<Option<Credentials>>;
    /// The actor for a user, or `None` if unknown or disabled.
    async fn actor(&self, user: UserId) -> PortResult<Option<Actor>>;
    /// The organisation's staff: people with at least one role grant. A client (a person
    /// linked from a client case, whose role comes from the case) is never listed unless they
    /// also hold a grant, and then without anything that says they are a client.
    async fn list_users(&self, org: OrganisationId) -> PortResult<Vec<UserSummary>>;
    /// Sets a new password hash and ends every session of the user, in one transaction.
    async fn set_password_hash(&self, user: UserId, hash: &str) -> PortResult<()>;
    /// Disables or re-enables an account; disabling ends every session of the user.
    async fn set_disabled(&self, user: UserId, disabled: bool) -> PortResult<()>;
    /// Links an external identity (OIDC issuer and subject) to a user.
    async fn link_identity(&self, user: UserId, issuer: &str, subject: &str) -> PortResult<()>;
    async fn user_by_identity(&self, issuer: &str, subject: &str) -> PortResult<Option<UserId>>;

    // sessions
    async fn create_session(&self, session: SessionRecord) -> PortResult<()>;
    async fn session(&self, token_hash: &str) -> PortResult<Option<SessionRecord>>;
    async fn touch_session(&self, token_hash: &str, at: OffsetDateTime) -> PortResult<()>;
    async fn delete_session(&self, token_hash: &str) -> PortResult<()>;
    async fn delete_sessions_of_user(&self, user: UserId) -> PortResult<()>;
    /// Removes sessions last seen before `idle_before` or created before `created_before`.
    async fn delete_expired_sessions(
        &self,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> PortResult<u64>;

    // login throttling and known devices
    async fn record_failed_login(&self, attempt: FailedLogin) -> PortResult<()>;
    async fn failed_logins_since(&self, key: &str, since: OffsetDateTime) -> PortResult<i64>;
    async fn clear_failed_logins(&self, key: &str) -> PortResult<()>;
    /// Remembers that a browser (identified by the hash of a device cookie) logged in as `user`.
    async fn remember_device(
        &self,
        user: UserId,
        device_hash: &str,
        at: OffsetDateTime,
    ) -> PortResult<()>;
    async fn is_known_device(&self, user: UserId, device_hash: &str) -> PortResult<bool>;

    // first-run setup
    /// Stores the hash of a one-time setup token, replacing any earlier one.
    async fn put_setup_token(&self, token_hash: &str, at: OffsetDateTime) -> PortResult<()>;
    /// Deletes the setup token if it matches; true if it did. Atomic: a token works once.
    async fn consume_setup_token(&self, token_hash: &str) -> PortResult<bool>;

    // clients
    /// Creates a client case and writes `audit` in the same transaction.
    async fn create_client(&self, client: NewClient, audit: NewAuditEvent) -> PortResult<()>;
    /// Assigns (or re-assigns) the client's counselor, with its audit row.
    async fn assign_counselor(
        &self,
        client: ClientId,
        counselor: UserId,
        audit: NewAuditEvent,
    ) -> PortResult<()>;
    /// Opens a new client case in one transaction: the client's account (when given), the case,
    /// its assignment to `counselor`, and `audits`. A taken username is
    /// `PortError::Conflict("username")` and leaves nothing behind.
    async fn open_client_case(
        &self,
        user: Option<NewUser>,
        client: NewClient,
        counselor: UserId,
        audits: Vec<NewAuditEvent>,
    ) -> PortResult<()>;
    /// The policy's view of a client (no personal data), or `None` if there is no such client.
    async fn client_scope(&self, client: ClientId) -> PortResult<Option<ClientScope>>;
    /// Reads a client's record and writes `audit` (when given) in the same transaction.
    async fn read_client(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<ClientRecord>>;
    /// Clients within `scope`, assigned to the scope's counselor when `assigned_only`.
    async fn list_clients(
        &self,
        scope: &CaseloadScope,
        assigned_only: bool,
    ) -> PortResult<Vec<ClientSummary>>;
    async fn count_clients(&self, scope: &CaseloadScope, assigned_only: bool) -> PortResult<i64>;

    // audit
    /// Appends audit rows for a listing (one per client shown), in one transaction.
    async fn append_audit(&self, events: Vec<NewAuditEvent>) -> PortResult<()>;
    /// Who looked at or changed a client's case, newest first, staff only, list views
    /// included (for tools and tests; the client's page reads
    /// [`crate::access_log::AccessLogStore`], paged).
    async fn access_log(&self, client: ClientId, limit: i64) -> PortResult<Vec<AccessLogEntry>>;
    /// Audit rows with `seq > after`, in order, at most `limit` (for verification).
    async fn audit_rows(&self, after: i64, limit: i64) -> PortResult<Vec<AuditRow>>;
    /// The head of the chain as the store recorded it: (last seq, last hash).
    async fn audit_head(&self) -> PortResult<(i64, String)>;

    // the shared plan
    /// The client's plan, writing `audit` (when given) in the same transaction as the read.
    async fn read_plan(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<PlanRecord>>;
    /// Like [`Store::read_plan`] for a page about one part of the plan (a goal, an activity,
    /// a catalogue entry): in the same transaction, the plan is returned and `audit` written
    /// only when the plan holds `part` ([`PlanPart::is_in`]); otherwise `None` and no row.
    async fn read_plan_part(
        &self,
        client: ClientId,
        part: PlanPart,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<PlanRecord>>;
    /// Inserts or updates one plan item with its history and audit rows (see [`PlanWrite`]).
    async fn write_plan_item(&self, write: PlanWrite) -> PortResult<()>;
    /// The plan's history, newest first, writing `audit` (when given) in the same transaction.
    async fn plan_history(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
        limit: i64,
    ) -> PortResult<Vec<PlanHistoryRow>>;
    /// Inserts (`expected_version` `None`) or updates a catalogue entry, refusing stale writes.
    async fn put_measure(&self, row: MeasureRow, expected_version: Option<i64>) -> PortResult<()>;
    async fn measure(&self, id: MeasureId) -> PortResult<Option<MeasureRow>>;
    /// The office's catalogue, in name order of insertion (oldest first).
    async fn list_measures(&self, office: OfficeId) -> PortResult<Vec<MeasureRow>>;
}

/// One stored plan item: a versioned JSON document whose shape the domain owns
/// (`domain::plan::model`). `version` starts at 1 and grows by one with every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItemRow {
    pub id: PlanItemId,
    pub client_id: ClientId,
    pub kind: String,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub data: String,
}

/// One immutable version in a plan's history: who changed what, when, from what to what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlanHistory {
    pub id: PlanHistoryId,
    pub client_id: ClientId,
    pub item_id: PlanItemId,
    pub item_kind: String,
    pub version: i64,
    pub at: OffsetDateTime,
    pub actor_id: UserId,
    pub actor_role: Role,
    /// What happened, as a stable code (`created`, `edited`, `agreed`, ...).
    pub change: String,
    pub before: Option<String>,
    pub after: String,
}

/// A stored history row, with the actor's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanHistoryRow {
    pub entry: NewPlanHistory,
    pub actor_name: String,
}

/// A change to one plan item. With `expected_version` the store updates only if the stored
/// version is still that one (otherwise [`PortError::Conflict`] with `"stale"`); without it,
/// the item is new. The history row and the audit row are written in the same transaction.
#[derive(Debug, Clone)]
pub struct PlanWrite {
    pub item: PlanItemRow,
    pub expected_version: Option<i64>,
    pub history: NewPlanHistory,
    pub audit: NewAuditEvent,
    /// Live events for the other party (stored in the same transaction).
    pub events: Vec<LiveEvent>,
}

/// A client's plan as stored: the case header, every plan item (archived ones included) and
/// the catalogue of the client's office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecord {
    pub client: ClientRecord,
    pub items: Vec<PlanItemRow>,
    pub measures: Vec<MeasureRow>,
}

/// One part of a plan a page is about; a page about a part the plan does not hold is a 404
/// with no audit row (nothing was shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanPart {
    Goal(PlanItemId),
    Activity(PlanItemId),
    /// An entry of the catalogue of the client's office.
    Measure(MeasureId),
}

impl PlanPart {
    /// Whether `record` holds this part (an item of the client of this kind, or an entry of
    /// the office's catalogue). The stores call this inside the read's transaction.
    pub fn is_in(&self, record: &PlanRecord) -> bool {
        use crate::plan::model::ItemKind;
        let item = |id: PlanItemId, kind: ItemKind| {
            record
                .items
                .iter()
                .any(|i| i.id == id && i.kind == kind.as_str())
        };
        match *self {
            PlanPart::Goal(id) => item(id, ItemKind::Goal),
            PlanPart::Activity(id) => item(id, ItemKind::Activity),
            PlanPart::Measure(id) => record.measures.iter().any(|m| m.id == id),
        }
    }
}

/// A catalogue entry as stored (JSON document, versioned like plan items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureRow {
    pub id: MeasureId,
    pub office_id: OfficeId,
    pub version: i64,
    pub updated_at: OffsetDateTime,
    pub data: String,
}

/// Marker for a stale write (see [`PlanWrite`]).
pub const STALE: &str = "stale";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// A notice ready to send: the address is personal data (never logged); subject and body
/// carry no content (see `domain::notify::text`).
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
