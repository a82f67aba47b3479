//! Tampering fixtures for the tests of the audit trail's defences: they build a database as
//! someone with full database access could leave it. Since migration 0014 the database itself
//! refuses a row that does not extend the chain, so these helpers remove the one trigger in
//! their way for a single statement and put it back. Tests that check what the database
//! *refuses* must never use them.

use domain::audit::{AuditAction, DataKind, NewAuditEvent, chain};
use domain::ids::{AuditId, ClientId, RequestId, UserId};
use domain::roles::Role;
use sqlx::{PgPool, Row, SqlitePool};
use std::str::FromStr;
use uuid::Uuid;

/// SQLite: the trigger (migration 0014) that moves the head with every inserted row.
const MOVES_THE_HEAD: &str = "audit_log_moves_the_head";
/// PostgreSQL: the statement trigger (migration 0014) that checks the new rows and moves the
/// head.
const EXTENDS_THE_CHAIN: &str = "audit_log_extends_the_chain";

/// A "viewed" row by the last row's actor about the last row's client, placed right after
/// the head (seq, hash): content and hash are consistent, so only its place gives it away.
fn forged_event(actor: &str, client: &str) -> NewAuditEvent {
    let uuid = |s: &str| Uuid::from_str(s).unwrap_or_else(|e| panic!("not a uuid {s}: {e}"));
    NewAuditEvent {
        id: AuditId::new(),
        at: time::macros::datetime!(2026-06-01 12:00:00 UTC),
        actor_id: UserId::from(uuid(actor)),
        actor_role: Role::Counselor,
        client_id: ClientId::from(uuid(client)),
        data_kind: DataKind::CaseOverview,
        action: AuditAction::Viewed,
        request_id: RequestId::new(),
        reason: None,
        listed: Vec::new(),
    }
}

/// SQLite: inserts a row right after the head **without moving the head** (what a plain
/// `INSERT` did before migration 0014). Drops the head-moving trigger for this one insert and
/// re-creates it from its stored definition, so afterwards every trigger is in place again.
/// Returns the row's seq.
pub async fn sqlite_row_after_head(pool: &SqlitePool) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let (seq, hash): (i64, String) = (head.get("seq"), head.get("hash"));
    let last = sqlx::query("SELECT actor_id, client_id FROM audit_log WHERE seq = ?")
        .bind(seq)
        .fetch_one(&mut *tx)
        .await
        .expect("the trail has a last row");
    let row = chain(
        seq,
        &hash,
        forged_event(
            &last.get::<String, _>("actor_id"),
            &last.get::<String, _>("client_id"),
        ),
    );
    let trigger: Option<String> =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?")
            .bind(MOVES_THE_HEAD)
            .fetch_optional(&mut *tx)
            .await
            .unwrap();
    if trigger.is_some() {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP TRIGGER {MOVES_THE_HEAD}"
        )))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    let e = &row.event;
    sqlx::query(
        "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
    )
    .bind(row.seq)
    .bind(e.id.to_string())
    .bind((e.at.unix_timestamp_nanos() / 1_000) as i64)
    .bind(e.actor_id.to_string())
    .bind(e.actor_role.as_str())
    .bind(e.client_id.to_string())
    .bind(e.data_kind.as_str())
    .bind(e.action.as_str())
    .bind(e.request_id.to_string())
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut *tx)
    .await
    .unwrap();
    if let Some(sql) = trigger {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    row.seq
}

/// PostgreSQL: as [`sqlite_row_after_head`], disabling the trigger that checks new rows and
/// moves the head for this one insert (`ALTER TABLE … DISABLE TRIGGER`, inside the
/// transaction) and enabling it again.
pub async fn postgres_row_after_head(pool: &PgPool) -> i64 {
    let mut tx = pool.begin().await.unwrap();
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    let (seq, hash): (i64, String) = (head.get("seq"), head.get("hash"));
    let last = sqlx::query("SELECT actor_id, client_id FROM audit_log WHERE seq = $1")
        .bind(seq)
        .fetch_one(&mut *tx)
        .await
        .expect("the trail has a last row");
    let row = chain(
        seq,
        &hash,
        forged_event(
            &last.get::<Uuid, _>("actor_id").to_string(),
            &last.get::<Uuid, _>("client_id").to_string(),
        ),
    );
    let trigger: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = $1)")
            .bind(EXTENDS_THE_CHAIN)
            .fetch_one(&mut *tx)
            .await
            .unwrap();
    let alter = |what: &str| format!("ALTER TABLE audit_log {what} TRIGGER {EXTENDS_THE_CHAIN}");
    if trigger {
        sqlx::query(sqlx::AssertSqlSafe(alter("DISABLE")))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    let e = &row.event;
    sqlx::query(
        "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11)",
    )
    .bind(row.seq)
    .bind(e.id.as_uuid())
    .bind(e.at)
    .bind(e.actor_id.as_uuid())
    .bind(e.actor_role.as_str())
    .bind(e.client_id.as_uuid())
    .bind(e.data_kind.as_str())
    .bind(e.action.as_str())
    .bind(e.request_id.as_uuid())
    .bind(&row.prev_hash)
    .bind(&row.hash)
    .execute(&mut *tx)
    .await
    .unwrap();
    if trigger {
        sqlx::query(sqlx::AssertSqlSafe(alter("ENABLE")))
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    row.seq
}

/// SQLite: runs `sql` with the trigger `trigger` dropped, and re-creates the trigger from its
/// stored definition afterwards, in one transaction (so every trigger is in place again).
/// Panics if the statement fails.
pub async fn sqlite_without_trigger(pool: &SqlitePool, trigger: &str, sql: &str) {
    let mut tx = pool.begin().await.unwrap();
    let definition: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?")
            .bind(trigger)
            .fetch_one(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("no trigger {trigger}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(format!("DROP TRIGGER {trigger}")))
        .execute(&mut *tx)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(definition))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// PostgreSQL: runs `sql` with the trigger `trigger` on `table` disabled (`ALTER TABLE …
/// DISABLE TRIGGER`, inside the transaction) and enables it again. Panics if the statement
/// fails.
pub async fn postgres_without_trigger(pool: &PgPool, table: &str, trigger: &str, sql: &str) {
    let mut tx = pool.begin().await.unwrap();
    let alter = |what: &str| format!("ALTER TABLE {table} {what} TRIGGER {trigger}");
    sqlx::query(sqlx::AssertSqlSafe(alter("DISABLE")))
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("no trigger {trigger} on {table}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(&mut *tx)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    sqlx::query(sqlx::AssertSqlSafe(alter("ENABLE")))
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}
