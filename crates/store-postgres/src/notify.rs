//! The notice outbox on PostgreSQL.

use super::contact::quiet;
use super::{PgStore, fail, id};
use domain::ids::UserId;
use domain::notify::{Channel, NewNotice, NoticeContact, NoticeEvent, NoticeState};
use domain::ports::{NoticeAttempt, NoticeRow, PortError, PortResult};
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
        id: r.get("id"),
        idempotency_key: r.get("idempotency_key"),
        recipient: id(&r.get::<Uuid, _>("recipient"))?,
        channel: Channel::parse(&r.get::<String, _>("channel")).ok_or_else(|| bad("channel"))?,
        about: r.get("about"),
        language: r.get("language"),
        state: NoticeState::parse(&r.get::<String, _>("state")).ok_or_else(|| bad("state"))?,
        reason: r.get("reason"),
        attempts: r.get("attempts"),
        created_at: r.get("created_at"),
        next_attempt_at: r.get("next_attempt_at"),
        sent_at: r.get("sent_at"),
    })
}

impl PgStore {
    pub(crate) async fn notify_cursor(&self) -> PortResult<i64> {
        sqlx::query_scalar("SELECT last_seq FROM notice_cursor WHERE id = 1")
            .fetch_one(self.pool())
            .await
            .map_err(fail)
    }

    pub(crate) async fn notify_events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<NoticeEvent>> {
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
                seq: r.get("seq"),
                recipient: id(&r.get::<Uuid, _>("recipient"))?,
                kind: r.get("kind"),
                about: r.get("about"),
                at: r.get("at"),
            })
        })
        .collect()
    }

    pub(crate) async fn notify_contact(&self, user: UserId) -> PortResult<Option<NoticeContact>> {
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
                email: r.get("email"),
                phone: r.get("phone"),
                email_notices: r.get("email_notices"),
                sms_notices: r.get("sms_notices"),
                quiet: quiet(r.get("quiet_start"), r.get("quiet_end")),
                language: r.get("language"),
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

    pub(crate) async fn notify_recently(
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

    pub(crate) async fn notify_enqueue(&self, seq: i64, notices: Vec<NewNotice>) -> PortResult<()> {
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

    pub(crate) async fn notify_resume(&self, now: OffsetDateTime) -> PortResult<u64> {
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

    pub(crate) async fn notify_defer(&self, notice: i64, until: OffsetDateTime) -> PortResult<()> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        sqlx::query("UPDATE notices SET state = 'pending', next_attempt_at = $1 WHERE id = $2")
            .bind(until)
            .bind(notice)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    pub(crate) async fn notify_record_attempt(
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

    pub(crate) async fn notify_by_key(
        &self,
        key: &str,
    ) -> PortResult<Option<(NoticeRow, Vec<NoticeAttempt>)>> {
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{NOTICE} WHERE idempotency_key = $1"
        )))
        .bind(key)
        .fetch_optional(self.pool())
        .await
        .map_err(fail)?
        .as_ref()
        .map(notice)
        .transpose()?
        else {
            return Ok(None);
        };
        let attempts = sqlx::query(
            "SELECT at, outcome, detail FROM notice_attempts WHERE notice_id = $1 ORDER BY id",
        )
        .bind(row.id)
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(NoticeAttempt {
                at: r.get("at"),
                outcome: r.get("outcome"),
                detail: r.get("detail"),
            })
        })
        .collect::<PortResult<Vec<_>>>()?;
        Ok(Some((row, attempts)))
    }

    pub(crate) async fn notify_for(&self, recipient: UserId) -> PortResult<Vec<NoticeRow>> {
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
}
