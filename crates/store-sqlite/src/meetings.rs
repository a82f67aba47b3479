//! Meetings, agenda points, notes and comments on SQLite. Every write takes its audit row and
//! live events in the same (immediate) transaction.

use super::{SqliteStore, append_audit_rows, fail, from_ts, id, ts};
use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::cases::ClientAccess;
use domain::ids::{ClientId, MeetingId};
use domain::meetings::MeetingsStore;
use domain::meetings::store::{
    AgendaPointRow, MeetingNotesRow, MeetingRecord, MeetingRow, NotesCommentRow,
};
use domain::meetings::{MeetingMode, MeetingStatus};
use domain::plan::Side;
use domain::ports::{Conflict, LiveEvent, PortError, PortResult};
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

fn side(s: &str) -> PortResult<Side> {
    match s {
        "client" => Ok(Side::Client),
        "counselor" => Ok(Side::Counselor),
        other => Err(PortError::Failure(format!("unknown side {other}"))),
    }
}

fn bad(what: &str) -> PortError {
    PortError::Failure(format!("unknown meeting {what}"))
}

const MEETING: &str =
    "SELECT id, client_id, proposed_by, proposed_by_user, starts_at, duration_minutes,
        mode, place, purpose, status, answer_by, version, created_at, updated_at
    FROM meetings";

fn meeting(r: &sqlx::sqlite::SqliteRow) -> PortResult<MeetingRow> {
    Ok(MeetingRow {
        id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
        client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
        proposed_by: side(&r.try_get::<String, _>("proposed_by").map_err(fail)?)?,
        proposed_by_user: id(&r.try_get::<String, _>("proposed_by_user").map_err(fail)?)?,
        starts_at: from_ts(r.try_get("starts_at").map_err(fail)?)?,
        duration_minutes: r.try_get("duration_minutes").map_err(fail)?,
        mode: MeetingMode::parse(&r.try_get::<String, _>("mode").map_err(fail)?)
            .ok_or_else(|| bad("mode"))?,
        place: r.try_get("place").map_err(fail)?,
        purpose: r.try_get("purpose").map_err(fail)?,
        status: MeetingStatus::parse(&r.try_get::<String, _>("status").map_err(fail)?)
            .ok_or_else(|| bad("status"))?,
        answer_by: r
            .try_get::<Option<String>, _>("answer_by")
            .map_err(fail)?
            .as_deref()
            .map(side)
            .transpose()?,
        version: r.try_get("version").map_err(fail)?,
        created_at: from_ts(r.try_get("created_at").map_err(fail)?)?,
        updated_at: from_ts(r.try_get("updated_at").map_err(fail)?)?,
    })
}

async fn insert_events(
    conn: &mut SqliteConnection,
    events: &[LiveEvent],
    at: OffsetDateTime,
) -> PortResult<()> {
    for e in events {
        sqlx::query("INSERT INTO live_events (recipient, kind, about, at) VALUES (?, ?, ?, ?)")
            .bind(e.recipient.to_string())
            .bind(&e.kind)
            .bind(&e.about)
            .bind(ts(at))
            .execute(&mut *conn)
            .await
            .map_err(fail)?;
    }
    Ok(())
}

/// Fails unless the meeting exists and belongs to the client (inside the transaction).
async fn belongs(
    conn: &mut SqliteConnection,
    meeting: MeetingId,
    client: ClientId,
) -> PortResult<()> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM meetings WHERE id = ? AND client_id = ?")
        .bind(meeting.to_string())
        .bind(client.to_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(fail)?;
    if n == 1 {
        Ok(())
    } else {
        Err(PortError::Failure("meeting of another client".into()))
    }
}

#[async_trait]
impl MeetingsStore for SqliteStore {
    async fn create_meeting(
        &self,
        m: MeetingRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO meetings (id, client_id, proposed_by, proposed_by_user, starts_at, duration_minutes,
                mode, place, purpose, status, answer_by, version, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(m.id.to_string())
        .bind(m.client_id.to_string())
        .bind(m.proposed_by.as_str())
        .bind(m.proposed_by_user.to_string())
        .bind(ts(m.starts_at))
        .bind(m.duration_minutes)
        .bind(m.mode.as_str())
        .bind(&m.place)
        .bind(&m.purpose)
        .bind(m.status.as_str())
        .bind(m.answer_by.map(|s| s.as_str()))
        .bind(m.version)
        .bind(ts(m.created_at))
        .bind(ts(m.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        insert_events(&mut tx, &events, m.updated_at).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn update_meeting(
        &self,
        m: MeetingRow,
        expected_version: i64,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        let done = sqlx::query(
            "UPDATE meetings SET starts_at = ?, duration_minutes = ?, status = ?, answer_by = ?,
                version = ?, updated_at = ?
             WHERE id = ? AND client_id = ? AND version = ?",
        )
        .bind(ts(m.starts_at))
        .bind(m.duration_minutes)
        .bind(m.status.as_str())
        .bind(m.answer_by.map(|s| s.as_str()))
        .bind(m.version)
        .bind(ts(m.updated_at))
        .bind(m.id.to_string())
        .bind(m.client_id.to_string())
        .bind(expected_version)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        if done.rows_affected() != 1 {
            return Err(PortError::Conflict(Conflict::Stale));
        }
        insert_events(&mut tx, &events, m.updated_at).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn list_meetings(&self, access: &ClientAccess) -> PortResult<Vec<MeetingRow>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        let mut tx = self.read().await?;
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MEETING} WHERE client_id = ? ORDER BY starts_at, id LIMIT 500"
        )))
        .bind(client.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?
        .iter()
        .map(meeting)
        .collect::<PortResult<Vec<_>>>()?;
        tx.commit().await.map_err(fail)?;
        self.audited(audit).await?;
        Ok(rows)
    }

    async fn read_meeting(
        &self,
        meeting_id: MeetingId,
        access: &ClientAccess,
    ) -> PortResult<Option<MeetingRecord>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        let mut tx = self.read().await?;
        let Some(m) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MEETING} WHERE id = ? AND client_id = ?"
        )))
        .bind(meeting_id.to_string())
        .bind(client.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?
        .as_ref()
        .map(meeting)
        .transpose()?
        else {
            return Ok(None);
        };
        let agenda = sqlx::query(
            "SELECT id, meeting_id, client_id, author_id, author_side, text, created_at
             FROM meeting_agenda_points WHERE meeting_id = ? ORDER BY created_at, id",
        )
        .bind(meeting_id.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(AgendaPointRow {
                id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
                meeting_id: id(&r.try_get::<String, _>("meeting_id").map_err(fail)?)?,
                client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
                author_id: id(&r.try_get::<String, _>("author_id").map_err(fail)?)?,
                author_side: side(&r.try_get::<String, _>("author_side").map_err(fail)?)?,
                text: r.try_get("text").map_err(fail)?,
                created_at: from_ts(r.try_get("created_at").map_err(fail)?)?,
            })
        })
        .collect::<PortResult<Vec<_>>>()?;
        let notes = sqlx::query(
            "SELECT meeting_id, client_id, author_id, text, written_at, shared_at
             FROM meeting_notes WHERE meeting_id = ?",
        )
        .bind(meeting_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?
        .map(|r| {
            Ok::<_, PortError>(MeetingNotesRow {
                meeting_id: id(&r.try_get::<String, _>("meeting_id").map_err(fail)?)?,
                client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
                author_id: id(&r.try_get::<String, _>("author_id").map_err(fail)?)?,
                text: r.try_get("text").map_err(fail)?,
                written_at: from_ts(r.try_get("written_at").map_err(fail)?)?,
                shared_at: r
                    .try_get::<Option<i64>, _>("shared_at")
                    .map_err(fail)?
                    .map(from_ts)
                    .transpose()?,
            })
        })
        .transpose()?;
        let comments = sqlx::query(
            "SELECT id, meeting_id, client_id, author_id, author_side, correction, text, created_at
             FROM meeting_note_comments WHERE meeting_id = ? ORDER BY created_at, id",
        )
        .bind(meeting_id.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(NotesCommentRow {
                id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
                meeting_id: id(&r.try_get::<String, _>("meeting_id").map_err(fail)?)?,
                client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
                author_id: id(&r.try_get::<String, _>("author_id").map_err(fail)?)?,
                author_side: side(&r.try_get::<String, _>("author_side").map_err(fail)?)?,
                correction: r.try_get::<i64, _>("correction").map_err(fail)? != 0,
                text: r.try_get("text").map_err(fail)?,
                created_at: from_ts(r.try_get("created_at").map_err(fail)?)?,
            })
        })
        .collect::<PortResult<Vec<_>>>()?;
        tx.commit().await.map_err(fail)?;
        self.audited(audit).await?;
        Ok(Some(MeetingRecord {
            meeting: m,
            agenda,
            notes,
            comments,
        }))
    }

    async fn add_agenda_point(
        &self,
        p: AgendaPointRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        belongs(&mut tx, p.meeting_id, p.client_id).await?;
        sqlx::query(
            "INSERT INTO meeting_agenda_points (id, meeting_id, client_id, author_id, author_side, text, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(p.id.to_string())
        .bind(p.meeting_id.to_string())
        .bind(p.client_id.to_string())
        .bind(p.author_id.to_string())
        .bind(p.author_side.as_str())
        .bind(&p.text)
        .bind(ts(p.created_at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        insert_events(&mut tx, &events, p.created_at).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn put_meeting_notes(
        &self,
        n: MeetingNotesRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        belongs(&mut tx, n.meeting_id, n.client_id).await?;
        // Shared notes stay as they were shared.
        let done = sqlx::query(
            "INSERT INTO meeting_notes (meeting_id, client_id, author_id, text, written_at, shared_at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (meeting_id) DO UPDATE SET author_id = excluded.author_id,
                text = excluded.text, written_at = excluded.written_at, shared_at = excluded.shared_at
             WHERE meeting_notes.shared_at IS NULL",
        )
        .bind(n.meeting_id.to_string())
        .bind(n.client_id.to_string())
        .bind(n.author_id.to_string())
        .bind(&n.text)
        .bind(ts(n.written_at))
        .bind(n.shared_at.map(ts))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        if done.rows_affected() != 1 {
            return Err(PortError::Conflict(Conflict::Stale));
        }
        insert_events(&mut tx, &events, n.written_at).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn add_notes_comment(
        &self,
        c: NotesCommentRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        let shared: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT shared_at FROM meeting_notes WHERE meeting_id = ? AND client_id = ?",
        )
        .bind(c.meeting_id.to_string())
        .bind(c.client_id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?;
        if shared.flatten().is_none() {
            return Err(PortError::Failure("comment on notes not shared".into()));
        }
        sqlx::query(
            "INSERT INTO meeting_note_comments (id, meeting_id, client_id, author_id, author_side, correction, text, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(c.id.to_string())
        .bind(c.meeting_id.to_string())
        .bind(c.client_id.to_string())
        .bind(c.author_id.to_string())
        .bind(c.author_side.as_str())
        .bind(i64::from(c.correction))
        .bind(&c.text)
        .bind(ts(c.created_at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        insert_events(&mut tx, &events, c.created_at).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }
}
