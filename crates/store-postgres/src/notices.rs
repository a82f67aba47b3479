//! Notices on PostgreSQL: the outbox (the worker's cursor over live events, notices and their
//! attempts), reminders of meetings and activities, claiming due notices, and the staff's
//! language (`domain::notices`, `docs/NOTIFICATIONS.md`).

use super::contact::quiet;
use super::conversation::insert_events;
use super::{PgStore, fail, id, opt_id};
use async_trait::async_trait;
use domain::ids::{MeetingId, PlanItemId, UserId};
use domain::notices::reminders::{ActivityToRemind, MeetingToRemind};
use domain::notices::{
    Channel, NewNotice, NoticeAttempt, NoticeContact, NoticeEvent, NoticeRow, NoticeState,
    NoticesStore,
};
use domain::ports::{LiveEvent, PortError, PortResult};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

pub(crate) const NOTICE_COLUMNS: &str =
    "id, idempotency_key, recipient, channel, about, language, state, reason,
        attempts, created_at, next_attempt_at, sent_at";
const NOTICE: &str =
    "SELECT id, idempotency_key, recipient, channel, about, language, state, reason,
        attempts, created_at, next_attempt_at, sent_at FROM notices";

pub(crate) fn notice(r: &sqlx::postgres::PgRow) -> PortResult<NoticeRow> {
    let bad = |what: &str| PortError::Failure(format!("bad notice {what}"));
    Ok(NoticeRow {
        id: r.try_get("id").map_err(fail)?,
        idempotency_key: r.try_get("idempotency_key").map_err(fail)?,
        recipient: id(&r.try_get::<Uuid, _>("recipient").map_err(fail)?)?,
        channel: Channel::parse(&r.try_get::<String, _>("channel").map_err(fail)?)
            .ok_or_else(|| bad("channel"))?,
        about: r.try_get("about").map_err(fail)?,
        language: r.try_get("language").map_err(fail)?,
        state: NoticeState::parse(&r.try_get::<String, _>("state").map_err(fail)?)
            .ok_or_else(|| bad("state"))?,
        reason: r.try_get("reason").map_err(fail)?,
        attempts: r.try_get("attempts").map_err(fail)?,
        created_at: r.try_get("created_at").map_err(fail)?,
        next_attempt_at: r.try_get("next_attempt_at").map_err(fail)?,
        sent_at: r.try_get("sent_at").map_err(fail)?,
    })
}

/// Accepted meetings in a time window not yet reminded of, through `meetings_to_remind`
/// (public so that a test can check the plan uses the index).
pub const MEETINGS_TO_REMIND: &str = "SELECT m.id, m.starts_at, c.user_id, c.assigned_counselor
             FROM meetings m JOIN clients c ON c.id = m.client_id
             WHERE m.status = 'accepted' AND m.reminded_for IS DISTINCT FROM m.starts_at
               AND m.starts_at > $1 AND m.starts_at <= $2
             ORDER BY m.starts_at, m.id LIMIT $3";

/// Open activities due on a date not yet reminded of, through the partial index
/// `plan_items_due_to_remind` (migration 0016: `due` is the `end` of an open activity),
/// whose predicate this repeats word for word.
pub const ACTIVITIES_TO_REMIND: &str = "SELECT p.id, c.user_id, p.data
             FROM (SELECT id, client_id, data FROM plan_items
                   WHERE due IS NOT NULL AND reminded_due IS DISTINCT FROM due
                     AND due = $1
                   ORDER BY id LIMIT $2) p
             JOIN clients c ON c.id = p.client_id";

#[async_trait]
impl NoticesStore for PgStore {
    async fn notice_cursor(&self) -> PortResult<i64> {
        sqlx::query_scalar("SELECT last_seq FROM notice_cursor WHERE id = 1")
            .fetch_one(self.pool())
            .await
            .map_err(fail)
    }

    async fn notice_events_after(&self, after: i64, limit: i64) -> PortResult<Vec<NoticeEvent>> {
        sqlx::query(
            "SELECT seq, recipient, kind, about, at FROM live_events WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(NoticeEvent {
                seq: r.try_get("seq").map_err(fail)?,
                recipient: id(&r.try_get::<Uuid, _>("recipient").map_err(fail)?)?,
                kind: r.try_get("kind").map_err(fail)?,
                about: r.try_get("about").map_err(fail)?,
                at: r.try_get("at").map_err(fail)?,
            })
        })
        .collect()
    }

    async fn notice_contact(&self, user: UserId) -> PortResult<Option<NoticeContact>> {
        let row = sqlx::query(
            "SELECT a.email_notices, a.sms_notices, a.email, a.phone, a.quiet_start, a.quiet_end, a.language
             FROM contact_agreements a JOIN clients c ON c.id = a.client_id WHERE c.user_id = $1",
        )
        .bind(user.as_uuid())
        .fetch_optional(self.pool())
        .await
        .map_err(fail)?;
        if let Some(r) = row {
            return Ok(Some(NoticeContact {
                email: r.try_get("email").map_err(fail)?,
                phone: r.try_get("phone").map_err(fail)?,
                email_notices: r.try_get("email_notices").map_err(fail)?,
                sms_notices: r.try_get("sms_notices").map_err(fail)?,
                quiet: quiet(
                    r.try_get("quiet_start").map_err(fail)?,
                    r.try_get("quiet_end").map_err(fail)?,
                ),
                language: r.try_get("language").map_err(fail)?,
            }));
        }
        // Staff: their own notice e-mail, in the language they last chose (bokmål if never).
        let staff: Option<(Option<String>, Option<String>)> = sqlx::query_as(
            "SELECT a.notice_email, u.language FROM counselor_availability a
             JOIN users u ON u.id = a.counselor_id WHERE a.counselor_id = $1",
        )
        .bind(user.as_uuid())
        .fetch_optional(self.pool())
        .await
        .map_err(fail)?;
        Ok(staff.and_then(|(email, language)| {
            email.map(|e| NoticeContact {
                email: Some(e),
                phone: None,
                email_notices: true,
                sms_notices: false,
                quiet: None,
                language: language.unwrap_or_else(|| "nb".into()),
            })
        }))
    }

    async fn notice_recently(
        &self,
        recipient: UserId,
        channel: Channel,
        about: Option<&str>,
        since: OffsetDateTime,
    ) -> PortResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM notices WHERE recipient = $1 AND channel = $2 AND about IS NOT DISTINCT FROM $3
             AND created_at >= $4 AND state <> 'suppressed'",
        )
        .bind(recipient.as_uuid())
        .bind(channel.as_str())
        .bind(about)
        .bind(since)
        .fetch_one(self.pool())
        .await
        .map_err(fail)?;
        Ok(n > 0)
    }

    async fn enqueue_notices(&self, seq: i64, notices: Vec<NewNotice>) -> PortResult<()> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        for n in &notices {
            sqlx::query(
                "INSERT INTO notices (idempotency_key, recipient, channel, about, language, state, reason,
                    attempts, created_at, next_attempt_at, sent_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9, NULL)
                 ON CONFLICT (idempotency_key) DO NOTHING",
            )
            .bind(&n.idempotency_key)
            .bind(n.recipient.as_uuid())
            .bind(n.channel.as_str())
            .bind(&n.about)
            .bind(&n.language)
            .bind(n.state.as_str())
            .bind(&n.reason)
            .bind(n.created_at)
            .bind(n.next_attempt_at)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        }
        sqlx::query("UPDATE notice_cursor SET last_seq = GREATEST(last_seq, $1) WHERE id = 1")
            .bind(seq)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn resume_sending_notices(&self, now: OffsetDateTime) -> PortResult<u64> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        let done = sqlx::query(
            "UPDATE notices SET state = 'pending', next_attempt_at = $1 WHERE state = 'sending'",
        )
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok(done.rows_affected())
    }

    async fn defer_notice(&self, notice: i64, until: OffsetDateTime) -> PortResult<()> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        sqlx::query("UPDATE notices SET state = 'pending', next_attempt_at = $1 WHERE id = $2")
            .bind(until)
            .bind(notice)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn record_notice_attempt(
        &self,
        notice: i64,
        attempt: NoticeAttempt,
        state: NoticeState,
        next_attempt_at: OffsetDateTime,
    ) -> PortResult<()> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        sqlx::query(
            "INSERT INTO notice_attempts (notice_id, at, outcome, detail) VALUES ($1, $2, $3, $4)",
        )
        .bind(notice)
        .bind(attempt.at)
        .bind(&attempt.outcome)
        .bind(&attempt.detail)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        let sent_at = (state == NoticeState::Sent).then_some(attempt.at);
        sqlx::query(
            "UPDATE notices SET state = $1, attempts = attempts + 1, next_attempt_at = $2,
                sent_at = COALESCE($3, sent_at) WHERE id = $4",
        )
        .bind(state.as_str())
        .bind(next_attempt_at)
        .bind(sent_at)
        .bind(notice)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn notices_for(&self, recipient: UserId) -> PortResult<Vec<NoticeRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{NOTICE} WHERE recipient = $1 ORDER BY id"
        )))
        .bind(recipient.as_uuid())
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(notice)
        .collect()
    }

    async fn meetings_to_remind(
        &self,
        after: OffsetDateTime,
        until: OffsetDateTime,
        limit: i64,
    ) -> PortResult<Vec<MeetingToRemind>> {
        sqlx::query(MEETINGS_TO_REMIND)
            .bind(after)
            .bind(until)
            .bind(limit)
            .fetch_all(self.pool())
            .await
            .map_err(fail)?
            .iter()
            .map(|r| {
                Ok(MeetingToRemind {
                    meeting: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
                    starts_at: r.try_get("starts_at").map_err(fail)?,
                    client_user: opt_id(r.try_get("user_id").map_err(fail)?)?,
                    counselor: opt_id(r.try_get("assigned_counselor").map_err(fail)?)?,
                })
            })
            .collect()
    }

    async fn record_meeting_reminder(
        &self,
        meeting: MeetingId,
        starts_at: OffsetDateTime,
        events: Vec<LiveEvent>,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        let done = sqlx::query(
            "UPDATE meetings SET reminded_for = starts_at
             WHERE id = $1 AND starts_at = $2 AND status = 'accepted'
               AND reminded_for IS DISTINCT FROM starts_at",
        )
        .bind(meeting.as_uuid())
        .bind(starts_at)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_events(&mut tx, &events, at).await?;
        tx.commit().await.map_err(fail)?;
        Ok(true)
    }

    async fn activities_to_remind(
        &self,
        due: &str,
        limit: i64,
    ) -> PortResult<Vec<ActivityToRemind>> {
        sqlx::query(ACTIVITIES_TO_REMIND)
            .bind(due)
            .bind(limit)
            .fetch_all(self.pool())
            .await
            .map_err(fail)?
            .iter()
            .map(|r| {
                Ok(ActivityToRemind {
                    item: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
                    client_user: opt_id(r.try_get("user_id").map_err(fail)?)?,
                    data: crate::plan_documents::decode(
                        &r.try_get::<Vec<u8>, _>("data").map_err(fail)?,
                    )?,
                })
            })
            .collect()
    }

    async fn record_activity_reminder(
        &self,
        item: PlanItemId,
        due: &str,
        events: Vec<LiveEvent>,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        let done = sqlx::query(
            "UPDATE plan_items SET reminded_due = $2
             WHERE id = $1 AND due = $2 AND reminded_due IS DISTINCT FROM $2",
        )
        .bind(item.as_uuid())
        .bind(due)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_events(&mut tx, &events, at).await?;
        tx.commit().await.map_err(fail)?;
        Ok(true)
    }

    async fn claim_due_notices(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        channels: &[Channel],
        limit: i64,
    ) -> PortResult<Vec<NoticeRow>> {
        let channels: Vec<&str> = channels.iter().map(Channel::as_str).collect();
        // One statement: the rows are locked by the subquery (rows another worker holds are
        // skipped, not waited for) and moved to `sending` before anyone else can see them due.
        let mut rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE notices SET state = 'sending', next_attempt_at = $2
             WHERE id IN (
                SELECT id FROM notices
                WHERE state IN ('pending', 'sending') AND next_attempt_at <= $1
                  AND channel = ANY($3)
                ORDER BY next_attempt_at, id LIMIT $4
                FOR UPDATE SKIP LOCKED)
             RETURNING {NOTICE_COLUMNS}"
        )))
        .bind(now)
        .bind(lease_until)
        .bind(&channels)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(notice)
        .collect::<PortResult<Vec<_>>>()?;
        rows.sort_by_key(|n| n.id);
        Ok(rows)
    }

    async fn set_user_language(&self, user: UserId, language: &str) -> PortResult<()> {
        sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(language)
            .bind(user.as_uuid())
            .execute(self.pool())
            .await
            .map_err(fail)?;
        Ok(())
    }
}
