//! Vendepunkt's storage on PostgreSQL: for a national agency running many instances against
//! one database. Same behaviour as `store-sqlite` through the same port; the conformance suite
//! in `testkit` runs against both.
//!
//! The audit chain's head row is locked inside each statement that appends (an audited
//! write's transaction locks it until commit; an audited view's row goes through the group-commit
//! [`audit::appender`], one statement per batch), so concurrent instances extend one chain
//! without forks.

use async_trait::async_trait;
use domain::audit::NewAuditEvent;
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
    /// Writes the audit rows of audited views, many requests to a statement
    /// ([`audit::appender`]).
    appender: audit::appender::Appender,
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
        let appender = audit::appender::Appender::start(&pool);
        Ok(Self { pool, appender })
    }

    /// Waits until every audit row handed to the appender so far is committed, then closes
    /// the appender's connection and the pool.
    pub async fn close(&self) {
        self.appender.close().await;
        self.pool.close().await;
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

    /// A connection for an audited view's reads, outside any transaction (under READ
    /// COMMITTED a transaction would not make its statements one snapshot anyway, and would
    /// cost a BEGIN and a COMMIT). The view drops it before handing its row to
    /// [`Self::audited`].
    async fn read(&self) -> PortResult<sqlx::pool::PoolConnection<sqlx::Postgres>> {
        self.pool.acquire().await.map_err(fail)
    }

    /// Makes a view's audit row durable through the appender (a no-op for an unaudited read):
    /// the view returns its data only if this succeeds ("no audit, no data").
    async fn audited(&self, audit: Option<NewAuditEvent>) -> PortResult<()> {
        match audit {
            Some(event) => self.appender.append(vec![event]).await,
            None => Ok(()),
        }
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
