//! Reminders, claiming due notices and the staff's language on PostgreSQL
//! (`domain::reminders`, `docs/NOTIFICATIONS.md`).

use super::conversation::insert_events;
use super::notify::{NOTICE_COLUMNS, notice};
use super::{PgStore, fail, id, opt_id};
use domain::ids::{MeetingId, PlanItemId, UserId};
use domain::notify::Channel;
use domain::ports::{LiveEvent, NoticeRow, PortResult};
use domain::reminders::{ActivityToRemind, MeetingToRemind};
use sqlx::Row;
use time::OffsetDateTime;
use uuid::Uuid;

/// Accepted meetings in a time window not yet reminded of, through `meetings_to_remind`
/// (public so that a test can check the plan uses the index).
pub const MEETINGS_TO_REMIND: &str = "SELECT m.id, m.starts_at, c.user_id, c.assigned_counselor
             FROM meetings m JOIN clients c ON c.id = m.client_id
             WHERE m.status = 'accepted' AND m.reminded_for IS DISTINCT FROM m.starts_at
               AND m.starts_at > $1 AND m.starts_at <= $2
             ORDER BY m.starts_at, m.id LIMIT $3";

/// Open activities due on a date not yet reminded of, through the partial index
/// `plan_items_due_to_remind` (migration 0012), whose predicate this repeats word for word.
pub const ACTIVITIES_TO_REMIND: &str = "SELECT p.id, c.user_id, p.data
             FROM (SELECT id, client_id, data FROM plan_items
                   WHERE kind = 'activity'
                     AND ((data::jsonb) ->> 'status') IN ('planned', 'in-progress')
                     AND reminded_due IS DISTINCT FROM ((data::jsonb) ->> 'end')
                     AND ((data::jsonb) ->> 'end') = $1
                   ORDER BY id LIMIT $2) p
             JOIN clients c ON c.id = p.client_id";

impl PgStore {
    pub(crate) async fn remind_meetings_due(
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
                    meeting: id(&r.get::<Uuid, _>("id"))?,
                    starts_at: r.get("starts_at"),
                    client_user: opt_id(r.get("user_id"))?,
                    counselor: opt_id(r.get("assigned_counselor"))?,
                })
            })
            .collect()
    }

    pub(crate) async fn remind_meeting_record(
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

    pub(crate) async fn remind_activities_due(
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
                    item: id(&r.get::<Uuid, _>("id"))?,
                    client_user: opt_id(r.get("user_id"))?,
                    data: r.get("data"),
                })
            })
            .collect()
    }

    pub(crate) async fn remind_activity_record(
        &self,
        item: PlanItemId,
        due: &str,
        events: Vec<LiveEvent>,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        let done = sqlx::query(
            "UPDATE plan_items SET reminded_due = $2
             WHERE id = $1 AND kind = 'activity' AND ((data::jsonb) ->> 'end') = $2
               AND reminded_due IS DISTINCT FROM $2",
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

    pub(crate) async fn notices_claim(
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

    pub(crate) async fn user_language_set(&self, user: UserId, language: &str) -> PortResult<()> {
        sqlx::query("UPDATE users SET language = $1 WHERE id = $2")
            .bind(language)
            .bind(user.as_uuid())
            .execute(self.pool())
            .await
            .map_err(fail)?;
        Ok(())
    }
}
