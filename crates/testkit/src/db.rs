//! Raw access to a test's database, for what a test wants to know that no product code asks
//! the store: how many rows a table holds, which organisations exist, what the outbox stored
//! for a notice. The store port carries only what the product uses; tests that need more ask
//! the database directly here (as [`crate::tamper`] does to build fixtures).
//!
//! Everything here reads; nothing writes.

use domain::ids::OrganisationId;
use sqlx::{PgPool, Row, SqlitePool};
use std::sync::Arc;
use time::OffsetDateTime;

/// The database under a store, SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// What the outbox holds for one notice (its row and its attempts, oldest first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoredNotice {
    /// `NoticeState::as_str` of the row's state.
    pub state: String,
    pub attempts: i64,
    pub sent_at: Option<OffsetDateTime>,
    /// The outcome of each recorded attempt, oldest first.
    pub outcomes: Vec<String>,
}

/// Tables a test may count (a closed list, so the table name in the SQL is never input).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// Every account: staff and clients.
    Users,
    Clients,
    /// The audit chain's rows.
    AuditLog,
    /// The clients listed by list-view audit rows (migration 0017).
    AuditListEntries,
}

impl Table {
    fn name(self) -> &'static str {
        match self {
            Table::Users => "users",
            Table::Clients => "clients",
            Table::AuditLog => "audit_log",
            Table::AuditListEntries => "audit_list_entries",
        }
    }
}

fn micros(us: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(us) * 1_000)
        .unwrap_or_else(|e| panic!("bad timestamp {us}: {e}"))
}

impl Db {
    /// The same database as the borrowed handle the insight fixtures take.
    pub fn raw(&self) -> crate::conformance::insights::Raw<'_> {
        use crate::conformance::insights::Raw;
        match self {
            Db::Sqlite(pool) => Raw::Sqlite(pool),
            Db::Postgres(pool) => Raw::Postgres(pool),
        }
    }

    /// Connects to the database at `url` (`sqlite://…` or `postgres://…`), e.g. the database
    /// a command-line test gave the binary.
    pub async fn connect(url: &str) -> Db {
        if url.starts_with("postgres") {
            Db::Postgres(
                PgPool::connect(url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}")),
            )
        } else {
            Db::Sqlite(
                SqlitePool::connect(url)
                    .await
                    .unwrap_or_else(|e| panic!("cannot open {url}: {e}")),
            )
        }
    }

    /// The number of rows in `table`.
    pub async fn count(&self, table: Table) -> i64 {
        let sql = format!("SELECT COUNT(*) FROM {}", table.name());
        let sql = || sqlx::AssertSqlSafe(sql.clone());
        match self {
            Db::Sqlite(pool) => sqlx::query_scalar(sql()).fetch_one(pool).await,
            Db::Postgres(pool) => sqlx::query_scalar(sql()).fetch_one(pool).await,
        }
        .unwrap_or_else(|e| panic!("cannot count {}: {e}", table.name()))
    }

    /// Every organisation, oldest first.
    pub async fn organisation_ids(&self) -> Vec<OrganisationId> {
        let sql = "SELECT id FROM organisations ORDER BY created_at, id";
        match self {
            Db::Sqlite(pool) => {
                let ids: Vec<String> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
                ids.iter()
                    .map(|s| OrganisationId::from(s.parse::<uuid::Uuid>().unwrap()))
                    .collect()
            }
            Db::Postgres(pool) => {
                let ids: Vec<uuid::Uuid> = sqlx::query_scalar(sql).fetch_all(pool).await.unwrap();
                ids.into_iter().map(OrganisationId::from).collect()
            }
        }
    }

    /// The notice stored under `idempotency_key` with its attempts, if any.
    pub async fn notice(&self, idempotency_key: &str) -> Option<StoredNotice> {
        match self {
            Db::Sqlite(pool) => {
                let row = sqlx::query(
                    "SELECT id, state, attempts, sent_at FROM notices WHERE idempotency_key = ?",
                )
                .bind(idempotency_key)
                .fetch_optional(pool)
                .await
                .unwrap()?;
                let outcomes = sqlx::query_scalar(
                    "SELECT outcome FROM notice_attempts WHERE notice_id = ? ORDER BY id",
                )
                .bind(row.get::<i64, _>("id"))
                .fetch_all(pool)
                .await
                .unwrap();
                Some(StoredNotice {
                    state: row.get("state"),
                    attempts: row.get("attempts"),
                    sent_at: row.get::<Option<i64>, _>("sent_at").map(micros),
                    outcomes,
                })
            }
            Db::Postgres(pool) => {
                let row = sqlx::query(
                    "SELECT id, state, attempts, sent_at FROM notices WHERE idempotency_key = $1",
                )
                .bind(idempotency_key)
                .fetch_optional(pool)
                .await
                .unwrap()?;
                let outcomes = sqlx::query_scalar(
                    "SELECT outcome FROM notice_attempts WHERE notice_id = $1 ORDER BY id",
                )
                .bind(row.get::<i64, _>("id"))
                .fetch_all(pool)
                .await
                .unwrap();
                Some(StoredNotice {
                    state: row.get("state"),
                    attempts: row.get("attempts"),
                    sent_at: row.get("sent_at"),
                    outcomes,
                })
            }
        }
    }
}

/// A fresh, migrated store for one test, with raw access to its database and whatever keeps
/// the database alive (a temp dir for SQLite).
pub struct Fresh {
    pub store: Arc<dyn domain::ports::Store>,
    pub db: Db,
    _keep: Option<tempfile::TempDir>,
}

impl Fresh {
    /// A fresh SQLite store (a file in a new temp dir).
    pub async fn sqlite() -> Option<Fresh> {
        let (dir, store) = crate::sqlite::temp_store().await;
        let db = Db::Sqlite(store.pool().clone());
        Some(Fresh {
            store: Arc::new(store),
            db,
            _keep: Some(dir),
        })
    }

    /// A fresh PostgreSQL store (a new database); `None` when PostgreSQL is unreachable
    /// outside CI (see [`crate::postgres`]).
    pub async fn postgres() -> Option<Fresh> {
        let store = crate::postgres::fresh_store().await?;
        let db = Db::Postgres(store.pool().clone());
        Some(Fresh {
            store: Arc::new(store),
            db,
            _keep: None,
        })
    }
}
