//! The group-commit audit appender (issue 13): one task per store, started by
//! [`PgStore::connect`](crate::PgStore::connect), that writes the audit rows of audited views.
//! A view reads on the pool outside any transaction, hands its rows to the appender and
//! waits; the appender takes everything waiting (up to [`MAX_BATCH_ROWS`] rows) and sends it
//! as **one autocommitted statement** (`INSERT … SELECT * FROM UNNEST(…)`: one commit, one
//! WAL flush), and only then answers each waiter. So "no audit, no data" holds: a view returns
//! its data only after its rows are durable, and the error (no data) when they are not.
//!
//! The chain head (seq, hash) is kept in the appender's memory, so the steady state is that one
//! statement per batch: the rows' hashes are computed here with `domain::audit::chain`, and the
//! statement locks the head row for the moment of the insert (migration 0014's trigger checks
//! the rows extend the chain and moves the head). When the head has moved meanwhile (another
//! instance, or an audited write that appended in its own transaction), the database refuses
//! the rows; the appender then appends them in a short transaction that reads the head under
//! its lock (`BEGIN`, `SELECT … FOR UPDATE`, the insert, `COMMIT`), which no other writer can
//! overtake, and remembers the new head. Only a refusal against that freshly read head is
//! [`PortError::AuditChainBroken`]. So several instances on one database append without a
//! lock held across a view: one short lock per batch.
//!
//! * A failing batch of several requests is retried request by request, so one bad event (an
//!   id used twice) fails only its own request; a broken chain fails every one of them.
//! * Audited writes (a change and its row) do not come here: they keep their own transaction
//!   ([`super::append_audit_rows`]), so the change and its row commit together.
//! * The appender drains: when the store and all its clones are dropped it still commits what
//!   was queued, and [`Appender::close`] waits for everything queued before it. A crash loses
//!   only rows whose requests were never answered, so no data was returned for them; a commit
//!   whose answer was lost with the connection is reported as an error (no data), even if the
//!   rows did reach the trail.

use super::{REFUSED, broken_or_failed, insert_linked};
use crate::fail;
use domain::audit::NewAuditEvent;
use domain::ports::{PortError, PortResult};
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, PgPool, Row};
use tokio::sync::{mpsc, oneshot};

/// The most rows one batch commits (a single request with more goes alone).
pub const MAX_BATCH_ROWS: usize = 1_000;

/// Requests that may queue for the appender before a new one waits to be queued.
const QUEUE: usize = 4_096;

/// The primary key of the trail: a seq already taken means the head moved.
const SEQ_KEY: &str = "audit_log_pkey";

/// One request's rows and where to answer.
struct Job {
    events: Vec<NewAuditEvent>,
    /// Close the appender's connection once this job's batch is committed.
    closes: bool,
    done: oneshot::Sender<PortResult<()>>,
}

/// The handle a store keeps: cheap to clone, one task behind all clones.
#[derive(Clone)]
pub(crate) struct Appender {
    jobs: mpsc::Sender<Job>,
}

fn stopped() -> PortError {
    PortError::Failure("the audit appender has stopped".into())
}

impl Appender {
    /// Starts the appender's task on the current tokio runtime. It writes on a connection of
    /// its own (opened with the pool's options on first use), so it never waits for the
    /// pool that the views it serves are holding.
    pub(crate) fn start(pool: &PgPool) -> Appender {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let options = (*pool.connect_options()).clone();
        tokio::spawn(run(options, queue));
        Appender { jobs }
    }

    /// Appends `events` and returns once the statement holding them has committed, or with
    /// the error that kept them out of the trail.
    pub(crate) async fn append(&self, events: Vec<NewAuditEvent>) -> PortResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        self.send(events, false).await
    }

    /// Returns once everything queued before it has been committed (or refused), and the
    /// appender's connection is closed (a later append opens a new one).
    pub(crate) async fn close(&self) {
        let _ = self.send(Vec::new(), true).await;
    }

    async fn send(&self, events: Vec<NewAuditEvent>, closes: bool) -> PortResult<()> {
        let (done, answer) = oneshot::channel();
        self.jobs
            .send(Job {
                events,
                closes,
                done,
            })
            .await
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}

/// The appender's connection and what it believes the head to be.
struct Writer {
    options: PgConnectOptions,
    conn: Option<PgConnection>,
    head: Option<(i64, String)>,
}

/// The task: batch what is waiting, commit it, answer, until every handle is gone and the
/// queue is empty.
async fn run(options: PgConnectOptions, mut queue: mpsc::Receiver<Job>) {
    let mut writer = Writer {
        options,
        conn: None,
        head: None,
    };
    let mut held: Option<Job> = None;
    loop {
        let first = match held.take() {
            Some(job) => job,
            None => match queue.recv().await {
                Some(job) => job,
                None => break,
            },
        };
        let mut rows = first.events.len();
        let mut batch = vec![first];
        while rows < MAX_BATCH_ROWS {
            match queue.try_recv() {
                Ok(job) if rows + job.events.len() > MAX_BATCH_ROWS => {
                    held = Some(job);
                    break;
                }
                Ok(job) => {
                    rows += job.events.len();
                    batch.push(job);
                }
                Err(_) => break,
            }
        }
        let (closing, batch): (Vec<Job>, Vec<Job>) = batch.into_iter().partition(|j| j.closes);
        writer.commit_batch(batch).await;
        if !closing.is_empty() {
            if let Some(c) = writer.conn.take() {
                let _ = c.close().await;
            }
            for job in closing {
                let _ = job.done.send(Ok(()));
            }
        }
    }
}

impl Writer {
    /// Commits `batch` (one statement in the steady state) and answers every waiter; when that fails and the
    /// batch holds several requests, each is tried alone and answered with its own outcome.
    async fn commit_batch(&mut self, batch: Vec<Job>) {
        let events: Vec<NewAuditEvent> = batch.iter().flat_map(|j| j.events.clone()).collect();
        let outcome = self.commit(&events).await;
        if outcome.is_ok() || batch.len() == 1 {
            for job in batch {
                let _ = job.done.send(outcome.clone());
            }
            return;
        }
        if let Err(e) = &outcome {
            tracing::warn!(error = %e, requests = batch.len(), "audit batch refused; appending its requests one by one");
        }
        for job in batch {
            let outcome = self.commit(&job.events).await;
            let _ = job.done.send(outcome);
        }
    }

    /// Appends `events` after the head: after the remembered head in one autocommitted
    /// statement; when there is none, or the database refused the rows because the head moved,
    /// in a transaction that reads the head under its lock first (so it cannot lose a race
    /// with another writer). A refusal there means the chain is broken.
    async fn commit(&mut self, events: &[NewAuditEvent]) -> PortResult<()> {
        if events.is_empty() {
            return Ok(());
        }
        if self.conn.is_none() {
            self.conn = Some(
                PgConnection::connect_with(&self.options)
                    .await
                    .map_err(fail)?,
            );
        }
        let Some(conn) = self.conn.as_mut() else {
            return Err(stopped());
        };
        if let Some((seq, hash)) = self.head.take() {
            match insert_linked(conn, seq, &hash, events).await {
                Ok(last) => {
                    self.head = Some(last);
                    return Ok(());
                }
                Err(e) if head_moved(&e) => {} // read it afresh, under its lock
                Err(e) => {
                    if !matches!(e, sqlx::Error::Database(_)) {
                        self.conn = None;
                    }
                    return Err(broken_or_failed(e, seq + 1));
                }
            }
        }
        match locked(conn, events).await {
            Ok(last) => {
                self.head = Some(last);
                Ok(())
            }
            Err((e, seq)) => {
                if !matches!(e, sqlx::Error::Database(_)) {
                    // Not an answer from the database: the connection may be gone.
                    self.conn = None;
                }
                Err(broken_or_failed(e, seq))
            }
        }
    }
}

/// The rows after the head read under its lock, in one transaction; on failure the error and
/// the first seq that could not be appended.
async fn locked(
    conn: &mut PgConnection,
    events: &[NewAuditEvent],
) -> Result<(i64, String), (sqlx::Error, i64)> {
    let mut tx = conn.begin().await.map_err(|e| (e, 0))?;
    let r = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE")
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| (e, 0))?;
    let seq: i64 = r.try_get("seq").map_err(|e| (e, 0))?;
    let hash: String = r.try_get("hash").map_err(|e| (e, seq + 1))?;
    let last = insert_linked(&mut tx, seq, &hash, events)
        .await
        .map_err(|e| (e, seq + 1))?;
    tx.commit().await.map_err(|e| (e, seq + 1))?;
    Ok(last)
}

/// The database refused rows for a reason a newer head may remove: their seq is taken or they
/// do not link to the head.
fn head_moved(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.message().contains(REFUSED)
                || (db.is_unique_violation() && db.constraint() == Some(SEQ_KEY))
        }
        _ => false,
    }
}
