//! The group-commit audit appender (issue 13): one task per store, started by
//! [`SqliteStore::open`](crate::SqliteStore::open), that writes the audit rows of audited
//! views. A view reads outside any write transaction, hands its rows to the appender and waits;
//! the appender takes everything waiting (up to [`MAX_BATCH_ROWS`] rows) into one
//! `BEGIN IMMEDIATE` transaction (read the head, insert the rows, one commit and one fsync of
//! the WAL) and only then answers each waiter. So "no audit, no data" holds: a view returns
//! its data only after its rows are durable, and returns the error (no data) when they are
//! not. Many concurrent views share one commit instead of queueing for the write lock one by
//! one.
//!
//! * A failing batch of several requests is retried request by request, so one bad event (an
//!   id used twice) fails only its own request; a broken chain fails every one of them.
//! * Audited writes (a change and its row) do not come here: they keep their own transaction,
//!   so the change and its row commit together.
//! * The appender drains: when the store and all its clones are dropped it still commits what
//!   was queued, and [`Appender::close`] waits for everything queued before it. A crash loses
//!   only rows whose requests were never answered, so no data was returned for them.

use super::append_audit_rows;
use crate::fail;
use domain::audit::NewAuditEvent;
use domain::ports::{PortError, PortResult};
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};
use sqlx::{Connection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

/// The most rows one batch commits (a single request with more goes alone).
pub const MAX_BATCH_ROWS: usize = 1_000;

/// Requests that may queue for the appender before a new one waits to be queued.
const QUEUE: usize = 4_096;

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
    pub(crate) fn start(pool: &SqlitePool) -> Appender {
        let (jobs, queue) = mpsc::channel(QUEUE);
        let options = (*pool.connect_options()).clone();
        tokio::spawn(run(options, queue));
        Appender { jobs }
    }

    /// Appends `events` and returns once the batch holding them has committed, or with the
    /// error that kept them out of the trail.
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

/// The task: batch what is waiting, commit it, answer, until every handle is gone and the
/// queue is empty.
async fn run(options: SqliteConnectOptions, mut queue: mpsc::Receiver<Job>) {
    let mut conn: Option<SqliteConnection> = None;
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
        commit_batch(&options, &mut conn, batch).await;
        if !closing.is_empty() {
            if let Some(c) = conn.take() {
                let _ = c.close().await;
            }
            for job in closing {
                let _ = job.done.send(Ok(()));
            }
        }
    }
}

/// Commits `batch` in one transaction and answers every waiter; when that fails and the batch
/// holds several requests, each is tried alone and answered with its own outcome.
async fn commit_batch(
    options: &SqliteConnectOptions,
    conn: &mut Option<SqliteConnection>,
    batch: Vec<Job>,
) {
    let events: Vec<NewAuditEvent> = batch.iter().flat_map(|j| j.events.clone()).collect();
    let outcome = commit(options, conn, events).await;
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
        let outcome = commit(options, conn, job.events).await;
        let _ = job.done.send(outcome);
    }
}

/// One `BEGIN IMMEDIATE` transaction: read the head, insert the rows, commit.
async fn commit(
    options: &SqliteConnectOptions,
    conn: &mut Option<SqliteConnection>,
    events: Vec<NewAuditEvent>,
) -> PortResult<()> {
    if events.is_empty() {
        return Ok(());
    }
    if conn.is_none() {
        *conn = Some(
            SqliteConnection::connect_with(options)
                .await
                .map_err(fail)?,
        );
    }
    let Some(c) = conn.as_mut() else {
        return Err(stopped());
    };
    let outcome = async {
        let mut tx = c.begin_with("BEGIN IMMEDIATE").await.map_err(fail)?;
        append_audit_rows(&mut tx, events).await?;
        tx.commit().await.map_err(fail)
    }
    .await;
    if let Err(PortError::Failure(_)) = &outcome {
        // Not a refusal by the chain: the connection may be unusable; open a new one next time.
        *conn = None;
    }
    outcome
}
