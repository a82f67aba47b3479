//! Client cases: opening a new one (a counselor, with its account, assignment and audit rows
//! in one transaction), opening one (with its audit row), the client's own view and the
//! caseload list. The client's "who looked at my case" log is [`crate::audit::access_log`]. What
//! they need from storage is [`store::CasesStore`].

use crate::DomainError;
use crate::accounts::password::NewPassword;
use crate::audit::{AuditAction, AuditStore, DataKind, change_event, list_view_event};
use crate::ids::{ClientId, OfficeId};
use crate::organisation::{NewPersonInput, parse_new_person};
use crate::organisation::{Office, OrganisationStore};
use crate::policy::{Action, Resource, authorize, caseload_scope};
use crate::ports::{PasswordHasher, PortError};
use crate::roles::Actor;
use crate::types::{AccessReason, FieldError, PersonName, Secret, Username};

pub mod access;
pub mod store;

use crate::context::Ctx;
pub use access::{ClientAccess, grant};
pub use store::{CasesStore, ClientRecord, ClientSummary, NewClient};

/// Opens a client's case for `actor`. Staff views write their audit row in the same
/// transaction as the read; a protected client needs `reason`, which the row records.
pub async fn open_case<S: CasesStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<ClientRecord, DomainError> {
    let access = grant(
        ctx,
        actor,
        client,
        Action::ViewClientCase,
        DataKind::CaseOverview,
        reason,
    )
    .await?;
    ctx.store
        .read_client(&access)
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
pub async fn change_side<S: CasesStore + ?Sized>(
    ctx: Ctx<'_, S>,
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
pub async fn own_case<S: CasesStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
) -> Result<ClientRecord, DomainError> {
    let client = actor.own_client.ok_or(DomainError::NotFound)?;
    open_case(ctx, actor, client, None).await
}

/// The counselor's caseload (clients assigned to them). Each name shown is personal data
/// shown to staff, so the list gets one audit row naming every client on it, written before
/// the list is returned.
pub async fn my_caseload<S: CasesStore + AuditStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
) -> Result<Vec<ClientSummary>, DomainError> {
    let scope = caseload_scope(actor).ok_or(DomainError::NotFound)?;
    let clients = ctx.store.list_clients(&scope, true).await?;
    if let Some(event) = list_view_event(
        ctx,
        actor,
        crate::roles::Role::Counselor,
        clients.iter().map(|c| c.id),
    ) {
        ctx.store.append_audit(vec![event]).await?;
    }
    Ok(clients)
}

/// Raw input for a new client case, as typed into the counselor's form.
#[derive(Debug, Clone)]
pub struct NewCaseInput {
    /// The client's full name.
    pub name: String,
    /// One of the acting counselor's offices (out of reach otherwise).
    pub office: OfficeId,
    /// Strengthened confidentiality; only with the permission at that office.
    pub protected: bool,
    /// The client's own login name; empty for a case without an account (yet).
    pub username: String,
    /// The client's first password; required with a username, never shown again.
    pub password: Secret,
}

/// An office where `actor` may open a new case, and whether a protected one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseOffice {
    pub office: Office,
    pub may_protect: bool,
}

/// The offices where `actor` may open a new client case (for the form's choice), in the
/// order the store lists them; out of reach when there is none.
pub async fn case_offices<S: OrganisationStore + ?Sized>(
    store: &S,
    actor: &Actor,
) -> Result<Vec<CaseOffice>, DomainError> {
    let offices: Vec<CaseOffice> = store
        .list_offices(actor.organisation_id)
        .await?
        .into_iter()
        .filter(|o| authorize(actor, Action::OpenClientCase, Resource::Office(o.id)).is_ok())
        .map(|office| CaseOffice {
            may_protect: authorize(
                actor,
                Action::OpenProtectedClientCase,
                Resource::Office(office.id),
            )
            .is_ok(),
            office,
        })
        .collect();
    if offices.is_empty() {
        Err(DomainError::NotFound)
    } else {
        Ok(offices)
    }
}

/// Opens a new client case at one of the acting counselor's offices, assigned to them. The
/// client's account (if any; clients get no role grant, their role comes from the case), the
/// case, the assignment and both audit rows are stored in one transaction: a taken username
/// is a field error and leaves nothing behind. Returns the new case's id.
pub async fn open_new_case<S: CasesStore + ?Sized>(
    ctx: Ctx<'_, S>,
    hasher: &dyn PasswordHasher,
    actor: &Actor,
    input: &NewCaseInput,
) -> Result<ClientId, DomainError> {
    // Grants name offices of the own organisation only (`org::check_offices`), so the permit
    // alone keeps other organisations' offices and unknown ids out of reach.
    let permit = authorize(
        actor,
        Action::OpenClientCase,
        Resource::Office(input.office),
    )?;
    let mut errors: Vec<(&'static str, FieldError)> = Vec::new();
    let name = PersonName::parse(&input.name)
        .map_err(|e| errors.push(("name", e)))
        .ok();
    if input.protected
        && authorize(
            actor,
            Action::OpenProtectedClientCase,
            Resource::Office(input.office),
        )
        .is_err()
    {
        errors.push(("protected", FieldError::ProtectedNotAllowed));
    }
    let wants_account = !input.username.trim().is_empty() || !input.password.is_empty();
    if wants_account {
        if input.username.trim().is_empty() {
            errors.push(("username", FieldError::Required));
        } else if let Err(e) = Username::parse(&input.username) {
            errors.push(("username", e));
        }
        if input.password.is_empty() {
            errors.push(("password", FieldError::Required));
        } else if let Err(e) = NewPassword::parse(&input.password, &input.username) {
            errors.push(("password", e));
        }
    }
    let Some(name) = name.filter(|_| errors.is_empty()) else {
        return Err(DomainError::Invalid(errors));
    };
    let now = ctx.clock.now();
    let user = if wants_account {
        let person = NewPersonInput {
            username: input.username.clone(),
            display_name: input.name.clone(),
            password: input.password.clone(),
            // A client's role comes from the case, not from a grant.
            grants: vec![],
            protected_access: vec![],
        };
        Some(
            parse_new_person(hasher, actor.organisation_id, &person, now)
                .await
                .map_err(|e| match e {
                    DomainError::Invalid(list) => DomainError::Invalid(
                        list.into_iter()
                            .map(|(f, e)| (if f == "display_name" { "name" } else { f }, e))
                            .collect(),
                    ),
                    other => other,
                })?,
        )
    } else {
        None
    };
    let client = ClientId::new();
    // Both rows at the moment the case is created.
    let audit = |data_kind, action| {
        let mut event = change_event(ctx, actor, &permit, client, data_kind, action);
        event.at = now;
        event
    };
    let audits = vec![
        audit(DataKind::CaseOverview, AuditAction::Created),
        audit(DataKind::Assignment, AuditAction::Changed),
    ];
    let user_id = user.as_ref().map(|u| u.id);
    ctx.store
        .open_client_case(
            user,
            NewClient {
                id: client,
                office_id: input.office,
                user_id,
                name,
                protected: input.protected,
                created_at: now,
            },
            actor.user_id,
            audits,
        )
        .await
        .map_err(|e| match e {
            PortError::Conflict(_) => DomainError::invalid("username", FieldError::UsernameTaken),
            other => other.into(),
        })?;
    Ok(client)
}
