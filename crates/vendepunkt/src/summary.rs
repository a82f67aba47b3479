//! The summary of settled feedback quarters, filled in the background by `serve` (see
//! `docs/INSIGHTS.md`): when a quarter settles, every office's group rows are computed once
//! and stored, so the first leader to open the dashboard does not wait for the grouping.
//!
//! Bounded (at most [`BATCH`] office-quarters per round), resumable (what is done is stored;
//! a restart goes on from there) and logged. Correctness never depends on it: a view builds a
//! missing quarter itself, and every write into a quarter removes that quarter's summary.
//! With several instances on one PostgreSQL database each runs it; two building the same
//! office-quarter take turns on its lock and the result is the same.

use domain::insights::summarise_settled;
use domain::ports::{Clock, Store};
use std::sync::Arc;
use std::time::Duration;

/// Office-quarters per round.
pub const BATCH: u64 = 8;
/// The pause between rounds while there is work left.
const BUSY: Duration = Duration::from_millis(200);
/// How often to look for work when there was none (a quarter settles once in three months;
/// a summary forgotten by a late write or a deletion is rebuilt by the next view anyway).
const IDLE: Duration = Duration::from_secs(600);

/// Runs until the task is aborted.
pub async fn run(store: Arc<dyn Store>, clock: Arc<dyn Clock>) {
    let mut total = 0u64;
    loop {
        let pause = match summarise_settled(store.as_ref(), clock.now(), BATCH).await {
            Ok(done) => {
                total += done.built;
                if done.built > 0 {
                    tracing::info!(
                        built = done.built,
                        total,
                        more = done.more,
                        "feedback summary: office-quarters summarised"
                    );
                }
                if done.more {
                    BUSY
                } else {
                    if total > 0 {
                        tracing::info!(total, "feedback summary: settled quarters up to date");
                    }
                    total = 0;
                    IDLE
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "feedback summary: round failed; retrying");
                IDLE.min(Duration::from_secs(30))
            }
        };
        tokio::time::sleep(pause).await;
    }
}
