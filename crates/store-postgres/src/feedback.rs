//! Collecting client feedback on PostgreSQL: instruments, invitations, responses, the remembered
//! sharing choice and talk notes. Writes that show or change a client's data take their
//! audit row in the same transaction.

use super::{PgStore, append_audit_rows, fail, id, opt_id};
use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::cases::ClientAccess;
use domain::feedback::store::{
    FeedbackDeleted, FeedbackStore, InstrumentRow, InvitationRow, InviteReason, InviteState,
    ResponseRow, TalkNote, TalkNoteRow,
};
use domain::ids::{ClientId, FeedbackInvitationId, OrganisationId};
use domain::ports::{Conflict, PortError, PortResult};
use sqlx::{PgConnection, Row};
use time::OffsetDateTime;
use uuid::Uuid;

const RESPONSE: &str = "SELECT id, client_id, author_id, office_id, team_id, counselor_id,
    instrument_id, instrument_version, meeting_id, quarter, answered_at, changeable_until,
    shared_with_counselor, theme_relation, theme_reciprocity, theme_choices, theme_time,
    theme_knowledge, theme_knowledge_sharing, answers::text AS answers FROM feedback_responses";

const INVITATION: &str = "SELECT id, client_id, office_id, team_id, counselor_id, quarter,
    reason, meeting_id, invited_at, state, closed_at FROM feedback_invitations";

fn bad(what: &str) -> PortError {
    PortError::Failure(format!("unknown feedback {what}"))
}

fn response(r: &sqlx::postgres::PgRow) -> PortResult<ResponseRow> {
    Ok(ResponseRow {
        id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
        client_id: id(&r.try_get::<Uuid, _>("client_id").map_err(fail)?)?,
        author_id: id(&r.try_get::<Uuid, _>("author_id").map_err(fail)?)?,
        office_id: id(&r.try_get::<Uuid, _>("office_id").map_err(fail)?)?,
        team_id: opt_id(r.try_get::<Option<Uuid>, _>("team_id").map_err(fail)?)?,
        counselor_id: opt_id(r.try_get::<Option<Uuid>, _>("counselor_id").map_err(fail)?)?,
        instrument_id: r.try_get("instrument_id").map_err(fail)?,
        instrument_version: r.try_get("instrument_version").map_err(fail)?,
        meeting_id: opt_id(r.try_get::<Option<Uuid>, _>("meeting_id").map_err(fail)?)?,
        quarter: r.try_get("quarter").map_err(fail)?,
        answered_at: r.try_get("answered_at").map_err(fail)?,
        changeable_until: r.try_get("changeable_until").map_err(fail)?,
        shared_with_counselor: r.try_get("shared_with_counselor").map_err(fail)?,
        themes: {
            let mut themes = [None; 6];
            for (slot, c) in themes.iter_mut().zip([
                "theme_relation",
                "theme_reciprocity",
                "theme_choices",
                "theme_time",
                "theme_knowledge",
                "theme_knowledge_sharing",
            ]) {
                *slot = r.try_get::<Option<i16>, _>(c).map_err(fail)?.map(i64::from);
            }
            themes
        },
        answers: r.try_get("answers").map_err(fail)?,
    })
}

fn invitation(r: &sqlx::postgres::PgRow) -> PortResult<InvitationRow> {
    Ok(InvitationRow {
        id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
        client_id: id(&r.try_get::<Uuid, _>("client_id").map_err(fail)?)?,
        office_id: id(&r.try_get::<Uuid, _>("office_id").map_err(fail)?)?,
        team_id: opt_id(r.try_get::<Option<Uuid>, _>("team_id").map_err(fail)?)?,
        counselor_id: opt_id(r.try_get::<Option<Uuid>, _>("counselor_id").map_err(fail)?)?,
        quarter: r.try_get("quarter").map_err(fail)?,
        reason: InviteReason::parse(&r.try_get::<String, _>("reason").map_err(fail)?)
            .ok_or_else(|| bad("reason"))?,
        meeting_id: opt_id(r.try_get::<Option<Uuid>, _>("meeting_id").map_err(fail)?)?,
        invited_at: r.try_get("invited_at").map_err(fail)?,
        state: InviteState::parse(&r.try_get::<String, _>("state").map_err(fail)?)
            .ok_or_else(|| bad("state"))?,
        closed_at: r
            .try_get::<Option<OffsetDateTime>, _>("closed_at")
            .map_err(fail)?,
    })
}

async fn remember_choice(
    conn: &mut PgConnection,
    client: ClientId,
    share: bool,
    at: OffsetDateTime,
) -> PortResult<()> {
    sqlx::query(
        "INSERT INTO feedback_preferences (client_id, share_with_counselor, updated_at)
         VALUES ($1, $2, $3)
         ON CONFLICT (client_id) DO UPDATE SET share_with_counselor = excluded.share_with_counselor,
            updated_at = excluded.updated_at",
    )
    .bind(client.as_uuid())
    .bind(share)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    Ok(())
}

#[async_trait]
impl FeedbackStore for PgStore {
    async fn put_instrument(&self, row: InstrumentRow) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO feedback_instruments (id, version, organisation_id, definition, created_at)
             VALUES ($1, $2, $3, $4::jsonb, $5)",
        )
        .bind(&row.id)
        .bind(row.version)
        .bind(row.organisation_id.map(|o| o.as_uuid()))
        .bind(&row.definition)
        .bind(row.created_at)
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
            "SELECT id, version, organisation_id, definition::text AS definition, created_at
             FROM feedback_instruments WHERE id = $1 AND ($2::BIGINT IS NULL OR version = $3) ORDER BY version DESC LIMIT 1",
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
                organisation_id: opt_id(
                    r.try_get::<Option<Uuid>, _>("organisation_id")
                        .map_err(fail)?,
                )?,
                definition: r.try_get("definition").map_err(fail)?,
                created_at: r.try_get("created_at").map_err(fail)?,
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
             VALUES ($1, $2, $3)
             ON CONFLICT (organisation_id) DO UPDATE SET instrument_id = excluded.instrument_id,
                chosen_at = excluded.chosen_at",
        )
        .bind(org.as_uuid())
        .bind(instrument)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn chosen_instrument(&self, org: OrganisationId) -> PortResult<Option<String>> {
        sqlx::query_scalar(
            "SELECT instrument_id FROM feedback_instrument_choice WHERE organisation_id = $1",
        )
        .bind(org.as_uuid())
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
            "{INVITATION} WHERE client_id = $1 ORDER BY invited_at DESC, id DESC LIMIT $2"
        )))
        .bind(client.as_uuid())
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(i.id.as_uuid())
        .bind(i.client_id.as_uuid())
        .bind(i.office_id.as_uuid())
        .bind(i.team_id.map(|t| t.as_uuid()))
        .bind(i.counselor_id.map(|t| t.as_uuid()))
        .bind(&i.quarter)
        .bind(i.reason.as_str())
        .bind(i.meeting_id.map(|t| t.as_uuid()))
        .bind(i.invited_at)
        .bind(i.state.as_str())
        .bind(i.closed_at)
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
            "UPDATE feedback_invitations SET state = $1, closed_at = $2
             WHERE id = $3 AND client_id = $4 AND state = 'open'",
        )
        .bind(state.as_str())
        .bind(at)
        .bind(invitation.as_uuid())
        .bind(client.as_uuid())
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
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20::jsonb)",
        )
        .bind(r.id.as_uuid())
        .bind(r.client_id.as_uuid())
        .bind(r.author_id.as_uuid())
        .bind(r.office_id.as_uuid())
        .bind(r.team_id.map(|t| t.as_uuid()))
        .bind(r.counselor_id.map(|t| t.as_uuid()))
        .bind(&r.instrument_id)
        .bind(r.instrument_version)
        .bind(r.meeting_id.map(|t| t.as_uuid()))
        .bind(&r.quarter)
        .bind(r.answered_at)
        .bind(r.changeable_until)
        .bind(r.shared_with_counselor)
        .bind(r.themes[0].map(|v| v as i16))
        .bind(r.themes[1].map(|v| v as i16))
        .bind(r.themes[2].map(|v| v as i16))
        .bind(r.themes[3].map(|v| v as i16))
        .bind(r.themes[4].map(|v| v as i16))
        .bind(r.themes[5].map(|v| v as i16))
        .bind(&r.answers)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        if let Some(inv) = invitation {
            sqlx::query(
                "UPDATE feedback_invitations SET state = 'answered', closed_at = $1
                 WHERE id = $2 AND client_id = $3 AND state = 'open'",
            )
            .bind(r.answered_at)
            .bind(inv.as_uuid())
            .bind(r.client_id.as_uuid())
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
            "UPDATE feedback_responses SET shared_with_counselor = $1, theme_relation = $2,
                theme_reciprocity = $3, theme_choices = $4, theme_time = $5, theme_knowledge = $6,
                theme_knowledge_sharing = $7, answers = $8::jsonb
             WHERE id = $9 AND client_id = $10 AND author_id = $11 AND changeable_until >= $12",
        )
        .bind(r.shared_with_counselor)
        .bind(r.themes[0].map(|v| v as i16))
        .bind(r.themes[1].map(|v| v as i16))
        .bind(r.themes[2].map(|v| v as i16))
        .bind(r.themes[3].map(|v| v as i16))
        .bind(r.themes[4].map(|v| v as i16))
        .bind(r.themes[5].map(|v| v as i16))
        .bind(&r.answers)
        .bind(r.id.as_uuid())
        .bind(r.client_id.as_uuid())
        .bind(r.author_id.as_uuid())
        .bind(now)
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
        let mut conn = self.read().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{RESPONSE} WHERE client_id = $1 AND (NOT $2 OR shared_with_counselor)
             ORDER BY answered_at, id LIMIT 1000"
        )))
        .bind(client.as_uuid())
        .bind(shared_only)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail)?
        .iter()
        .map(response)
        .collect::<PortResult<Vec<_>>>()?;
        drop(conn);
        self.audited(audit).await?;
        Ok(rows)
    }

    async fn feedback_preference(&self, client: ClientId) -> PortResult<Option<bool>> {
        Ok(sqlx::query_scalar::<_, bool>(
            "SELECT share_with_counselor FROM feedback_preferences WHERE client_id = $1",
        )
        .bind(client.as_uuid())
        .fetch_optional(self.pool())
        .await
        .map_err(fail)?)
    }

    async fn add_talk_note(&self, n: TalkNoteRow, audit: NewAuditEvent) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO feedback_talk_notes (id, client_id, author_id, prompt, text, created_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(n.id.as_uuid())
        .bind(n.client_id.as_uuid())
        .bind(n.author_id.as_uuid())
        .bind(&n.prompt)
        .bind(&n.text)
        .bind(n.created_at)
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
             WHERE n.client_id = $1 ORDER BY n.created_at, n.id LIMIT 500",
        )
        .bind(client.as_uuid())
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(TalkNote {
                note: TalkNoteRow {
                    id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
                    client_id: id(&r.try_get::<Uuid, _>("client_id").map_err(fail)?)?,
                    author_id: id(&r.try_get::<Uuid, _>("author_id").map_err(fail)?)?,
                    prompt: r.try_get("prompt").map_err(fail)?,
                    text: r.try_get("text").map_err(fail)?,
                    created_at: r.try_get("created_at").map_err(fail)?,
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
                "DELETE FROM {table} WHERE client_id = $1"
            )))
            .bind(client.as_uuid())
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
