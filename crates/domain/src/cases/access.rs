//! The permit for a client's personal data. A store read that shows a client's data on a page
//! takes a [`ClientAccess`], and the only way to get one is [`grant`]: the client's scope is
//! looked up (no such client: not found), the access policy decides (refused: not found, so an
//! out-of-reach client and a missing one look the same), a protected client's reason is
//! checked, and the audit row the store must write with the read is built. The store writes
//! [`ClientAccess::audit`] durably before it returns what it read ("no audit, no data").
//!
//! The permit cannot be built outside the domain:
//!
//! ```compile_fail
//! use domain::cases::access::ClientAccess;
//! let _ = ClientAccess { client: domain::ids::ClientId::new(), permit: todo!(), scope: todo!(), audit: None };
//! ```
//!
//! It is not `Clone`: one permit stands for one decision and (at most) one audit row.

use crate::DomainError;
use crate::audit::{AuditAction, DataKind, NewAuditEvent, change_event};
use crate::cases::{CasesStore, checked_reason};
use crate::context::Ctx;
use crate::ids::ClientId;
use crate::policy::{Action, ClientScope, Permit, Resource, authorize};
use crate::roles::Actor;

/// Leave to read one client's personal data, once (see the module documentation).
#[derive(Debug)]
pub struct ClientAccess {
    client: ClientId,
    permit: Permit,
    scope: ClientScope,
    /// The row the store writes with the read; `None` when the policy says the view is not
    /// audited (the client's own view) or the read is not shown to anyone (a change loading
    /// what it changes, which writes its own row).
    audit: Option<NewAuditEvent>,
}

impl ClientAccess {
    /// The client whose data may be read.
    pub fn client(&self) -> ClientId {
        self.client
    }
    /// The audit row the store must make durable before it returns the read, if any.
    pub fn audit(&self) -> Option<&NewAuditEvent> {
        self.audit.as_ref()
    }
    /// The policy's decision (the role written to audit rows, whether audited).
    pub fn permit(&self) -> &Permit {
        &self.permit
    }
    /// The policy's view of the client (office, assignment, protected).
    pub fn scope(&self) -> &ClientScope {
        &self.scope
    }

    /// A permit for a read that is not audited as a view, only after `authorize` said yes: a
    /// change loading what it changes (shown to nobody; the change writes its own row), or a
    /// figure a page derives after its view wrote its row (the agreed response time).
    pub(crate) fn unaudited(scope: ClientScope, permit: Permit) -> Self {
        Self {
            client: scope.client_id,
            permit,
            scope,
            audit: None,
        }
    }

    /// A permit for a further read in the same view, covered by this permit's audit row (the
    /// row says what kind of data was shown; one row per view).
    pub(crate) fn covered(&self) -> Self {
        Self {
            client: self.client,
            permit: self.permit,
            scope: self.scope.clone(),
            audit: None,
        }
    }

    /// A permit for store tests (the conformance suite), with a made-up scope and permit.
    /// Only with the domain's `testing` feature, which only the test kit enables; the product
    /// gets its permits from [`grant`].
    #[cfg(feature = "testing")]
    #[doc(hidden)]
    pub fn for_tests(client: ClientId, audit: Option<NewAuditEvent>) -> Self {
        use crate::ids::{OfficeId, OrganisationId};
        Self {
            client,
            permit: Permit {
                role: audit
                    .as_ref()
                    .map_or(crate::roles::Role::Client, |a| a.actor_role),
                audited: audit.is_some(),
                reason_required: false,
            },
            scope: ClientScope {
                client_id: client,
                organisation_id: OrganisationId::new(),
                office_id: OfficeId::new(),
                assigned_counselor: None,
                protected: false,
            },
            audit,
        }
    }
}

/// Decides whether `actor` may do `action` (a view) to `client`'s data of `data_kind`, and
/// hands out the permit for the store read. In this order: the client's scope (none: not
/// found), the policy (refused: not found), a protected client's stated reason (10–500
/// characters, recorded in the row), then the audit row (`Viewed`), built only when the policy
/// says the view is audited.
pub async fn grant<S: CasesStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    client: ClientId,
    action: Action,
    data_kind: DataKind,
    reason: Option<&str>,
) -> Result<ClientAccess, DomainError> {
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    let permit = authorize(actor, action, Resource::Client(&scope))?;
    let reason = checked_reason(&permit, reason)?;
    let audit = permit.audited.then(|| {
        let mut event = change_event(ctx, actor, &permit, client, data_kind, AuditAction::Viewed);
        event.reason = reason;
        event
    });
    Ok(ClientAccess {
        client,
        permit,
        scope,
        audit,
    })
}
