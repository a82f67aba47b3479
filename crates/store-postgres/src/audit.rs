//! Appending to the audit chain. Since migration 0014 the database accepts rows only as the
//! next links after the head and moves the head in the same INSERT (a statement trigger in
//! `migrations/0014_audit_chain_link.sql`), so this code locks and reads the head once and
//! inserts a transaction's rows in one statement (one round trip, one head update); it never
//! writes the head itself. Reading the rows back (for `audit verify`) is here too.

use crate::{fail, id, role};
use domain::audit::{AuditAction, AuditRow, DataKind, NewAuditEvent, chain};
use domain::ports::{PortError, PortResult};
use domain::types::AccessReason;
use sqlx::postgres::PgConnection;
use sqlx::{PgPool, Row};
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
}

/// Appends audit rows to the chain inside the caller's transaction. The head row is locked
/// (`FOR UPDATE`) until commit, so concurrent instances extend one chain without forks. Rows
/// the database refuses, or a seq already taken, mean the chain is broken:
/// [`PortError::AuditChainBroken`] naming the first seq that could not be appended, and the
/// caller's transaction must roll back.
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
    let mut seq: i64 = head.get("seq");
    let mut hash: String = head.get("hash");
    let first = seq + 1;
    let mut c = Columns::default();
    for event in events {
        let row = chain(seq, &hash, event);
        let e = row.event;
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
    sqlx::query(
        "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
         SELECT * FROM UNNEST($1::bigint[], $2::uuid[], $3::timestamptz[], $4::uuid[], $5::text[], $6::uuid[],
                              $7::text[], $8::text[], $9::uuid[], $10::text[], $11::text[], $12::text[])",
    )
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
    .bind(c.hash)
    .execute(&mut *conn)
    .await
    .map_err(|e| broken_or_failed(e, first))?;
    Ok(())
}

/// Audit rows after `after`, in order, at most `limit`. A row whose stored values do not
/// parse was tampered with: the error names its seq, so `audit verify` points at it.
pub(crate) async fn audit_rows(pool: &PgPool, after: i64, limit: i64) -> PortResult<Vec<AuditRow>> {
    let rows = sqlx::query(
            "SELECT seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash
             FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2",
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

fn audit_row(r: &sqlx::postgres::PgRow) -> PortResult<AuditRow> {
    let reason: Option<String> = r.get("reason");
    Ok(AuditRow {
        seq: r.get("seq"),
        event: NewAuditEvent {
            id: id(&r.get::<Uuid, _>("id"))?,
            at: r.get("at"),
            actor_id: id(&r.get::<Uuid, _>("actor_id"))?,
            actor_role: role(&r.get::<String, _>("actor_role"))?,
            client_id: id(&r.get::<Uuid, _>("client_id"))?,
            data_kind: DataKind::parse(&r.get::<String, _>("data_kind"))
                .ok_or_else(|| PortError::Failure("unknown data kind".into()))?,
            action: AuditAction::parse(&r.get::<String, _>("action"))
                .ok_or_else(|| PortError::Failure("unknown audit action".into()))?,
            request_id: id(&r.get::<Uuid, _>("request_id"))?,
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
