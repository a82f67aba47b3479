//! The storage capability for conversations: threads, messages and their attachments, read
//! receipts, drafts and check-in frequencies.
//!
//! [`crate::ports::Store`] requires this trait, so every store implements it and passes the
//! conformance suite on both databases.

use crate::audit::NewAuditEvent;
use crate::cases::ClientAccess;
use crate::ids::{AttachmentId, ClientId, MessageId, PlanItemId, ThreadId, UserId};
use crate::plan::Side;
use crate::ports::{LiveEvent, PortResult};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Conversation storage. Methods that show or change a client's messages take the audit event
/// ("no audit, no data"): a change writes it in its transaction, a read returns data once it
/// is durable.
#[async_trait]
pub trait ConversationStore: Send + Sync {
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
    /// The permit's client's threads, most recent first, returned once the permit's audit row
    /// (when it has one) is durable.
    async fn list_threads(&self, access: &ClientAccess) -> PortResult<Vec<ThreadSummary>>;
    /// One thread of the permit's client with its messages. With `reader`, the other side's
    /// unread messages are marked read at `now` and, if any were, `events` are stored (a read
    /// receipt); the marks and the permit's audit row are then written in one transaction, and
    /// otherwise the thread is returned once the audit row is durable.
    async fn read_thread(
        &self,
        thread: ThreadId,
        access: &ClientAccess,
        reader: Option<Side>,
        now: OffsetDateTime,
        events: Vec<LiveEvent>,
    ) -> PortResult<Option<ThreadRecord>>;
    async fn set_no_answer_needed(
        &self,
        thread: ThreadId,
        no_answer_needed: bool,
        audit: NewAuditEvent,
    ) -> PortResult<()>;
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
    /// An attachment of the permit's client, returned once the permit's audit row (when it
    /// has one) is durable.
    async fn attachment(
        &self,
        id: AttachmentId,
        access: &ClientAccess,
    ) -> PortResult<Option<AttachmentFile>>;
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
    /// Files that passed `domain::conversation::attachments::inspect` (stored in the database, never under
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
