//! Bulk SQL for the development tools (`crates/devtools`, binary `vendepunkt-dev`) only, behind
//! the cargo feature `bulk` that the product never enables. It lives here, next to the schema
//! it writes into, so a migration that changes a table shows what else has to change.
//!
//! [`BulkWriter`] writes invented benchmark data straight into the tables with
//! `COPY … FROM STDIN`, bypassing the `Store` port's rules: no audit rows,
//! `synchronous_commit=off` for its session, and on request `session_replication_role =
//! replica` (no foreign-key checks and no triggers; needs a superuser). Never point it at real
//! data. The functions below it are the tools' read queries (counts, samples, lookups by
//! generated username).

use crate::PgStore;
use domain::ids::{ClientId, OrganisationId, ThreadId, UserId};
use sqlx::{Connection, PgConnection};
use std::io::Write;
use time::OffsetDateTime;
use uuid::Uuid;

/// One column value of a bulk row.
#[derive(Debug, Clone, Copy)]
pub enum Value<'a> {
    Text(&'a str),
    Id(Uuid),
    Time(OffsetDateTime),
    Int(i64),
    Bool(bool),
    /// A BLOB (SQLite) or BYTEA (PostgreSQL), e.g. a stored plan document.
    Bytes(&'a [u8]),
    Null,
}

/// One table's rows, flattened: `values.len() == rows * columns.len()`.
pub struct Table<'a> {
    pub name: &'static str,
    pub columns: &'a [&'static str],
    pub values: Vec<Value<'a>>,
}

/// The development tools' own connection for bulk writes.
pub struct BulkWriter {
    conn: PgConnection,
}

impl BulkWriter {
    /// Connects to `url` with `synchronous_commit = off` for this session.
    pub async fn open(url: &str) -> Result<BulkWriter, sqlx::Error> {
        let mut conn = PgConnection::connect(url).await?;
        sqlx::query("SET synchronous_commit = off")
            .execute(&mut conn)
            .await?;
        Ok(BulkWriter { conn })
    }

    /// `session_replication_role = replica` for this session: no foreign-key checks and no
    /// triggers, for rows that point only at rows known to exist, where checking each
    /// reference would make tens of millions of rows take hours. Needs a superuser; the error
    /// says so, and the caller may go on with the checks in place.
    pub async fn without_foreign_keys(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query("SET session_replication_role = replica")
            .execute(&mut self.conn)
            .await
            .map(|_| ())
    }

    /// Writes all tables in one transaction, in order (foreign keys point backwards).
    pub async fn write(&mut self, tables: &[Table<'_>]) -> Result<(), sqlx::Error> {
        let mut tx = self.conn.begin().await?;
        for t in tables {
            copy(&mut tx, t).await?;
        }
        tx.commit().await
    }

    /// Ends the run with `VACUUM (ANALYZE)` of these tables (all when empty), so a benchmark
    /// does not race autovacuum.
    pub async fn finish(mut self, tables: &[&'static str]) -> Result<(), sqlx::Error> {
        let sql = if tables.is_empty() {
            "VACUUM (ANALYZE)".to_string()
        } else {
            format!("VACUUM (ANALYZE) {}", tables.join(", "))
        };
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut self.conn)
            .await?;
        let _ = self.conn.close().await;
        Ok(())
    }

    /// Closes the connection without finishing (an interrupted run).
    pub async fn close(self) {
        let _ = self.conn.close().await;
    }
}

/// Sends a table with `COPY … FROM STDIN` (text format), a few megabytes at a time.
async fn copy(conn: &mut PgConnection, t: &Table<'_>) -> Result<(), sqlx::Error> {
    const FLUSH: usize = 4 << 20;
    let n = t.columns.len();
    if n == 0 || t.values.is_empty() {
        return Ok(());
    }
    let statement = format!("COPY {} ({}) FROM STDIN", t.name, t.columns.join(", "));
    let mut copy = conn.copy_in_raw(&statement).await?;
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH + (1 << 16));
    for row in t.values.chunks(n) {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                buf.push(b'\t');
            }
            copy_value(&mut buf, v);
        }
        buf.push(b'\n');
        if buf.len() >= FLUSH {
            copy.send(std::mem::take(&mut buf)).await?;
            buf.reserve(FLUSH + (1 << 16));
        }
    }
    if !buf.is_empty() {
        copy.send(buf).await?;
    }
    copy.finish().await?;
    Ok(())
}

/// One value in `COPY`'s text format.
fn copy_value(buf: &mut Vec<u8>, v: &Value<'_>) {
    match *v {
        Value::Text(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    other => buf.push(other),
                }
            }
        }
        Value::Id(u) => {
            let mut tmp = Uuid::encode_buffer();
            buf.extend_from_slice(u.hyphenated().encode_lower(&mut tmp).as_bytes());
        }
        Value::Time(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            let _ = write!(
                buf,
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.microsecond()
            );
        }
        Value::Int(i) => {
            let _ = write!(buf, "{i}");
        }
        Value::Bool(b) => buf.push(if b { b't' } else { b'f' }),
        Value::Bytes(bytes) => {
            // bytea's hex form, its backslash escaped for COPY's text format.
            const HEX: &[u8; 16] = b"0123456789abcdef";
            buf.extend_from_slice(b"\\\\x");
            for b in bytes {
                buf.push(HEX[(b >> 4) as usize]);
                buf.push(HEX[(b & 15) as usize]);
            }
        }
        Value::Null => buf.extend_from_slice(b"\\N"),
    }
}

/// Plan documents (JSON) in the form the store keeps them (migration 0016): a current one
/// (`plan_items.data`), an earlier version against the version that replaced it
/// (`plan_history.before`), and back.
pub use crate::plan_documents::{
    decode as decode_plan_document, decode_replaced as decode_replaced_plan_document,
    encode as encode_plan_document, encode_replaced as encode_replaced_plan_document,
};

// ----- the tools' read queries -----

/// The server's data directory (`SHOW data_directory`, for superusers and members of
/// `pg_read_all_settings`): where the generator looks for free disk when the server runs on
/// this machine.
pub async fn data_directory(s: &PgStore) -> Result<String, sqlx::Error> {
    sqlx::query_scalar("SELECT current_setting('data_directory')")
        .fetch_one(s.pool())
        .await
}

/// What a database holds, for the generator's refusal to mix data.
#[derive(Debug, Clone, Copy)]
pub struct Holdings {
    pub clients: i64,
    pub users: i64,
    pub offices: i64,
    pub messages: i64,
    pub feedback_responses: i64,
}

pub async fn holdings(s: &PgStore) -> Result<Holdings, sqlx::Error> {
    let (clients, users, offices, messages, feedback_responses) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM clients), (SELECT COUNT(*) FROM users),
                (SELECT COUNT(*) FROM offices), (SELECT COUNT(*) FROM messages),
                (SELECT COUNT(*) FROM feedback_responses)",
    )
    .fetch_one(s.pool())
    .await?;
    Ok(Holdings {
        clients,
        users,
        offices,
        messages,
        feedback_responses,
    })
}

/// Accounts whose username matches a `LIKE` pattern (the generators name theirs).
pub async fn users_like(s: &PgStore, pattern: &str) -> Result<Vec<UserId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM users WHERE username LIKE $1")
        .bind(pattern)
        .fetch_all(s.pool())
        .await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// How many accounts match a `LIKE` pattern.
pub async fn count_users_like(s: &PgStore, pattern: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username LIKE $1")
        .bind(pattern)
        .fetch_one(s.pool())
        .await
}

/// The oldest organisation of this name.
pub async fn organisation_named(
    s: &PgStore,
    name: &str,
) -> Result<Option<OrganisationId>, sqlx::Error> {
    let id: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM organisations WHERE name = $1 ORDER BY created_at")
            .bind(name)
            .fetch_optional(s.pool())
            .await?;
    Ok(id.map(OrganisationId))
}

/// A client who can hold a conversation: the case, the client's account, the counselor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party {
    pub client: ClientId,
    pub user: UserId,
    pub counselor: UserId,
    pub since: OffsetDateTime,
}

/// Every client with an account and an assigned counselor, by id (ids are time-ordered).
pub async fn conversation_parties(s: &PgStore) -> Result<Vec<Party>, sqlx::Error> {
    let rows: Vec<(Uuid, Uuid, Uuid, OffsetDateTime)> = sqlx::query_as(
        "SELECT id, user_id, assigned_counselor, created_at FROM clients
         WHERE user_id IS NOT NULL AND assigned_counselor IS NOT NULL ORDER BY id",
    )
    .fetch_all(s.pool())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(c, u, k, since)| Party {
            client: ClientId(c),
            user: UserId(u),
            counselor: UserId(k),
            since,
        })
        .collect())
}

/// About `3 n` unprotected clients with an account and an assigned counselor, by a repeatable
/// Bernoulli sample (`LIMIT` would favour the start of the table), sorted; the caller shuffles
/// and cuts to `n`. Returns all clients' count too.
pub async fn sample_clients(
    s: &PgStore,
    n: usize,
    seed: u64,
) -> Result<(i64, Vec<(ClientId, UserId, UserId)>), sqlx::Error> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clients")
        .fetch_one(s.pool())
        .await?;
    let percent = if total > 0 {
        (n as f64 * 3.0 * 100.0 / total as f64).clamp(0.001, 100.0)
    } else {
        100.0
    };
    let sql = format!(
        "SELECT id::text, user_id::text, assigned_counselor::text
         FROM clients TABLESAMPLE BERNOULLI ({percent}) REPEATABLE ({})
         WHERE NOT protected AND user_id IS NOT NULL AND assigned_counselor IS NOT NULL",
        seed % 1_000_000
    );
    let mut rows: Vec<(String, String, String)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .fetch_all(s.pool())
        .await?;
    // Sorted as text, as the tools always did (the same sample for the same seed and data).
    rows.sort();
    Ok((
        total,
        rows.iter()
            .filter_map(|(c, u, k)| {
                Some((
                    ClientId(c.parse().ok()?),
                    UserId(u.parse().ok()?),
                    UserId(k.parse().ok()?),
                ))
            })
            .collect(),
    ))
}

/// The client's most recently active threads.
pub async fn recent_threads(
    s: &PgStore,
    client: ClientId,
    limit: i64,
) -> Result<Vec<ThreadId>, sqlx::Error> {
    let ids: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM threads WHERE client_id = $1 ORDER BY last_message_at DESC LIMIT $2",
    )
    .bind(client.0)
    .bind(limit)
    .fetch_all(s.pool())
    .await?;
    Ok(ids.into_iter().map(ThreadId).collect())
}

/// Empties the summary of settled feedback quarters (a benchmark measures building it).
pub async fn clear_quarter_summaries(s: &PgStore) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM feedback_quarter_summaries")
        .execute(s.pool())
        .await
        .map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_and_formats() {
        let mut buf = vec![];
        copy_value(&mut buf, &Value::Text("a\tb\\c\nd"));
        assert_eq!(buf, b"a\\tb\\\\c\\nd");
        let mut buf = vec![];
        let t = time::macros::datetime!(2026-01-02 03:04:05.000007 UTC);
        copy_value(&mut buf, &Value::Time(t));
        assert_eq!(buf, b"2026-01-02 03:04:05.000007+00");
        let mut buf = vec![];
        copy_value(&mut buf, &Value::Null);
        assert_eq!(buf, b"\\N");
    }
}
