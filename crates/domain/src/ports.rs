//! Ports: what the domain needs from the outside world. The storage crates implement
//! [`Store`]; the web crate and the binary implement the rest.
//!
//! Timestamps are UTC with microsecond precision (PostgreSQL's precision), so that a value
//! reads back from either database exactly as it was written; [`Clock`] implementations must
//! return values already truncated with [`truncate_to_micros`].

use crate::audit::NewAuditEvent;
use crate::ids::{
    AgendaPointId, AttachmentId, ClientId, MeetingId, MessageId, NotesCommentId, OfficeId,
    PlanItemId, ThreadId, UserId,
};
use crate::meetings::{MeetingMode, MeetingStatus};
use crate::plan::Side;
use crate::types::Secret;
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

// ----- feedback insights (issue 5): aggregate queries only -----

/// The handle for anonymous feedback figures: aggregate queries only, so no client id and no
/// single answer can leave it. The rows it returns are raw (their numbers are readable only
/// inside the domain); `domain::feedback::insights` applies the suppression rule before
/// anything is shown. Every [`Store`] is one.
#[async_trait]
pub trait FeedbackAggregates: Send + Sync {
    /// The office's name and its teams; `None` when there is no such office.
    async fn feedback_units(
        &self,
        office: OfficeId,
    ) -> PortResult<Option<crate::feedback::insights::OfficeUnits>>;
    /// Per quarter: the office group and one group per team (and one for clients in no
    /// team), each client-quarter counted once (see `GroupScope`).
    async fn office_feedback(
        &self,
        office: OfficeId,
        quarters: &[crate::feedback::Quarter],
    ) -> PortResult<Vec<crate::feedback::insights::FeedbackGroup>>;
    /// Per quarter: the group of the clients of `counselor` at `office`, with how many of
    /// them did not share an answer.
    async fn counselor_feedback(
        &self,
        office: OfficeId,
        counselor: UserId,
        quarters: &[crate::feedback::Quarter],
    ) -> PortResult<Vec<crate::feedback::insights::FeedbackGroup>>;

    // ----- the summary of settled quarters (issue 5 at scale; migration 0013) -----
    // The same groups as above, computed once per office and settled quarter and stored
    // (no client ids). Every write of a response or invitation removes its office-quarter's
    // summary in the same transaction, so a stored summary always equals a fresh grouping.
    // Callers pass settled quarters only (`insights::published_quarters`).

    /// What `office_feedback` returns, read from the summary; quarters not summarised yet are
    /// computed, stored and returned in one transaction.
    async fn settled_office_feedback(
        &self,
        office: OfficeId,
        quarters: &[crate::feedback::Quarter],
    ) -> PortResult<Vec<crate::feedback::insights::FeedbackGroup>>;
    /// What `counselor_feedback` returns, read from the summary in the same way.
    async fn settled_counselor_feedback(
        &self,
        office: OfficeId,
        counselor: UserId,
        quarters: &[crate::feedback::Quarter],
    ) -> PortResult<Vec<crate::feedback::insights::FeedbackGroup>>;
    /// Offices with feedback in `quarter` and no summary of it, at most `limit`.
    async fn unsummarised_offices(
        &self,
        quarter: crate::feedback::Quarter,
        limit: i64,
    ) -> PortResult<Vec<OfficeId>>;
    /// Computes and stores (replacing) the summary of the office's quarters, in one
    /// transaction.
    async fn summarise_quarters(
        &self,
        office: OfficeId,
        quarters: &[crate::feedback::Quarter],
    ) -> PortResult<()>;
}

// ----- records passed through the Store port -----

#[doc(hidden)]
pub use crate::accounts::store::{Credentials, FailedLogin, NewUser, SessionRecord};
#[doc(hidden)]
pub use crate::cases::store::{ClientRecord, ClientSummary, NewClient};
#[doc(hidden)]
pub use crate::organisation::store::{
    NewOffice, NewOrganisation, NewTeam, Office, Team, UserSummary,
};
#[doc(hidden)]
pub use crate::plan::store::{
    MeasureRow, NewPlanHistory, PlanHistoryRow, PlanItemRow, PlanPart, PlanRecord, PlanWrite,
};

/// Whether the database is there, for `/readyz` and `/metrics`. Every [`Store`] is one.
#[async_trait]
pub trait HealthStore: Send + Sync {
    /// Whether the database answers (for `/readyz`).
    async fn ping(&self) -> PortResult<()>;
    /// Connection-pool figures for `/metrics`.
    fn pool_stats(&self) -> PoolStats;
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
    + FeedbackAggregates
    + crate::audit::AuditStore
    + crate::accounts::AccountsStore
    + crate::organisation::OrganisationStore
    + crate::organisation::client_accounts::AccountStore
    + HealthStore
    + crate::cases::store::CasesStore
    + crate::plan::store::PlanStore
{
    // conversation
    /// The client's own account, if they have one.
    async fn client_user(&self, client: ClientId) -> PortResult<Option<UserId>>;
    /// Creates a thread with its first message, the audit row and the live events, in one
    /// transaction.
    async fn create_thread(
        &self,
        thread: NewThread,
        first: NewMessage,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    /// Adds a message (a client's message clears "no answer needed"), with its audit row and
    /// live events, in one transaction.
    async fn add_message(
        &self,
        message: NewMessage,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    async fn thread_summary(&self, thread: ThreadId) -> PortResult<Option<ThreadSummary>>;
    /// The client's threads, most recent first, writing `audit` (when given) in the same
    /// transaction.
    async fn list_threads(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Vec<ThreadSummary>>;
    /// One thread of `client` with its messages. With `reader`, the other side's unread
    /// messages are marked read at `now` and, if any were, `events` are stored (a read
    /// receipt). `audit` is written in the same transaction.
    async fn read_thread(
        &self,
        thread: ThreadId,
        client: ClientId,
        reader: Option<Side>,
        now: OffsetDateTime,
        audit: Option<NewAuditEvent>,
        events: Vec<LiveEvent>,
    ) -> PortResult<Option<ThreadRecord>>;
    async fn set_no_answer_needed(
        &self,
        thread: ThreadId,
        no_answer_needed: bool,
        audit: NewAuditEvent,
    ) -> PortResult<()>;
    /// A recipient's live events after `after`, oldest first.
    async fn live_events_after(
        &self,
        recipient: UserId,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<StoredLiveEvent>>;
    /// The sequence number of the recipient's latest live event (0 if none).
    async fn last_live_event(&self, recipient: UserId) -> PortResult<i64>;
    /// Saves (or with an empty body removes) a person's unsent answer in a thread.
    async fn save_draft(
        &self,
        user: UserId,
        thread: ThreadId,
        body: &str,
        at: OffsetDateTime,
    ) -> PortResult<()>;
    async fn draft(&self, user: UserId, thread: ThreadId) -> PortResult<Option<String>>;
    /// Sets or clears a client's check-in frequency, with its audit row.
    async fn set_checkin_frequency(
        &self,
        client: ClientId,
        every_days: Option<i64>,
        audit: NewAuditEvent,
    ) -> PortResult<()>;
    /// Check-in frequency and last contact for each of `clients` (no personal data).
    async fn contact_status(&self, clients: &[ClientId]) -> PortResult<Vec<ContactStatus>>;
    /// An attachment of `client`, writing `audit` (when given) in the same transaction.
    async fn attachment(
        &self,
        id: AttachmentId,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<AttachmentFile>>;

    // availability and notices
    /// How far the notice worker has read `live_events`.
    async fn notice_cursor(&self) -> PortResult<i64>;
    /// Live events of every recipient after `after`, oldest first.
    async fn notice_events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<crate::notify::NoticeEvent>>;
    /// Where and when a person wants notices: the client's contact agreement, or the
    /// counselor's notice e-mail. `None` if nothing is agreed.
    async fn notice_contact(
        &self,
        user: UserId,
    ) -> PortResult<Option<crate::notify::NoticeContact>>;
    /// Whether a notice (not a suppressed one) to `recipient` by `channel` about `about` was
    /// created at or after `since`.
    async fn notice_recently(
        &self,
        recipient: UserId,
        channel: crate::notify::Channel,
        about: Option<&str>,
        since: OffsetDateTime,
    ) -> PortResult<bool>;
    /// Stores the notices for the event `seq` (a notice whose idempotency key exists is
    /// skipped) and moves the cursor to `seq`, in one transaction.
    async fn enqueue_notices(
        &self,
        seq: i64,
        notices: Vec<crate::notify::NewNotice>,
    ) -> PortResult<()>;
    /// After a restart: notices left `sending` become due at `now` (same idempotency key).
    async fn resume_sending_notices(&self, now: OffsetDateTime) -> PortResult<u64>;
    /// Puts a notice back to `pending`, due at `until` (quiet hours began), without an attempt.
    async fn defer_notice(&self, id: i64, until: OffsetDateTime) -> PortResult<()>;
    /// Records one attempt and moves the notice to `state` (`sent`, `pending` with
    /// `next_attempt_at`, or `failed`), in one transaction.
    async fn record_notice_attempt(
        &self,
        id: i64,
        attempt: NoticeAttempt,
        state: crate::notify::NoticeState,
        next_attempt_at: OffsetDateTime,
    ) -> PortResult<()>;
    /// One notice by idempotency key, with its attempts (oldest first).
    async fn notice_by_key(&self, key: &str)
    -> PortResult<Option<(NoticeRow, Vec<NoticeAttempt>)>>;
    /// A recipient's notices, oldest first.
    async fn notices_for(&self, recipient: UserId) -> PortResult<Vec<NoticeRow>>;
    /// Publishes (inserts or replaces) a counselor's contact hours.
    async fn put_availability(
        &self,
        availability: crate::availability::CounselorAvailability,
    ) -> PortResult<()>;
    async fn availability(
        &self,
        counselor: UserId,
    ) -> PortResult<Option<crate::availability::CounselorAvailability>>;
    /// Writes a client's contact agreement: new when `expected_version` is `None`, otherwise
    /// only if the stored version is still that one ([`PortError::Conflict`] `"stale"`).
    /// `audit` (when given) and `events` (live events for the other party, the outbox of
    /// notices) are written in the same transaction.
    async fn put_contact_agreement(
        &self,
        agreement: crate::availability::ContactAgreement,
        expected_version: Option<i64>,
        audit: Option<NewAuditEvent>,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    /// A client's contact agreement, writing `audit` (when given) in the same transaction.
    async fn contact_agreement(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<crate::availability::ContactAgreement>>;

    // meetings
    /// Stores a new meeting (a proposal) with its audit row and live events, in one
    /// transaction.
    async fn create_meeting(
        &self,
        meeting: MeetingRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    /// Replaces a meeting's time, status and who must answer, only if the stored version is
    /// still `expected_version` (otherwise [`PortError::Conflict`] with [`STALE`]); with its
    /// audit row and live events, in one transaction.
    async fn update_meeting(
        &self,
        meeting: MeetingRow,
        expected_version: i64,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    /// The client's meetings (soonest first), writing `audit` (when given) in the same
    /// transaction.
    async fn list_meetings(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Vec<MeetingRow>>;
    /// One meeting of `client` with its agenda, notes (shared or not: the domain decides who
    /// sees them) and comments, writing `audit` (when given) in the same transaction.
    async fn read_meeting(
        &self,
        meeting: MeetingId,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<MeetingRecord>>;
    async fn add_agenda_point(
        &self,
        point: AgendaPointRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    /// Writes (or rewrites) a meeting's notes; refused with [`STALE`] once they are shared.
    async fn put_meeting_notes(
        &self,
        notes: MeetingNotesRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    async fn add_notes_comment(
        &self,
        comment: NotesCommentRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;

    // ----- reminders, claiming notices, the staff's language (notices-reminders) -----
    /// Accepted meetings starting in `(after, until]` not yet reminded of for their current
    /// start, soonest first, at most `limit` (read through a partial index).
    async fn meetings_to_remind(
        &self,
        after: OffsetDateTime,
        until: OffsetDateTime,
        limit: i64,
    ) -> PortResult<Vec<crate::reminders::MeetingToRemind>>;
    /// Records the reminder for `meeting` at `starts_at` and stores `events` (at `at`), in one
    /// transaction, only if the meeting is still accepted, still starts then and was not
    /// reminded of for that start; `false` (and nothing stored) otherwise.
    async fn record_meeting_reminder(
        &self,
        meeting: MeetingId,
        starts_at: OffsetDateTime,
        events: Vec<LiveEvent>,
        at: OffsetDateTime,
    ) -> PortResult<bool>;
    /// Open activities (planned or in progress) due on `due` (`YYYY-MM-DD`) not yet reminded
    /// of for that date, at most `limit`.
    async fn activities_to_remind(
        &self,
        due: &str,
        limit: i64,
    ) -> PortResult<Vec<crate::reminders::ActivityToRemind>>;
    /// Records the reminder for the activity `item` due on `due` and stores `events`, in one
    /// transaction, only if it is still due then and was not reminded of for that date.
    async fn record_activity_reminder(
        &self,
        item: PlanItemId,
        due: &str,
        events: Vec<LiveEvent>,
        at: OffsetDateTime,
    ) -> PortResult<bool>;
    /// Claims due notices for sending, atomically: pending (or sending with an expired lease)
    /// notices by one of `channels`, due at `now`, oldest first, at most `limit`, become
    /// `sending` with the lease `lease_until`. Two workers never claim the same notice
    /// (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: one `UPDATE … RETURNING`).
    async fn claim_due_notices(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        channels: &[crate::notify::Channel],
        limit: i64,
    ) -> PortResult<Vec<NoticeRow>>;
    /// Remembers the language a person chose (`nb`, `nn` or `en`), for their notices.
    async fn set_user_language(&self, user: UserId, language: &str) -> PortResult<()>;
}

/// A new conversation thread (its first message comes with it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewThread {
    pub id: ThreadId,
    pub client_id: ClientId,
    pub subject: String,
    /// The plan item (goal or activity) the thread is about, if any.
    pub about: Option<PlanItemId>,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMessage {
    pub id: MessageId,
    pub thread_id: ThreadId,
    pub client_id: ClientId,
    pub author_id: UserId,
    pub author_side: Side,
    pub body: String,
    pub sent_at: OffsetDateTime,
    /// Files that passed `domain::attachments::inspect` (stored in the database, never under
    /// the web root).
    pub attachments: Vec<NewAttachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub id: AttachmentId,
    pub name: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// What a message shows about an attachment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: AttachmentId,
    pub name: String,
    pub content_type: String,
    pub size: i64,
}

/// An attachment for download, with what the access check needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    pub meta: AttachmentMeta,
    pub client_id: ClientId,
    pub bytes: Vec<u8>,
}

/// A thread as listed: enough to tell who waits for whom and what is unread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadSummary {
    pub id: ThreadId,
    pub client_id: ClientId,
    pub subject: String,
    pub about: Option<PlanItemId>,
    pub created_at: OffsetDateTime,
    pub last_message_at: Option<OffsetDateTime>,
    pub last_author_side: Option<Side>,
    pub no_answer_needed: bool,
    pub messages: i64,
    /// Messages from the counselor the client has not opened, and the other way round.
    pub unread_for_client: i64,
    pub unread_for_counselor: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageRow {
    pub id: MessageId,
    pub author_id: UserId,
    pub author_name: String,
    pub author_side: Side,
    pub body: String,
    pub sent_at: OffsetDateTime,
    /// When the other party opened the thread after this message arrived.
    pub read_at: Option<OffsetDateTime>,
    pub attachments: Vec<AttachmentMeta>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRecord {
    pub summary: ThreadSummary,
    pub messages: Vec<MessageRow>,
}

/// A live event as stored: `seq` orders a recipient's events and is the SSE event id, so a
/// page that reconnects with `Last-Event-ID` gets what it missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLiveEvent {
    pub seq: i64,
    pub kind: String,
    pub about: Option<String>,
    pub at: OffsetDateTime,
}

/// How often a counselor wants to be in touch with a client, and when they last were (the
/// latest message or plan change, either way).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactStatus {
    pub client_id: ClientId,
    pub every_days: Option<i64>,
    pub last_contact: Option<OffsetDateTime>,
}

/// Marker for a stale write (see [`PlanWrite`]).
pub const STALE: &str = "stale";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PoolStats {
    pub size: u32,
    pub idle: u32,
    pub max: u32,
}

/// A notice in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: i64,
    pub idempotency_key: String,
    pub recipient: UserId,
    pub channel: crate::notify::Channel,
    pub about: Option<String>,
    pub language: String,
    pub state: crate::notify::NoticeState,
    pub reason: Option<String>,
    pub attempts: i64,
    pub created_at: OffsetDateTime,
    pub next_attempt_at: OffsetDateTime,
    pub sent_at: Option<OffsetDateTime>,
}

/// One attempt to send a notice: `sent` or `failed`, with a short detail (no personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeAttempt {
    pub at: OffsetDateTime,
    pub outcome: String,
    pub detail: Option<String>,
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

/// A meeting as stored. Times are UTC; `version` starts at 1 and grows with every change of
/// time or status (optimistic locking).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRow {
    pub id: MeetingId,
    pub client_id: ClientId,
    /// The side that first proposed the meeting, and the person.
    pub proposed_by: Side,
    pub proposed_by_user: UserId,
    pub starts_at: OffsetDateTime,
    pub duration_minutes: i64,
    pub mode: MeetingMode,
    pub place: String,
    pub purpose: String,
    pub status: MeetingStatus,
    /// The side that must accept or suggest another time (only while proposed).
    pub answer_by: Option<Side>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaPointRow {
    pub id: AgendaPointId,
    pub meeting_id: MeetingId,
    pub client_id: ClientId,
    pub author_id: UserId,
    pub author_side: Side,
    pub text: String,
    pub created_at: OffsetDateTime,
}

/// The counselor's notes of a meeting (one per meeting). Unshared notes are never shown to
/// the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingNotesRow {
    pub meeting_id: MeetingId,
    pub client_id: ClientId,
    pub author_id: UserId,
    pub text: String,
    pub written_at: OffsetDateTime,
    pub shared_at: Option<OffsetDateTime>,
}

/// A comment kept with shared notes: the client's comment or request for a correction, or
/// the counselor's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotesCommentRow {
    pub id: NotesCommentId,
    pub meeting_id: MeetingId,
    pub client_id: ClientId,
    pub author_id: UserId,
    pub author_side: Side,
    pub correction: bool,
    pub text: String,
    pub created_at: OffsetDateTime,
}

/// A meeting with everything attached to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingRecord {
    pub meeting: MeetingRow,
    /// In the order written.
    pub agenda: Vec<AgendaPointRow>,
    pub notes: Option<MeetingNotesRow>,
    /// In the order written.
    pub comments: Vec<NotesCommentRow>,
}
