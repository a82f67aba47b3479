//! The access policy: the one place where access is decided.
//!
//! Handlers never decide; they call a use case, and the use case asks [`authorize`]. Anything
//! out of reach is [`Denied::NotFound`], so that whether a client exists does not leak.
//! The rules as a table: [`access_markdown`] computes it by asking [`authorize`], and
//! `docs/ACCESS.md` shows it (a test keeps the two equal).
//!
//! Protected clients (strengthened confidentiality) are out of reach — in lists and counts
//! too — for anyone without the special permission at the client's office, and every opening
//! of a protected client needs a stated reason that goes into the audit row.

use crate::ids::{ClientId, OfficeId, OrganisationId, UserId};
use crate::roles::{Actor, Role};

mod table;
pub use table::access_markdown;

/// What the policy needs to know about a client to decide: no personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientScope {
    pub client_id: ClientId,
    pub organisation_id: OrganisationId,
    pub office_id: OfficeId,
    pub assigned_counselor: Option<UserId>,
    pub protected: bool,
}

/// Things a person can try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// See a client's case (the staff page, or the client's own home).
    ViewClientCase,
    /// Change a client's case.
    ChangeClientCase,
    /// See who looked at a client's case (the client's own log).
    ViewAccessLog,
    /// See the list of clients of an office (scope decided by [`caseload_scope`]).
    ListClients,
    /// See anonymous aggregates of an office.
    ViewOfficeInsights,
    /// See the anonymous aggregate of one's own clients' feedback against the office.
    ViewOwnFeedback,
    /// Manage people, offices and teams of an organisation.
    ManageOrganisation,
    /// See the feedback answers a client chose to share with their counselor, and record a
    /// talk about them: the assigned counselor only (the client shares with *their*
    /// counselor, not with the office). The client reads their own answers as their case.
    ViewSharedFeedback,
    /// Open a new client case at an office (the case is assigned to the acting counselor):
    /// counselors at that office only.
    OpenClientCase,
    /// Open a new *protected* client case at an office: counselors at that office who hold
    /// the special permission to reach protected clients there.
    OpenProtectedClientCase,
    /// A client's account (name, username, disabled or not), reached by an exact lookup of its
    /// username, and what may be done to it (a new password, disable, enable): administrators
    /// of the client's organisation; a protected client only with the protected permission at
    /// the client's office. On [`Resource::Organisation`], whether the lookup form is offered.
    ManageClientAccount,
}

/// What an action is done to.
#[derive(Debug, Clone, Copy)]
pub enum Resource<'a> {
    Client(&'a ClientScope),
    Office(OfficeId),
    Organisation(OrganisationId),
}

/// A positive decision, carrying what the use case must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Permit {
    /// The role under which access is granted; written to the audit row.
    pub role: Role,
    /// Whether staff are being shown a client's personal data (so an audit row is due).
    pub audited: bool,
    /// Whether a reason must be stated first (protected clients).
    pub reason_required: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Denied {
    /// Out of reach, or does not exist: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
}

const fn staff(role: Role, reason_required: bool) -> Permit {
    Permit {
        role,
        audited: true,
        reason_required,
    }
}

/// Decides whether `actor` may do `action` to `resource`.
pub fn authorize(actor: &Actor, action: Action, resource: Resource<'_>) -> Result<Permit, Denied> {
    match (action, resource) {
        (Action::ViewClientCase | Action::ChangeClientCase, Resource::Client(c)) => {
            if actor.own_client == Some(c.client_id) {
                return Ok(Permit {
                    role: Role::Client,
                    audited: false,
                    reason_required: false,
                });
            }
            if c.organisation_id != actor.organisation_id {
                return Err(Denied::NotFound);
            }
            if c.protected && !actor.may_reach_protected_at(c.office_id) {
                return Err(Denied::NotFound);
            }
            if !actor.has_role_at(Role::Counselor, c.office_id) {
                return Err(Denied::NotFound);
            }
            let assigned = c.assigned_counselor == Some(actor.user_id);
            match action {
                Action::ViewClientCase => Ok(staff(Role::Counselor, c.protected)),
                _ if assigned => Ok(staff(Role::Counselor, c.protected)),
                _ => Err(Denied::NotFound),
            }
        }
        (Action::ViewSharedFeedback, Resource::Client(c)) => {
            if c.organisation_id != actor.organisation_id
                || c.assigned_counselor != Some(actor.user_id)
                || !actor.has_role_at(Role::Counselor, c.office_id)
                || (c.protected && !actor.may_reach_protected_at(c.office_id))
            {
                return Err(Denied::NotFound);
            }
            Ok(staff(Role::Counselor, c.protected))
        }
        (Action::ViewAccessLog, Resource::Client(c)) => {
            if actor.own_client == Some(c.client_id) {
                Ok(Permit {
                    role: Role::Client,
                    audited: false,
                    reason_required: false,
                })
            } else {
                Err(Denied::NotFound)
            }
        }
        (Action::ListClients, Resource::Office(office)) => {
            if actor.has_role_at(Role::Counselor, office) {
                Ok(Permit {
                    role: Role::Counselor,
                    audited: true,
                    reason_required: false,
                })
            } else {
                Err(Denied::NotFound)
            }
        }
        (Action::ViewOfficeInsights, Resource::Office(office)) => {
            if actor.has_role_at(Role::Leader, office) {
                Ok(Permit {
                    role: Role::Leader,
                    audited: false,
                    reason_required: false,
                })
            } else {
                Err(Denied::NotFound)
            }
        }
        (Action::ViewOwnFeedback, Resource::Office(office)) => {
            if actor.has_role_at(Role::Counselor, office) {
                Ok(Permit {
                    role: Role::Counselor,
                    audited: false,
                    reason_required: false,
                })
            } else {
                Err(Denied::NotFound)
            }
        }
        (Action::OpenClientCase, Resource::Office(office)) => {
            if actor.has_role_at(Role::Counselor, office) {
                Ok(staff(Role::Counselor, false))
            } else {
                Err(Denied::NotFound)
            }
        }
        (Action::OpenProtectedClientCase, Resource::Office(office)) => {
            if actor.has_role_at(Role::Counselor, office) && actor.may_reach_protected_at(office) {
                Ok(staff(Role::Counselor, false))
            } else {
                Err(Denied::NotFound)
            }
        }
        (Action::ManageClientAccount, Resource::Client(c)) => {
            if c.organisation_id != actor.organisation_id
                || !actor.has_role(Role::Administrator)
                || (c.protected && !actor.may_reach_protected_at(c.office_id))
            {
                return Err(Denied::NotFound);
            }
            Ok(staff(Role::Administrator, c.protected))
        }
        (Action::ManageOrganisation | Action::ManageClientAccount, Resource::Organisation(org)) => {
            if org == actor.organisation_id && actor.has_role(Role::Administrator) {
                Ok(Permit {
                    role: Role::Administrator,
                    audited: false,
                    reason_required: false,
                })
            } else {
                Err(Denied::NotFound)
            }
        }
        // Every other pairing of action and resource is meaningless, hence out of reach.
        _ => Err(Denied::NotFound),
    }
}

/// Which clients a counselor's lists may contain. Lists and counts are filtered by the store
/// with exactly this scope, so protected clients never appear in them without permission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseloadScope {
    pub counselor_id: UserId,
    /// Offices whose clients may be listed, each with whether protected clients are included.
    pub offices: Vec<OfficeScope>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeScope {
    pub office_id: OfficeId,
    pub include_protected: bool,
}

/// The list scope for a counselor, or `None` for anyone who may list no clients.
pub fn caseload_scope(actor: &Actor) -> Option<CaseloadScope> {
    let offices: Vec<OfficeScope> = actor
        .offices_with_role(Role::Counselor)
        .into_iter()
        .map(|office_id| OfficeScope {
            office_id,
            include_protected: actor.may_reach_protected_at(office_id),
        })
        .collect();
    if offices.is_empty() {
        None
    } else {
        Some(CaseloadScope {
            counselor_id: actor.user_id,
            offices,
        })
    }
}

/// Whether `actor` has contact hours of their own to publish (and to read back on their
/// account page): counselors only, since clients agree with their counselor instead.
pub fn may_publish_contact_hours(actor: &Actor) -> bool {
    actor.has_role(Role::Counselor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::roles::RoleGrant;

    struct World {
        org: OrganisationId,
        office_a: OfficeId,
        office_b: OfficeId,
    }

    fn world() -> World {
        World {
            org: OrganisationId::new(),
            office_a: OfficeId::new(),
            office_b: OfficeId::new(),
        }
    }

    fn actor(w: &World, grants: &[(Role, Option<OfficeId>)]) -> Actor {
        Actor {
            user_id: UserId::new(),
            username: "test".into(),
            display_name: "Test".into(),
            organisation_id: w.org,
            grants: grants
                .iter()
                .map(|(role, office_id)| RoleGrant {
                    role: *role,
                    office_id: *office_id,
                })
                .collect(),
            protected_access: vec![],
            own_client: None,
        }
    }

    fn client(
        w: &World,
        office: OfficeId,
        counselor: Option<UserId>,
        protected: bool,
    ) -> ClientScope {
        ClientScope {
            client_id: ClientId::new(),
            organisation_id: w.org,
            office_id: office,
            assigned_counselor: counselor,
            protected,
        }
    }

    #[test]
    fn the_client_reaches_only_their_own_case() {
        let w = world();
        let c = client(&w, w.office_a, None, false);
        let mut me = actor(&w, &[]);
        me.own_client = Some(c.client_id);
        let other = client(&w, w.office_a, None, false);
        let permit = authorize(&me, Action::ViewClientCase, Resource::Client(&c));
        assert_eq!(
            permit.map(|p| (p.role, p.audited)),
            Ok((Role::Client, false))
        );
        assert_eq!(
            authorize(&me, Action::ViewClientCase, Resource::Client(&other)),
            Err(Denied::NotFound)
        );
        assert!(authorize(&me, Action::ViewAccessLog, Resource::Client(&c)).is_ok());
        assert!(authorize(&me, Action::ViewAccessLog, Resource::Client(&other)).is_err());
    }

    #[test]
    fn counselors_read_their_office_and_change_only_their_caseload() {
        let w = world();
        let me = actor(&w, &[(Role::Counselor, Some(w.office_a))]);
        let mine = client(&w, w.office_a, Some(me.user_id), false);
        let colleague = client(&w, w.office_a, Some(UserId::new()), false);
        let elsewhere = client(&w, w.office_b, None, false);
        let view = |c: &ClientScope| authorize(&me, Action::ViewClientCase, Resource::Client(c));
        let change =
            |c: &ClientScope| authorize(&me, Action::ChangeClientCase, Resource::Client(c));
        assert!(view(&mine).is_ok_and(|p| p.audited));
        assert!(change(&mine).is_ok());
        assert!(view(&colleague).is_ok());
        assert_eq!(change(&colleague), Err(Denied::NotFound));
        assert_eq!(view(&elsewhere), Err(Denied::NotFound));
        assert_eq!(
            authorize(&me, Action::ViewAccessLog, Resource::Client(&mine)),
            Err(Denied::NotFound)
        );
    }

    #[test]
    fn shared_feedback_reaches_the_assigned_counselor_only() {
        let w = world();
        let me = actor(&w, &[(Role::Counselor, Some(w.office_a))]);
        let mine = client(&w, w.office_a, Some(me.user_id), false);
        let colleague = client(&w, w.office_a, Some(UserId::new()), false);
        let see = |a: &Actor, c: &ClientScope| {
            authorize(a, Action::ViewSharedFeedback, Resource::Client(c))
        };
        assert!(see(&me, &mine).is_ok_and(|p| p.audited && p.role == Role::Counselor));
        assert_eq!(see(&me, &colleague), Err(Denied::NotFound));
        let leader = actor(&w, &[(Role::Leader, Some(w.office_a))]);
        assert_eq!(see(&leader, &mine), Err(Denied::NotFound));
        let mut own = actor(&w, &[]);
        own.own_client = Some(mine.client_id);
        assert_eq!(see(&own, &mine), Err(Denied::NotFound));
    }

    #[test]
    fn protected_clients_need_the_special_permission_and_a_reason() {
        let w = world();
        let mut me = actor(&w, &[(Role::Counselor, Some(w.office_a))]);
        let c = client(&w, w.office_a, Some(me.user_id), true);
        assert_eq!(
            authorize(&me, Action::ViewClientCase, Resource::Client(&c)),
            Err(Denied::NotFound),
            "even the assigned counselor needs the permission"
        );
        me.protected_access.push(w.office_a);
        let p = authorize(&me, Action::ViewClientCase, Resource::Client(&c));
        assert!(p.is_ok_and(|p| p.reason_required));
        let scope = caseload_scope(&me);
        assert_eq!(scope.map(|s| s.offices[0].include_protected), Some(true));
    }

    #[test]
    fn leaders_and_administrators_see_no_client_data() {
        let w = world();
        let leader = actor(&w, &[(Role::Leader, Some(w.office_a))]);
        let admin = actor(&w, &[(Role::Administrator, None)]);
        let c = client(&w, w.office_a, None, false);
        for a in [&leader, &admin] {
            for action in [
                Action::ViewClientCase,
                Action::ChangeClientCase,
                Action::ViewAccessLog,
            ] {
                assert_eq!(
                    authorize(a, action, Resource::Client(&c)),
                    Err(Denied::NotFound)
                );
            }
            assert_eq!(
                authorize(a, Action::ListClients, Resource::Office(w.office_a)),
                Err(Denied::NotFound)
            );
            assert!(caseload_scope(a).is_none());
        }
        assert!(
            authorize(
                &leader,
                Action::ViewOfficeInsights,
                Resource::Office(w.office_a)
            )
            .is_ok()
        );
        assert!(
            authorize(
                &leader,
                Action::ViewOfficeInsights,
                Resource::Office(w.office_b)
            )
            .is_err()
        );
        assert!(
            authorize(
                &admin,
                Action::ManageOrganisation,
                Resource::Organisation(w.org)
            )
            .is_ok()
        );
        assert!(
            authorize(
                &admin,
                Action::ManageOrganisation,
                Resource::Organisation(OrganisationId::new())
            )
            .is_err()
        );
    }

    #[test]
    fn only_counselors_at_the_office_open_cases_there_and_protected_ones_need_the_permission() {
        let w = world();
        let mut me = actor(&w, &[(Role::Counselor, Some(w.office_a))]);
        let open = |a: &Actor, o| authorize(a, Action::OpenClientCase, Resource::Office(o));
        let protect =
            |a: &Actor, o| authorize(a, Action::OpenProtectedClientCase, Resource::Office(o));
        assert!(open(&me, w.office_a).is_ok_and(|p| p.role == Role::Counselor));
        assert_eq!(open(&me, w.office_b), Err(Denied::NotFound));
        assert_eq!(protect(&me, w.office_a), Err(Denied::NotFound));
        me.protected_access.push(w.office_a);
        assert!(protect(&me, w.office_a).is_ok());
        // The permission alone, without the counselor role there, is not enough.
        let mut elsewhere = actor(&w, &[(Role::Counselor, Some(w.office_b))]);
        elsewhere.protected_access.push(w.office_a);
        assert_eq!(protect(&elsewhere, w.office_a), Err(Denied::NotFound));
        let leader = actor(&w, &[(Role::Leader, Some(w.office_a))]);
        let admin = actor(&w, &[(Role::Administrator, None)]);
        let mut client = actor(&w, &[]);
        client.own_client = Some(ClientId::new());
        for a in [&leader, &admin, &client] {
            assert_eq!(open(a, w.office_a), Err(Denied::NotFound));
            assert_eq!(protect(a, w.office_a), Err(Denied::NotFound));
        }
    }

    #[test]
    fn only_administrators_reach_a_clients_account_and_protected_ones_need_the_permission() {
        let w = world();
        let mut admin = actor(&w, &[(Role::Administrator, None)]);
        let plain = client(&w, w.office_a, None, false);
        let protected = client(&w, w.office_a, None, true);
        let manage = |a: &Actor, c: &ClientScope| {
            authorize(a, Action::ManageClientAccount, Resource::Client(c))
        };
        let p = manage(&admin, &plain);
        assert!(p.is_ok_and(|p| p.audited && p.role == Role::Administrator && !p.reason_required));
        assert_eq!(manage(&admin, &protected), Err(Denied::NotFound));
        // The permission at another office is not enough.
        admin.protected_access.push(w.office_b);
        assert_eq!(manage(&admin, &protected), Err(Denied::NotFound));
        admin.protected_access.push(w.office_a);
        assert!(manage(&admin, &protected).is_ok_and(|p| p.audited && p.reason_required));
        let mut elsewhere = plain.clone();
        elsewhere.organisation_id = OrganisationId::new();
        assert_eq!(manage(&admin, &elsewhere), Err(Denied::NotFound));
        // Nobody else, whatever their permissions; the client not even for their own account.
        let mut counselor = actor(&w, &[(Role::Counselor, Some(w.office_a))]);
        counselor.protected_access.push(w.office_a);
        let assigned = client(&w, w.office_a, Some(counselor.user_id), false);
        let mut leader = actor(&w, &[(Role::Leader, Some(w.office_a))]);
        leader.protected_access.push(w.office_a);
        let mut own = actor(&w, &[]);
        own.own_client = Some(plain.client_id);
        for a in [&counselor, &leader, &own] {
            for c in [&plain, &protected, &assigned] {
                assert_eq!(manage(a, c), Err(Denied::NotFound));
            }
            assert_eq!(
                authorize(
                    a,
                    Action::ManageClientAccount,
                    Resource::Organisation(w.org)
                ),
                Err(Denied::NotFound)
            );
        }
        assert!(
            authorize(
                &admin,
                Action::ManageClientAccount,
                Resource::Organisation(w.org)
            )
            .is_ok()
        );
    }

    #[test]
    fn another_organisation_is_out_of_reach_even_with_a_matching_office_id() {
        let w = world();
        let me = actor(&w, &[(Role::Counselor, Some(w.office_a))]);
        let mut c = client(&w, w.office_a, Some(me.user_id), false);
        c.organisation_id = OrganisationId::new();
        assert_eq!(
            authorize(&me, Action::ViewClientCase, Resource::Client(&c)),
            Err(Denied::NotFound)
        );
    }
}
