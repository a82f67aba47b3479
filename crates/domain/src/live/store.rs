//! The storage capability for live events: what a recipient has not seen yet.
//!
//! [`crate::ports::Store`] requires this trait, so every store implements it and passes the
//! conformance suite on both databases.

use crate::ids::UserId;
use crate::ports::PortResult;
use async_trait::async_trait;
use time::OffsetDateTime;

/// Reading stored live events (they are written by each feature with its change).
#[async_trait]
pub trait LiveStore: Send + Sync {
    /// A recipient's live events after `after`, oldest first.
    async fn live_events_after(
        &self,
        recipient: UserId,
        after: i64,
        limit: i64,
    ) -> PortResult<Vec<StoredLiveEvent>>;
    /// The sequence number of the recipient's latest live event (0 if none).
    async fn last_live_event(&self, recipient: UserId) -> PortResult<i64>;
}

/// A live event as stored: `seq` orders a recipient's events and is the SSE event id, so a
/// page that reconnects with `Last-Event-ID` gets what it missed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredLiveEvent {
    pub seq: i64,
    pub kind: String,
    pub about: Option<String>,
    pub at: OffsetDateTime,
}
