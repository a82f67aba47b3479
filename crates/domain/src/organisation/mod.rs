//! Organisation and people: first-run setup and what administrators do.

pub mod client_accounts;
pub mod store;

pub use store::{
    NewOffice, NewOrganisation, NewTeam, Office, OrganisationStore, Team, UserSummary,
};

use crate::DomainError;
use crate::accounts::password::NewPassword;
use crate::accounts::{AccountsStore, NewUser, token_hash};
use crate::ids::{OfficeId, OrganisationId, TeamId, UserId};
use crate::policy::{Action, Resource, authorize};
use crate::ports::{Clock, PasswordHasher};
use crate::roles::{Actor, Role, RoleGrant};
use crate::types::{FieldError, PersonName, Secret, UnitName, Username};

/// Raw input for a new person, as typed into a form or the CLI.
#[derive(Debug, Clone, Default)]
pub struct NewPersonInput {
    pub username: String,
    pub display_name: String,
    /// Empty for people who will log in only through an external identity provider.
    pub password: Secret,
    pub grants: Vec<RoleGrant>,
    pub protected_access: Vec<OfficeId>,
}

/// The roles an administrator grants to staff (clients get theirs through a client case).
pub const ASSIGNABLE_ROLES: [Role; 5] = [
    Role::Counselor,
    Role::Leader,
    Role::Moderator,
    Role::Partner,
    Role::Administrator,
];

/// Whether a grant of `role` is for one office (administrators act for the whole
/// organisation and have none).
pub fn needs_office(role: Role) -> bool {
    role != Role::Administrator
}

/// The staff-grant rule, for the people page and `vendepunkt admin create-user`: `role`
/// must be one staff may be given; an administrator's grant has no office (any office
/// given is left out); every other role needs `office`. Field errors name `role` and
/// `office_id`.
pub fn staff_grant(role: Role, office: Option<OfficeId>) -> Result<RoleGrant, DomainError> {
    if !ASSIGNABLE_ROLES.contains(&role) {
        return Err(DomainError::invalid("role", FieldError::InvalidCharacters));
    }
    if !needs_office(role) {
        return Ok(RoleGrant {
            role,
            office_id: None,
        });
    }
    match office {
        Some(office) => Ok(RoleGrant {
            role,
            office_id: Some(office),
        }),
        None => Err(DomainError::invalid("office_id", FieldError::Required)),
    }
}

/// Parses a new person; collects every field error so the form can show them all at once.
pub async fn parse_new_person(
    hasher: &dyn PasswordHasher,
    organisation_id: OrganisationId,
    input: &NewPersonInput,
    now: time::OffsetDateTime,
) -> Result<NewUser, DomainError> {
    let mut errors: Vec<(&'static str, FieldError)> = Vec::new();
    let username = Username::parse(&input.username)
        .map_err(|e| errors.push(("username", e)))
        .ok();
    let display_name = PersonName::parse(&input.display_name)
        .map_err(|e| errors.push(("display_name", e)))
        .ok();
    let password = if input.password.is_empty() {
        None
    } else {
        NewPassword::parse(&input.password, &input.username)
            .map_err(|e| errors.push(("password", e)))
            .ok()
    };
    if input.grants.iter().any(|g| g.role == Role::Client) {
        // Clients get their role through a client case, not a grant.
        errors.push(("roles", FieldError::InvalidCharacters));
    }
    let (Some(username), Some(display_name)) = (username, display_name) else {
        return Err(DomainError::Invalid(errors));
    };
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    let password_hash = match password {
        Some(p) => Some(hasher.hash(p.secret()).await?),
        None => None,
    };
    Ok(NewUser {
        id: UserId::new(),
        organisation_id,
        username,
        display_name,
        password_hash,
        grants: input.grants.clone(),
        protected_access: input.protected_access.clone(),
        created_at: now,
    })
}

/// Input for the first-run setup page.
#[derive(Debug, Clone, Default)]
pub struct SetupInput {
    pub token: Secret,
    pub organisation_name: String,
    pub office_name: String,
    pub admin: NewPersonInput,
}

/// Creates the organisation, its first office and the first administrator, if the one-time
/// token is right. The token is consumed only when everything else is valid.
pub async fn complete_setup<S: OrganisationStore + AccountsStore + ?Sized>(
    store: &S,
    clock: &dyn Clock,
    hasher: &dyn PasswordHasher,
    input: SetupInput,
) -> Result<UserId, DomainError> {
    let now = clock.now();
    let org_name = UnitName::parse(&input.organisation_name)
        .map_err(|e| DomainError::invalid("organisation_name", e))?;
    let office_name =
        UnitName::parse(&input.office_name).map_err(|e| DomainError::invalid("office_name", e))?;
    if input.admin.password.is_empty() {
        return Err(DomainError::invalid("password", FieldError::Required));
    }
    let org_id = OrganisationId::new();
    let mut admin = input.admin.clone();
    admin.grants = vec![RoleGrant {
        role: Role::Administrator,
        office_id: None,
    }];
    let user = parse_new_person(hasher, org_id, &admin, now).await?;
    if !store.consume_setup_token(&token_hash(&input.token)).await? {
        return Err(DomainError::SetupTokenInvalid);
    }
    let user_id = user.id;
    store
        .create_organisation(NewOrganisation {
            id: org_id,
            name: org_name,
            created_at: now,
        })
        .await?;
    store
        .create_office(NewOffice {
            id: OfficeId::new(),
            organisation_id: org_id,
            name: office_name,
            created_at: now,
        })
        .await?;
    store.create_user(user).await?;
    Ok(user_id)
}

fn admin_of(actor: &Actor) -> Result<OrganisationId, DomainError> {
    authorize(
        actor,
        Action::ManageOrganisation,
        Resource::Organisation(actor.organisation_id),
    )?;
    Ok(actor.organisation_id)
}

/// Grants may only name offices of the administrator's own organisation.
async fn check_offices<S: OrganisationStore + ?Sized>(
    store: &S,
    org: OrganisationId,
    input: &NewPersonInput,
) -> Result<(), DomainError> {
    let offices = store.list_offices(org).await?;
    let known = |o: &OfficeId| offices.iter().any(|x| x.id == *o);
    let all_known = input
        .grants
        .iter()
        .filter_map(|g| g.office_id.as_ref())
        .all(known)
        && input.protected_access.iter().all(known);
    if all_known {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

pub async fn create_person<S: OrganisationStore + AccountsStore + ?Sized>(
    store: &S,
    clock: &dyn Clock,
    hasher: &dyn PasswordHasher,
    actor: &Actor,
    input: &NewPersonInput,
) -> Result<UserId, DomainError> {
    let org = admin_of(actor)?;
    check_offices(store, org, input).await?;
    let user = parse_new_person(hasher, org, input, clock.now()).await?;
    let id = user.id;
    store.create_user(user).await.map_err(|e| match e {
        crate::ports::PortError::Conflict(_) => {
            DomainError::invalid("username", FieldError::InvalidCharacters)
        }
        other => other.into(),
    })?;
    Ok(id)
}

pub async fn set_person_disabled<S: OrganisationStore + AccountsStore + ?Sized>(
    store: &S,
    actor: &Actor,
    user: UserId,
    disabled: bool,
) -> Result<(), DomainError> {
    let org = admin_of(actor)?;
    let people = store.list_users(org).await?;
    if !people.iter().any(|p| p.id == user) || (user == actor.user_id && disabled) {
        return Err(DomainError::NotFound);
    }
    store.set_disabled(user, disabled).await?;
    Ok(())
}

pub async fn list_people<S: OrganisationStore + ?Sized>(
    store: &S,
    actor: &Actor,
) -> Result<Vec<UserSummary>, DomainError> {
    let org = admin_of(actor)?;
    Ok(store.list_users(org).await?)
}

pub async fn list_offices<S: OrganisationStore + ?Sized>(
    store: &S,
    actor: &Actor,
) -> Result<Vec<Office>, DomainError> {
    let org = admin_of(actor)?;
    Ok(store.list_offices(org).await?)
}

pub async fn create_office<S: OrganisationStore + ?Sized>(
    store: &S,
    clock: &dyn Clock,
    actor: &Actor,
    name: &str,
) -> Result<OfficeId, DomainError> {
    let org = admin_of(actor)?;
    let name = UnitName::parse(name).map_err(|e| DomainError::invalid("name", e))?;
    let id = OfficeId::new();
    store
        .create_office(NewOffice {
            id,
            organisation_id: org,
            name,
            created_at: clock.now(),
        })
        .await?;
    Ok(id)
}

pub async fn create_team<S: OrganisationStore + ?Sized>(
    store: &S,
    clock: &dyn Clock,
    actor: &Actor,
    office: OfficeId,
    name: &str,
) -> Result<TeamId, DomainError> {
    let org = admin_of(actor)?;
    if !store
        .list_offices(org)
        .await?
        .iter()
        .any(|o| o.id == office)
    {
        return Err(DomainError::NotFound);
    }
    let name = UnitName::parse(name).map_err(|e| DomainError::invalid("name", e))?;
    let id = TeamId::new();
    store
        .create_team(NewTeam {
            id,
            office_id: office,
            name,
            created_at: clock.now(),
        })
        .await?;
    Ok(id)
}

pub async fn list_teams<S: OrganisationStore + ?Sized>(
    store: &S,
    actor: &Actor,
) -> Result<Vec<(Office, Vec<Team>)>, DomainError> {
    let org = admin_of(actor)?;
    let mut out = Vec::new();
    for office in store.list_offices(org).await? {
        let teams = store.list_teams(office.id).await?;
        out.push((office, teams));
    }
    Ok(out)
}

/// The offices whose anonymous insight `actor` may see (as leader); out of reach when none.
pub fn insight_offices(actor: &Actor) -> Result<Vec<OfficeId>, DomainError> {
    let offices: Vec<OfficeId> = actor
        .offices_with_role(Role::Leader)
        .into_iter()
        .filter(|o| authorize(actor, Action::ViewOfficeInsights, Resource::Office(*o)).is_ok())
        .collect();
    if offices.is_empty() {
        Err(DomainError::NotFound)
    } else {
        Ok(offices)
    }
}

#[cfg(test)]
mod grant_tests {
    use super::*;

    fn show(r: Result<RoleGrant, DomainError>) -> String {
        format!("{r:?}")
    }

    #[test]
    fn administrators_have_no_office_and_other_staff_need_one() {
        let office = OfficeId::new();
        let invalid = |field, e| show(Err(DomainError::invalid(field, e)));
        for role in Role::ALL {
            let with = show(staff_grant(role, Some(office)));
            let without = show(staff_grant(role, None));
            let grant = |office_id| show(Ok(RoleGrant { role, office_id }));
            match role {
                Role::Client => {
                    assert_eq!(with, invalid("role", FieldError::InvalidCharacters));
                    assert_eq!(without, invalid("role", FieldError::InvalidCharacters));
                }
                Role::Administrator => {
                    assert_eq!(with, grant(None));
                    assert_eq!(without, grant(None));
                }
                _ => {
                    assert_eq!(with, grant(Some(office)));
                    assert_eq!(without, invalid("office_id", FieldError::Required));
                }
            }
        }
    }
}
