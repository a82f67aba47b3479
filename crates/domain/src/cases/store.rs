//! What client cases need from storage: the [`CasesStore`] capability and the records it
//! passes. Every [`crate::ports::Store`] is one.

use super::access::ClientAccess;
use crate::accounts::store::NewUser;
use crate::audit::NewAuditEvent;
use crate::ids::{ClientId, OfficeId, UserId};
use crate::policy::{CaseloadScope, ClientScope};
use crate::ports::PortResult;
use crate::types::PersonName;
use async_trait::async_trait;
use time::OffsetDateTime;

/// A new client case. `user_id` links the client's own account, if they have one.
#[derive(Debug, Clone)]
pub struct NewClient {
    pub id: ClientId,
    pub office_id: OfficeId,
    pub user_id: Option<UserId>,
    pub name: PersonName,
    pub protected: bool,
    pub created_at: OffsetDateTime,
}

/// The personal data shown on a client's case page (grows with later features).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientRecord {
    pub id: ClientId,
    pub name: String,
    pub office_id: OfficeId,
    pub office_name: String,
    pub counselor: Option<(UserId, String)>,
    pub protected: bool,
    pub created_at: OffsetDateTime,
}

/// A row in a counselor's list of clients.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSummary {
    pub id: ClientId,
    pub name: String,
    pub office_id: OfficeId,
    pub assigned_counselor: Option<UserId>,
    pub protected: bool,
}

/// Client cases in storage. Methods that show or change a client's personal data take the
/// audit event: a change writes it in its transaction, a read returns data only after it is
/// durable ("no audit, no data", see [`crate::ports::Store`]).
#[async_trait]
pub trait CasesStore: Send + Sync {
    /// Creates a client case and writes `audit` in the same transaction.
    async fn create_client(&self, client: NewClient, audit: NewAuditEvent) -> PortResult<()>;
    /// Assigns (or re-assigns) the client's counselor, with its audit row.
    async fn assign_counselor(
        &self,
        client: ClientId,
        counselor: UserId,
        audit: NewAuditEvent,
    ) -> PortResult<()>;
    /// Opens a new client case in one transaction: the client's account (when given), the case,
    /// its assignment to `counselor`, and `audits`. A taken username is
    /// `PortError::Conflict(Conflict::Username)` and leaves nothing behind.
    async fn open_client_case(
        &self,
        user: Option<NewUser>,
        client: NewClient,
        counselor: UserId,
        audits: Vec<NewAuditEvent>,
    ) -> PortResult<()>;
    /// The policy's view of a client (no personal data), or `None` if there is no such client.
    async fn client_scope(&self, client: ClientId) -> PortResult<Option<ClientScope>>;
    /// Reads the record of the permit's client and returns it once the permit's audit row
    /// (when it has one) is durable.
    async fn read_client(&self, access: &ClientAccess) -> PortResult<Option<ClientRecord>>;
    /// Clients within `scope`, assigned to the scope's counselor when `assigned_only`.
    async fn list_clients(
        &self,
        scope: &CaseloadScope,
        assigned_only: bool,
    ) -> PortResult<Vec<ClientSummary>>;
}
