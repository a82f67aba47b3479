//! Appending to the audit chain. Since migration 0014 the database accepts a row only as the
//! next link after the head and moves the head in the same INSERT (triggers in
//! `migrations/0014_audit_chain_link.sql`), so this code reads the head once and inserts the
//! rows one by one; it never writes the head itself. A list view's one `client-list` row
//! carries the clients listed, which go into `audit_list_entries` (migration 0017) right
//! after it, in one INSERT however many they are. Reading the rows back with their clients
//! listed (for `audit verify`) is here too, and the client's access log ([`access_log`]).

pub mod access_log;
pub(crate) mod appender;

use crate::SqliteStore;
use crate::{fail, from_ts, id, role, ts};
use access_log::{
    LIST_VIEWS, beyond, direction, entry, everything_sql, list_views_sql, openings_sql,
};
use async_trait::async_trait;
use domain::audit::access_log::{Cursor, ListViews, LogPage};
use domain::audit::{
    AccessLogEntry, AuditAction, AuditRow, AuditStore, DataKind, NewAuditEvent, chain,
};
use domain::ids::ClientId;
use domain::ports::{PortError, PortResult};
use domain::types::AccessReason;
use sqlx::{AssertSqlSafe, Row, SqliteConnection, SqlitePool};
use std::collections::HashMap;

/// Words of the refusal of migration 0014's insert trigger.
const REFUSED: &str = "must extend the chain";

/// Appends audit rows to the chain inside the caller's transaction (which began
/// `IMMEDIATE`, so no other writer moves the head meanwhile). A row the database refuses, or
/// whose seq is already taken, means the chain is broken: [`PortError::AuditChainBroken`]
/// naming that seq, and the caller's transaction must roll back.
pub(crate) async fn append_audit_rows(
    conn: &mut SqliteConnection,
    events: Vec<NewAuditEvent>,
) -> PortResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *conn)
        .await
        .map_err(fail)?;
    let mut seq: i64 = head.try_get("seq").map_err(fail)?;
    let mut hash: String = head.try_get("hash").map_err(fail)?;
    for event in events {
        let row = chain(seq, &hash, event);
        let e = &row.event;
        sqlx::query(
            "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(row.seq)
        .bind(e.id.to_string())
        .bind(ts(e.at))
        .bind(e.actor_id.to_string())
        .bind(e.actor_role.as_str())
        .bind(e.client_id.to_string())
        .bind(e.data_kind.as_str())
        .bind(e.action.as_str())
        .bind(e.request_id.to_string())
        .bind(e.reason.as_ref().map(|r| r.as_str().to_string()))
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .execute(&mut *conn)
        .await
        .map_err(|e| broken_or_failed(e, row.seq))?;
        if !e.listed.is_empty() {
            // One statement for the whole list: the ids as one JSON array, unpacked in SQL
            // (a UUID's text is hex digits and hyphens, nothing to escape).
            let listed: Vec<String> = e.listed.iter().map(|c| format!("\"{c}\"")).collect();
            let listed = format!("[{}]", listed.join(","));
            sqlx::query(
                "INSERT INTO audit_list_entries (client_id, seq) SELECT value, $1 FROM json_each($2)",
            )
            .bind(row.seq)
            .bind(listed)
            .execute(&mut *conn)
            .await
            .map_err(|e| broken_or_failed(e, row.seq))?;
        }
        seq = row.seq;
        hash = row.hash;
    }
    Ok(())
}

/// Audit rows after `after`, in order, at most `limit` (fewer when they list more than
/// `budget` clients), each with its clients listed. A row whose stored values do not parse
/// was tampered with: the error names its seq, so `audit verify` points at it.
async fn read_rows(
    pool: &SqlitePool,
    after: i64,
    limit: i64,
    budget: i64,
) -> PortResult<Vec<AuditRow>> {
    let rows = sqlx::query(
            "SELECT seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(fail)?;
    let Some(last) = rows.last() else {
        return Ok(Vec::new());
    };
    let last: i64 = last.try_get("seq").map_err(fail)?;
    let (mut listed, upto) = listed_between(pool, after, last, budget).await?;
    rows.iter()
        .filter(|r| !matches!(r.try_get::<i64, _>("seq"), Ok(seq) if seq > upto))
        .map(|r| {
            let seq: i64 = r.try_get("seq").map_err(fail)?;
            let mut row = audit_row(r).map_err(|e| {
                let why = match e {
                    PortError::Failure(m) => m,
                    other => other.to_string(),
                };
                PortError::Failure(format!(
                    "audit row {seq} does not parse (the row was altered): {why}"
                ))
            })?;
            row.event.listed = match listed.remove(&seq) {
                None => Vec::new(),
                Some(ids) => ids
                    .iter()
                    .map(|s| id(s))
                    .collect::<PortResult<Vec<_>>>()
                    .map_err(|_| {
                        PortError::Failure(format!(
                            "the clients listed by audit row {seq} do not parse (they were altered)"
                        ))
                    })?,
            };
            Ok(row)
        })
        .collect()
}

/// The clients listed by side rows with `after < seq <= last`, by seq, through the side
/// table's index on seq, and the seq the page must end at (`last`, or earlier when more than
/// `budget` clients are listed). Side rows of every seq in the range are read, not only of
/// list rows: one attached to any other row breaks that row's hash.
async fn listed_between(
    pool: &SqlitePool,
    after: i64,
    last: i64,
    budget: i64,
) -> PortResult<(HashMap<i64, Vec<String>>, i64)> {
    let fetch = |after: i64, last: i64, limit: i64| async move {
        sqlx::query(
            "SELECT seq, client_id FROM audit_list_entries WHERE seq > $1 AND seq <= $2
             ORDER BY seq, client_id LIMIT $3",
        )
        .bind(after)
        .bind(last)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<i64, _>("seq").map_err(fail)?,
                r.try_get::<String, _>("client_id").map_err(fail)?,
            ))
        })
        .collect::<PortResult<Vec<_>>>()
    };
    let mut side = fetch(after, last, budget.saturating_add(1)).await?;
    let mut upto = last;
    if side.len() as i64 > budget
        && let (Some(first), Some(cut)) = (side.first().map(|s| s.0), side.last().map(|s| s.0))
    {
        if first == cut {
            side = fetch(cut - 1, cut, i64::MAX).await?;
            upto = cut;
        } else {
            side.retain(|(seq, _)| *seq < cut);
            upto = cut - 1;
        }
    }
    let mut listed: HashMap<i64, Vec<String>> = HashMap::new();
    for (seq, client) in side {
        listed.entry(seq).or_default().push(client);
    }
    Ok((listed, upto))
}

fn audit_row(r: &sqlx::sqlite::SqliteRow) -> PortResult<AuditRow> {
    let reason: Option<String> = r.try_get("reason").map_err(fail)?;
    Ok(AuditRow {
        seq: r.try_get("seq").map_err(fail)?,
        event: NewAuditEvent {
            id: id(&r.try_get::<String, _>("id").map_err(fail)?)?,
            at: from_ts(r.try_get("at").map_err(fail)?)?,
            actor_id: id(&r.try_get::<String, _>("actor_id").map_err(fail)?)?,
            actor_role: role(&r.try_get::<String, _>("actor_role").map_err(fail)?)?,
            client_id: id(&r.try_get::<String, _>("client_id").map_err(fail)?)?,
            data_kind: DataKind::parse(&r.try_get::<String, _>("data_kind").map_err(fail)?)
                .ok_or_else(|| PortError::Failure("unknown data kind".into()))?,
            action: AuditAction::parse(&r.try_get::<String, _>("action").map_err(fail)?)
                .ok_or_else(|| PortError::Failure("unknown audit action".into()))?,
            request_id: id(&r.try_get::<String, _>("request_id").map_err(fail)?)?,
            // A stored reason that no longer parses was tampered with; keep it
            // visible to the verifier by failing loudly instead of dropping it.
            reason: reason
                .map(|s| {
                    AccessReason::parse(&s)
                        .map_err(|_| PortError::Failure("stored reason does not parse".into()))
                })
                .transpose()?,
            listed: Vec::new(),
        },
        prev_hash: r.try_get("prev_hash").map_err(fail)?,
        hash: r.try_get("hash").map_err(fail)?,
    })
}

fn broken_or_failed(e: sqlx::Error, seq: i64) -> PortError {
    if let sqlx::Error::Database(db) = &e
        && (db.is_unique_violation() || db.message().contains(REFUSED))
    {
        return PortError::AuditChainBroken { seq };
    }
    fail(e)
}

#[async_trait]
impl AuditStore for SqliteStore {
    async fn append_audit(&self, events: Vec<NewAuditEvent>) -> PortResult<()> {
        self.appender.append(events).await
    }

    async fn audit_rows(&self, after: i64, limit: i64) -> PortResult<Vec<AuditRow>> {
        read_rows(
            &self.pool,
            after,
            limit,
            domain::audit::store::LISTED_PER_PAGE,
        )
        .await
    }

    async fn audit_head(&self) -> PortResult<(i64, String)> {
        let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map_err(fail)?;
        Ok((
            r.try_get("seq").map_err(fail)?,
            r.try_get("hash").map_err(fail)?,
        ))
    }

    async fn access_log_page(
        &self,
        client: ClientId,
        cursor: Cursor,
        limit: i64,
    ) -> PortResult<LogPage<AccessLogEntry>> {
        let (_, _, at) = direction(cursor);
        let fetched = sqlx::query(AssertSqlSafe(openings_sql(cursor)))
            .bind(client.to_string())
            .bind(limit.saturating_add(1))
            .bind(at)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
            .iter()
            .map(entry)
            .collect::<PortResult<Vec<_>>>()?;
        let other_side = match beyond(cursor) {
            None => false,
            Some((op, c)) => {
                sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
                    "SELECT EXISTS (SELECT 1 FROM audit_log a
                 WHERE a.client_id = $1 AND a.actor_role <> 'client'
                   AND a.data_kind <> 'client-list-entry' AND a.seq {op} $2)"
                )))
                .bind(client.to_string())
                .bind(c)
                .fetch_one(&self.pool)
                .await
                .map_err(fail)?
                    != 0
            }
        };
        Ok(LogPage::from_fetched(
            cursor,
            fetched,
            limit,
            |e| e.seq,
            other_side,
        ))
    }

    async fn list_views_page(
        &self,
        client: ClientId,
        cursor: Cursor,
        limit: i64,
    ) -> PortResult<LogPage<ListViews>> {
        let (_, _, at) = direction(cursor);
        let fetched = sqlx::query(AssertSqlSafe(list_views_sql(cursor)))
            .bind(client.to_string())
            .bind(limit.saturating_add(1))
            .bind(at)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
            .iter()
            .map(|r| {
                let last_at = from_ts(r.try_get("last_at").map_err(fail)?)?;
                Ok(ListViews {
                    last_seq: r.try_get("last_seq").map_err(fail)?,
                    day: last_at.date(),
                    last_at,
                    actor_name: r
                        .try_get::<Option<String>, _>("display_name")
                        .map_err(fail)?
                        .unwrap_or_default(),
                    actor_role: role(&r.try_get::<String, _>("actor_role").map_err(fail)?)?,
                    actor_offices: r
                        .try_get::<Option<String>, _>("offices")
                        .map_err(fail)?
                        .unwrap_or_default(),
                    times: r.try_get("times").map_err(fail)?,
                })
            })
            .collect::<PortResult<Vec<_>>>()?;
        let other_side = match beyond(cursor) {
            None => false,
            Some((op, c)) => {
                sqlx::query_scalar::<_, i64>(AssertSqlSafe(format!(
                    "SELECT EXISTS (SELECT 1 {LIST_VIEWS} HAVING MAX(a.seq) {op} $2)"
                )))
                .bind(client.to_string())
                .bind(c)
                .fetch_one(&self.pool)
                .await
                .map_err(fail)?
                    != 0
            }
        };
        Ok(LogPage::from_fetched(
            cursor,
            fetched,
            limit,
            |l| l.last_seq,
            other_side,
        ))
    }

    async fn access_log(&self, client: ClientId, limit: i64) -> PortResult<Vec<AccessLogEntry>> {
        sqlx::query(AssertSqlSafe(everything_sql()))
            .bind(client.to_string())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
            .iter()
            .map(entry)
            .collect()
    }
}
