//! Vendepunkt's storage on SQLite: one file, for small organisations.
//!
//! * WAL with `synchronous=FULL` (NORMAL can lose the latest commits on power loss),
//!   foreign keys on, and a busy timeout.
//! * Every write transaction begins `IMMEDIATE`: a deferred transaction that later writes
//!   fails at once with `SQLITE_BUSY`, ignoring the busy timeout.
//! * Ids are stored as hyphenated text, timestamps as integer microseconds (UTC).

use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::ids::{ClientId, ThreadId, UserId};
use domain::plan::Side;
use domain::ports::{
    HealthStore, LiveEvent, NewMessage, NewThread, PoolStats, PortError, PortResult, Store,
    StoredLiveEvent, ThreadRecord, ThreadSummary,
};
use domain::roles::Role;
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Connection, Row, SqlitePool};
use std::path::{Path, PathBuf};
use std::time::Duration;
use time::OffsetDateTime;
use uuid::Uuid;

mod accounts;
pub mod audit;
mod cases;
mod conversation;
mod feedback; // client feedback (issue 5)
mod insights;
mod meetings;
mod notify;
mod organisation;
mod plan;
pub mod reminders;

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
}

fn fail(e: sqlx::Error) -> PortError {
    if let sqlx::Error::Database(db) = &e
        && db.is_unique_violation()
    {
        return PortError::Conflict("unique");
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
            .pragma("wal_autocheckpoint", WAL_AUTOCHECKPOINT_PAGES.to_string());
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
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

#[async_trait]
impl Store for SqliteStore {
    async fn client_user(&self, client: ClientId) -> PortResult<Option<UserId>> {
        self.conv_client_user(client).await
    }

    async fn create_thread(
        &self,
        thread: NewThread,
        first: NewMessage,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.conv_create_thread(thread, first, audit, events).await
    }

    async fn add_message(
        &self,
        message: NewMessage,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.conv_add_message(message, audit, events).await
    }

    async fn thread_summary(&self, thread: ThreadId) -> PortResult<Option<ThreadSummary>> {
        self.conv_thread_summary(thread).await
    }

    async fn list_threads(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Vec<ThreadSummary>> {
        self.conv_list_threads(client, audit).await
    }

    async fn read_thread(
        &self,
        thread: ThreadId,
        client: ClientId,
        reader: Option<Side>,
        now: OffsetDateTime,
        audit: Option<NewAuditEvent>,
        events: Vec<LiveEvent>,
    ) -> PortResult<Option<ThreadRecord>> {
        self.conv_read_thread(thread, client, reader, now, audit, events)
            .await
    }

    async fn set_no_answer_needed(
        &self,
        thread: ThreadId,
        no_answer_needed: bool,
        audit: NewAuditEvent,
    ) -> PortResult<()> {
        self.conv_set_no_answer_needed(thread, no_answer_needed, audit)
            .await
    }

    async fn live_events_after(
        &self,
        recipient: UserId,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<StoredLiveEvent>> {
        self.conv_live_events_after(recipient, after, limit).await
    }

    async fn last_live_event(&self, recipient: UserId) -> PortResult<i64> {
        self.conv_last_live_event(recipient).await
    }

    async fn save_draft(
        &self,
        user: UserId,
        thread: ThreadId,
        body: &str,
        at: OffsetDateTime,
    ) -> PortResult<()> {
        if body.trim().is_empty() {
            sqlx::query("DELETE FROM drafts WHERE user_id = ? AND thread_id = ?")
                .bind(user.to_string())
                .bind(thread.to_string())
                .execute(&self.pool)
                .await
                .map_err(fail)?;
            return Ok(());
        }
        sqlx::query(
            "INSERT INTO drafts (user_id, thread_id, body, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (user_id, thread_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at",
        )
        .bind(user.to_string())
        .bind(thread.to_string())
        .bind(body)
        .bind(ts(at))
        .execute(&self.pool)
        .await
        .map_err(fail)?;
        Ok(())
    }

    async fn draft(&self, user: UserId, thread: ThreadId) -> PortResult<Option<String>> {
        sqlx::query_scalar("SELECT body FROM drafts WHERE user_id = ? AND thread_id = ?")
            .bind(user.to_string())
            .bind(thread.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(fail)
    }

    async fn set_checkin_frequency(
        &self,
        client: ClientId,
        every_days: Option<i64>,
        audit: NewAuditEvent,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        match every_days {
            Some(days) => sqlx::query(
                "INSERT INTO checkins (client_id, every_days) VALUES (?, ?)
                 ON CONFLICT (client_id) DO UPDATE SET every_days = excluded.every_days",
            )
            .bind(client.to_string())
            .bind(days)
            .execute(&mut *tx)
            .await
            .map_err(fail)?,
            None => sqlx::query("DELETE FROM checkins WHERE client_id = ?")
                .bind(client.to_string())
                .execute(&mut *tx)
                .await
                .map_err(fail)?,
        };
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn contact_status(
        &self,
        clients: &[ClientId],
    ) -> PortResult<Vec<domain::ports::ContactStatus>> {
        let mut conn = self.pool.acquire().await.map_err(fail)?;
        let mut out = Vec::with_capacity(clients.len());
        for client in clients {
            let r = sqlx::query(
                "SELECT (SELECT every_days FROM checkins WHERE client_id = ?1) AS every_days,
                        NULLIF(MAX(COALESCE((SELECT MAX(last_message_at) FROM threads WHERE client_id = ?1), 0),
                                   COALESCE((SELECT MAX(updated_at) FROM plan_items WHERE client_id = ?1), 0)), 0) AS last_contact",
            )
            .bind(client.to_string())
            .fetch_one(&mut *conn)
            .await
            .map_err(fail)?;
            out.push(domain::ports::ContactStatus {
                client_id: *client,
                every_days: r.get("every_days"),
                last_contact: r
                    .get::<Option<i64>, _>("last_contact")
                    .map(from_ts)
                    .transpose()?,
            });
        }
        Ok(out)
    }

    async fn attachment(
        &self,
        id: domain::ids::AttachmentId,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<domain::ports::AttachmentFile>> {
        self.conv_attachment(id, client, audit).await
    }

    // availability and notices
    async fn notice_cursor(&self) -> PortResult<i64> {
        self.notify_cursor().await
    }
    async fn notice_events_after(
        &self,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<domain::notify::NoticeEvent>> {
        self.notify_events_after(after, limit).await
    }
    async fn notice_contact(
        &self,
        user: UserId,
    ) -> PortResult<Option<domain::notify::NoticeContact>> {
        self.notify_contact(user).await
    }
    async fn notice_recently(
        &self,
        recipient: UserId,
        channel: domain::notify::Channel,
        about: Option<&str>,
        since: OffsetDateTime,
    ) -> PortResult<bool> {
        self.notify_recently(recipient, channel, about, since).await
    }
    async fn enqueue_notices(
        &self,
        seq: i64,
        notices: Vec<domain::notify::NewNotice>,
    ) -> PortResult<()> {
        self.notify_enqueue(seq, notices).await
    }
    async fn resume_sending_notices(&self, now: OffsetDateTime) -> PortResult<u64> {
        self.notify_resume(now).await
    }
    async fn defer_notice(&self, id: i64, until: OffsetDateTime) -> PortResult<()> {
        self.notify_defer(id, until).await
    }
    async fn record_notice_attempt(
        &self,
        id: i64,
        attempt: domain::ports::NoticeAttempt,
        state: domain::notify::NoticeState,
        next_attempt_at: OffsetDateTime,
    ) -> PortResult<()> {
        self.notify_record_attempt(id, attempt, state, next_attempt_at)
            .await
    }
    async fn notice_by_key(
        &self,
        key: &str,
    ) -> PortResult<Option<(domain::ports::NoticeRow, Vec<domain::ports::NoticeAttempt>)>> {
        self.notify_by_key(key).await
    }
    async fn notices_for(&self, recipient: UserId) -> PortResult<Vec<domain::ports::NoticeRow>> {
        self.notify_for(recipient).await
    }
    async fn put_availability(
        &self,
        availability: domain::availability::CounselorAvailability,
    ) -> PortResult<()> {
        self.avail_put(availability).await
    }
    async fn availability(
        &self,
        counselor: UserId,
    ) -> PortResult<Option<domain::availability::CounselorAvailability>> {
        self.avail_get(counselor).await
    }
    async fn put_contact_agreement(
        &self,
        agreement: domain::availability::ContactAgreement,
        expected_version: Option<i64>,
        audit: Option<NewAuditEvent>,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.agreement_put(agreement, expected_version, audit, events)
            .await
    }
    async fn contact_agreement(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<domain::availability::ContactAgreement>> {
        self.agreement_get(client, audit).await
    }

    // meetings
    async fn create_meeting(
        &self,
        meeting: domain::ports::MeetingRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_create(meeting, audit, events).await
    }

    async fn update_meeting(
        &self,
        meeting: domain::ports::MeetingRow,
        expected_version: i64,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_update(meeting, expected_version, audit, events)
            .await
    }

    async fn list_meetings(
        &self,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Vec<domain::ports::MeetingRow>> {
        self.meet_list(client, audit).await
    }

    async fn read_meeting(
        &self,
        meeting: domain::ids::MeetingId,
        client: ClientId,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<domain::ports::MeetingRecord>> {
        self.meet_read(meeting, client, audit).await
    }

    async fn add_agenda_point(
        &self,
        point: domain::ports::AgendaPointRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_add_agenda_point(point, audit, events).await
    }

    async fn put_meeting_notes(
        &self,
        notes: domain::ports::MeetingNotesRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_put_notes(notes, audit, events).await
    }

    async fn add_notes_comment(
        &self,
        comment: domain::ports::NotesCommentRow,
        audit: NewAuditEvent,
        events: Vec<LiveEvent>,
    ) -> PortResult<()> {
        self.meet_add_comment(comment, audit, events).await
    }

    // ----- reminders, claiming notices, the staff's language (notices-reminders) -----
    async fn meetings_to_remind(
        &self,
        after: OffsetDateTime,
        until: OffsetDateTime,
        limit: i64,
    ) -> PortResult<Vec<domain::reminders::MeetingToRemind>> {
        self.remind_meetings_due(after, until, limit).await
    }
    async fn record_meeting_reminder(
        &self,
        meeting: domain::ids::MeetingId,
        starts_at: OffsetDateTime,
        events: Vec<LiveEvent>,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        self.remind_meeting_record(meeting, starts_at, events, at)
            .await
    }
    async fn activities_to_remind(
        &self,
        due: &str,
        limit: i64,
    ) -> PortResult<Vec<domain::reminders::ActivityToRemind>> {
        self.remind_activities_due(due, limit).await
    }
    async fn record_activity_reminder(
        &self,
        item: domain::ids::PlanItemId,
        due: &str,
        events: Vec<LiveEvent>,
        at: OffsetDateTime,
    ) -> PortResult<bool> {
        self.remind_activity_record(item, due, events, at).await
    }
    async fn claim_due_notices(
        &self,
        now: OffsetDateTime,
        lease_until: OffsetDateTime,
        channels: &[domain::notify::Channel],
        limit: i64,
    ) -> PortResult<Vec<domain::ports::NoticeRow>> {
        self.notices_claim(now, lease_until, channels, limit).await
    }
    async fn set_user_language(&self, user: UserId, language: &str) -> PortResult<()> {
        self.user_language_set(user, language).await
    }
}
