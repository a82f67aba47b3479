//! Vendepunkt's storage on PostgreSQL: for a national agency running many instances against
//! one database. Same behaviour as `store-sqlite` through the same port; the conformance suite
//! in `testkit` runs against both.
//!
//! The audit chain's head row is locked (`SELECT … FOR UPDATE`) inside each transaction that
//! appends, so concurrent instances extend one chain without forks.

use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::ids::{ClientId, ThreadId, UserId};
use domain::plan::Side;
use domain::ports::{
    HealthStore, LiveEvent, NewMessage, NewThread, PoolStats, PortError, PortResult, Store,
    StoredLiveEvent, ThreadRecord, ThreadSummary,
};
use domain::roles::Role;
use sqlx::postgres::PgPoolOptions;
use sqlx::{PgPool, Row};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

mod accounts;
pub mod audit;
mod cases;
mod conversation;
mod feedback; // client feedback (issue 5)
mod insights;
pub mod live;
mod meetings;
mod notify;
mod organisation;
mod plan;
pub mod reminders;

use audit::append_audit_rows;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

fn fail(e: sqlx::Error) -> PortError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return PortError::Conflict("unique");
    }
    PortError::Failure(e.to_string())
}

fn id<T: From<Uuid>>(u: &Uuid) -> PortResult<T> {
    Ok(T::from(*u))
}

fn opt_id<T: From<Uuid>>(u: Option<Uuid>) -> PortResult<Option<T>> {
    Ok(u.map(T::from))
}

fn role(s: &str) -> PortResult<Role> {
    Role::parse(s).ok_or_else(|| PortError::Failure(format!("unknown role {s}")))
}

impl PgStore {
    pub async fn connect(url: &str) -> PortResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(fail)?;
        Ok(Self { pool })
    }

    pub async fn migrate(&self) -> PortResult<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| PortError::Failure(e.to_string()))
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn write(&self) -> PortResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.pool.begin().await.map_err(fail)
    }
}

#[async_trait]
impl HealthStore for PgStore {
    async fn ping(&self) -> PortResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(fail)?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.pool.options().get_max_connections(),
        }
    }
}

#[async_trait]
impl Store for PgStore {
    async fn client_user(&self, client: ClientId) -> PortResult<Option<UserId>> {
        self.conv_client_user(client).await
    }

    async fn create_thread(
        &self,
        thread: NewThread,
        first: NewMessage,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.conv_create_thread(thread, first, audit, events).await
    }

    async fn add_message(
        &self,
        message: NewMessage,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.conv_add_message(message, audit, events).await
    }

    async fn thread_summary(&self, thread: ThreadId) -> PortResult<Option<ThreadSummary>> {
        self.conv_thread_summary(thread).await
    }

    async fn list_threads(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Vec<ThreadSummary>> {
        self.conv_list_threads(client, audit).await
    }

    async fn read_thread(
        &self,
        thread: ThreadId,
        client: ClientId,
        reader: Option<Side>,
        now: OffsetDateTime,
        audit: Option<NewAuditEvent>,
        events: Vec<LiveEvent>,
    ) -> PortResult<Option<ThreadRecord>> {
        self.conv_read_thread(thread, client, reader, now, audit, events)
            .await
    }

    async fn set_no_answer_needed(
        &self,
        thread: ThreadId,
        no_answer_needed: bool,
        audit: NewAuditEvent,
    ) -> PortResult<()> {
        self.conv_set_no_answer_needed(thread, no_answer_needed, audit)
            .await
    }

    async fn live_events_after(
        &self,
        recipient: UserId,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<StoredLiveEvent>> {
        self.conv_live_events_after(recipient, after, limit).await
    }

    async fn last_live_event(&self, recipient: UserId) -> PortResult<i64> {
        self.conv_last_live_event(recipient).await
    }

    async fn save_draft(
        &self,
        user: UserId,
        thread: ThreadId,
        body: &str,
        at: OffsetDateTime,
    ) -> PortResult<()> {
        if body.trim().is_empty() {
            sqlx::query("DELETE FROM drafts WHERE user_id = $1 AND thread_id = $2")
                .bind(user.as_uuid())
                .bind(thread.as_uuid())
                .execute(&self.pool)
                .await
                .map_err(fail)?;
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO drafts (user_id, thread_id, body, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, thread_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(user.as_uuid())
        .bind(thread.as_uuid())
        .bind(body)
        .bind(at)
        .execute(&self.pool)
        .await
        .map_err(fail)?;
        Ok(())
    }

    async fn draft(&self, user: UserId, thread: ThreadId) -> PortResult<Option<String>> {
        sqlx::query_scalar("SELECT body FROM drafts WHERE user_id = $1 AND thread_id = $2")
            .bind(user.as_uuid())
            .bind(thread.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(fail)
    }

    async fn set_checkin_frequency(
        &self,
        client: ClientId,
        every_days: Option<i64>,
        audit: NewAuditEvent,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        match every_days {
            Some(days) => sqlx::query(
                "INSERT INTO checkins (client_id, every_days) VALUES ($1, $2)
                 ON CONFLICT (client_id) DO UPDATE SET every_days = excluded.every_days",
            )
            .bind(client.as_uuid())
            .bind(days)
            .execute(&mut *tx)
            .await
            .map_err(fail)?,
            None => sqlx::query("DELETE FROM checkins WHERE client_id = $1")
                .bind(client.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(fail)?,
        };
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn contact_status(
        &self,
        clients: &[ClientId],
    ) -> PortResult<Vec<domain::ports::ContactStatus>> {
        let ids: Vec<Uuid> = clients.iter().map(|c| c.as_uuid()).collect();
        let rows = sqlx::query(
            "SELECT c.id,
                    (SELECT every_days FROM checkins k WHERE k.client_id = c.id) AS every_days,
                    GREATEST((SELECT MAX(last_message_at) FROM threads t WHERE t.client_id = c.id),
                             (SELECT MAX(updated_at) FROM plan_items p WHERE p.client_id = c.id)) AS last_contact
             FROM clients c WHERE c.id = ANY($1)",
        )
        .bind(&ids)
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?;
        rows.iter()
            .map(|r| {
                Ok(domain::ports::ContactStatus {
                    client_id: id(&r.get::<Uuid, _>("id"))?,
                    every_days: r.get("every_days"),
                    last_contact: r.get("last_contact"),
                })
            })
            .collect()
    }

    async fn attachment(
        &self,
        id: domain::ids::AttachmentId,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<domain::ports::AttachmentFile>> {
        self.conv_attachment(id, client, audit).await
    }

    // availability and notices
    async fn notice_cursor(&self) -> PortResult<i64> {
        self.notify_cursor().await
    }
    async fn notice_events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<domain::notify::NoticeEvent>> {
        self.notify_events_after(after, limit).await
    }
    async fn notice_contact(
        &self,
        user: UserId,
    ) -> PortResult<Option<domain::notify::NoticeContact>> {
        self.notify_contact(user).await
    }
    async fn notice_recently(
        &self,
        recipient: UserId,
        channel: domain::notify::Channel,
        about: Option<&str>,
        since: OffsetDateTime,
    ) -> PortResult<bool> {
        self.notify_recently(recipient, channel, about, since).await
    }
    async fn enqueue_notices(
        &self,
        seq: i64,
        notices: Vec<domain::notify::NewNotice>,
    ) -> PortResult<()> {
        self.notify_enqueue(seq, notices).await
    }
    async fn resume_sending_notices(&self, now: OffsetDateTime) -> PortResult<u64> {
        self.notify_resume(now).await
    }
    async fn defer_notice(&self, id: i64, until: OffsetDateTime) -> PortResult<()> {
        self.notify_defer(id, until).await
    }
    async fn record_notice_attempt(
        &self,
        id: i64,
        attempt: domain::ports::NoticeAttempt,
        state: domain::notify::NoticeState,
        next_attempt_at: OffsetDateTime,
    ) -> PortResult<()> {
        self.notify_record_attempt(id, attempt, state, next_attempt_at)
            .await
    }
    async fn notice_by_key(
        &self,
        key: &str,
    ) -> PortResult<Option<(domain::ports::NoticeRow, Vec<domain::ports::NoticeAttempt>)>> {
        self.notify_by_key(key).await
    }
    async fn notices_for(&self, recipient: UserId) -> PortResult<Vec<domain::ports::NoticeRow>> {
        self.notify_for(recipient).await
    }
    async fn put_availability(
        &self,
        availability: domain::availability::CounselorAvailability,
    ) -> PortResult<()> {
        self.avail_put(availability).await
    }
    async fn availability(
        &self,
        counselor: UserId,
    ) -> PortResult<Option<domain::availability::CounselorAvailability>> {
        self.avail_get(counselor).await
    }
    async fn put_contact_agreement(
        &self,
        agreement: domain::availability::ContactAgreement,
        expected_version: Option<i64>,
        audit: Option<NewAuditEvent>,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.agreement_put(agreement, expected_version, audit, events)
            .await
    }
    async fn contact_agreement(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<domain::availability::ContactAgreement>> {
        self.agreement_get(client, audit).await
    }

    // meetings
    async fn create_meeting(
        &self,
        meeting: domain::ports::MeetingRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_create(meeting, audit, events).await
    }

    async fn update_meeting(
        &self,
        meeting: domain::ports::MeetingRow,
        expected_version: i64,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_update(meeting, expected_version, audit, events)
            .await
    }

    async fn list_meetings(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Vec<domain::ports::MeetingRow>> {
        self.meet_list(client, audit).await
    }

    async fn read_meeting(
        &self,
        meeting: domain::ids::MeetingId,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<domain::ports::MeetingRecord>> {
        self.meet_read(meeting, client, audit).await
    }

    async fn add_agenda_point(
        &self,
        point: domain::ports::AgendaPointRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_add_agenda_point(point, audit, events).await
    }

    async fn put_meeting_notes(
        &self,
        notes: domain::ports::MeetingNotesRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_put_notes(notes, audit, events).await
    }

    async fn add_notes_comment(
        &self,
        comment: domain::ports::NotesCommentRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_add_comment(comment, audit, events).await
    }

    // ----- reminders, claiming notices, the staff's language (notices-reminders) -----
    async fn meetings_to_remind(
        &self,
        after: OffsetDateTime,
        until: OffsetDateTime,
        limit: i64,
    ) -> PortResult<Vec<domain::reminders::MeetingToRemind>> {
        self.remind_meetings_due(after, until, limit).await
    }
    async fn record_meeting_reminder(
        &self,
        meeting: domain::ids::MeetingId,
        starts_at: OffsetDateTime,
        events: Vec<LiveEvent>,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        self.remind_meeting_record(meeting, starts_at, events, at)
            .await
    }
    async fn activities_to_remind(
        &self,
        due: &str,
        limit: i64,
    ) -> PortResult<Vec<domain::reminders::ActivityToRemind>> {
        self.remind_activities_due(due, limit).await
    }
    async fn record_activity_reminder(
        &self,
        item: domain::ids::PlanItemId,
        due: &str,
        events: Vec<LiveEvent>,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        self.remind_activity_record(item, due, events, at).await
    }
    async fn claim_due_notices(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        channels: &[domain::notify::Channel],
        limit: i64,
    ) -> PortResult<Vec<domain::ports::NoticeRow>> {
        self.notices_claim(now, lease_until, channels, limit).await
    }
    async fn set_user_language(&self, user: UserId, language: &str) -> PortResult<()> {
        self.user_language_set(user, language).await
    }
}
