//! Live events for open pages on SQLite: what a recipient has not seen yet (the events are
//! written by the features, in the transaction of the change they announce).

use super::{SqliteStore, fail, from_ts};
use async_trait::async_trait;
use domain::ids::UserId;
use domain::live::{LiveStore, StoredLiveEvent};
use domain::ports::PortResult;
use sqlx::Row;

#[async_trait]
impl LiveStore for SqliteStore {
    async fn live_events_after(
        &self,
        recipient: UserId,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<StoredLiveEvent>> {
        sqlx::query(
            "SELECT seq, kind, about, at FROM live_events WHERE recipient = ? AND seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(recipient.to_string())
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
                at: from_ts(r.try_get("at").map_err(fail)?)?,
            })
        })
        .collect()
    }

    async fn last_live_event(&self, recipient: UserId) -> PortResult<i64> {
        let seq: Option<i64> =
            sqlx::query_scalar("SELECT MAX(seq) FROM live_events WHERE recipient = ?")
                .bind(recipient.to_string())
                .fetch_one(self.pool())
                .await
                .map_err(fail)?;
        Ok(seq.unwrap_or(0))
    }
}
