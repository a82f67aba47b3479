//! The storage capability for meetings: proposals and their answers, agendas, the
//! counselor's notes and the comments on shared notes; and the records it passes.
//!
//! [`crate::ports::Store`] requires this trait, so every store implements it and passes the
//! conformance suite on both databases.

use crate::audit::NewAuditEvent;
use crate::cases::ClientAccess;
use crate::ids::{AgendaPointId, ClientId, MeetingId, NotesCommentId, UserId};
use crate::plan::Side;
use crate::ports::{LiveEvent, PortResult};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Meeting storage. Every change writes its audit row and live events in its transaction.
#[async_trait]
pub trait MeetingsStore: Send + Sync {
    /// Stores a new meeting (a proposal) with its audit row and live events, in one
    /// transaction.
    async fn create_meeting(
        &self,
        meeting: MeetingRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    /// Replaces a meeting's time, status and who must answer, only if the stored version is
    /// still `expected_version` (otherwise [`crate::ports::PortError::Conflict`] with [`crate::ports::Conflict::Stale`]); with its
    /// audit row and live events, in one transaction.
    async fn update_meeting(
        &self,
        meeting: MeetingRow,
        expected_version: i64,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    /// The permit's client's meetings (soonest first), returned once the permit's audit row
    /// (when it has one) is durable.
    async fn list_meetings(&self, access: &ClientAccess) -> PortResult<Vec<MeetingRow>>;
    /// One meeting of the permit's client with its agenda, notes (shared or not: the domain
    /// decides who sees them) and comments, returned once the permit's audit row (when it has
    /// one) is durable.
    async fn read_meeting(
        &self,
        meeting: MeetingId,
        access: &ClientAccess,
    ) -> PortResult<Option<MeetingRecord>>;
    async fn add_agenda_point(
        &self,
        point: AgendaPointRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()>;
    /// Writes (or rewrites) a meeting's notes; refused with [`crate::ports::Conflict::Stale`] once they are shared.
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
}

/// In person, by phone or by video.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingMode {
    InPerson,
    Phone,
    Video,
}

impl MeetingMode {
    pub const ALL: [MeetingMode; 3] = [Self::InPerson, Self::Phone, Self::Video];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InPerson => "in-person",
            Self::Phone => "phone",
            Self::Video => "video",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MeetingStatus {
    /// Waiting for `answer_by` to accept or suggest another time.
    Proposed,
    Accepted,
    Cancelled,
}

impl MeetingStatus {
    pub const ALL: [MeetingStatus; 3] = [Self::Proposed, Self::Accepted, Self::Cancelled];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Accepted => "accepted",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.as_str() == s)
    }
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
