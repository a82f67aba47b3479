//! A small organisation with one person per role, for router and browser tests: two offices
//! (A and B), clients with accounts, counselors in and outside the clients' office, a leader,
//! an administrator (and one with the protected permission at office A) and a protected
//! client with an account.

use domain::accounts::store::NewUser;
use domain::audit::{AuditAction, DataKind, NewAuditEvent};
use domain::cases::store::NewClient;
use domain::ids::{AuditId, ClientId, OfficeId, OrganisationId, RequestId, UserId};
use domain::organisation::store::{NewOffice, NewOrganisation};
use domain::ports::{Clock, PasswordHasher, Store};
use domain::roles::{Role, RoleGrant};
use domain::types::{PersonName, Secret, UnitName, Username};

pub const PASSWORD: &str = "a long test password 123";

pub struct World {
    pub org: OrganisationId,
    pub office_a: OfficeId,
    pub office_b: OfficeId,
    /// The client whose case the matrix is about (office A, assigned to `assigned_counselor`).
    pub owner_client: ClientId,
    /// Another client with an account (office A, assigned to `same_office_counselor`).
    pub other_client: ClientId,
    /// A protected client at office A with an account (`users::PROTECTED_CLIENT`), followed by
    /// `users::PROTECTED_ACCESS_COUNSELOR`.
    pub protected_client: ClientId,
    pub admin_id: UserId,
    pub assigned_counselor_id: UserId,
}

/// Usernames of the people in the world.
pub mod users {
    pub const OWNER_CLIENT: &str = "owner-client";
    pub const OTHER_CLIENT: &str = "other-client";
    pub const ASSIGNED_COUNSELOR: &str = "assigned-counselor";
    pub const SAME_OFFICE_COUNSELOR: &str = "same-office-counselor";
    pub const OTHER_OFFICE_COUNSELOR: &str = "other-office-counselor";
    pub const PROTECTED_ACCESS_COUNSELOR: &str = "protected-access-counselor";
    pub const LEADER: &str = "leader-a";
    pub const ADMINISTRATOR: &str = "administrator";
    /// An administrator with the protected permission at office A.
    pub const PROTECTED_ACCESS_ADMINISTRATOR: &str = "protected-access-administrator";
    /// The protected client's own account.
    pub const PROTECTED_CLIENT: &str = "protected-client";
}

impl World {
    pub async fn build(store: &dyn Store, hasher: &dyn PasswordHasher, clock: &dyn Clock) -> World {
        let now = clock.now();
        let hash = hasher.hash(&Secret::new(PASSWORD)).await.unwrap();
        let org = OrganisationId::new();
        store
            .create_organisation(NewOrganisation {
                id: org,
                name: UnitName::parse("Testkommune").unwrap(),
                created_at: now,
            })
            .await
            .unwrap();
        let (office_a, office_b) = (OfficeId::new(), OfficeId::new());
        for (id, name) in [(office_a, "Kontor A"), (office_b, "Kontor B")] {
            store
                .create_office(NewOffice {
                    id,
                    organisation_id: org,
                    name: UnitName::parse(name).unwrap(),
                    created_at: now,
                })
                .await
                .unwrap();
        }
        let person = |username: &str,
                      name: &str,
                      grants: Vec<RoleGrant>,
                      protected: Vec<OfficeId>| NewUser {
            id: UserId::new(),
            organisation_id: org,
            username: Username::parse(username).unwrap(),
            display_name: PersonName::parse(name).unwrap(),
            password_hash: Some(hash.clone()),
            grants,
            protected_access: protected,
            created_at: now,
        };
        let at = |role, office| {
            vec![RoleGrant {
                role,
                office_id: Some(office),
            }]
        };
        let admin = person(
            users::ADMINISTRATOR,
            "Anne Admin",
            vec![RoleGrant {
                role: Role::Administrator,
                office_id: None,
            }],
            vec![],
        );
        let assigned = person(
            users::ASSIGNED_COUNSELOR,
            "Arne Assigned",
            at(Role::Counselor, office_a),
            vec![],
        );
        let same = person(
            users::SAME_OFFICE_COUNSELOR,
            "Siri Same",
            at(Role::Counselor, office_a),
            vec![],
        );
        let other_office = person(
            users::OTHER_OFFICE_COUNSELOR,
            "Olav Other",
            at(Role::Counselor, office_b),
            vec![],
        );
        let protected_access = person(
            users::PROTECTED_ACCESS_COUNSELOR,
            "Pia Protected",
            at(Role::Counselor, office_a),
            vec![office_a],
        );
        let protected_admin = person(
            users::PROTECTED_ACCESS_ADMINISTRATOR,
            "Per Protected-Admin",
            vec![RoleGrant {
                role: Role::Administrator,
                office_id: None,
            }],
            vec![office_a],
        );
        let leader = person(
            users::LEADER,
            "Lene Leader",
            at(Role::Leader, office_a),
            vec![],
        );
        let owner_user = person(users::OWNER_CLIENT, "Olga Owner", vec![], vec![]);
        let other_user = person(users::OTHER_CLIENT, "Otto Otherclient", vec![], vec![]);
        let protected_user = person(users::PROTECTED_CLIENT, "Paula Protected", vec![], vec![]);
        let ids = (
            admin.id,
            assigned.id,
            same.id,
            protected_access.id,
            owner_user.id,
            other_user.id,
            protected_user.id,
        );
        for p in [
            admin,
            assigned,
            same,
            other_office,
            protected_access,
            protected_admin,
            leader,
            owner_user,
            other_user,
            protected_user,
        ] {
            store.create_user(p).await.unwrap();
        }
        let (admin_id, assigned_id, same_id, protected_id, owner_uid, other_uid, protected_uid) =
            ids;
        let audit = |client_id, data_kind, action| NewAuditEvent {
            id: AuditId::new(),
            at: now,
            actor_id: admin_id,
            actor_role: Role::Administrator,
            client_id,
            data_kind,
            action,
            request_id: RequestId::new(),
            reason: None,
            listed: Vec::new(),
        };
        let make_client =
            async |name: &str, account: Option<UserId>, protected: bool, counselor: UserId| {
                let id = ClientId::new();
                store
                    .create_client(
                        NewClient {
                            id,
                            office_id: office_a,
                            user_id: account,
                            name: PersonName::parse(name).unwrap(),
                            protected,
                            created_at: now,
                        },
                        audit(id, DataKind::CaseOverview, AuditAction::Created),
                    )
                    .await
                    .unwrap();
                store
                    .assign_counselor(
                        id,
                        counselor,
                        audit(id, DataKind::Assignment, AuditAction::Changed),
                    )
                    .await
                    .unwrap();
                id
            };
        let owner_client = make_client("Olga Owner", Some(owner_uid), false, assigned_id).await;
        let other_client = make_client("Otto Otherclient", Some(other_uid), false, same_id).await;
        let protected_client =
            make_client("Paula Protected", Some(protected_uid), true, protected_id).await;
        World {
            org,
            office_a,
            office_b,
            owner_client,
            other_client,
            protected_client,
            admin_id,
            assigned_counselor_id: assigned_id,
        }
    }
}
