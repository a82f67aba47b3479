//! Vendepunkt's storage on SQLite: one file, for small organisations.
//!
//! * WAL with `synchronous=FULL` (NORMAL can lose the latest commits on power loss),
//!   foreign keys on, and a busy timeout.
//! * A page cache of [`CACHE_SIZE_KIB`] per connection and the file read through a memory
//!   map of [`MMAP_SIZE_BYTES`].
//! * Every write transaction begins `IMMEDIATE`: a deferred transaction that later writes
//!   fails at once with `SQLITE_BUSY`, ignoring the busy timeout.
//! * Ids are stored as hyphenated text, timestamps as integer microseconds (UTC).

use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::ports::{Conflict, HealthStore, PoolStats, PortError, PortResult};
use domain::roles::Role;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, SqlitePool};
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;
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
mod live;
mod meetings;
pub mod notices; // outbox, reminders, the worker's claims
mod organisation;
mod plan;
mod plan_documents;

use audit::append_audit_rows;

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// How long a writer waits for another writer's transaction before giving up. Write
/// transactions are short (one request's rows), so waiting this long means something is wrong.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// How often `serve` copies the WAL into the database file (see
/// [`SqliteStore::run_wal_checkpoints`]). Small rounds keep each fsync of the database file
/// short: at 100 messages a second about 150 pages a round. Every 500 ms had the same median
/// but single sends up to 130 ms (docs/BENCHMARKS.md).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(100);

/// WAL pages after which a commit checkpoints by itself: ten times SQLite's default, so that
/// with the background checkpoints running no request does (about 40 MB of WAL at most).
pub const WAL_AUTOCHECKPOINT_PAGES: u32 = 10_000;

/// Each connection's page cache, in KiB (`PRAGMA cache_size` with a negative value): 64 MiB,
/// against SQLite's default of 2 MB, which made a server at 100,000 clients spend a quarter
/// of its time in `pread` (issue 13). The cache fills only as pages are read, so a small
/// database uses little of it; the pool's [`MAX_CONNECTIONS`] bound it at 512 MiB.
pub const CACHE_SIZE_KIB: u32 = 64 * 1024;

/// How much of the database file each connection reads through a memory map instead of
/// `pread` (`PRAGMA mmap_size`): 1 GiB. The map is address space, not memory: the pages are
/// the operating system's file cache, shared by every connection, and a file larger than
/// this is read through the map up to 1 GiB and with `pread` after it.
pub const MMAP_SIZE_BYTES: u64 = 1 << 30;

/// The connections of the server's pool.
pub const MAX_CONNECTIONS: u32 = 8;

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackupReport {
    pub path: PathBuf,
    pub bytes: u64,
    /// Database pages in the copy (all of which passed `PRAGMA integrity_check`).
    pub pages: i64,
}

#[derive(Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// Writes the audit rows of audited views, many requests to a commit
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

fn ts(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000) as i64
}

fn from_ts(micros: i64) -> PortResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(micros as i128 * 1_000)
        .map_err(|e| PortError::Failure(format!("bad timestamp: {e}")))
}

fn id<T: From<Uuid>>(s: &str) -> PortResult<T> {
    Uuid::parse_str(s)
        .map(T::from)
        .map_err(|e| PortError::Failure(format!("bad id: {e}")))
}

fn opt_id<T: From<Uuid>>(s: Option<String>) -> PortResult<Option<T>> {
    s.as_deref().map(id).transpose()
}

fn role(s: &str) -> PortResult<Role> {
    Role::parse(s).ok_or_else(|| PortError::Failure(format!("unknown role {s}")))
}

/// Path of the database file named by `url` (`sqlite://path`, `sqlite:path` or a plain path).
pub fn database_path(url: &str) -> PathBuf {
    let p = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    let p = p.split('?').next().unwrap_or(p);
    PathBuf::from(p)
}

impl SqliteStore {
    /// Opens (creating if missing) the database file named by `url`.
    pub async fn open(url: &str) -> PortResult<Self> {
        let path = database_path(url);
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| PortError::Failure(format!("cannot create {}: {e}", dir.display())))?;
        }
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string())
            .pragma("cache_size", format!("-{CACHE_SIZE_KIB}"))
            .pragma("mmap_size", MMAP_SIZE_BYTES.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .connect_with(options)
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

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Copies committed pages from the WAL into the database file every
    /// [`CHECKPOINT_EVERY`], on a connection of its own, until the task is dropped.
    ///
    /// Without it SQLite checkpoints inside whichever commit pushes the WAL past the mark:
    /// that request then waits for hundreds of page writes and an fsync of the database file.
    /// Run by `serve`; the checkpoints are `PASSIVE`, so they never wait for, or block,
    /// readers and writers. Commits still checkpoint by themselves if this task falls far
    /// behind ([`WAL_AUTOCHECKPOINT_PAGES`]).
    pub async fn run_wal_checkpoints(&self) {
        let options = self.pool.connect_options();
        let mut conn: Option<SqliteConnection> = None;
        loop {
            tokio::time::sleep(CHECKPOINT_EVERY).await;
            if conn.is_none() {
                match SqliteConnection::connect_with(&options).await {
                    Ok(c) => conn = Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "WAL checkpoint: cannot connect; retrying");
                        continue;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { continue };
            if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&mut *c)
                .await
            {
                tracing::warn!(error = %e, "WAL checkpoint failed; retrying");
                conn = None;
            }
        }
    }

    async fn write(&self) -> PortResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool.begin_with("BEGIN IMMEDIATE").await.map_err(fail)
    }

    /// A read transaction for an audited view: one snapshot, never the write lock. The view
    /// ends it before handing its row to [`Self::audited`].
    async fn read(&self) -> PortResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        self.pool.begin().await.map_err(fail)
    }

    /// Makes a view's audit row durable through the appender (a no-op for an unaudited read):
    /// the view returns its data only if this succeeds ("no audit, no data").
    async fn audited(&self, audit: Option<NewAuditEvent>) -> PortResult<()> {
        match audit {
            Some(event) => self.appender.append(vec![event]).await,
            None => Ok(()),
        }
    }

    /// Writes a consistent copy of the live database to `dest`: `VACUUM INTO` a temporary file
    /// beside it, fsync it (`VACUUM INTO` does not), check its integrity, move it into place
    /// and fsync the directory. Refuses to overwrite an existing file. Writers may keep
    /// writing meanwhile: the copy is one read transaction's snapshot.
    pub async fn backup_to(&self, dest: &Path) -> PortResult<BackupReport> {
        let refuse = || PortError::Failure(format!("{} already exists", dest.display()));
        if dest.exists() {
            return Err(refuse());
        }
        let dir = dest
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        std::fs::create_dir_all(&dir).map_err(|e| io_failure(&dir, e))?;
        let file_name = dest
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| "backup".into());
        // Unique, so two backups started at once do not write into each other's file.
        let tmp = dir.join(format!(".{file_name}.{}.partial", Uuid::now_v7().simple()));
        let result = self.backup_via(&tmp, dest, &dir).await;
        // Whatever happened, no half-written file is left behind.
        let _ = std::fs::remove_file(&tmp);
        match result {
            Err(BackupError::Exists) => Err(refuse()),
            Err(BackupError::Port(e)) => Err(e),
            Ok(pages) => {
                let bytes = std::fs::metadata(dest)
                    .map(|m| m.len())
                    .map_err(|e| io_failure(dest, e))?;
                Ok(BackupReport {
                    path: dest.to_path_buf(),
                    bytes,
                    pages,
                })
            }
        }
    }

    async fn backup_via(&self, tmp: &Path, dest: &Path, dir: &Path) -> Result<i64, BackupError> {
        let tmp_str = tmp
            .to_str()
            .ok_or_else(|| PortError::Failure("backup path is not UTF-8".into()))?
            .to_string();
        sqlx::query("VACUUM INTO ?")
            .bind(&tmp_str)
            .execute(&self.pool)
            .await
            .map_err(fail)?;
        fsync(tmp)?;
        let check = SqliteConnectOptions::new().filename(tmp).read_only(true);
        let mut conn = sqlx::ConnectOptions::connect(&check).await.map_err(fail)?;
        let verdict: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .map_err(fail)?;
        let pages: i64 = sqlx::query_scalar("PRAGMA page_count")
            .fetch_one(&mut conn)
            .await
            .map_err(fail)?;
        sqlx::Connection::close(conn).await.map_err(fail)?;
        if verdict != ["ok"] {
            return Err(PortError::Failure(format!(
                "the backup failed its integrity check: {}",
                verdict.join("; ")
            ))
            .into());
        }
        // A hard link never replaces an existing file (a rename would), so a file that
        // appeared at `dest` since the check above is not overwritten.
        match std::fs::hard_link(tmp, dest) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                return Err(BackupError::Exists);
            }
            // File systems without hard links: fall back to a rename.
            Err(_) => {
                if dest.exists() {
                    return Err(BackupError::Exists);
                }
                std::fs::rename(tmp, dest).map_err(|e| io_failure(dest, e))?;
            }
        }
        fsync(dir)?;
        Ok(pages)
    }
}

enum BackupError {
    Exists,
    Port(PortError),
}

impl From<PortError> for BackupError {
    fn from(e: PortError) -> Self {
        BackupError::Port(e)
    }
}

fn io_failure(path: &Path, e: std::io::Error) -> PortError {
    PortError::Failure(format!("{}: {e}", path.display()))
}

/// Flushes a file or directory to stable storage.
fn fsync(path: &Path) -> PortResult<()> {
    std::fs::File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_failure(path, e))
}

#[async_trait]
impl HealthStore for SqliteStore {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Every connection of the pool has the server's page cache and memory map, not
    /// SQLite's 2 MB default cache and no map.
    #[tokio::test]
    async fn the_pools_connections_have_the_page_cache_and_the_memory_map() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("cache.db").display());
        let store = SqliteStore::open(&url).await.unwrap();
        store.migrate().await.unwrap();
        // Several connections at once, so that not only the first one is asked.
        let mut held = Vec::new();
        for _ in 0..3 {
            let mut conn = store.pool().acquire().await.unwrap();
            let cache: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            let mmap: i64 = sqlx::query_scalar("PRAGMA mmap_size")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            assert_eq!(cache, -i64::from(CACHE_SIZE_KIB));
            assert_eq!(mmap, MMAP_SIZE_BYTES as i64);
            held.push(conn);
        }
    }
}
