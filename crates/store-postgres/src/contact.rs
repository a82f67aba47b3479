//! Contact on PostgreSQL: counselors' published hours, contact agreements and how long it has been
//! since a client and their counselor were last in touch.

use super::{PgStore, append_audit_rows, fail, id};
use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::cases::ClientAccess;
use domain::contact::{ContactAgreement, ContactStatus, ContactStore, CounselorAvailability};
use domain::ids::{ClientId, UserId};
use domain::notices::QuietHours;
use domain::ports::{Conflict, PortError, PortResult};
use sqlx::Row;
use uuid::Uuid;

/// `HH:MM` as stored for quiet hours.
pub(crate) fn parse_hhmm(s: &str) -> Option<time::Time> {
    let (h, m) = s.split_once(':')?;
    time::Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

pub(crate) fn quiet(start: Option<String>, end: Option<String>) -> Option<QuietHours> {
    Some(QuietHours {
        start: parse_hhmm(&start?)?,
        end: parse_hhmm(&end?)?,
    })
}

fn side_of(s: &str) -> PortResult<domain::plan::Side> {
    match s {
        "client" => Ok(domain::plan::Side::Client),
        "counselor" => Ok(domain::plan::Side::Counselor),
        other => Err(PortError::Failure(format!("unknown side {other}"))),
    }
}

fn hhmm(t: time::Time) -> String {
    domain::contact::format_time(t)
}

#[async_trait]
impl ContactStore for PgStore {
    async fn put_availability(&self, a: CounselorAvailability) -> PortResult<()> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        sqlx::query(
            "INSERT INTO counselor_availability (counselor_id, contact_hours, channels, notice_email, updated_at)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (counselor_id) DO UPDATE SET contact_hours = excluded.contact_hours,
                channels = excluded.channels, notice_email = excluded.notice_email,
                updated_at = excluded.updated_at",
        )
        .bind(a.counselor_id.as_uuid())
        .bind(&a.contact_hours)
        .bind(a.channels.join(","))
        .bind(&a.notice_email)
        .bind(a.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn availability(&self, counselor: UserId) -> PortResult<Option<CounselorAvailability>> {
        let Some(r) = sqlx::query(
            "SELECT contact_hours, channels, notice_email, updated_at FROM counselor_availability WHERE counselor_id = $1",
        )
        .bind(counselor.as_uuid())
        .fetch_optional(self.pool())
        .await
        .map_err(fail)?
        else {
            return Ok(None);
        };
        Ok(Some(CounselorAvailability {
            counselor_id: counselor,
            contact_hours: r.try_get("contact_hours").map_err(fail)?,
            channels: r
                .try_get::<String, _>("channels")
                .map_err(fail)?
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            notice_email: r.try_get("notice_email").map_err(fail)?,
            updated_at: r.try_get("updated_at").map_err(fail)?,
        }))
    }

    async fn put_contact_agreement(
        &self,
        a: ContactAgreement,
        expected_version: Option<i64>,
        audit: Option<NewAuditEvent>,
        events: Vec<domain::ports::LiveEvent>,
    ) -> PortResult<()> {
        let mut tx = self.pool().begin().await.map_err(fail)?;
        let current: Option<i64> = sqlx::query_scalar(
            "SELECT version FROM contact_agreements WHERE client_id = $1 FOR UPDATE",
        )
        .bind(a.client_id.as_uuid())
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?;
        if current != expected_version {
            return Err(PortError::Conflict(Conflict::Stale));
        }
        sqlx::query(
            "INSERT INTO contact_agreements (client_id, in_app, email_notices, sms_notices, phone_calls,
                email, phone, quiet_start, quiet_end, response_hours, language, proposed_by,
                confirmed_at, version, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
             ON CONFLICT (client_id) DO UPDATE SET in_app = excluded.in_app,
                email_notices = excluded.email_notices, sms_notices = excluded.sms_notices,
                phone_calls = excluded.phone_calls, email = excluded.email, phone = excluded.phone,
                quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
                response_hours = excluded.response_hours, language = excluded.language,
                proposed_by = excluded.proposed_by, confirmed_at = excluded.confirmed_at,
                version = excluded.version, updated_at = excluded.updated_at",
        )
        .bind(a.client_id.as_uuid())
        .bind(a.in_app)
        .bind(a.email_notices)
        .bind(a.sms_notices)
        .bind(a.phone_calls)
        .bind(&a.email)
        .bind(&a.phone)
        .bind(a.quiet.map(|q| hhmm(q.start)))
        .bind(a.quiet.map(|q| hhmm(q.end)))
        .bind(a.response_hours)
        .bind(&a.language)
        .bind(a.proposed_by.as_str())
        .bind(a.confirmed_at)
        .bind(a.version)
        .bind(a.updated_at)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        for e in &events {
            sqlx::query(
                "INSERT INTO live_events (recipient, kind, about, at) VALUES ($1, $2, $3, $4)",
            )
            .bind(e.recipient.as_uuid())
            .bind(&e.kind)
            .bind(&e.about)
            .bind(a.updated_at)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        }
        if let Some(e) = audit {
            append_audit_rows(&mut tx, vec![e]).await?;
        }
        tx.commit().await.map_err(fail)
    }

    async fn contact_agreement(
        &self,
        access: &ClientAccess,
    ) -> PortResult<Option<ContactAgreement>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        let mut conn = self.read().await?;
        let row = sqlx::query(
            "SELECT in_app, email_notices, sms_notices, phone_calls, email, phone, quiet_start, quiet_end,
                response_hours, language, proposed_by, confirmed_at, version, updated_at
             FROM contact_agreements WHERE client_id = $1",
        )
        .bind(client.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map_err(fail)?;
        let Some(r) = row else {
            return Ok(None);
        };
        let agreement = ContactAgreement {
            client_id: client,
            in_app: r.try_get("in_app").map_err(fail)?,
            email_notices: r.try_get("email_notices").map_err(fail)?,
            sms_notices: r.try_get("sms_notices").map_err(fail)?,
            phone_calls: r.try_get("phone_calls").map_err(fail)?,
            email: r.try_get("email").map_err(fail)?,
            phone: r.try_get("phone").map_err(fail)?,
            quiet: quiet(
                r.try_get("quiet_start").map_err(fail)?,
                r.try_get("quiet_end").map_err(fail)?,
            ),
            response_hours: r.try_get("response_hours").map_err(fail)?,
            language: r.try_get("language").map_err(fail)?,
            proposed_by: side_of(&r.try_get::<String, _>("proposed_by").map_err(fail)?)?,
            confirmed_at: r.try_get("confirmed_at").map_err(fail)?,
            version: r.try_get("version").map_err(fail)?,
            updated_at: r.try_get("updated_at").map_err(fail)?,
        };
        drop(conn);
        self.audited(audit).await?;
        Ok(Some(agreement))
    }

    async fn contact_status(&self, clients: &[ClientId]) -> PortResult<Vec<ContactStatus>> {
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
                Ok(ContactStatus {
                    client_id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
                    every_days: r.try_get("every_days").map_err(fail)?,
                    last_contact: r.try_get("last_contact").map_err(fail)?,
                })
            })
            .collect()
    }
}
