//! The storage capability for the leader's insights: aggregate queries over feedback only
//! (the raw group rows and the stored summaries of settled quarters).
//!
//! [`crate::ports::Store`] requires this trait, so every store implements it and passes the
//! conformance suite on both databases.

use super::{FeedbackGroup, OfficeUnits};
use crate::feedback::Quarter;
use crate::ids::{OfficeId, UserId};
use crate::ports::PortResult;
use async_trait::async_trait;

/// The handle for anonymous feedback figures: aggregate queries only, so no client id and no
/// single answer can leave it. The rows it returns are raw (their numbers are readable only
/// inside the domain); `domain::insights` applies the suppression rule before
/// anything is shown. Every [`crate::ports::Store`] is one.
#[async_trait]
pub trait InsightsStore: Send + Sync {
    /// The office's name and its teams; `None` when there is no such office.
    async fn feedback_units(&self, office: OfficeId) -> PortResult<Option<OfficeUnits>>;
    /// Per quarter: the office group and one group per team (and one for clients in no
    /// team), each client-quarter counted once (see `GroupScope`).
    async fn office_feedback(
        &self,
        office: OfficeId,
        quarters: &[Quarter],
    ) -> PortResult<Vec<FeedbackGroup>>;
    /// Per quarter: the group of the clients of `counselor` at `office`, with how many of
    /// them did not share an answer.
    async fn counselor_feedback(
        &self,
        office: OfficeId,
        counselor: UserId,
        quarters: &[Quarter],
    ) -> PortResult<Vec<FeedbackGroup>>;

    // ----- the summary of settled quarters (issue 5 at scale; migration 0013) -----
    // The same groups as above, computed once per office and settled quarter and stored
    // (no client ids). Every write of a response or invitation removes its office-quarter's
    // summary in the same transaction, so a stored summary always equals a fresh grouping.
    // Callers pass settled quarters only (`insights::published_quarters`).

    /// What `office_feedback` returns, read from the summary; quarters not summarised yet are
    /// computed, stored and returned in one transaction.
    async fn settled_office_feedback(
        &self,
        office: OfficeId,
        quarters: &[Quarter],
    ) -> PortResult<Vec<FeedbackGroup>>;
    /// What `counselor_feedback` returns, read from the summary in the same way.
    async fn settled_counselor_feedback(
        &self,
        office: OfficeId,
        counselor: UserId,
        quarters: &[Quarter],
    ) -> PortResult<Vec<FeedbackGroup>>;
    /// Offices with feedback in `quarter` and no summary of it, at most `limit`.
    async fn unsummarised_offices(&self, quarter: Quarter, limit: i64)
    -> PortResult<Vec<OfficeId>>;
    /// Computes and stores (replacing) the summary of the office's quarters, in one
    /// transaction.
    async fn summarise_quarters(&self, office: OfficeId, quarters: &[Quarter]) -> PortResult<()>;
}
