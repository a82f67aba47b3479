//! The storage port for collecting feedback: instruments, invitations, responses, the
//! remembered sharing choice and talk notes (tables of migration `0011_feedback.sql`).
//! Aggregates for leaders are a separate port ([`crate::insights::InsightsStore`]) that can only run
//! aggregate queries.
//!
//! [`crate::ports::Store`] requires this trait, so every store implements it and passes the
//! conformance suite on both databases.

use super::Theme;
use crate::audit::NewAuditEvent;
use crate::cases::ClientAccess;
use crate::ids::{
    ClientId, FeedbackInvitationId, FeedbackResponseId, MeetingId, OfficeId, OrganisationId,
    TalkNoteId, TeamId, UserId,
};
use crate::ports::PortResult;
use async_trait::async_trait;
use time::OffsetDateTime;

/// A stored instrument version. `organisation_id` `None` is built in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstrumentRow {
    pub id: String,
    pub version: i64,
    pub organisation_id: Option<OrganisationId>,
    /// The JSON definition ([`super::instrument::Instrument`]).
    pub definition: String,
    pub created_at: OffsetDateTime,
}

/// Why a client was asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InviteReason {
    Meeting,
    Monthly,
}

impl InviteReason {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteReason::Meeting => "meeting",
            InviteReason::Monthly => "monthly",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Meeting, Self::Monthly]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// How an invitation ended (or that it has not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InviteState {
    Open,
    Answered,
    Dismissed,
}

impl InviteState {
    pub fn as_str(self) -> &'static str {
        match self {
            InviteState::Open => "open",
            InviteState::Answered => "answered",
            InviteState::Dismissed => "dismissed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Open, Self::Answered, Self::Dismissed]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationRow {
    pub id: FeedbackInvitationId,
    pub client_id: ClientId,
    pub office_id: OfficeId,
    pub team_id: Option<TeamId>,
    pub counselor_id: Option<UserId>,
    /// `2026-Q4`.
    pub quarter: String,
    pub reason: InviteReason,
    pub meeting_id: Option<MeetingId>,
    pub invited_at: OffsetDateTime,
    pub state: InviteState,
    pub closed_at: Option<OffsetDateTime>,
}

/// One answered check as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResponseRow {
    pub id: FeedbackResponseId,
    pub client_id: ClientId,
    pub author_id: UserId,
    pub office_id: OfficeId,
    pub team_id: Option<TeamId>,
    pub counselor_id: Option<UserId>,
    pub instrument_id: String,
    pub instrument_version: i64,
    pub meeting_id: Option<MeetingId>,
    pub quarter: String,
    pub answered_at: OffsetDateTime,
    pub changeable_until: OffsetDateTime,
    pub shared_with_counselor: bool,
    /// The score per theme, in the order of [`Theme::ALL`] (`None`: skipped or not asked).
    pub themes: [Option<i64>; 6],
    /// Every answer by item or question id (JSON, see `feedback::responses::Answers`).
    pub answers: String,
}

impl ResponseRow {
    pub fn theme(&self, t: Theme) -> Option<i64> {
        Theme::ALL
            .iter()
            .position(|x| *x == t)
            .and_then(|i| self.themes[i])
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalkNoteRow {
    pub id: TalkNoteId,
    pub client_id: ClientId,
    pub author_id: UserId,
    /// What prompted the talk (`drop`, `low`, or `none` when the counselor wrote it anyway).
    pub prompt: String,
    pub text: String,
    pub created_at: OffsetDateTime,
}

/// A talk note with its author's name, for reading.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TalkNote {
    pub note: TalkNoteRow,
    pub author_name: String,
}

/// What deleting a client's feedback removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FeedbackDeleted {
    pub responses: u64,
    pub invitations: u64,
    pub preferences: u64,
    pub talk_notes: u64,
}

#[async_trait]
pub trait FeedbackStore: Send + Sync {
    /// Stores an instrument version; [`crate::ports::PortError::Conflict`] if that id and
    /// version exist.
    async fn put_instrument(&self, row: InstrumentRow) -> PortResult<()>;
    /// One version of an instrument, or the latest when `version` is `None`.
    async fn instrument(&self, id: &str, version: Option<i64>)
    -> PortResult<Option<InstrumentRow>>;
    /// Sets the instrument an organisation asks with (its latest version is used).
    async fn choose_instrument(
        &self,
        org: OrganisationId,
        instrument: &str,
        at: OffsetDateTime,
    ) -> PortResult<()>;
    async fn chosen_instrument(&self, org: OrganisationId) -> PortResult<Option<String>>;

    /// The client's invitations, newest first, at most `limit`.
    async fn feedback_invitations(
        &self,
        client: ClientId,
        limit: i64,
    ) -> PortResult<Vec<InvitationRow>>;
    async fn create_invitation(&self, row: InvitationRow) -> PortResult<()>;
    /// Closes an open invitation of the client (answered or dismissed); false if it was not
    /// open.
    async fn close_invitation(
        &self,
        id: FeedbackInvitationId,
        client: ClientId,
        state: InviteState,
        at: OffsetDateTime,
    ) -> PortResult<bool>;

    /// Stores a response, closes `invitation` as answered (if open), remembers the sharing
    /// choice and writes `audit`, in one transaction.
    async fn insert_response(
        &self,
        row: ResponseRow,
        invitation: Option<FeedbackInvitationId>,
        audit: NewAuditEvent,
    ) -> PortResult<()>;
    /// Replaces a response's answers, scores and sharing choice, only if it belongs to
    /// `row.client_id`, was written by `row.author_id` and `now` is not after its
    /// `changeable_until` (otherwise [`crate::ports::PortError::Conflict`] with
    /// [`crate::ports::Conflict::Stale`]); remembers the choice and writes `audit`, in one transaction.
    async fn update_response(
        &self,
        row: ResponseRow,
        now: OffsetDateTime,
        audit: NewAuditEvent,
    ) -> PortResult<()>;
    /// The permit's client's responses, oldest first; with `shared_only` only those shared
    /// with the counselor. Returned once the permit's audit row (when it has one) is
    /// durable.
    async fn feedback_responses(
        &self,
        access: &ClientAccess,
        shared_only: bool,
    ) -> PortResult<Vec<ResponseRow>>;
    /// The sharing choice the client made last time.
    async fn feedback_preference(&self, client: ClientId) -> PortResult<Option<bool>>;
    async fn add_talk_note(&self, note: TalkNoteRow, audit: NewAuditEvent) -> PortResult<()>;
    /// The client's talk notes, oldest first.
    async fn talk_notes(&self, client: ClientId) -> PortResult<Vec<TalkNote>>;
    /// Deletes every response, invitation, preference and talk note of the client, in one
    /// transaction (retention). The same transaction removes the summary of every office and
    /// quarter the client's rows were in (migration 0013: a trigger on each feedback table),
    /// so the client is gone from every aggregate too.
    async fn delete_feedback(&self, client: ClientId) -> PortResult<FeedbackDeleted>;
}
