//! Bulk SQL for the development tools (`crates/devtools`, binary `vendepunkt-dev`) only, behind
//! the cargo feature `bulk` that the product never enables. It lives here, next to the schema
//! it writes into, so a migration that changes a table shows what else has to change.
//!
//! [`BulkWriter`] writes invented benchmark data straight into the tables, bypassing the
//! `Store` port's rules: no audit rows, `synchronous=OFF` on its own connection (a power cut
//! during generation can damage the file; the server keeps `synchronous=FULL`), and on request
//! no foreign-key checks. Never point it at real data. The functions below it are the tools'
//! read queries (counts, samples, lookups by generated username).

use crate::{BUSY_TIMEOUT, SqliteStore, database_path};
use domain::ids::{ClientId, OrganisationId, ThreadId, UserId};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sqlx::{Connection, SqliteConnection};
use std::collections::HashMap;
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

/// SQLite's limit is 32766 variables per statement; stay well below it.
const VARIABLES: usize = 6_000;

/// The development tools' own connection for bulk writes.
pub struct BulkWriter {
    conn: SqliteConnection,
    /// `INSERT` statements by table and row count.
    sql: HashMap<(&'static str, usize), String>,
}

impl BulkWriter {
    /// Opens the database at `url` with `synchronous=OFF` and a large page cache.
    pub async fn open(url: &str) -> Result<BulkWriter, sqlx::Error> {
        let options = SqliteConnectOptions::new()
            .filename(database_path(url))
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Off)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("cache_size", "-1000000")
            .pragma("temp_store", "memory");
        let conn = sqlx::ConnectOptions::connect(&options).await?;
        Ok(BulkWriter {
            conn,
            sql: HashMap::new(),
        })
    }

    /// `PRAGMA foreign_keys = OFF` on this connection: for rows that point only at rows known
    /// to exist, where checking each reference would make tens of millions of rows take hours.
    pub async fn without_foreign_keys(&mut self) -> Result<(), sqlx::Error> {
        sqlx::query("PRAGMA foreign_keys = OFF")
            .execute(&mut self.conn)
            .await
            .map(|_| ())
    }

    /// Writes all tables in one `IMMEDIATE` transaction, in order (foreign keys point
    /// backwards), as multi-row `INSERT`s.
    pub async fn write(&mut self, tables: &[Table<'_>]) -> Result<(), sqlx::Error> {
        let mut tx = self.conn.begin_with("BEGIN IMMEDIATE").await?;
        for t in tables {
            insert(&mut tx, &mut self.sql, t).await?;
        }
        tx.commit().await
    }

    /// Ends the run: `ANALYZE` when asked, then a WAL checkpoint so the file holds the data.
    pub async fn finish(mut self, analyze: bool) -> Result<(), sqlx::Error> {
        if analyze {
            sqlx::query("ANALYZE").execute(&mut self.conn).await?;
        }
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
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

async fn insert(
    conn: &mut SqliteConnection,
    cache: &mut HashMap<(&'static str, usize), String>,
    t: &Table<'_>,
) -> Result<(), sqlx::Error> {
    let n = t.columns.len();
    if n == 0 {
        return Ok(());
    }
    let per_statement = (VARIABLES / n).max(1);
    for chunk in t.values.chunks(per_statement * n) {
        let rows = chunk.len() / n;
        let sql = cache
            .entry((t.name, rows))
            .or_insert_with(|| {
                let one = format!("({})", vec!["?"; n].join(","));
                format!(
                    "INSERT INTO {} ({}) VALUES {}",
                    t.name,
                    t.columns.join(", "),
                    vec![one; rows].join(",")
                )
            })
            .clone();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = match *v {
                Value::Text(s) => q.bind(s),
                Value::Id(u) => q.bind(u.hyphenated().to_string()),
                Value::Time(t) => q.bind((t.unix_timestamp_nanos() / 1_000) as i64),
                Value::Int(i) => q.bind(i),
                Value::Bool(b) => q.bind(b as i64),
                Value::Bytes(b) => q.bind(b),
                Value::Null => q.bind(None::<String>),
            };
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Plan documents (JSON) in the form the store keeps them (migration 0016): a current one
/// (`plan_items.data`), an earlier version against the version that replaced it
/// (`plan_history.before`), and back.
pub use crate::plan_documents::{
    decode as decode_plan_document, decode_replaced as decode_replaced_plan_document,
    encode as encode_plan_document, encode_replaced as encode_replaced_plan_document,
};

// ----- the tools' read queries -----

/// What a database holds, for the generator's refusal to mix data.
#[derive(Debug, Clone, Copy)]
pub struct Holdings {
    pub clients: i64,
    pub users: i64,
    pub offices: i64,
    pub messages: i64,
    pub feedback_responses: i64,
}

pub async fn holdings(s: &SqliteStore) -> Result<Holdings, sqlx::Error> {
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
pub async fn users_like(s: &SqliteStore, pattern: &str) -> Result<Vec<UserId>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM users WHERE username LIKE ?")
        .bind(pattern)
        .fetch_all(s.pool())
        .await?;
    Ok(ids
        .iter()
        .filter_map(|i| i.parse().ok().map(UserId))
        .collect())
}

/// How many accounts match a `LIKE` pattern.
pub async fn count_users_like(s: &SqliteStore, pattern: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE username LIKE ?")
        .bind(pattern)
        .fetch_one(s.pool())
        .await
}

/// The oldest organisation of this name.
pub async fn organisation_named(
    s: &SqliteStore,
    name: &str,
) -> Result<Option<OrganisationId>, sqlx::Error> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM organisations WHERE name = ? ORDER BY created_at")
            .bind(name)
            .fetch_optional(s.pool())
            .await?;
    Ok(id.and_then(|i| i.parse().ok().map(OrganisationId)))
}

/// A client who can hold a conversation: the case, the client's account, the counselor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Party {
    pub client: ClientId,
    pub user: UserId,
    pub counselor: UserId,
    pub since: OffsetDateTime,
}

/// Every client with an account and an assigned counselor, in the order they were written.
pub async fn conversation_parties(s: &SqliteStore) -> Result<Vec<Party>, sqlx::Error> {
    let rows: Vec<(String, String, String, i64)> = sqlx::query_as(
        "SELECT id, user_id, assigned_counselor, created_at FROM clients
         WHERE user_id IS NOT NULL AND assigned_counselor IS NOT NULL ORDER BY rowid",
    )
    .fetch_all(s.pool())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(c, u, k, at)| {
            Some(Party {
                client: ClientId(c.parse().ok()?),
                user: UserId(u.parse().ok()?),
                counselor: UserId(k.parse().ok()?),
                since: OffsetDateTime::from_unix_timestamp_nanos(at as i128 * 1_000).ok()?,
            })
        })
        .collect())
}

/// Up to `n` distinct unprotected clients with an account and an assigned counselor, picked
/// by random row ids (`pick(max)` returns one in `1..=max`). Returns all clients' count too.
pub async fn sample_clients(
    s: &SqliteStore,
    n: usize,
    pick: &mut (dyn FnMut(i64) -> i64 + Send),
) -> Result<(i64, Vec<(ClientId, UserId, UserId)>), sqlx::Error> {
    let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM clients")
        .fetch_one(s.pool())
        .await?;
    let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(rowid), 0) FROM clients")
        .fetch_one(s.pool())
        .await?;
    let mut rows: Vec<(ClientId, UserId, UserId)> = vec![];
    let mut tries = 0;
    while rows.len() < n && tries < n * 50 && max > 0 {
        tries += 1;
        let r: Option<(String, String, String)> = sqlx::query_as(
            "SELECT id, user_id, assigned_counselor FROM clients
             WHERE rowid = ? AND protected = 0
               AND user_id IS NOT NULL AND assigned_counselor IS NOT NULL",
        )
        .bind(pick(max))
        .fetch_optional(s.pool())
        .await?;
        let Some((c, u, k)) = r else { continue };
        let (Ok(c), Ok(u), Ok(k)) = (c.parse(), u.parse(), k.parse()) else {
            continue;
        };
        let row = (ClientId(c), UserId(u), UserId(k));
        if !rows.iter().any(|x| x.0 == row.0) {
            rows.push(row);
        }
    }
    Ok((total, rows))
}

/// The client's most recently active threads.
pub async fn recent_threads(
    s: &SqliteStore,
    client: ClientId,
    limit: i64,
) -> Result<Vec<ThreadId>, sqlx::Error> {
    let ids: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM threads WHERE client_id = ? ORDER BY last_message_at DESC LIMIT ?",
    )
    .bind(client.to_string())
    .bind(limit)
    .fetch_all(s.pool())
    .await?;
    Ok(ids
        .iter()
        .filter_map(|i| i.parse().ok().map(ThreadId))
        .collect())
}

/// Empties the summary of settled feedback quarters (a benchmark measures building it).
pub async fn clear_quarter_summaries(s: &SqliteStore) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM feedback_quarter_summaries")
        .execute(s.pool())
        .await
        .map(|_| ())
}
