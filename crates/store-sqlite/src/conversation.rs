//! Threads, messages, attachments, read receipts, drafts and check-in frequencies on SQLite.

use super::{SqliteStore, append_audit_rows, fail, from_ts, id, opt_id, ts};
use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::cases::ClientAccess;
use domain::conversation::ConversationStore;
use domain::conversation::store::{
    AttachmentFile, AttachmentMeta, MessageRow, NewMessage, NewThread, ThreadRecord, ThreadSummary,
};
use domain::ids::{AttachmentId, ClientId, MessageId, ThreadId, UserId};
use domain::plan::Side;
use domain::ports::{LiveEvent, PortError, PortResult};
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
        id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
        client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
        subject: r.try_get("subject").map_err(fail)?,
        about: opt_id(r.try_get("about").map_err(fail)?)?,
        created_at: from_ts(r.try_get("created_at").map_err(fail)?)?,
        last_message_at: r
            .try_get::<Option<i64>, _>("last_message_at")
            .map_err(fail)?
            .map(from_ts)
            .transpose()?,
        last_author_side: r
            .try_get::<Option<String>, _>("last_author_side")
            .map_err(fail)?
            .as_deref()
            .map(side)
            .transpose()?,
        no_answer_needed: r.try_get::<i64, _>("no_answer_needed").map_err(fail)? != 0,
        messages: r.try_get("messages").map_err(fail)?,
        unread_for_client: r.try_get("unread_for_client").map_err(fail)?,
        unread_for_counselor: r.try_get("unread_for_counselor").map_err(fail)?,
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

/// Thread `thread` of `client` with its messages and their attachments' metadata.
async fn thread_record(
    conn: &mut SqliteConnection,
    thread: ThreadId,
    client: ClientId,
) -> PortResult<Option<ThreadRecord>> {
    let Some(s) = sqlx::query(sqlx::AssertSqlSafe(format!(
        "{SUMMARY} WHERE t.id = ? AND t.client_id = ?"
    )))
    .bind(thread.to_string())
    .bind(client.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(fail)?
    .as_ref()
    .map(summary)
    .transpose()?
    else {
        return Ok(None);
    };
    let messages = sqlx::query(
        "SELECT m.id, m.author_id, u.display_name, m.author_side, m.body, m.sent_at, m.read_at
         FROM messages m JOIN users u ON u.id = m.author_id
         WHERE m.thread_id = ? ORDER BY m.sent_at, m.id",
    )
    .bind(thread.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(fail)?
    .iter()
    .map(|r| {
        Ok(MessageRow {
            id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
            author_id: id(&r.try_get::<String, _>("author_id").map_err(fail)?)?,
            author_name: r.try_get("display_name").map_err(fail)?,
            author_side: side(&r.try_get::<String, _>("author_side").map_err(fail)?)?,
            body: r.try_get("body").map_err(fail)?,
            sent_at: from_ts(r.try_get("sent_at").map_err(fail)?)?,
            read_at: r
                .try_get::<Option<i64>, _>("read_at")
                .map_err(fail)?
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
    .fetch_all(&mut *conn)
    .await
    .map_err(fail)?;
    for r in &files {
        let message: MessageId = id(&r.try_get::<String, _>("message_id").map_err(fail)?)?;
        let meta = AttachmentMeta {
            id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
            name: r.try_get("name").map_err(fail)?,
            content_type: r.try_get("content_type").map_err(fail)?,
            size: r.try_get("size").map_err(fail)?,
        };
        if let Some(m) = messages.iter_mut().find(|m| m.id == message) {
            m.attachments.push(meta);
        }
    }
    Ok(Some(ThreadRecord {
        summary: s,
        messages,
    }))
}

#[async_trait]
impl ConversationStore for SqliteStore {
    async fn client_user(&self, client: ClientId) -> PortResult<Option<UserId>> {
        let row: Option<Option<String>> =
            sqlx::query_scalar("SELECT user_id FROM clients WHERE id = ?")
                .bind(client.to_string())
                .fetch_optional(self.pool())
                .await
                .map_err(fail)?;
        opt_id(row.flatten())
    }

    async fn create_thread(
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

    async fn add_message(
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

    async fn thread_summary(&self, thread: ThreadId) -> PortResult<Option<ThreadSummary>> {
        sqlx::query(sqlx::AssertSqlSafe(format!("{SUMMARY} WHERE t.id = ?")))
            .bind(thread.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(fail)?
            .as_ref()
            .map(summary)
            .transpose()
    }

    async fn list_threads(&self, access: &ClientAccess) -> PortResult<Vec<ThreadSummary>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        let mut tx = self.read().await?;
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
        tx.commit().await.map_err(fail)?;
        self.audited(audit).await?;
        Ok(rows)
    }

    async fn read_thread(
        &self,
        thread: ThreadId,
        access: &ClientAccess,
        reader: Option<Side>,
        now: OffsetDateTime,
        events: Vec<LiveEvent>,
    ) -> PortResult<Option<ThreadRecord>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        // A view: read outside the write lock, the row through the appender. Only a reader
        // with messages to mark read makes a change; then the marks, the thread shown and the
        // audit row commit in one write transaction, as an audited write does.
        let mut tx = self.read().await?;
        let Some(record) = thread_record(&mut tx, thread, client).await? else {
            return Ok(None);
        };
        tx.commit().await.map_err(fail)?;
        let to_mark = reader.is_some_and(|r| {
            record
                .messages
                .iter()
                .any(|m| m.author_side == r.other() && m.read_at.is_none())
        });
        if !to_mark {
            self.audited(audit).await?;
            return Ok(Some(record));
        }
        let mut tx = self.write().await?;
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
        let Some(record) = thread_record(&mut tx, thread, client).await? else {
            return Ok(None);
        };
        if let Some(a) = audit {
            append_audit_rows(&mut tx, vec![a]).await?;
        }
        tx.commit().await.map_err(fail)?;
        Ok(Some(record))
    }

    async fn set_no_answer_needed(
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

    async fn attachment(
        &self,
        attachment: AttachmentId,
        access: &ClientAccess,
    ) -> PortResult<Option<AttachmentFile>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        let mut tx = self.read().await?;
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
                id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
                name: r.try_get("name").map_err(fail)?,
                content_type: r.try_get("content_type").map_err(fail)?,
                size: r.try_get("size").map_err(fail)?,
            },
            client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
            bytes: r.try_get("data").map_err(fail)?,
        };
        tx.commit().await.map_err(fail)?;
        self.audited(audit).await?;
        Ok(Some(file))
    }

    async fn save_draft(
        &self,
        user: UserId,
        thread: ThreadId,
        body: &str,
        at: OffsetDateTime,
    ) -> PortResult<()> {
        if body.trim().is_empty() {
            sqlx::query("DELETE FROM drafts WHERE user_id = ? AND thread_id = ?")
                .bind(user.to_string())
                .bind(thread.to_string())
                .execute(&self.pool)
                .await
                .map_err(fail)?;
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO drafts (user_id, thread_id, body, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (user_id, thread_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(user.to_string())
        .bind(thread.to_string())
        .bind(body)
        .bind(ts(at))
        .execute(&self.pool)
        .await
        .map_err(fail)?;
        Ok(())
    }

    async fn draft(&self, user: UserId, thread: ThreadId) -> PortResult<Option<String>> {
        sqlx::query_scalar("SELECT body FROM drafts WHERE user_id = ? AND thread_id = ?")
            .bind(user.to_string())
            .bind(thread.to_string())
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
                "INSERT INTO checkins (client_id, every_days) VALUES (?, ?)
                 ON CONFLICT (client_id) DO UPDATE SET every_days = excluded.every_days",
            )
            .bind(client.to_string())
            .bind(days)
            .execute(&mut *tx)
            .await
            .map_err(fail)?,
            None => sqlx::query("DELETE FROM checkins WHERE client_id = ?")
                .bind(client.to_string())
                .execute(&mut *tx)
                .await
                .map_err(fail)?,
        };
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }
}
