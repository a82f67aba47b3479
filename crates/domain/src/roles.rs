//! Roles and the actor: who is asking.

use crate::ids::{ClientId, OfficeId, OrganisationId, UserId};
use serde::{Deserialize, Serialize};

/// A role a person holds. A person may hold several (a counselor who is also a moderator).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    Client,
    Counselor,
    Leader,
    Moderator,
    Partner,
    Administrator,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Client,
        Role::Counselor,
        Role::Leader,
        Role::Moderator,
        Role::Partner,
        Role::Administrator,
    ];

    /// The stable name stored in the database and used in Fluent keys (`role-counselor`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Client => "client",
            Role::Counselor => "counselor",
            Role::Leader => "leader",
            Role::Moderator => "moderator",
            Role::Partner => "partner",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role is staff (its views of client data are audited).
    pub fn is_staff(&self) -> bool {
        !matches!(self, Role::Client)
    }
}

/// One role held at one office, or organisation-wide when `office_id` is `None`
/// (administrators). A client's role is held through their client record instead.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RoleGrant {
    pub role: Role,
    pub office_id: Option<OfficeId>,
}

/// The authenticated person making a request, with everything the policy needs to decide.
/// Built by the store from the user's grants; never from request input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: UserId,
    /// The login name (for password changes and the account page).
    pub username: String,
    pub display_name: String,
    pub organisation_id: OrganisationId,
    pub grants: Vec<RoleGrant>,
    /// Offices where this person holds the special permission to reach protected clients.
    pub protected_access: Vec<OfficeId>,
    /// The client case this person *is*, if they are a client.
    pub own_client: Option<ClientId>,
}

impl Actor {
    pub fn has_role(&self, role: Role) -> bool {
        (role == Role::Client && self.own_client.is_some())
            || self.grants.iter().any(|g| g.role == role)
    }

    pub fn has_role_at(&self, role: Role, office: OfficeId) -> bool {
        self.grants
            .iter()
            .any(|g| g.role == role && g.office_id == Some(office))
    }

    pub fn offices_with_role(&self, role: Role) -> Vec<OfficeId> {
        self.grants
            .iter()
            .filter(|g| g.role == role)
            .filter_map(|g| g.office_id)
            .collect()
    }

    pub fn may_reach_protected_at(&self, office: OfficeId) -> bool {
        self.protected_access.contains(&office)
    }

    /// Roles held, for menus and the home page. Client first when present.
    pub fn roles(&self) -> Vec<Role> {
        Role::ALL
            .into_iter()
            .filter(|r| self.has_role(*r))
            .collect()
    }
}
