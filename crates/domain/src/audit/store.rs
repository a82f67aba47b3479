//! What the audit trail needs from storage: the [`AuditStore`] capability and the rows it
//! passes. Every [`crate::ports::Store`] is one.

use super::access_log::{Cursor, ListViews, LogPage};
use super::{AuditAction, DataKind};
use crate::ids::{AuditId, ClientId, RequestId, UserId};
use crate::ports::PortResult;
use crate::roles::Role;
use crate::types::AccessReason;
use async_trait::async_trait;
use time::OffsetDateTime;

/// An audit event before the store gives it its place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEvent {
    pub id: AuditId,
    pub at: OffsetDateTime,
    pub actor_id: UserId,
    pub actor_role: Role,
    pub client_id: ClientId,
    pub data_kind: DataKind,
    pub action: AuditAction,
    pub request_id: RequestId,
    pub reason: Option<AccessReason>,
    /// The clients shown, for a [`DataKind::ClientList`] row (see
    /// [`super::list_view_event`]); empty for every other row. The store keeps them beside
    /// the row, one side row per client, written in the same statement or transaction.
    pub listed: Vec<ClientId>,
}

/// At most this many clients listed are read with one page of [`AuditStore::audit_rows`], so
/// `audit verify` stays in bounded memory however long the lists are.
pub const LISTED_PER_PAGE: i64 = 100_000;

/// A stored audit row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditRow {
    pub seq: i64,
    pub event: NewAuditEvent,
    pub prev_hash: String,
    pub hash: String,
}

/// A line in the client's "who looked at my case" page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogEntry {
    /// The row's place in the chain (the page's cursor number; not shown).
    pub seq: i64,
    pub at: OffsetDateTime,
    pub actor_name: String,
    pub actor_role: Role,
    /// The actor's office(s) in the client's organisation, comma-separated; may be empty.
    pub actor_offices: String,
    pub data_kind: DataKind,
    pub action: AuditAction,
}

/// The audit trail in storage: appending (most rows are appended by the other capabilities,
/// in the transaction of the read or change they record), reading the chain back for
/// verification, and the client's access log.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends audit rows in one transaction (a listing's one row with its clients listed).
    async fn append_audit(&self, events: Vec<NewAuditEvent>) -> PortResult<()>;
    /// Who looked at or changed a client's case, newest first, staff only, list views
    /// included: old `client-list-entry` rows about her and every `client-list` row that
    /// listed her (for tools and tests; the client's page reads
    /// [`AuditStore::access_log_page`]).
    async fn access_log(&self, client: ClientId, limit: i64) -> PortResult<Vec<AccessLogEntry>>;
    /// Audit rows with `seq > after`, in order, at most `limit` (for verification), each
    /// with the clients its side rows list (`listed`, whatever the row's kind, so a side row
    /// attached to the wrong row breaks that row's hash). Fewer when they list more than
    /// [`LISTED_PER_PAGE`] clients: the page ends before the row where they run over, and a
    /// row listing more than that comes alone, whole; never none while rows remain.
    async fn audit_rows(&self, after: i64, limit: i64) -> PortResult<Vec<AuditRow>>;
    /// The head of the chain as the store recorded it: (last seq, last hash).
    async fn audit_head(&self) -> PortResult<(i64, String)>;

    // the client's access log (issue 11), paged
    /// Staff rows about `client` other than list views (`client-list-entry`; `client-list`
    /// rows are about no one client), by `seq`: at most `limit` from `cursor` (see
    /// [`LogPage::from_fetched`]).
    async fn access_log_page(
        &self,
        client: ClientId,
        cursor: Cursor,
        limit: i64,
    ) -> PortResult<LogPage<AccessLogEntry>>;
    /// Staff list views of `client` (old `client-list-entry` rows about her and the
    /// `client-list` rows that listed her), grouped in the query per actor and UTC day and
    /// keyed by the newest row's `seq`: at most `limit` lines from `cursor`.
    async fn list_views_page(
        &self,
        client: ClientId,
        cursor: Cursor,
        limit: i64,
    ) -> PortResult<LogPage<ListViews>>;
}
