//! Client cases: opening one (with its audit row), the client's own view, the caseload list,
//! and the client's "who looked at my case" log.

use crate::DomainError;
use crate::audit::{AccessLogEntry, AuditAction, DataKind, NewAuditEvent};
use crate::ids::{AuditId, ClientId, RequestId};
use crate::policy::{Action, Resource, authorize, caseload_scope};
use crate::ports::{ClientRecord, ClientSummary, Clock, LiveEvent, Notifier, Store};
use crate::roles::Actor;
use crate::types::AccessReason;

/// Context every use case that writes audit rows needs.
#[derive(Clone, Copy)]
pub struct Ctx<'a> {
    pub store: &'a dyn Store,
    pub clock: &'a dyn Clock,
    /// Tells open pages that something happened (after the change is committed).
    pub notifier: &'a dyn Notifier,
    pub request_id: RequestId,
}

impl Ctx<'_> {
    /// Announces stored live events to open pages. The events are already committed, so a
    /// failure here only delays them until the page reconnects or reloads.
    pub async fn announce(&self, events: Vec<LiveEvent>) {
        for event in events {
            if let Err(e) = self.notifier.publish(event).await {
                tracing::warn!(error = %e, "live event not announced");
            }
        }
    }
}

/// A notifier that tells nobody (command-line tools, demo seeding).
pub struct Silent;

#[async_trait::async_trait]
impl Notifier for Silent {
    async fn publish(&self, _event: LiveEvent) -> crate::ports::PortResult<()> {
        Ok(())
    }
}

/// Opens a client's case for `actor`. Staff views write their audit row in the same
/// transaction as the read; a protected client needs `reason`, which the row records.
pub async fn open_case(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<ClientRecord, DomainError> {
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    let permit = authorize(actor, Action::ViewClientCase, Resource::Client(&scope))?;
    let reason = checked_reason(&permit, reason)?;
    let audit = permit.audited.then(|| NewAuditEvent {
        id: AuditId::new(),
        at: ctx.clock.now(),
        actor_id: actor.user_id,
        actor_role: permit.role,
        client_id: client,
        data_kind: DataKind::CaseOverview,
        action: AuditAction::Viewed,
        request_id: ctx.request_id,
        reason,
    });
    ctx.store
        .read_client(client, audit)
        .await?
        .ok_or(DomainError::NotFound)
}

/// A protected client's case opens only with a stated reason (10–500 characters), which goes
/// into the audit row.
pub(crate) fn checked_reason(
    permit: &crate::policy::Permit,
    reason: Option<&str>,
) -> Result<Option<AccessReason>, DomainError> {
    if !permit.reason_required {
        return Ok(None);
    }
    match reason.map(AccessReason::parse) {
        None => Err(DomainError::ReasonRequired),
        Some(Err(e)) => Err(DomainError::invalid("reason", e)),
        Some(Ok(r)) => Ok(Some(r)),
    }
}

/// The side (client or counselor) `actor` may change this client's case as, or `None` when
/// they may only read it (a colleague at the same office) or not reach it at all. For pages
/// that show or hide their forms; every change still asks the policy itself.
pub async fn change_side(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
) -> Result<Option<crate::plan::Side>, DomainError> {
    let Some(scope) = ctx.store.client_scope(client).await? else {
        return Ok(None);
    };
    Ok(
        authorize(actor, Action::ChangeClientCase, Resource::Client(&scope))
            .ok()
            .and_then(|p| crate::plan::Side::of_role(p.role)),
    )
}

/// The client's own case, for their home page.
pub async fn own_case(ctx: Ctx<'_>, actor: &Actor) -> Result<ClientRecord, DomainError> {
    let client = actor.own_client.ok_or(DomainError::NotFound)?;
    open_case(ctx, actor, client, None).await
}

/// The counselor's caseload (clients assigned to them). Each name shown is personal data
/// shown to staff, so each gets an audit row, written before the list is returned.
pub async fn my_caseload(ctx: Ctx<'_>, actor: &Actor) -> Result<Vec<ClientSummary>, DomainError> {
    let scope = caseload_scope(actor).ok_or(DomainError::NotFound)?;
    let clients = ctx.store.list_clients(&scope, true).await?;
    let now = ctx.clock.now();
    let events = clients
        .iter()
        .map(|c| NewAuditEvent {
            id: AuditId::new(),
            at: now,
            actor_id: actor.user_id,
            actor_role: crate::roles::Role::Counselor,
            client_id: c.id,
            data_kind: DataKind::ClientListEntry,
            action: AuditAction::Viewed,
            request_id: ctx.request_id,
            reason: None,
        })
        .collect::<Vec<_>>();
    if !events.is_empty() {
        ctx.store.append_audit(events).await?;
    }
    Ok(clients)
}

/// Who looked at the client's case: for the client only.
pub async fn access_log(ctx: Ctx<'_>, actor: &Actor) -> Result<Vec<AccessLogEntry>, DomainError> {
    let client = actor.own_client.ok_or(DomainError::NotFound)?;
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    authorize(actor, Action::ViewAccessLog, Resource::Client(&scope))?;
    Ok(ctx.store.access_log(client, 500).await?)
}
