//! What a route declares, and the gate that holds it to it.
//!
//! Each method of a route declares how it uses a domain action ([`Use`]): a page that shows
//! (`Read`), a form that changes (`Write`), the page with the form of a change (`Form`), or a
//! post that only opens a page with a stated reason (`Opens`). Two things follow from that:
//!
//! - When the router is built ([`check`]), the declaration must fit the method and the
//!   action's class ([`class_of`]): a `POST` that changes cannot be labelled with an action
//!   that only reads, a `GET` cannot be labelled as a change. A route that does not fit is not
//!   mounted (and the route-table test fails).
//! - For each request ([`enforce`]): anonymous → the login page; signed in, but holding no
//!   role that `domain::policy::authorize` would ever let do the action → the same 404 page the
//!   use case would give, before the handler runs. Which object (which client, which office)
//!   is still decided by the use case.

use crate::AppState;
use crate::edge::context::{CurrentActor, PageCtx};
use crate::edge::render::error_page;
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::{ClientId, OfficeId};
use domain::policy::{Action, ClientScope, Resource, authorize};
use domain::roles::Actor;

/// How one method of a route uses the domain's access rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Anyone, signed in or not (login, health checks, assets).
    Public,
    /// Any signed-in person (their own account).
    SignedIn,
    /// A `GET` that shows what `Action` lets one see.
    Read(Action),
    /// A `POST` that changes what `Action` lets one change.
    Write(Action),
    /// A `GET` that shows the form of a change `Action` allows (nothing changes yet).
    Form(Action),
    /// A `POST` that changes nothing: it opens the page of a reading `Action` with a stated
    /// reason (protected clients).
    Opens(Action),
}

impl Use {
    /// The domain action this use is decided by, if any.
    pub fn action(self) -> Option<Action> {
        match self {
            Use::Public | Use::SignedIn => None,
            Use::Read(a) | Use::Write(a) | Use::Form(a) | Use::Opens(a) => Some(a),
        }
    }
}

/// Whether an action is about seeing or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    Read,
    Write,
    /// The policy grants seeing and changing as one permission.
    ReadWrite,
}

/// The class of each action, as `domain::policy` describes it (exhaustive: a new action must
/// be classified here before it can be routed).
pub fn class_of(action: Action) -> Class {
    match action {
        Action::ViewClientCase
        | Action::ViewAccessLog
        | Action::ListClients
        | Action::ViewOfficeInsights
        | Action::ViewOwnFeedback => Class::Read,
        Action::ChangeClientCase | Action::OpenClientCase | Action::OpenProtectedClientCase => {
            Class::Write
        }
        // "manage people, offices, teams", "look up a client's account … reset its password",
        // "see the feedback the client shared … and record a talk".
        Action::ManageOrganisation | Action::ManageClientAccount | Action::ViewSharedFeedback => {
            Class::ReadWrite
        }
    }
}

/// Why a method's declaration does not fit, if it does not.
pub fn misfit(method: &Method, used: Use) -> Option<String> {
    let reads = |a| matches!(class_of(a), Class::Read | Class::ReadWrite);
    let writes = |a| matches!(class_of(a), Class::Write | Class::ReadWrite);
    let (want, fits) = match used {
        Use::Public | Use::SignedIn => return None,
        Use::Read(a) => (Method::GET, reads(a)),
        Use::Opens(a) => (Method::POST, reads(a)),
        Use::Write(a) | Use::Form(a) => (
            if matches!(used, Use::Write(_)) {
                Method::POST
            } else {
                Method::GET
            },
            writes(a),
        ),
    };
    if *method != want {
        return Some(format!(
            "{used:?} is declared on {method}, but belongs on {want}"
        ));
    }
    if !fits {
        let class = used.action().map(class_of);
        return Some(format!(
            "{used:?} does not fit an action of class {class:?}"
        ));
    }
    None
}

/// Whether `actor` holds a role that the policy would let do `action` to anything at all:
/// the policy is asked about the most favourable object the actor could meet (their own case,
/// a client assigned to them at each of their offices, each of their offices, their
/// organisation). `false` means every object would be refused.
pub fn may_ever(actor: &Actor, action: Action) -> bool {
    let mut offices: Vec<OfficeId> = actor.grants.iter().filter_map(|g| g.office_id).collect();
    // Administrators hold no office; a client's account may be at any office.
    offices.push(OfficeId::from(uuid::Uuid::nil()));
    let scope = |client_id, office_id| ClientScope {
        client_id,
        organisation_id: actor.organisation_id,
        office_id,
        assigned_counselor: Some(actor.user_id),
        protected: false,
    };
    let mut scopes: Vec<ClientScope> = offices
        .iter()
        .map(|o| scope(ClientId::from(uuid::Uuid::nil()), *o))
        .collect();
    if let Some(own) = actor.own_client {
        scopes.extend(offices.iter().map(|o| scope(own, *o)));
    }
    scopes
        .iter()
        .map(Resource::Client)
        .chain(offices.iter().map(|o| Resource::Office(*o)))
        .chain([Resource::Organisation(actor.organisation_id)])
        .any(|r| authorize(actor, action, r).is_ok())
}

/// The gate one method of a route declares: who may reach the handler at all.
pub async fn enforce(state: State<AppState>, used: Use, req: Request, next: Next) -> Response {
    if used == Use::Public {
        return next.run(req).await;
    }
    let actor = req
        .extensions()
        .get::<CurrentActor>()
        .and_then(|a| a.0.clone());
    let Some(actor) = actor else {
        return Redirect::to("/login").into_response();
    };
    match used.action() {
        Some(action) if !may_ever(&actor, action) => {
            let (parts, _) = req.into_parts();
            error_page(PageCtx::from_parts(&parts, &state), StatusCode::NOT_FOUND)
        }
        _ => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::ids::{OrganisationId, UserId};
    use domain::roles::{Role, RoleGrant};

    fn actor(grants: &[(Role, Option<OfficeId>)], own_client: Option<ClientId>) -> Actor {
        Actor {
            user_id: UserId::from(uuid::Uuid::from_u128(1)),
            username: "x".into(),
            display_name: "X".into(),
            organisation_id: OrganisationId::from(uuid::Uuid::from_u128(2)),
            grants: grants
                .iter()
                .map(|(role, office_id)| RoleGrant {
                    role: *role,
                    office_id: *office_id,
                })
                .collect(),
            protected_access: vec![],
            own_client,
        }
    }

    #[test]
    fn the_gate_lets_through_only_roles_the_policy_could_ever_permit() {
        let office = Some(OfficeId::from(uuid::Uuid::from_u128(3)));
        let client = actor(&[], Some(ClientId::from(uuid::Uuid::from_u128(4))));
        let counselor = actor(&[(Role::Counselor, office)], None);
        let leader = actor(&[(Role::Leader, office)], None);
        let admin = actor(&[(Role::Administrator, None)], None);
        use Action::*;
        let cases = [
            (ViewClientCase, [true, true, false, false]),
            (ChangeClientCase, [true, true, false, false]),
            (ViewAccessLog, [true, false, false, false]),
            (ListClients, [false, true, false, false]),
            (OpenClientCase, [false, true, false, false]),
            (ViewOfficeInsights, [false, false, true, false]),
            (ViewOwnFeedback, [false, true, false, false]),
            (ViewSharedFeedback, [false, true, false, false]),
            (ManageOrganisation, [false, false, false, true]),
            (ManageClientAccount, [false, false, false, true]),
        ];
        for (action, expected) in cases {
            let got = [&client, &counselor, &leader, &admin].map(|a| may_ever(a, action));
            assert_eq!(
                got, expected,
                "{action:?}: client, counselor, leader, admin"
            );
        }
    }

    #[test]
    fn a_declaration_must_fit_the_method_and_the_action() {
        use Action::*;
        assert_eq!(misfit(&Method::GET, Use::Read(ViewClientCase)), None);
        assert_eq!(misfit(&Method::POST, Use::Write(ChangeClientCase)), None);
        assert_eq!(misfit(&Method::GET, Use::Form(ChangeClientCase)), None);
        assert_eq!(misfit(&Method::POST, Use::Opens(ViewClientCase)), None);
        assert_eq!(misfit(&Method::POST, Use::Write(ManageOrganisation)), None);
        // A post that edits, labelled with an action that only reads.
        assert!(misfit(&Method::POST, Use::Write(ViewClientCase)).is_some());
        // A read declared on a post, a change declared on a get.
        assert!(misfit(&Method::POST, Use::Read(ViewClientCase)).is_some());
        assert!(misfit(&Method::GET, Use::Write(ChangeClientCase)).is_some());
        // Opening with a reason is a read; a form is for a change.
        assert!(misfit(&Method::POST, Use::Opens(ChangeClientCase)).is_some());
        assert!(misfit(&Method::GET, Use::Form(ViewAccessLog)).is_some());
    }
}
