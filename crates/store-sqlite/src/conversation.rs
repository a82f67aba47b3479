//! Threads, messages, read receipts and live events on SQLite.

use super::{SqliteStore, append_audit_rows, fail, from_ts, id, opt_id, ts};
use domain::audit::NewAuditEvent;
use domain::ids::{AttachmentId, ClientId, MessageId, ThreadId, UserId};
use domain::plan::Side;
use domain::ports::{
    AttachmentFile, AttachmentMeta, LiveEvent, MessageRow, NewMessage, NewThread, PortError,
    PortResult, StoredLiveEvent, ThreadRecord, ThreadSummary,
};
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

fn side(s: &str) -> PortResult<Side> {
    match s {
        "client" => Ok(Side::Client),
        "counselor" => Ok(Side::Counselor),
        other => Err(PortError::Failure(format!("unknown side {other}"))),
    }
}

const SUMMARY: &str = "SELECT t.id, t.client_id, t.subject, t.about, t.created_at, t.last_message_at,
        t.last_author_side, t.no_answer_needed, t.messages,
        (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id AND m.author_side = 'counselor' AND m.read_at IS NULL) AS unread_for_client,
        (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id AND m.author_side = 'client' AND m.read_at IS NULL) AS unread_for_counselor
    FROM threads t";

fn summary(r: &sqlx::sqlite::SqliteRow) -> PortResult<ThreadSummary> {
    Ok(ThreadSummary {
        id: id(&r.get::<String, _>("id"))?,
        client_id: id(&r.get::<String, _>("client_id"))?,
        subject: r.get("subject"),
        about: opt_id(r.get("about"))?,
        created_at: from_ts(r.get("created_at"))?,
        last_message_at: r
            .get::<Option<i64>, _>("last_message_at")
            .map(from_ts)
            .transpose()?,
        last_author_side: r
            .get::<Option<String>, _>("last_author_side")
            .as_deref()
            .map(side)
            .transpose()?,
        no_answer_needed: r.get::<i64, _>("no_answer_needed") != 0,
        messages: r.get("messages"),
        unread_for_client: r.get("unread_for_client"),
        unread_for_counselor: r.get("unread_for_counselor"),
    })
}

async fn insert_message(conn: &mut SqliteConnection, m: &NewMessage) -> PortResult<()> {
    sqlx::query(
        "INSERT INTO messages (id, thread_id, client_id, author_id, author_side, body, sent_at, read_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, NULL)",
    )
    .bind(m.id.to_string())
    .bind(m.thread_id.to_string())
    .bind(m.client_id.to_string())
    .bind(m.author_id.to_string())
    .bind(m.author_side.as_str())
    .bind(&m.body)
    .bind(ts(m.sent_at))
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    for a in &m.attachments {
        sqlx::query(
            "INSERT INTO attachments (id, message_id, client_id, name, content_type, size, data, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(a.id.to_string())
        .bind(m.id.to_string())
        .bind(m.client_id.to_string())
        .bind(&a.name)
        .bind(&a.content_type)
        .bind(a.bytes.len() as i64)
        .bind(&a.bytes)
        .bind(ts(m.sent_at))
        .execute(&mut *conn)
        .await
        .map_err(fail)?;
    }
    sqlx::query("DELETE FROM drafts WHERE user_id = ? AND thread_id = ?")
        .bind(m.author_id.to_string())
        .bind(m.thread_id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(fail)?;
    // A new message from the client needs an answer again, whatever was marked before.
    let done = sqlx::query(
        "UPDATE threads SET last_message_at = ?, last_author_side = ?, messages = messages + 1,
                no_answer_needed = CASE WHEN ? = 'client' THEN 0 ELSE no_answer_needed END
         WHERE id = ? AND client_id = ?",
    )
    .bind(ts(m.sent_at))
    .bind(m.author_side.as_str())
    .bind(m.author_side.as_str())
    .bind(m.thread_id.to_string())
    .bind(m.client_id.to_string())
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    if done.rows_affected() != 1 {
        return Err(PortError::Failure(
            "message for a thread of another client".into(),
        ));
    }
    Ok(())
}

pub(crate) async fn insert_events(
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

impl SqliteStore {
    pub(crate) async fn conv_client_user(&self, client: ClientId) -> PortResult<Option<UserId>> {
        let row: Option<Option<String>> =
            sqlx::query_scalar("SELECT user_id FROM clients WHERE id = ?")
                .bind(client.to_string())
                .fetch_optional(self.pool())
                .await
                .map_err(fail)?;
        opt_id(row.flatten())
    }

    pub(crate) async fn conv_create_thread(
        &self,
        t: NewThread,
        first: NewMessage,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO threads (id, client_id, subject, about, created_at, last_message_at, last_author_side, no_answer_needed, messages)
             VALUES (?, ?, ?, ?, ?, NULL, NULL, 0, 0)",
        )
        .bind(t.id.to_string())
        .bind(t.client_id.to_string())
        .bind(&t.subject)
        .bind(t.about.map(|a| a.to_string()))
        .bind(ts(t.created_at))
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        insert_message(&mut tx, &first).await?;
        insert_events(&mut tx, &events, first.sent_at).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    pub(crate) async fn conv_add_message(
        &self,
        m: NewMessage,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        insert_message(&mut tx, &m).await?;
        insert_events(&mut tx, &events, m.sent_at).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    pub(crate) async fn conv_thread_summary(
        &self,
        thread: ThreadId,
    ) -> PortResult<Option<ThreadSummary>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{SUMMARY} WHERE t.id = ?")))
            .bind(thread.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(fail)?
            .as_ref()
            .map(summary)
            .transpose()
    }

    pub(crate) async fn conv_list_threads(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Vec<ThreadSummary>> {
        let mut tx = match audit {
            Some(_) => self.write().await?,
            None => self.pool().begin().await.map_err(fail)?,
        };
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SUMMARY} WHERE t.client_id = ? ORDER BY t.last_message_at DESC, t.id DESC LIMIT 500"
        )))
        .bind(client.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?
        .iter()
        .map(summary)
        .collect::<PortResult<Vec<_>>>()?;
        if let Some(a) = audit {
            append_audit_rows(&mut tx, vec![a]).await?;
        }
        tx.commit().await.map_err(fail)?;
        Ok(rows)
    }

    pub(crate) async fn conv_read_thread(
        &self,
        thread: ThreadId,
        client: ClientId,
        reader: Option<Side>,
        now: OffsetDateTime,
        audit: Option<NewAuditEvent>,
        events: Vec<LiveEvent>,
    ) -> PortResult<Option<ThreadRecord>> {
        let writes = audit.is_some() || reader.is_some();
        let mut tx = if writes {
            self.write().await?
        } else {
            self.pool().begin().await.map_err(fail)?
        };
        let Some(s) = sqlx::query(sqlx::AssertSqlSafe(format!(
            "{SUMMARY} WHERE t.id = ? AND t.client_id = ?"
        )))
        .bind(thread.to_string())
        .bind(client.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?
        .as_ref()
        .map(summary)
        .transpose()?
        else {
            return Ok(None);
        };
        if let Some(reader) = reader {
            let marked = sqlx::query(
                "UPDATE messages SET read_at = ? WHERE thread_id = ? AND author_side = ? AND read_at IS NULL",
            )
            .bind(ts(now))
            .bind(thread.to_string())
            .bind(reader.other().as_str())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
            if marked.rows_affected() > 0 {
                insert_events(&mut tx, &events, now).await?;
            }
        }
        let messages = sqlx::query(
            "SELECT m.id, m.author_id, u.display_name, m.author_side, m.body, m.sent_at, m.read_at
             FROM messages m JOIN users u ON u.id = m.author_id
             WHERE m.thread_id = ? ORDER BY m.sent_at, m.id",
        )
        .bind(thread.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(MessageRow {
                id: id(&r.get::<String, _>("id"))?,
                author_id: id(&r.get::<String, _>("author_id"))?,
                author_name: r.get("display_name"),
                author_side: side(&r.get::<String, _>("author_side"))?,
                body: r.get("body"),
                sent_at: from_ts(r.get("sent_at"))?,
                read_at: r
                    .get::<Option<i64>, _>("read_at")
                    .map(from_ts)
                    .transpose()?,
                attachments: vec![],
            })
        })
        .collect::<PortResult<Vec<_>>>()?;
        let mut messages = messages;
        let files = sqlx::query(
            "SELECT a.id, a.message_id, a.name, a.content_type, a.size FROM attachments a
             JOIN messages m ON m.id = a.message_id WHERE m.thread_id = ? ORDER BY a.id",
        )
        .bind(thread.to_string())
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?;
        for r in &files {
            let message: MessageId = id(&r.get::<String, _>("message_id"))?;
            let meta = AttachmentMeta {
                id: id(&r.get::<String, _>("id"))?,
                name: r.get("name"),
                content_type: r.get("content_type"),
                size: r.get("size"),
            };
            if let Some(m) = messages.iter_mut().find(|m| m.id == message) {
                m.attachments.push(meta);
            }
        }
        if let Some(a) = audit {
            append_audit_rows(&mut tx, vec![a]).await?;
        }
        tx.commit().await.map_err(fail)?;
        Ok(Some(ThreadRecord {
            summary: s,
            messages,
        }))
    }

    pub(crate) async fn conv_set_no_answer_needed(
        &self,
        thread: ThreadId,
        flag: bool,
        audit: NewAuditEvent,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE threads SET no_answer_needed = ? WHERE id = ?")
            .bind(i64::from(flag))
            .bind(thread.to_string())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    pub(crate) async fn conv_live_events_after(
        &self,
        recipient: UserId,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<StoredLiveEvent>> {
        sqlx::query(
            "SELECT seq, kind, about, at FROM live_events WHERE recipient = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(recipient.to_string())
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(StoredLiveEvent {
                seq: r.get("seq"),
                kind: r.get("kind"),
                about: r.get("about"),
                at: from_ts(r.get("at"))?,
            })
        })
        .collect()
    }

    pub(crate) async fn conv_last_live_event(&self, recipient: UserId) -> PortResult<i64> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM live_events WHERE recipient = ?")
                .bind(recipient.to_string())
                .fetch_one(self.pool())
                .await
                .map_err(fail)?;
        Ok(seq.unwrap_or(0))
    }

    pub(crate) async fn conv_attachment(
        &self,
        attachment: AttachmentId,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<AttachmentFile>> {
        let mut tx = match audit {
            Some(_) => self.write().await?,
            None => self.pool().begin().await.map_err(fail)?,
        };
        let Some(r) = sqlx::query(
            "SELECT id, client_id, name, content_type, size, data FROM attachments WHERE id = ? AND client_id = ?",
        )
        .bind(attachment.to_string())
        .bind(client.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(fail)?
        else {
            return Ok(None);
        };
        let file = AttachmentFile {
            meta: AttachmentMeta {
                id: id(&r.get::<String, _>("id"))?,
                name: r.get("name"),
                content_type: r.get("content_type"),
                size: r.get("size"),
            },
            client_id: id(&r.get::<String, _>("client_id"))?,
            bytes: r.get("data"),
        };
        if let Some(a) = audit {
            append_audit_rows(&mut tx, vec![a]).await?;
        }
        tx.commit().await.map_err(fail)?;
        Ok(Some(file))
    }
}
