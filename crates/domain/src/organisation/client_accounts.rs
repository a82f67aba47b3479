//! Clients' accounts as administrators reach them (issue 11): administrators manage staff, and
//! a client's account (to set a new password, or to disable or enable it) is reached only by
//! an exact lookup of its username. Every showing of the account is audited like any staff
//! view of a client (`DataKind::Account`, durable before the read is returned), every change
//! as a change; a protected client is found only by an administrator with the protected
//! permission at the client's office, and otherwise gets the same "not found" as a username
//! that does not exist, with no audit row. The decisions are `Action::ManageClientAccount` in
//! [`crate::policy`].

use crate::DomainError;
use crate::accounts::password::NewPassword;
use crate::audit::{AuditAction, DataKind, NewAuditEvent, change_event};
use crate::cases::checked_reason;
use crate::cases::{ClientAccess, grant};
use crate::context::Ctx;
use crate::ids::{ClientId, OrganisationId, UserId};
use crate::policy::{Action, Permit, Resource, authorize};
use crate::ports::{PasswordHasher, PortResult};
use crate::roles::Actor;
use crate::types::{AccessReason, FieldError, Secret, Username};
use async_trait::async_trait;

/// A client's account as an administrator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAccount {
    /// The client case the account belongs to (the audit rows are about it).
    pub client_id: ClientId,
    pub user_id: UserId,
    /// The account's display name.
    pub name: String,
    pub username: String,
    pub disabled: bool,
}

/// A change to a client's account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountChange {
    /// A new password hash; every session of the client ends.
    Password(String),
    /// Disable (every session ends) or enable the account.
    Disabled(bool),
}

/// The storage of clients' accounts. Every [`crate::ports::Store`] is one.
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// The client case linked to the account with this username in `org`; `None` when no
    /// client case has that account (unknown usernames and staff accounts alike). No personal
    /// data leaves: the id only.
    async fn client_with_username(
        &self,
        org: OrganisationId,
        username: &Username,
    ) -> PortResult<Option<ClientId>>;
    /// The account of the permit's client case, returned once the permit's audit row is
    /// durable; `None` (and no row) when the case has no account.
    async fn read_client_account(&self, access: &ClientAccess)
    -> PortResult<Option<ClientAccount>>;
    /// Changes the account of the client case and writes `audit`, in one transaction, and
    /// returns the account as it is afterwards. A new password or disabling ends every session
    /// of the account. With `expected_username`, only if the account still has that username.
    /// `None`, with nothing changed or written, when there is no such account.
    async fn change_client_account(
        &self,
        client: ClientId,
        expected_username: Option<&Username>,
        change: AccountChange,
        audit: NewAuditEvent,
    ) -> PortResult<Option<ClientAccount>>;
}

/// Whether `actor` may use the lookup at all (the form shows no client data).
pub fn may_look_up(actor: &Actor) -> Result<(), DomainError> {
    authorize(
        actor,
        Action::ManageClientAccount,
        Resource::Organisation(actor.organisation_id),
    )?;
    Ok(())
}

/// The account's audit row: [`change_event`] for `DataKind::Account`, with the stated reason
/// (a protected client's account is looked at and changed with one).
fn event(
    ctx: Ctx<'_>,
    actor: &Actor,
    permit: &Permit,
    client: ClientId,
    action: AuditAction,
    reason: Option<AccessReason>,
) -> NewAuditEvent {
    let mut event = change_event(ctx, actor, permit, client, DataKind::Account, action);
    event.reason = reason;
    event
}

/// The policy's decision on the client's account, and the checked reason (a protected client
/// needs one). Out of reach is [`DomainError::NotFound`], like a client that does not exist.
async fn permit(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<(Permit, Option<AccessReason>), DomainError> {
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    let permit = authorize(actor, Action::ManageClientAccount, Resource::Client(&scope))?;
    let reason = checked_reason(&permit, reason)?;
    Ok((permit, reason))
}

/// Finds a client's account by its exact username and shows it, with its audit row. An
/// empty field is a field error; a username no client account has, and a client out of reach
/// (a protected client without the permission), are both [`DomainError::NotFound`] with no
/// audit row. A protected client needs `reason` ([`DomainError::ReasonRequired`] first).
pub async fn find_client_account(
    ctx: Ctx<'_>,
    actor: &Actor,
    username: &str,
    reason: Option<&str>,
) -> Result<ClientAccount, DomainError> {
    may_look_up(actor)?;
    if username.trim().is_empty() {
        return Err(DomainError::invalid("username", FieldError::Required));
    }
    // A username that cannot exist is not found, like one that does not.
    let username = Username::parse(username).map_err(|_| DomainError::NotFound)?;
    let client = ctx
        .store
        .client_with_username(actor.organisation_id, &username)
        .await?
        .ok_or(DomainError::NotFound)?;
    open_client_account(ctx, actor, client, reason).await
}

/// Shows the account of a client case (again), with its audit row.
pub async fn open_client_account(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<ClientAccount, DomainError> {
    let access = grant(
        ctx,
        actor,
        client,
        Action::ManageClientAccount,
        DataKind::Account,
        reason,
    )
    .await?;
    ctx.store
        .read_client_account(&access)
        .await?
        .ok_or(DomainError::NotFound)
}

/// Gives the client's account a new password (the password rules apply; every session of
/// the client ends), audited as a change. `username` is the account's username as shown on
/// the page the form came from: the password may not contain it, and the change is made only
/// if the account still has it.
pub async fn set_client_password(
    ctx: Ctx<'_>,
    hasher: &dyn PasswordHasher,
    actor: &Actor,
    client: ClientId,
    username: &str,
    password: &Secret,
    reason: Option<&str>,
) -> Result<ClientAccount, DomainError> {
    let (permit, reason) = permit(ctx, actor, client, reason).await?;
    let username = Username::parse(username).map_err(|_| DomainError::NotFound)?;
    if password.is_empty() {
        return Err(DomainError::invalid("password", FieldError::Required));
    }
    let password = NewPassword::parse(password, username.as_str())
        .map_err(|e| DomainError::invalid("password", e))?;
    let hash = hasher.hash(password.secret()).await?;
    let audit = event(ctx, actor, &permit, client, AuditAction::Changed, reason);
    ctx.store
        .change_client_account(
            client,
            Some(&username),
            AccountChange::Password(hash),
            audit,
        )
        .await?
        .ok_or(DomainError::NotFound)
}

/// Disables (every session of the client ends) or enables the client's account, audited as a
/// change. An administrator cannot disable their own account this way.
pub async fn set_client_disabled(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    disabled: bool,
    reason: Option<&str>,
) -> Result<ClientAccount, DomainError> {
    let (permit, reason) = permit(ctx, actor, client, reason).await?;
    if disabled && ctx.store.client_user(client).await? == Some(actor.user_id) {
        return Err(DomainError::NotFound);
    }
    let audit = event(ctx, actor, &permit, client, AuditAction::Changed, reason);
    ctx.store
        .change_client_account(client, None, AccountChange::Disabled(disabled), audit)
        .await?
        .ok_or(DomainError::NotFound)
}
