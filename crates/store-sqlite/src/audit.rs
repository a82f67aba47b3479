//! Appending to the audit chain. Since migration 0014 the database accepts a row only as the
//! next link after the head and moves the head in the same INSERT (triggers in
//! `migrations/0014_audit_chain_link.sql`), so this code reads the head once and inserts the
//! rows one by one; it never writes the head itself. Reading the rows back (for `audit
//! verify`) is here too.

use crate::{fail, from_ts, id, role, ts};
use domain::audit::{AuditAction, AuditRow, DataKind, NewAuditEvent, chain};
use domain::ports::{PortError, PortResult};
use domain::types::AccessReason;
use sqlx::{Row, SqliteConnection, SqlitePool};

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
    let mut seq: i64 = head.get("seq");
    let mut hash: String = head.get("hash");
    for event in events {
        let row = chain(seq, &hash, event);
        let e = &row.event;
        sqlx::query(
            "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
        seq = row.seq;
        hash = row.hash;
    }
    Ok(())
}

/// Audit rows after `after`, in order, at most `limit`. A row whose stored values do not
/// parse was tampered with: the error names its seq, so `audit verify` points at it.
pub(crate) async fn audit_rows(
    pool: &SqlitePool,
    after: i64,
    limit: i64,
) -> PortResult<Vec<AuditRow>> {
    let rows = sqlx::query(
            "SELECT seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash
             FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(fail)?;
    rows.iter()
        .map(|r| {
            let seq: i64 = r.get("seq");
            audit_row(r).map_err(|e| {
                let why = match e {
                    PortError::Failure(m) => m,
                    other => other.to_string(),
                };
                PortError::Failure(format!(
                    "audit row {seq} does not parse (the row was altered): {why}"
                ))
            })
        })
        .collect()
}

fn audit_row(r: &sqlx::sqlite::SqliteRow) -> PortResult<AuditRow> {
    let reason: Option<String> = r.get("reason");
    Ok(AuditRow {
        seq: r.get("seq"),
        event: NewAuditEvent {
            id: id(&r.get::<String, _>("id"))?,
            at: from_ts(r.get("at"))?,
            actor_id: id(&r.get::<String, _>("actor_id"))?,
            actor_role: role(&r.get::<String, _>("actor_role"))?,
            client_id: id(&r.get::<String, _>("client_id"))?,
            data_kind: DataKind::parse(&r.get::<String, _>("data_kind"))
                .ok_or_else(|| PortError::Failure("unknown data kind".into()))?,
            action: AuditAction::parse(&r.get::<String, _>("action"))
                .ok_or_else(|| PortError::Failure("unknown audit action".into()))?,
            request_id: id(&r.get::<String, _>("request_id"))?,
            // A stored reason that no longer parses was tampered with; keep it
            // visible to the verifier by failing loudly instead of dropping it.
            reason: reason
                .map(|s| {
                    AccessReason::parse(&s)
                        .map_err(|_| PortError::Failure("stored reason does not parse".into()))
                })
                .transpose()?,
        },
        prev_hash: r.get("prev_hash"),
        hash: r.get("hash"),
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
