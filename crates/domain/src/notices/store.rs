//! The storage capability for notices: the outbox the worker fills from live events and
//! sends from, reminders of meetings and activities, and the language of staff notices.
//!
//! [`crate::ports::Store`] requires this trait, so every store implements it and passes the
//! conformance suite on both databases.

use super::{Channel, NoticeState, QuietHours};
use crate::ids::{MeetingId, PlanItemId, UserId};
use crate::ports::{LiveEvent, PortResult};
use async_trait::async_trait;
use time::OffsetDateTime;

/// Notice storage (`docs/NOTIFICATIONS.md`).
#[async_trait]
pub trait NoticesStore: Send + Sync {
    /// How far the notice worker has read `live_events`.
    async fn notice_cursor(&self) -> PortResult<i64>;
    /// Live events of every recipient after `after`, oldest first.
    async fn notice_events_after(&self, after: i64, limit: i64) -> PortResult<Vec<NoticeEvent>>;
    /// Where and when a person wants notices: the client's contact agreement, or the
    /// counselor's notice e-mail. `None` if nothing is agreed.
    async fn notice_contact(&self, user: UserId) -> PortResult<Option<NoticeContact>>;
    /// Whether a notice (not a suppressed one) to `recipient` by `channel` about `about` was
    /// created at or after `since`.
    async fn notice_recently(
        &self,
        recipient: UserId,
        channel: Channel,
        about: Option<&str>,
        since: OffsetDateTime,
    ) -> PortResult<bool>;
    /// Stores the notices for the event `seq` (a notice whose idempotency key exists is
    /// skipped) and moves the cursor to `seq`, in one transaction.
    async fn enqueue_notices(&self, seq: i64, notices: Vec<NewNotice>) -> PortResult<()>;
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
        state: NoticeState,
        next_attempt_at: OffsetDateTime,
    ) -> PortResult<()>;
    /// A recipient's notices, oldest first.
    async fn notices_for(&self, recipient: UserId) -> PortResult<Vec<NoticeRow>>;

    // reminders, claiming notices, the staff's language
    /// Accepted meetings starting in `(after, until]` not yet reminded of for their current
    /// start, soonest first, at most `limit` (read through a partial index).
    async fn meetings_to_remind(
        &self,
        after: OffsetDateTime,
        until: OffsetDateTime,
        limit: i64,
    ) -> PortResult<Vec<super::reminders::MeetingToRemind>>;
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
    ) -> PortResult<Vec<super::reminders::ActivityToRemind>>;
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
        channels: &[Channel],
        limit: i64,
    ) -> PortResult<Vec<NoticeRow>>;
    /// Remembers the language a person chose (`nb`, `nn` or `en`), for their notices.
    async fn set_user_language(&self, user: UserId, language: &str) -> PortResult<()>;
}

/// A notice in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeRow {
    pub id: i64,
    pub idempotency_key: String,
    pub recipient: UserId,
    pub channel: Channel,
    pub about: Option<String>,
    pub language: String,
    pub state: NoticeState,
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

/// What the worker knows about a recipient when deciding: their agreed channels and
/// addresses (personal data: used to send, never logged), quiet hours and language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeContact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub email_notices: bool,
    pub sms_notices: bool,
    pub quiet: Option<QuietHours>,
    /// `nb`, `nn` or `en`.
    pub language: String,
}

impl NoticeContact {
    /// The channels this person agreed to, with an address to send to.
    pub fn channels(&self) -> Vec<Channel> {
        let mut out = vec![];
        if self.email_notices && self.email.as_deref().is_some_and(|e| !e.is_empty()) {
            out.push(Channel::Email);
        }
        if self.sms_notices && self.phone.as_deref().is_some_and(|p| !p.is_empty()) {
            out.push(Channel::Sms);
        }
        out
    }
    pub fn address(&self, channel: Channel) -> Option<&str> {
        match channel {
            Channel::Email => self.email.as_deref(),
            Channel::Sms => self.phone.as_deref(),
        }
    }
}

/// A live event as the worker reads it (all recipients, in `seq` order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoticeEvent {
    pub seq: i64,
    pub recipient: UserId,
    pub kind: String,
    pub about: Option<String>,
    pub at: OffsetDateTime,
}

/// A notice to store in the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    pub idempotency_key: String,
    pub recipient: UserId,
    pub channel: Channel,
    pub about: Option<String>,
    pub language: String,
    /// `Pending` or `Suppressed`.
    pub state: NoticeState,
    /// Why it was suppressed or deferred (`throttled`, `quiet-hours`).
    pub reason: Option<String>,
    pub created_at: OffsetDateTime,
    pub next_attempt_at: OffsetDateTime,
}
