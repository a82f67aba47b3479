//! Contact on SQLite: counselors' published hours, contact agreements and how long it has been
//! since a client and their counselor were last in touch.

use super::{SqliteStore, append_audit_rows, fail, from_ts, id, ts};
use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::cases::ClientAccess;
use domain::contact::{ContactAgreement, ContactStatus, ContactStore, CounselorAvailability};
use domain::ids::{ClientId, UserId};
use domain::notices::QuietHours;
use domain::ports::{Conflict, PortError, PortResult};
use sqlx::Row;

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
impl ContactStore for SqliteStore {
    async fn put_availability(&self, a: CounselorAvailability) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO counselor_availability (counselor_id, contact_hours, channels, notice_email, updated_at)
             VALUES (?, ?, ?, ?, ?)
             ON CONFLICT (counselor_id) DO UPDATE SET contact_hours = excluded.contact_hours,
                channels = excluded.channels, notice_email = excluded.notice_email,
                updated_at = excluded.updated_at",
        )
        .bind(a.counselor_id.to_string())
        .bind(&a.contact_hours)
        .bind(a.channels.join(","))
        .bind(&a.notice_email)
        .bind(ts(a.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn availability(&self, counselor: UserId) -> PortResult<Option<CounselorAvailability>> {
        let Some(r) = sqlx::query(
            "SELECT contact_hours, channels, notice_email, updated_at FROM counselor_availability WHERE counselor_id = ?",
        )
        .bind(counselor.to_string())
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
            updated_at: from_ts(r.try_get("updated_at").map_err(fail)?)?,
        }))
    }

    async fn put_contact_agreement(
        &self,
        a: ContactAgreement,
        expected_version: Option<i64>,
        audit: Option<NewAuditEvent>,
        events: Vec<domain::ports::LiveEvent>,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        let current: Option<i64> =
            sqlx::query_scalar("SELECT version FROM contact_agreements WHERE client_id = ?")
                .bind(a.client_id.to_string())
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
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (client_id) DO UPDATE SET in_app = excluded.in_app,
                email_notices = excluded.email_notices, sms_notices = excluded.sms_notices,
                phone_calls = excluded.phone_calls, email = excluded.email, phone = excluded.phone,
                quiet_start = excluded.quiet_start, quiet_end = excluded.quiet_end,
                response_hours = excluded.response_hours, language = excluded.language,
                proposed_by = excluded.proposed_by, confirmed_at = excluded.confirmed_at,
                version = excluded.version, updated_at = excluded.updated_at",
        )
        .bind(a.client_id.to_string())
        .bind(i64::from(a.in_app))
        .bind(i64::from(a.email_notices))
        .bind(i64::from(a.sms_notices))
        .bind(i64::from(a.phone_calls))
        .bind(&a.email)
        .bind(&a.phone)
        .bind(a.quiet.map(|q| hhmm(q.start)))
        .bind(a.quiet.map(|q| hhmm(q.end)))
        .bind(a.response_hours)
        .bind(&a.language)
        .bind(a.proposed_by.as_str())
        .bind(a.confirmed_at.map(ts))
        .bind(a.version)
        .bind(ts(a.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        for e in &events {
            sqlx::query("INSERT INTO live_events (recipient, kind, about, at) VALUES (?, ?, ?, ?)")
                .bind(e.recipient.to_string())
                .bind(&e.kind)
                .bind(&e.about)
                .bind(ts(a.updated_at))
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
        let mut tx = self.read().await?;
        let row = sqlx::query(
            "SELECT in_app, email_notices, sms_notices, phone_calls, email, phone, quiet_start, quiet_end,
                response_hours, language, proposed_by, confirmed_at, version, updated_at
             FROM contact_agreements WHERE client_id = ?",
        )
        .bind(client.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?;
        let Some(r) = row else {
            return Ok(None);
        };
        let agreement = ContactAgreement {
            client_id: client,
            in_app: r.try_get::<i64, _>("in_app").map_err(fail)? != 0,
            email_notices: r.try_get::<i64, _>("email_notices").map_err(fail)? != 0,
            sms_notices: r.try_get::<i64, _>("sms_notices").map_err(fail)? != 0,
            phone_calls: r.try_get::<i64, _>("phone_calls").map_err(fail)? != 0,
            email: r.try_get("email").map_err(fail)?,
            phone: r.try_get("phone").map_err(fail)?,
            quiet: quiet(
                r.try_get("quiet_start").map_err(fail)?,
                r.try_get("quiet_end").map_err(fail)?,
            ),
            response_hours: r.try_get("response_hours").map_err(fail)?,
            language: r.try_get("language").map_err(fail)?,
            proposed_by: side_of(&r.try_get::<String, _>("proposed_by").map_err(fail)?)?,
            confirmed_at: r
                .try_get::<Option<i64>, _>("confirmed_at")
                .map_err(fail)?
                .map(from_ts)
                .transpose()?,
            version: r.try_get("version").map_err(fail)?,
            updated_at: from_ts(r.try_get("updated_at").map_err(fail)?)?,
        };
        tx.commit().await.map_err(fail)?;
        self.audited(audit).await?;
        Ok(Some(agreement))
    }

    async fn contact_status(&self, clients: &[ClientId]) -> PortResult<Vec<ContactStatus>> {
        if clients.is_empty() {
            return Ok(vec![]);
        }
        // One query for the whole list (the ids as a JSON array): per client, the check-in
        // row by its key and the latest message and plan change each from one index entry
        // (`threads_client`, and `plan_items_client_changed` of migration 0018), never the
        // plan items' rows.
        // (A UUID is hex digits and hyphens: nothing in it needs escaping.)
        let ids = format!(
            "[{}]",
            clients
                .iter()
                .map(|c| format!("\"{c}\""))
                .collect::<Vec<_>>()
                .join(",")
        );
        let rows = sqlx::query(CONTACT_STATUS)
            .bind(ids)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?;
        rows.iter()
            .map(|r| {
                Ok(ContactStatus {
                    client_id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
                    every_days: r.try_get("every_days").map_err(fail)?,
                    last_contact: r
                        .try_get::<Option<i64>, _>("last_contact")
                        .map_err(fail)?
                        .map(from_ts)
                        .transpose()?,
                })
            })
            .collect()
    }
}

/// The contact status of the clients in the JSON array `?1` (see `contact_status`).
pub(crate) const CONTACT_STATUS: &str = "SELECT l.value AS id,
        (SELECT every_days FROM checkins WHERE client_id = l.value) AS every_days,
        NULLIF(MAX(COALESCE((SELECT MAX(last_message_at) FROM threads WHERE client_id = l.value), 0),
                   COALESCE((SELECT MAX(updated_at) FROM plan_items WHERE client_id = l.value), 0)), 0)
            AS last_contact
 FROM json_each(?1) l";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::CONTACT_STATUS;
    use crate::SqliteStore;
    use sqlx::Row;

    /// The caseload's contact status reads each client's last plan change from the index
    /// of migration 0018, never by scanning plan items (issue 13: 4,604 page reads a view).
    #[tokio::test]
    async fn the_contact_status_reads_one_index_entry_per_client() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("plan.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
            "EXPLAIN QUERY PLAN {CONTACT_STATUS}"
        )))
        .bind(r#"["a","b"]"#)
        .fetch_all(store.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.try_get::<String, _>("detail").unwrap())
        .collect();
        let text = plan.join("\n");
        assert!(
            text.contains("USING COVERING INDEX plan_items_client_changed (client_id=?)"),
            "{text}"
        );
        assert!(!text.contains("SCAN plan_items"), "{text}");
    }
}
