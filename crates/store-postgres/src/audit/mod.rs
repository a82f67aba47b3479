//! Appending to the audit chain. Since migration 0014 the database accepts rows only as the
//! next links after the head and moves the head in the same INSERT (a statement trigger in
//! `migrations/0014_audit_chain_link.sql`), so this code locks and reads the head once and
//! inserts a transaction's rows in one statement (one round trip, one head update); it never
//! writes the head itself. A list view's one `client-list` row carries the clients listed,
//! which go into `audit_list_entries` (migration 0017) in that same statement. Reading the
//! rows back with their clients listed (for `audit verify`) is here too, and the client's
//! access log ([`access_log`]).

pub mod access_log;
pub(crate) mod appender;

use crate::PgStore;
use crate::{fail, id, role};
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
use sqlx::postgres::PgConnection;
use sqlx::{AssertSqlSafe, PgPool, Row};
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Words of the refusal of migration 0014's insert trigger.
const REFUSED: &str = "must extend the chain";

/// The rows of one INSERT, column by column (bound as arrays and unnested).
#[derive(Default)]
struct Columns {
    seq: Vec<i64>,
    id: Vec<Uuid>,
    at: Vec<OffsetDateTime>,
    actor_id: Vec<Uuid>,
    actor_role: Vec<&'static str>,
    client_id: Vec<Uuid>,
    data_kind: Vec<&'static str>,
    action: Vec<&'static str>,
    request_id: Vec<Uuid>,
    reason: Vec<Option<String>>,
    prev_hash: Vec<String>,
    hash: Vec<String>,
    /// The side rows of the list rows among them: (seq, client listed).
    listed_seq: Vec<i64>,
    listed_client: Vec<Uuid>,
}

/// The rows of one append, as one INSERT of the chained rows (`$1`…`$12`, unnested).
const INSERT_ROWS: &str = "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
     SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::timestamptz[], $4::uuid[], $5::text[], $6::uuid[],
                          $7::text[], $8::text[], $9::uuid[], $10::text[], $11::text[], $12::text[])
     WHERE (SELECT seq FROM audit_head WHERE id = 1 FOR UPDATE) IS NOT NULL";

/// Appends audit rows to the chain inside the caller's transaction. The head row is locked
/// (`FOR UPDATE`) until commit, so concurrent instances extend one chain without forks. Rows
/// the database refuses, or a seq already taken, mean the chain is broken:
/// [`PortError::AuditChainBroken`] naming the first seq that could not be appended, and the
/// caller's transaction must roll back. (Audited views go through the [`appender`] instead.)
pub(crate) async fn append_audit_rows(
    conn: &mut PgConnection,
    events: Vec<NewAuditEvent>,
) -> PortResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut *conn)
        .await
        .map_err(fail)?;
    let seq: i64 = head.try_get("seq").map_err(fail)?;
    let hash: String = head.try_get("hash").map_err(fail)?;
    insert_linked(conn, seq, &hash, &events)
        .await
        .map_err(|e| broken_or_failed(e, seq + 1))?;
    Ok(())
}

/// Inserts `events` as the rows after (`seq`, `hash`), in one statement, and returns the new
/// last row's (seq, hash). The statement locks the head row before it inserts anything (the
/// one-time `FOR UPDATE` filter), so it queues behind a transaction that holds the head
/// instead of deadlocking with it; then migration 0014's trigger checks the rows extend the
/// chain and moves the head. Outside a transaction it is one autocommitted statement.
pub(crate) async fn insert_linked(
    conn: &mut PgConnection,
    mut seq: i64,
    hash: &str,
    events: &[NewAuditEvent],
) -> Result<(i64, String), sqlx::Error> {
    let mut hash = hash.to_string();
    let mut c = Columns::default();
    for event in events {
        let row = chain(seq, &hash, event.clone());
        let e = row.event;
        for client in &e.listed {
            c.listed_seq.push(row.seq);
            c.listed_client.push(client.as_uuid());
        }
        c.seq.push(row.seq);
        c.id.push(e.id.as_uuid());
        c.at.push(e.at);
        c.actor_id.push(e.actor_id.as_uuid());
        c.actor_role.push(e.actor_role.as_str());
        c.client_id.push(e.client_id.as_uuid());
        c.data_kind.push(e.data_kind.as_str());
        c.action.push(e.action.as_str());
        c.request_id.push(e.request_id.as_uuid());
        c.reason
            .push(e.reason.as_ref().map(|r| r.as_str().to_string()));
        c.prev_hash.push(row.prev_hash);
        seq = row.seq;
        hash = row.hash.clone();
        c.hash.push(row.hash);
    }
    // With list rows among them, their clients listed go in with the same statement: the
    // CTE inserts the chained rows, the outer INSERT the side rows (migration 0017 checks
    // after the statement that each belongs to a list row).
    let sql = if c.listed_seq.is_empty() {
        INSERT_ROWS.to_string()
    } else {
        format!(
            "WITH chained AS ({INSERT_ROWS} RETURNING seq)
             INSERT INTO audit_list_entries (seq, client_id)
             SELECT * FROM UNNEST($13::bigint[], $14::uuid[])"
        )
    };
    let mut query = sqlx::query(AssertSqlSafe(sql))
        .bind(c.seq)
        .bind(c.id)
        .bind(c.at)
        .bind(c.actor_id)
        .bind(c.actor_role)
        .bind(c.client_id)
        .bind(c.data_kind)
        .bind(c.action)
        .bind(c.request_id)
        .bind(c.reason)
        .bind(c.prev_hash)
        .bind(c.hash);
    if !c.listed_seq.is_empty() {
        query = query.bind(c.listed_seq).bind(c.listed_client);
    }
    query.execute(&mut *conn).await?;
    Ok((seq, hash))
}

/// Audit rows after `after`, in order, at most `limit` (fewer when they list more than
/// `budget` clients), each with its clients listed. A row whose stored values do not parse
/// was tampered with: the error names its seq, so `audit verify` points at it.
async fn read_rows(
    pool: &PgPool,
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
            row.event.listed = listed.remove(&seq).unwrap_or_default();
            Ok(row)
        })
        .collect()
}

/// The clients listed by side rows with `after < seq <= last`, by seq, through the side
/// table's index on seq, and the seq the page must end at (`last`, or earlier when more than
/// `budget` clients are listed). Side rows of every seq in the range are read, not only of
/// list rows: one attached to any other row breaks that row's hash.
async fn listed_between(
    pool: &PgPool,
    after: i64,
    last: i64,
    budget: i64,
) -> PortResult<(HashMap<i64, Vec<ClientId>>, i64)> {
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
                ClientId::from(r.try_get::<Uuid, _>("client_id").map_err(fail)?),
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
    let mut listed: HashMap<i64, Vec<ClientId>> = HashMap::new();
    for (seq, client) in side {
        listed.entry(seq).or_default().push(client);
    }
    Ok((listed, upto))
}

fn audit_row(r: &sqlx::postgres::PgRow) -> PortResult<AuditRow> {
    let reason: Option<String> = r.try_get("reason").map_err(fail)?;
    Ok(AuditRow {
        seq: r.try_get("seq").map_err(fail)?,
        event: NewAuditEvent {
            id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
            at: r.try_get("at").map_err(fail)?,
            actor_id: id(&r.try_get::<Uuid, _>("actor_id").map_err(fail)?)?,
            actor_role: role(&r.try_get::<String, _>("actor_role").map_err(fail)?)?,
            client_id: id(&r.try_get::<Uuid, _>("client_id").map_err(fail)?)?,
            data_kind: DataKind::parse(&r.try_get::<String, _>("data_kind").map_err(fail)?)
                .ok_or_else(|| PortError::Failure("unknown data kind".into()))?,
            action: AuditAction::parse(&r.try_get::<String, _>("action").map_err(fail)?)
                .ok_or_else(|| PortError::Failure("unknown audit action".into()))?,
            request_id: id(&r.try_get::<Uuid, _>("request_id").map_err(fail)?)?,
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
impl AuditStore for PgStore {
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
            .bind(client.as_uuid())
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
            Some((op, c)) => sqlx::query_scalar::<_, bool>(AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 FROM audit_log a
                 WHERE a.client_id = $1 AND a.actor_role <> 'client'
                   AND a.data_kind <> 'client-list-entry' AND a.seq {op} $2)"
            )))
            .bind(client.as_uuid())
            .bind(c)
            .fetch_one(&self.pool)
            .await
            .map_err(fail)?,
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
            .bind(client.as_uuid())
            .bind(limit.saturating_add(1))
            .bind(at)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
            .iter()
            .map(|r| {
                let last_at: time::OffsetDateTime = r.try_get("last_at").map_err(fail)?;
                let last_at = last_at.to_offset(time::UtcOffset::UTC);
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
            Some((op, c)) => sqlx::query_scalar::<_, bool>(AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 {LIST_VIEWS} HAVING MAX(a.seq) {op} $2)"
            )))
            .bind(client.as_uuid())
            .bind(c)
            .fetch_one(&self.pool)
            .await
            .map_err(fail)?,
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
            .bind(client.as_uuid())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
            .iter()
            .map(entry)
            .collect()
    }
}
