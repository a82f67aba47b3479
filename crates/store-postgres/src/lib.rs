//! Vendepunkt's storage on PostgreSQL: for a national agency running many instances against
//! one database. Same behaviour as `store-sqlite` through the same port; the conformance suite
//! in `testkit` runs against both.
//!
//! The audit chain's head row is locked (`SELECT … FOR UPDATE`) inside each transaction that
//! appends, so concurrent instances extend one chain without forks.

use async_trait::async_trait;
use domain::ports::{Conflict, HealthStore, PoolStats, PortError, PortResult};
use domain::roles::Role;
use sqlx::PgPool;
use sqlx::postgres::PgPoolOptions;
use std::time::Duration;
use uuid::Uuid;

mod accounts;
pub mod audit;
#[cfg(feature = "bulk")]
pub mod bulk; // the development tools' bulk writes and queries (crates/devtools only)
mod cases;
mod contact;
mod conversation;
mod feedback; // client feedback (issue 5)
mod insights;
pub mod live;
mod meetings;
pub mod notices; // outbox, reminders, the worker's claims
mod organisation;
mod plan;
mod plan_documents;

use audit::append_audit_rows;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

#[derive(Clone)]
pub struct PgStore {
    pool: PgPool,
}

fn fail(e: sqlx::Error) -> PortError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return PortError::Conflict(Conflict::Unique);
    }
    PortError::Failure(e.to_string())
}

fn id<T: From<Uuid>>(u: &Uuid) -> PortResult<T> {
    Ok(T::from(*u))
}

fn opt_id<T: From<Uuid>>(u: Option<Uuid>) -> PortResult<Option<T>> {
    Ok(u.map(T::from))
}

fn role(s: &str) -> PortResult<Role> {
    Role::parse(s).ok_or_else(|| PortError::Failure(format!("unknown role {s}")))
}

impl PgStore {
    pub async fn connect(url: &str) -> PortResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(fail)?;
        Ok(Self { pool })
    }

    pub async fn migrate(&self) -> PortResult<()> {
        MIGRATOR
            .run(&self.pool)
            .await
            .map_err(|e| PortError::Failure(e.to_string()))
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn write(&self) -> PortResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        self.pool.begin().await.map_err(fail)
    }
}

#[async_trait]
impl HealthStore for PgStore {
    async fn ping(&self) -> PortResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(fail)?;
        Ok(())
    }

    fn pool_stats(&self) -> PoolStats {
        PoolStats {
            size: self.pool.size(),
            idle: self.pool.num_idle() as u32,
            max: self.pool.options().get_max_connections(),
        }
    }
}
