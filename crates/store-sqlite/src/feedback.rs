//! Collecting client feedback on SQLite: instruments, invitations, responses, the remembered
//! sharing choice and talk notes. Writes that show or change a client's data take their
//! audit row in the same (immediate) transaction.

use super::{SqliteStore, append_audit_rows, fail, from_ts, id, opt_id, ts};
use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::cases::ClientAccess;
use domain::feedback::store::{
    FeedbackDeleted, FeedbackStore, InstrumentRow, InvitationRow, InviteReason, InviteState,
    ResponseRow, TalkNote, TalkNoteRow,
};
use domain::ids::{ClientId, FeedbackInvitationId, OrganisationId};
use domain::ports::{Conflict, PortError, PortResult};
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

const RESPONSE: &str = "SELECT id, client_id, author_id, office_id, team_id, counselor_id,
    instrument_id, instrument_version, meeting_id, quarter, answered_at, changeable_until,
    shared_with_counselor, theme_relation, theme_reciprocity, theme_choices, theme_time,
    theme_knowledge, theme_knowledge_sharing, answers FROM feedback_responses";

const INVITATION: &str = "SELECT id, client_id, office_id, team_id, counselor_id, quarter,
    reason, meeting_id, invited_at, state, closed_at FROM feedback_invitations";

fn bad(what: &str) -> PortError {
    PortError::Failure(format!("unknown feedback {what}"))
}

fn response(r: &sqlx::sqlite::SqliteRow) -> PortResult<ResponseRow> {
    Ok(ResponseRow {
        id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
        client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
        author_id: id(&r.try_get::<String, _>("author_id").map_err(fail)?)?,
        office_id: id(&r.try_get::<String, _>("office_id").map_err(fail)?)?,
        team_id: opt_id(r.try_get("team_id").map_err(fail)?)?,
        counselor_id: opt_id(r.try_get("counselor_id").map_err(fail)?)?,
        instrument_id: r.try_get("instrument_id").map_err(fail)?,
        instrument_version: r.try_get("instrument_version").map_err(fail)?,
        meeting_id: opt_id(r.try_get("meeting_id").map_err(fail)?)?,
        quarter: r.try_get("quarter").map_err(fail)?,
        answered_at: from_ts(r.try_get("answered_at").map_err(fail)?)?,
        changeable_until: from_ts(r.try_get("changeable_until").map_err(fail)?)?,
        shared_with_counselor: r.try_get::<i64, _>("shared_with_counselor").map_err(fail)? != 0,
        themes: [
            r.try_get("theme_relation").map_err(fail)?,
            r.try_get("theme_reciprocity").map_err(fail)?,
            r.try_get("theme_choices").map_err(fail)?,
            r.try_get("theme_time").map_err(fail)?,
            r.try_get("theme_knowledge").map_err(fail)?,
            r.try_get("theme_knowledge_sharing").map_err(fail)?,
        ],
        answers: r.try_get("answers").map_err(fail)?,
    })
}

fn invitation(r: &sqlx::sqlite::SqliteRow) -> PortResult<InvitationRow> {
    Ok(InvitationRow {
        id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
        client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
        office_id: id(&r.try_get::<String, _>("office_id").map_err(fail)?)?,
        team_id: opt_id(r.try_get("team_id").map_err(fail)?)?,
        counselor_id: opt_id(r.try_get("counselor_id").map_err(fail)?)?,
        quarter: r.try_get("quarter").map_err(fail)?,
        reason: InviteReason::parse(&r.try_get::<String, _>("reason").map_err(fail)?)
            .ok_or_else(|| bad("reason"))?,
        meeting_id: opt_id(r.try_get("meeting_id").map_err(fail)?)?,
        invited_at: from_ts(r.try_get("invited_at").map_err(fail)?)?,
        state: InviteState::parse(&r.try_get::<String, _>("state").map_err(fail)?)
            .ok_or_else(|| bad("state"))?,
        closed_at: r
            .try_get::<Option<i64>, _>("closed_at")
            .map_err(fail)?
            .map(from_ts)
            .transpose()?,
    })
}

async fn remember_choice(
    conn: &mut SqliteConnection,
    client: ClientId,
    share: bool,
    at: OffsetDateTime,
) -> PortResult<()> {
    sqlx::query(
        "INSERT INTO feedback_preferences (client_id, share_with_counselor, updated_at)
         VALUES (?, ?, ?)
         ON CONFLICT (client_id) DO UPDATE SET share_with_counselor = excluded.share_with_counselor,
            updated_at = excluded.updated_at",
    )
    .bind(client.to_string())
    .bind(share)
    .bind(ts(at))
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    Ok(())
}

#[async_trait]
impl FeedbackStore for SqliteStore {
    async fn put_instrument(&self, row: InstrumentRow) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO feedback_instruments (id, version, organisation_id, definition, created_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&row.id)
        .bind(row.version)
        .bind(row.organisation_id.map(|o| o.to_string()))
        .bind(&row.definition)
        .bind(ts(row.created_at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn instrument(
        &self,
        instrument: &str,
        version: Option<i64>,
    ) -> PortResult<Option<InstrumentRow>> {
        let row = sqlx::query(
            "SELECT id, version, organisation_id, definition, created_at FROM feedback_instruments
             WHERE id = ? AND (? IS NULL OR version = ?) ORDER BY version DESC LIMIT 1",
        )
        .bind(instrument)
        .bind(version)
        .bind(version)
        .fetch_optional(self.pool())
        .await
        .map_err(fail)?;
        row.map(|r| {
            Ok(InstrumentRow {
                id: r.try_get("id").map_err(fail)?,
                version: r.try_get("version").map_err(fail)?,
                organisation_id: opt_id(r.try_get("organisation_id").map_err(fail)?)?,
                definition: r.try_get("definition").map_err(fail)?,
                created_at: from_ts(r.try_get("created_at").map_err(fail)?)?,
            })
        })
        .transpose()
    }

    async fn choose_instrument(
        &self,
        org: OrganisationId,
        instrument: &str,
        at: OffsetDateTime,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO feedback_instrument_choice (organisation_id, instrument_id, chosen_at)
             VALUES (?, ?, ?)
             ON CONFLICT (organisation_id) DO UPDATE SET instrument_id = excluded.instrument_id,
                chosen_at = excluded.chosen_at",
        )
        .bind(org.to_string())
        .bind(instrument)
        .bind(ts(at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn chosen_instrument(&self, org: OrganisationId) -> PortResult<Option<String>> {
        sqlx::query_scalar(
            "SELECT instrument_id FROM feedback_instrument_choice WHERE organisation_id = ?",
        )
        .bind(org.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(fail)
    }

    async fn feedback_invitations(
        &self,
        client: ClientId,
        limit: i64,
    ) -> PortResult<Vec<InvitationRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{INVITATION} WHERE client_id = ? ORDER BY invited_at DESC, id DESC LIMIT ?"
        )))
        .bind(client.to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(invitation)
        .collect()
    }

    async fn create_invitation(&self, i: InvitationRow) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO feedback_invitations (id, client_id, office_id, team_id, counselor_id,
                quarter, reason, meeting_id, invited_at, state, closed_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(i.id.to_string())
        .bind(i.client_id.to_string())
        .bind(i.office_id.to_string())
        .bind(i.team_id.map(|t| t.to_string()))
        .bind(i.counselor_id.map(|t| t.to_string()))
        .bind(&i.quarter)
        .bind(i.reason.as_str())
        .bind(i.meeting_id.map(|t| t.to_string()))
        .bind(ts(i.invited_at))
        .bind(i.state.as_str())
        .bind(i.closed_at.map(ts))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn close_invitation(
        &self,
        invitation: FeedbackInvitationId,
        client: ClientId,
        state: InviteState,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE feedback_invitations SET state = ?, closed_at = ?
             WHERE id = ? AND client_id = ? AND state = 'open'",
        )
        .bind(state.as_str())
        .bind(ts(at))
        .bind(invitation.to_string())
        .bind(client.to_string())
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok(done.rows_affected() == 1)
    }

    async fn insert_response(
        &self,
        r: ResponseRow,
        invitation: Option<FeedbackInvitationId>,
        audit: NewAuditEvent,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO feedback_responses (id, client_id, author_id, office_id, team_id,
                counselor_id, instrument_id, instrument_version, meeting_id, quarter, answered_at,
                changeable_until, shared_with_counselor, theme_relation, theme_reciprocity,
                theme_choices, theme_time, theme_knowledge, theme_knowledge_sharing, answers)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(r.id.to_string())
        .bind(r.client_id.to_string())
        .bind(r.author_id.to_string())
        .bind(r.office_id.to_string())
        .bind(r.team_id.map(|t| t.to_string()))
        .bind(r.counselor_id.map(|t| t.to_string()))
        .bind(&r.instrument_id)
        .bind(r.instrument_version)
        .bind(r.meeting_id.map(|t| t.to_string()))
        .bind(&r.quarter)
        .bind(ts(r.answered_at))
        .bind(ts(r.changeable_until))
        .bind(r.shared_with_counselor)
        .bind(r.themes[0])
        .bind(r.themes[1])
        .bind(r.themes[2])
        .bind(r.themes[3])
        .bind(r.themes[4])
        .bind(r.themes[5])
        .bind(&r.answers)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        if let Some(inv) = invitation {
            sqlx::query(
                "UPDATE feedback_invitations SET state = 'answered', closed_at = ?
                 WHERE id = ? AND client_id = ? AND state = 'open'",
            )
            .bind(ts(r.answered_at))
            .bind(inv.to_string())
            .bind(r.client_id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        }
        remember_choice(&mut tx, r.client_id, r.shared_with_counselor, r.answered_at).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn update_response(
        &self,
        r: ResponseRow,
        now: OffsetDateTime,
        audit: NewAuditEvent,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE feedback_responses SET shared_with_counselor = ?, theme_relation = ?,
                theme_reciprocity = ?, theme_choices = ?, theme_time = ?, theme_knowledge = ?,
                theme_knowledge_sharing = ?, answers = ?
             WHERE id = ? AND client_id = ? AND author_id = ? AND changeable_until >= ?",
        )
        .bind(r.shared_with_counselor)
        .bind(r.themes[0])
        .bind(r.themes[1])
        .bind(r.themes[2])
        .bind(r.themes[3])
        .bind(r.themes[4])
        .bind(r.themes[5])
        .bind(&r.answers)
        .bind(r.id.to_string())
        .bind(r.client_id.to_string())
        .bind(r.author_id.to_string())
        .bind(ts(now))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        if done.rows_affected() != 1 {
            return Err(PortError::Conflict(Conflict::Stale));
        }
        remember_choice(&mut tx, r.client_id, r.shared_with_counselor, now).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn feedback_responses(
        &self,
        access: &ClientAccess,
        shared_only: bool,
    ) -> PortResult<Vec<ResponseRow>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        let mut tx = self.read().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{RESPONSE} WHERE client_id = ? AND (? = 0 OR shared_with_counselor = 1)
             ORDER BY answered_at, id LIMIT 1000"
        )))
        .bind(client.to_string())
        .bind(shared_only)
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?
        .iter()
        .map(response)
        .collect::<PortResult<Vec<_>>>()?;
        tx.commit().await.map_err(fail)?;
        self.audited(audit).await?;
        Ok(rows)
    }

    async fn feedback_preference(&self, client: ClientId) -> PortResult<Option<bool>> {
        Ok(sqlx::query_scalar::<_, i64>(
            "SELECT share_with_counselor FROM feedback_preferences WHERE client_id = ?",
        )
        .bind(client.to_string())
        .fetch_optional(self.pool())
        .await
        .map_err(fail)?
        .map(|v| v != 0))
    }

    async fn add_talk_note(&self, n: TalkNoteRow, audit: NewAuditEvent) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO feedback_talk_notes (id, client_id, author_id, prompt, text, created_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(n.id.to_string())
        .bind(n.client_id.to_string())
        .bind(n.author_id.to_string())
        .bind(&n.prompt)
        .bind(&n.text)
        .bind(ts(n.created_at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn talk_notes(&self, client: ClientId) -> PortResult<Vec<TalkNote>> {
        sqlx::query(
            "SELECT n.id, n.client_id, n.author_id, n.prompt, n.text, n.created_at,
                u.display_name
             FROM feedback_talk_notes n JOIN users u ON u.id = n.author_id
             WHERE n.client_id = ? ORDER BY n.created_at, n.id LIMIT 500",
        )
        .bind(client.to_string())
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(TalkNote {
                note: TalkNoteRow {
                    id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
                    client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
                    author_id: id(&r.try_get::<String, _>("author_id").map_err(fail)?)?,
                    prompt: r.try_get("prompt").map_err(fail)?,
                    text: r.try_get("text").map_err(fail)?,
                    created_at: from_ts(r.try_get("created_at").map_err(fail)?)?,
                },
                author_name: r.try_get("display_name").map_err(fail)?,
            })
        })
        .collect()
    }

    async fn delete_feedback(&self, client: ClientId) -> PortResult<FeedbackDeleted> {
        let mut tx = self.write().await?;
        let mut counts = [0u64; 4];
        for (n, table) in [
            "feedback_responses",
            "feedback_invitations",
            "feedback_preferences",
            "feedback_talk_notes",
        ]
        .into_iter()
        .enumerate()
        {
            counts[n] = sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE client_id = ?"
            )))
            .bind(client.to_string())
            .execute(&mut *tx)
            .await
            .map_err(fail)?
            .rows_affected();
        }
        tx.commit().await.map_err(fail)?;
        Ok(FeedbackDeleted {
            responses: counts[0],
            invitations: counts[1],
            preferences: counts[2],
            talk_notes: counts[3],
        })
    }
}
