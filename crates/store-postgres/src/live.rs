//! Live-event wake-ups across instances: `NOTIFY vendepunkt_live, '<user id>'` after a change
//! is committed, and a listener per instance that wakes the streams of that user. The events
//! themselves are rows (`live_events`); a lost notification only delays them until the page
//! reconnects, and a listener that reconnects misses nothing stored. [`LiveStore`] reads
//! those rows back.

use super::{PgStore, fail};
use async_trait::async_trait;
use domain::ids::UserId;
use domain::live::{LiveStore, StoredLiveEvent};
use domain::ports::{LiveEvent, Notifier, PortResult};
use sqlx::Row;
use sqlx::postgres::PgListener;
use std::time::Duration;
use uuid::Uuid;

pub const CHANNEL: &str = "vendepunkt_live";

/// Publishes wake-ups to every instance sharing the database.
#[derive(Clone)]
pub struct PgNotifier {
    store: PgStore,
}

impl PgNotifier {
    pub fn new(store: PgStore) -> Self {
        Self { store }
    }
}

#[async_trait]
impl Notifier for PgNotifier {
    async fn publish(&self, event: LiveEvent) -> PortResult<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(CHANNEL)
            .bind(event.recipient.to_string())
            .execute(self.store.pool())
            .await
            .map_err(fail)?;
        Ok(())
    }
}

/// Listens for wake-ups and calls `wake` for each; reconnects after a dropped connection.
/// Runs until the task is dropped.
pub async fn listen(store: PgStore, wake: impl Fn(UserId) + Send + 'static) {
    loop {
        match PgListener::connect_with(store.pool()).await {
            Ok(mut listener) => {
                if let Err(e) = listener.listen(CHANNEL).await {
                    tracing::warn!(error = %e, "cannot listen for live events");
                } else {
                    loop {
                        match listener.recv().await {
                            Ok(n) => {
                                if let Ok(u) = Uuid::parse_str(n.payload()) {
                                    wake(UserId::from(u));
                                }
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "live event listener lost its connection");
                                break;
                            }
                        }
                    }
                }
            }
            Err(e) => tracing::warn!(error = %e, "cannot connect the live event listener"),
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

#[async_trait]
impl LiveStore for PgStore {
    async fn live_events_after(
        &self,
        recipient: UserId,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<StoredLiveEvent>> {
        sqlx::query(
            "SELECT seq, kind, about, at FROM live_events WHERE recipient = $1 AND seq > $2 ORDER BY seq LIMIT $3",
        )
        .bind(recipient.as_uuid())
        .bind(after)
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(|r| {
            Ok(StoredLiveEvent {
                seq: r.try_get("seq").map_err(fail)?,
                kind: r.try_get("kind").map_err(fail)?,
                about: r.try_get("about").map_err(fail)?,
                at: r.try_get("at").map_err(fail)?,
            })
        })
        .collect()
    }

    async fn last_live_event(&self, recipient: UserId) -> PortResult<i64> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM live_events WHERE recipient = $1")
                .bind(recipient.as_uuid())
                .fetch_one(self.pool())
                .await
                .map_err(fail)?;
        Ok(seq.unwrap_or(0))
    }
}
