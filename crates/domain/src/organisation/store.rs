//! What the organisation needs from storage: the [`OrganisationStore`] capability (offices,
//! teams, the staff list) and the records it passes. Every [`crate::ports::Store`] is one.
//! The administrator's lookup of a client's account is its own port,
//! [`super::client_accounts::AccountStore`].

use crate::ids::{OfficeId, OrganisationId, TeamId, UserId};
use crate::ports::PortResult;
use crate::roles::RoleGrant;
use crate::types::UnitName;
use async_trait::async_trait;
use time::OffsetDateTime;

#[derive(Debug, Clone)]
pub struct NewOrganisation {
    pub id: OrganisationId,
    pub name: UnitName,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewOffice {
    pub id: OfficeId,
    pub organisation_id: OrganisationId,
    pub name: UnitName,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct NewTeam {
    pub id: TeamId,
    pub office_id: OfficeId,
    pub name: UnitName,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Office {
    pub id: OfficeId,
    pub organisation_id: OrganisationId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Team {
    pub id: TeamId,
    pub office_id: OfficeId,
    pub name: String,
    pub members: Vec<UserId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    pub grants: Vec<RoleGrant>,
}

/// Organisations, offices, teams and the staff list in storage.
#[async_trait]
pub trait OrganisationStore: Send + Sync {
    // organisation
    async fn create_organisation(&self, org: NewOrganisation) -> PortResult<()>;
    async fn create_office(&self, office: NewOffice) -> PortResult<()>;
    async fn create_team(&self, team: NewTeam) -> PortResult<()>;
    async fn add_team_member(&self, team: TeamId, user: UserId) -> PortResult<()>;
    async fn list_offices(&self, org: OrganisationId) -> PortResult<Vec<Office>>;
    async fn list_teams(&self, office: OfficeId) -> PortResult<Vec<Team>>;
    async fn organisation_count(&self) -> PortResult<i64>;
    /// The organisation's staff: people with at least one role grant. A client (a person
    /// linked from a client case, whose role comes from the case) is never listed unless they
    /// also hold a grant, and then without anything that says they are a client.
    async fn list_users(&self, org: OrganisationId) -> PortResult<Vec<UserSummary>>;
}
