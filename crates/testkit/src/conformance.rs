//! The store conformance suite: written once, run against SQLite and PostgreSQL
//! (`crates/store-*/tests/conformance.rs` call [`conformance_tests!`]). Each function gets a
//! fresh, migrated store and asserts what a user of the port relies on.

use crate::db::{Db, Table};
use domain::audit::{AuditAction, DataKind, NewAuditEvent};
use domain::ids::{
    AttachmentId, AuditId, ClientId, MeasureId, MessageId, OfficeId, OrganisationId, PlanHistoryId,
    PlanItemId, RequestId, TeamId, ThreadId, UserId,
};
use domain::plan::Side;
use domain::policy::{CaseloadScope, OfficeScope};
use domain::ports::{
    FailedLogin, LiveEvent, MeasureRow, NewAttachment, NewClient, NewMessage, NewOffice,
    NewOrganisation, NewPlanHistory, NewTeam, NewThread, NewUser, PlanItemRow, PlanWrite,
    PortError, STALE, SessionRecord, Store,
};
use domain::roles::{Role, RoleGrant};
use domain::types::{AccessReason, PersonName, UnitName, Username};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

// ----- appending to the audit chain (issue 11) -----
mod audit_chain;
pub use audit_chain::the_head_moves_with_every_appended_row;
// ----- reminders, claiming notices, the staff's language (notices-reminders) -----
mod reminders;
pub use reminders::{
    due_notices_are_claimed_once, reminders_are_made_once_per_meeting_start_and_due_date,
};
// ----- what staff are shown and its audit rows (issue 11) -----
mod audit_views;
pub use audit_views::{
    a_page_about_a_missing_part_of_a_plan_writes_no_audit_row,
    clients_accounts_are_found_by_username_and_read_and_changed_with_their_audit_rows,
    the_access_log_pages_openings_and_groups_list_views_per_person_and_day,
};
// ----- client feedback (issue 5): in its own file -----
pub use crate::conformance_feedback::feedback_is_stored_shared_changed_and_deleted;

fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-03-02 09:15:00.123456 UTC)
}

/// A small organisation: two offices, a counselor at each, an administrator.
pub struct Fixture {
    pub org: OrganisationId,
    pub office_a: OfficeId,
    pub office_b: OfficeId,
    pub counselor_a: UserId,
    pub counselor_b: UserId,
    pub admin: UserId,
}

pub fn user(org: OrganisationId, name: &str, grants: Vec<RoleGrant>) -> NewUser {
    NewUser {
        id: UserId::new(),
        organisation_id: org,
        username: Username::parse(name).unwrap(),
        display_name: PersonName::parse(&format!("Person {name}")).unwrap(),
        password_hash: Some("not-a-real-hash".into()),
        grants,
        protected_access: vec![],
        created_at: t0(),
    }
}

pub fn event(
    actor: UserId,
    role: Role,
    client: ClientId,
    kind: DataKind,
    action: AuditAction,
) -> NewAuditEvent {
    NewAuditEvent {
        id: AuditId::new(),
        at: t0(),
        actor_id: actor,
        actor_role: role,
        client_id: client,
        data_kind: kind,
        action,
        request_id: RequestId::new(),
        reason: None,
    }
}

pub async fn fixture(store: &dyn Store) -> Fixture {
    let org = OrganisationId::new();
    store
        .create_organisation(NewOrganisation {
            id: org,
            name: UnitName::parse("Org").unwrap(),
            created_at: t0(),
        })
        .await
        .unwrap();
    let (office_a, office_b) = (OfficeId::new(), OfficeId::new());
    for (id, name) in [(office_a, "Office A"), (office_b, "Office B")] {
        store
            .create_office(NewOffice {
                id,
                organisation_id: org,
                name: UnitName::parse(name).unwrap(),
                created_at: t0(),
            })
            .await
            .unwrap();
    }
    let counselor_a = user(
        org,
        "counselor-a",
        vec![RoleGrant {
            role: Role::Counselor,
            office_id: Some(office_a),
        }],
    );
    let counselor_b = user(
        org,
        "counselor-b",
        vec![RoleGrant {
            role: Role::Counselor,
            office_id: Some(office_b),
        }],
    );
    let admin = user(
        org,
        "admin",
        vec![RoleGrant {
            role: Role::Administrator,
            office_id: None,
        }],
    );
    let ids = (counselor_a.id, counselor_b.id, admin.id);
    for u in [counselor_a, counselor_b, admin] {
        store.create_user(u).await.unwrap();
    }
    Fixture {
        org,
        office_a,
        office_b,
        counselor_a: ids.0,
        counselor_b: ids.1,
        admin: ids.2,
    }
}

pub async fn new_client(
    store: &dyn Store,
    f: &Fixture,
    office: OfficeId,
    name: &str,
    protected: bool,
    account: Option<UserId>,
) -> ClientId {
    let id = ClientId::new();
    store
        .create_client(
            NewClient {
                id,
                office_id: office,
                user_id: account,
                name: PersonName::parse(name).unwrap(),
                protected,
                created_at: t0(),
            },
            event(
                f.admin,
                Role::Administrator,
                id,
                DataKind::CaseOverview,
                AuditAction::Created,
            ),
        )
        .await
        .unwrap();
    id
}

/// Verifies the whole audit chain against the head, as `vendepunkt audit verify` does.
pub async fn verify_chain(store: &dyn Store) -> Result<i64, String> {
    // Small pages, so every test crosses page boundaries.
    domain::audit::verify_trail(store, 100, &mut |_, _| {})
        .await
        .map(|v| v.rows)
        .map_err(|e| e.to_string())
}

pub async fn organisation_offices_and_teams_round_trip(store: &dyn Store) {
    assert_eq!(store.organisation_count().await.unwrap(), 0);
    let f = fixture(store).await;
    assert_eq!(store.organisation_count().await.unwrap(), 1);
    let offices = store.list_offices(f.org).await.unwrap();
    assert_eq!(
        offices.iter().map(|o| o.name.as_str()).collect::<Vec<_>>(),
        ["Office A", "Office B"]
    );
    assert!(
        store
            .list_offices(OrganisationId::new())
            .await
            .unwrap()
            .is_empty(),
        "other organisations see nothing"
    );
    let team = TeamId::new();
    store
        .create_team(NewTeam {
            id: team,
            office_id: f.office_a,
            name: UnitName::parse("Team ung").unwrap(),
            created_at: t0(),
        })
        .await
        .unwrap();
    store.add_team_member(team, f.counselor_a).await.unwrap();
    store.add_team_member(team, f.counselor_a).await.unwrap(); // idempotent
    let teams = store.list_teams(f.office_a).await.unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].members, vec![f.counselor_a]);
    assert!(store.list_teams(f.office_b).await.unwrap().is_empty());
}

pub async fn people_become_actors_with_their_grants(store: &dyn Store, db: &Db) {
    let f = fixture(store).await;
    let mut u = user(
        f.org,
        "both-roles",
        vec![
            RoleGrant {
                role: Role::Counselor,
                office_id: Some(f.office_a),
            },
            RoleGrant {
                role: Role::Moderator,
                office_id: Some(f.office_b),
            },
        ],
    );
    u.protected_access = vec![f.office_a];
    let uid = u.id;
    store.create_user(u).await.unwrap();
    let actor = store.actor(uid).await.unwrap().expect("actor");
    assert_eq!(actor.organisation_id, f.org);
    assert_eq!(actor.display_name, "Person both-roles");
    assert!(actor.has_role_at(Role::Counselor, f.office_a));
    assert!(actor.has_role_at(Role::Moderator, f.office_b));
    assert!(!actor.has_role_at(Role::Counselor, f.office_b));
    assert_eq!(actor.protected_access, vec![f.office_a]);
    assert_eq!(actor.own_client, None);

    let client_user = user(f.org, "a-client", vec![]);
    let cu = client_user.id;
    store.create_user(client_user).await.unwrap();
    let case = new_client(store, &f, f.office_a, "Kari", false, Some(cu)).await;
    assert_eq!(
        store.actor(cu).await.unwrap().and_then(|a| a.own_client),
        Some(case)
    );

    let creds = store
        .credentials_by_username(&Username::parse("BOTH-roles").unwrap())
        .await
        .unwrap();
    assert_eq!(creds.map(|c| (c.user_id, c.disabled)), Some((uid, false)));
    assert!(
        store
            .credentials_by_username(&Username::parse("nobody").unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.actor(UserId::new()).await.unwrap().is_none());

    let people = store.list_users(f.org).await.unwrap();
    assert_eq!(people.len(), 4, "staff only: the client is not listed");
    assert!(people.iter().all(|p| p.id != cu));
    let both = people.iter().find(|p| p.id == uid).expect("listed");
    assert_eq!(both.grants.len(), 2);
    assert_eq!(db.count(Table::Users).await, 5);
}

pub async fn a_taken_username_is_a_conflict(store: &dyn Store, db: &Db) {
    let f = fixture(store).await;
    let again = user(f.org, "counselor-a", vec![]);
    let err = store
        .create_user(again)
        .await
        .expect_err("duplicate username must fail");
    assert!(matches!(err, PortError::Conflict("username")), "{err:?}");
    assert_eq!(db.count(Table::Users).await, 3, "nothing was stored");
}

/// Opening a client case writes the account, the case, the assignment and the audit rows in
/// one transaction: a taken username leaves no user, no client row and no audit row behind.
pub async fn opening_a_client_case_is_one_transaction(store: &dyn Store, db: &Db) {
    let f = fixture(store).await;
    let audit_rows = |client| {
        [
            event(
                f.counselor_a,
                Role::Counselor,
                client,
                DataKind::CaseOverview,
                AuditAction::Created,
            ),
            event(
                f.counselor_a,
                Role::Counselor,
                client,
                DataKind::Assignment,
                AuditAction::Changed,
            ),
        ]
        .to_vec()
    };
    let case = |client, account: Option<UserId>, protected| NewClient {
        id: client,
        office_id: f.office_a,
        user_id: account,
        name: PersonName::parse("Kari Nordmann").unwrap(),
        protected,
        created_at: t0(),
    };
    let (head_before, _) = store.audit_head().await.unwrap();

    // A taken username: nothing at all is stored.
    let refused = ClientId::new();
    let taken = user(f.org, "counselor-b", vec![]);
    let err = store
        .open_client_case(
            Some(taken.clone()),
            case(refused, Some(taken.id), false),
            f.counselor_a,
            audit_rows(refused),
        )
        .await
        .expect_err("a taken username must fail");
    assert!(matches!(err, PortError::Conflict("username")), "{err:?}");
    assert_eq!(
        store.client_scope(refused).await.unwrap(),
        None,
        "no client row"
    );
    assert_eq!(
        store.audit_head().await.unwrap().0,
        head_before,
        "no audit row"
    );
    assert_eq!(db.count(Table::Users).await, 3, "no user");
    let scope = CaseloadScope {
        counselor_id: f.counselor_a,
        offices: vec![OfficeScope {
            office_id: f.office_a,
            include_protected: true,
        }],
    };
    assert!(store.list_clients(&scope, false).await.unwrap().is_empty());

    // With a fresh username: account, case, assignment and both audit rows.
    let opened = ClientId::new();
    let account = user(f.org, "kari-n", vec![]);
    let account_id = account.id;
    store
        .open_client_case(
            Some(account),
            case(opened, Some(account_id), true),
            f.counselor_a,
            audit_rows(opened),
        )
        .await
        .unwrap();
    let s = store.client_scope(opened).await.unwrap().expect("the case");
    assert_eq!(s.office_id, f.office_a);
    assert_eq!(s.assigned_counselor, Some(f.counselor_a));
    assert!(s.protected);
    let actor = store.actor(account_id).await.unwrap().expect("the account");
    assert_eq!(
        actor.own_client,
        Some(opened),
        "the client's role comes from the case"
    );
    assert!(actor.grants.is_empty(), "a client has no role grant");
    let rows = store.audit_rows(head_before, 10).await.unwrap();
    let kinds: Vec<_> = rows
        .iter()
        .map(|r| (r.event.client_id, r.event.data_kind, r.event.action))
        .collect();
    assert_eq!(
        kinds,
        vec![
            (opened, DataKind::CaseOverview, AuditAction::Created),
            (opened, DataKind::Assignment, AuditAction::Changed),
        ]
    );
    let mine = store.list_clients(&scope, true).await.unwrap();
    assert_eq!(mine.iter().map(|c| c.id).collect::<Vec<_>>(), vec![opened]);

    // A case without an account.
    let without = ClientId::new();
    store
        .open_client_case(
            None,
            case(without, None, false),
            f.counselor_a,
            audit_rows(without),
        )
        .await
        .unwrap();
    assert_eq!(db.count(Table::Users).await, 4);
    assert_eq!(store.list_clients(&scope, true).await.unwrap().len(), 2);
    verify_chain(store).await.unwrap();
}

fn session(user: UserId, hash: &str, at: OffsetDateTime) -> SessionRecord {
    SessionRecord {
        token_hash: hash.into(),
        user_id: user,
        created_at: at,
        last_seen_at: at,
    }
}

pub async fn sessions_live_until_ended(store: &dyn Store) {
    let f = fixture(store).await;
    store
        .create_session(session(f.counselor_a, "h1", t0()))
        .await
        .unwrap();
    store
        .create_session(session(f.counselor_a, "h2", t0()))
        .await
        .unwrap();
    store
        .create_session(session(f.counselor_b, "h3", t0() - Duration::hours(13)))
        .await
        .unwrap();
    let s = store.session("h1").await.unwrap().expect("session");
    assert_eq!(
        s,
        session(f.counselor_a, "h1", t0()),
        "timestamps read back exactly"
    );
    store
        .touch_session("h1", t0() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        store.session("h1").await.unwrap().map(|s| s.last_seen_at),
        Some(t0() + Duration::minutes(5))
    );
    store.delete_session("h1").await.unwrap();
    assert!(store.session("h1").await.unwrap().is_none());
    let removed = store
        .delete_expired_sessions(t0() - Duration::minutes(30), t0() - Duration::hours(12))
        .await
        .unwrap();
    assert_eq!(removed, 1, "only the 13-hour-old session expired");
    assert!(store.session("h2").await.unwrap().is_some());
    store.delete_sessions_of_user(f.counselor_a).await.unwrap();
    assert!(store.session("h2").await.unwrap().is_none());
}

pub async fn password_change_and_disable_end_sessions(store: &dyn Store) {
    let f = fixture(store).await;
    store
        .create_session(session(f.counselor_a, "a1", t0()))
        .await
        .unwrap();
    store
        .create_session(session(f.counselor_b, "b1", t0()))
        .await
        .unwrap();
    store
        .set_password_hash(f.counselor_a, "new-hash")
        .await
        .unwrap();
    assert!(
        store.session("a1").await.unwrap().is_none(),
        "password change ends sessions"
    );
    let creds = store
        .credentials_by_username(&Username::parse("counselor-a").unwrap())
        .await
        .unwrap();
    assert_eq!(creds.and_then(|c| c.password_hash), Some("new-hash".into()));
    store.set_disabled(f.counselor_b, true).await.unwrap();
    assert!(
        store.session("b1").await.unwrap().is_none(),
        "disable ends sessions"
    );
    assert!(
        store.actor(f.counselor_b).await.unwrap().is_none(),
        "a disabled account is no actor"
    );
    store.set_disabled(f.counselor_b, false).await.unwrap();
    assert!(store.actor(f.counselor_b).await.unwrap().is_some());
}

pub async fn external_identities_link_to_users(store: &dyn Store) {
    let f = fixture(store).await;
    store
        .link_identity(f.counselor_a, "https://idp.example", "sub-1")
        .await
        .unwrap();
    assert_eq!(
        store
            .user_by_identity("https://idp.example", "sub-1")
            .await
            .unwrap(),
        Some(f.counselor_a)
    );
    assert_eq!(
        store
            .user_by_identity("https://other.example", "sub-1")
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .link_identity(f.counselor_b, "https://idp.example", "sub-1")
            .await
            .is_err()
    );
}

pub async fn failed_logins_count_within_the_window(store: &dyn Store) {
    for minutes in [0, 5, 20] {
        store
            .record_failed_login(FailedLogin {
                key: "user:kari".into(),
                at: t0() - Duration::minutes(minutes),
            })
            .await
            .unwrap();
    }
    store
        .record_failed_login(FailedLogin {
            key: "ip:10.0.0.1".into(),
            at: t0(),
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .failed_logins_since("user:kari", t0() - Duration::minutes(15))
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store
            .failed_logins_since("user:kari", t0() - Duration::hours(1))
            .await
            .unwrap(),
        3
    );
    store.clear_failed_logins("user:kari").await.unwrap();
    assert_eq!(
        store
            .failed_logins_since("user:kari", t0() - Duration::hours(1))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .failed_logins_since("ip:10.0.0.1", t0() - Duration::hours(1))
            .await
            .unwrap(),
        1
    );
}

pub async fn known_devices_are_per_user(store: &dyn Store) {
    let f = fixture(store).await;
    assert!(!store.is_known_device(f.counselor_a, "d1").await.unwrap());
    store
        .remember_device(f.counselor_a, "d1", t0())
        .await
        .unwrap();
    store
        .remember_device(f.counselor_a, "d1", t0() + Duration::days(1))
        .await
        .unwrap();
    assert!(store.is_known_device(f.counselor_a, "d1").await.unwrap());
    assert!(!store.is_known_device(f.counselor_b, "d1").await.unwrap());
}

pub async fn a_setup_token_works_once(store: &dyn Store) {
    store.put_setup_token("first", t0()).await.unwrap();
    store.put_setup_token("second", t0()).await.unwrap();
    assert!(
        !store.consume_setup_token("first").await.unwrap(),
        "a new token replaces the old"
    );
    assert!(store.consume_setup_token("second").await.unwrap());
    assert!(
        !store.consume_setup_token("second").await.unwrap(),
        "works once"
    );
}

pub async fn lists_respect_office_assignment_and_protection(store: &dyn Store) {
    let f = fixture(store).await;
    let mine = new_client(store, &f, f.office_a, "Berit", false, None).await;
    let unassigned = new_client(store, &f, f.office_a, "Anders", false, None).await;
    let protected = new_client(store, &f, f.office_a, "Cecilie", true, None).await;
    let elsewhere = new_client(store, &f, f.office_b, "Didrik", false, None).await;
    for c in [mine, protected] {
        store
            .assign_counselor(
                c,
                f.counselor_a,
                event(
                    f.admin,
                    Role::Administrator,
                    c,
                    DataKind::Assignment,
                    AuditAction::Changed,
                ),
            )
            .await
            .unwrap();
    }
    let scope = |include_protected| CaseloadScope {
        counselor_id: f.counselor_a,
        offices: vec![OfficeScope {
            office_id: f.office_a,
            include_protected,
        }],
    };
    let names =
        |v: Vec<domain::ports::ClientSummary>| v.into_iter().map(|c| c.name).collect::<Vec<_>>();
    assert_eq!(
        names(store.list_clients(&scope(false), false).await.unwrap()),
        ["Anders", "Berit"]
    );
    assert_eq!(
        names(store.list_clients(&scope(false), true).await.unwrap()),
        ["Berit"]
    );
    assert_eq!(
        names(store.list_clients(&scope(true), true).await.unwrap()),
        ["Berit", "Cecilie"]
    );
    assert_eq!(
        store.list_clients(&scope(true), false).await.unwrap().len(),
        3,
        "with the permission, protected clients are listed too"
    );
    let s = store.client_scope(protected).await.unwrap().expect("scope");
    assert!(s.protected);
    assert_eq!(
        (s.office_id, s.organisation_id, s.assigned_counselor),
        (f.office_a, f.org, Some(f.counselor_a))
    );
    assert_eq!(
        store
            .client_scope(elsewhere)
            .await
            .unwrap()
            .map(|s| s.office_id),
        Some(f.office_b)
    );
    assert!(store.client_scope(ClientId::new()).await.unwrap().is_none());
    let _ = unassigned;
}

pub async fn an_audited_read_writes_exactly_one_row(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari Nordmann", false, None).await;
    store
        .assign_counselor(
            c,
            f.counselor_a,
            event(
                f.admin,
                Role::Administrator,
                c,
                DataKind::Assignment,
                AuditAction::Changed,
            ),
        )
        .await
        .unwrap();
    let (before, _) = store.audit_head().await.unwrap();
    let record = store.read_client(c, None).await.unwrap().expect("record");
    assert_eq!(
        store.audit_head().await.unwrap().0,
        before,
        "an unaudited read writes nothing"
    );
    assert_eq!(record.name, "Kari Nordmann");
    assert_eq!(record.office_name, "Office A");
    assert_eq!(
        record.counselor,
        Some((f.counselor_a, "Person counselor-a".into()))
    );
    assert_eq!(record.created_at, t0());
    let mut e = event(
        f.counselor_a,
        Role::Counselor,
        c,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    e.reason = Some(AccessReason::parse("Meeting about housing today").unwrap());
    store
        .read_client(c, Some(e.clone()))
        .await
        .unwrap()
        .expect("record");
    let (after, _) = store.audit_head().await.unwrap();
    assert_eq!(after, before + 1);
    let rows = store.audit_rows(before, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].event, e, "the row reads back exactly as written");
    assert!(
        store
            .read_client(ClientId::new(), None)
            .await
            .unwrap()
            .is_none()
    );
    let missing = ClientId::new();
    let looked = event(
        f.counselor_a,
        Role::Counselor,
        missing,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    assert!(
        store
            .read_client(missing, Some(looked))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.audit_head().await.unwrap().0,
        after,
        "nothing shown, nothing logged"
    );
    assert_eq!(verify_chain(store).await, Ok(after));
}

/// "No audit, no data": when the audit row cannot be written, the record is not returned and
/// the change is not made. (An event id used twice is refused by the audit table.)
pub async fn without_an_audit_row_there_is_no_data(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari", false, None).await;
    let seen = event(
        f.counselor_a,
        Role::Counselor,
        c,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    store.read_client(c, Some(seen.clone())).await.unwrap();
    let head = store.audit_head().await.unwrap();
    assert!(
        store.read_client(c, Some(seen.clone())).await.is_err(),
        "the record must not be returned without its audit row"
    );
    let other = ClientId::new();
    let mut created = seen.clone();
    created.client_id = other;
    created.action = AuditAction::Created;
    let refused = store
        .create_client(
            NewClient {
                id: other,
                office_id: f.office_a,
                user_id: None,
                name: PersonName::parse("Ola").unwrap(),
                protected: false,
                created_at: t0(),
            },
            created,
        )
        .await;
    assert!(refused.is_err());
    assert!(
        store.client_scope(other).await.unwrap().is_none(),
        "the client was not created without its audit row"
    );
    assert!(
        store
            .assign_counselor(c, f.counselor_b, seen)
            .await
            .is_err()
    );
    assert_eq!(
        store
            .client_scope(c)
            .await
            .unwrap()
            .and_then(|s| s.assigned_counselor),
        None,
        "the assignment was not made without its audit row"
    );
    assert_eq!(store.audit_head().await.unwrap(), head);
    assert_eq!(verify_chain(store).await, Ok(head.0));
}

pub async fn the_access_log_shows_staff_newest_first(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari", false, None).await;
    let mut first = event(
        f.counselor_a,
        Role::Counselor,
        c,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    first.at = t0() + Duration::minutes(1);
    let mut second = event(
        f.counselor_b,
        Role::Counselor,
        c,
        DataKind::ClientListEntry,
        AuditAction::Viewed,
    );
    second.at = t0() + Duration::minutes(2);
    let mut own = event(
        f.counselor_a,
        Role::Client,
        c,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    own.at = t0() + Duration::minutes(3);
    store.append_audit(vec![first, second, own]).await.unwrap();
    let log = store.access_log(c, 10).await.unwrap();
    let seen: Vec<_> = log
        .iter()
        .map(|e| (e.actor_name.as_str(), e.actor_offices.as_str(), e.data_kind))
        .collect();
    assert_eq!(
        seen,
        [
            ("Person counselor-b", "Office B", DataKind::ClientListEntry),
            ("Person counselor-a", "Office A", DataKind::CaseOverview),
            ("Person admin", "", DataKind::CaseOverview),
        ],
        "staff rows only (the client's own row is left out), newest first"
    );
    assert_eq!(store.access_log(c, 1).await.unwrap().len(), 1);
}

/// Twenty concurrent writers: none fails with "database is locked", and the chain holds.
pub async fn concurrent_writers_all_succeed(store: Arc<dyn Store>) {
    let f = fixture(store.as_ref()).await;
    let f = Arc::new(f);
    let mut tasks = Vec::new();
    for w in 0..20 {
        let store = store.clone();
        let f = f.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..10 {
                let c = new_client(
                    store.as_ref(),
                    &f,
                    f.office_a,
                    &format!("Writer {w} client {i}"),
                    false,
                    None,
                )
                .await;
                store
                    .read_client(
                        c,
                        Some(event(
                            f.counselor_a,
                            Role::Counselor,
                            c,
                            DataKind::CaseOverview,
                            AuditAction::Viewed,
                        )),
                    )
                    .await
                    .unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.expect("writer task failed");
    }
    let scope = CaseloadScope {
        counselor_id: f.counselor_a,
        offices: vec![OfficeScope {
            office_id: f.office_a,
            include_protected: false,
        }],
    };
    assert_eq!(store.list_clients(&scope, false).await.unwrap().len(), 200);
    assert_eq!(verify_chain(store.as_ref()).await, Ok(400));
}

fn plan_row(client: ClientId, item: PlanItemId, version: i64, data: &str) -> PlanItemRow {
    PlanItemRow {
        id: item,
        client_id: client,
        kind: "goal".into(),
        version,
        created_at: t0(),
        updated_at: t0() + Duration::minutes(version),
        data: data.into(),
    }
}

fn plan_write(
    actor: UserId,
    client: ClientId,
    item: PlanItemId,
    version: i64,
    data: &str,
    before: Option<&str>,
) -> PlanWrite {
    PlanWrite {
        item: plan_row(client, item, version, data),
        expected_version: (version > 1).then_some(version - 1),
        history: NewPlanHistory {
            id: PlanHistoryId::new(),
            client_id: client,
            item_id: item,
            item_kind: "goal".into(),
            version,
            at: t0() + Duration::minutes(version),
            actor_id: actor,
            actor_role: Role::Counselor,
            change: if version == 1 { "created" } else { "edited" }.into(),
            before: before.map(str::to_string),
            after: data.into(),
        },
        audit: event(
            actor,
            Role::Counselor,
            client,
            DataKind::Plan,
            if version == 1 {
                AuditAction::Created
            } else {
                AuditAction::Changed
            },
        ),
        events: vec![LiveEvent {
            recipient: actor,
            kind: "plan".into(),
            about: Some(item.to_string()),
        }],
    }
}

/// Plan items keep versions; a write based on an old version changes nothing; every write
/// leaves one history row and one audit row; reads bring the office's catalogue along.
pub async fn plan_items_are_versioned_with_history_and_audit(store: &dyn Store) {
    let f = fixture(store).await;
    let client = new_client(store, &f, f.office_a, "Kari Plan", false, None).await;
    let other = new_client(store, &f, f.office_a, "Ola Plan", false, None).await;
    let item = PlanItemId::new();
    let v1 = r#"{"text":"A job <b>near home</b>"}"#;
    let v2 = r#"{"text":"A job near home, mornings"}"#;
    store
        .write_plan_item(plan_write(f.counselor_a, client, item, 1, v1, None))
        .await
        .unwrap();
    store
        .write_plan_item(plan_write(f.counselor_a, client, item, 2, v2, Some(v1)))
        .await
        .unwrap();
    let (audit_before, _) = store.audit_head().await.unwrap();

    // A second edit based on version 1 is stale.
    let mut stale = plan_write(
        f.counselor_a,
        client,
        item,
        2,
        r#"{"text":"lost"}"#,
        Some(v1),
    );
    stale.history.id = PlanHistoryId::new();
    assert!(matches!(
        store.write_plan_item(stale).await,
        Err(PortError::Conflict(STALE))
    ));
    // So is an edit that names another client's item.
    let mut foreign = plan_write(f.counselor_a, other, item, 3, r#"{"text":"x"}"#, Some(v2));
    foreign.item.client_id = other;
    assert!(matches!(
        store.write_plan_item(foreign).await,
        Err(PortError::Conflict(STALE))
    ));
    assert_eq!(
        store.audit_head().await.unwrap().0,
        audit_before,
        "a refused write wrote audit rows"
    );
    assert_eq!(
        store
            .live_events_after(f.counselor_a, 0, 10)
            .await
            .unwrap()
            .len(),
        2,
        "each accepted write stored its live event, a refused one none"
    );

    let measure = MeasureRow {
        id: MeasureId::new(),
        office_id: f.office_a,
        version: 1,
        updated_at: t0(),
        data: r#"{"name":"Job club"}"#.into(),
    };
    store.put_measure(measure.clone(), None).await.unwrap();
    let elsewhere = MeasureRow {
        id: MeasureId::new(),
        office_id: f.office_b,
        ..measure.clone()
    };
    store.put_measure(elsewhere, None).await.unwrap();

    let plan = store.read_plan(client, None).await.unwrap().unwrap();
    assert_eq!(plan.client.name, "Kari Plan");
    assert_eq!(plan.items, vec![plan_row(client, item, 2, v2)]);
    assert_eq!(
        plan.measures,
        vec![measure.clone()],
        "only the client's office's catalogue"
    );
    assert!(
        store
            .read_plan(other, None)
            .await
            .unwrap()
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        store
            .read_plan(ClientId::new(), None)
            .await
            .unwrap()
            .is_none()
    );

    let history = store.plan_history(client, None, 10).await.unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[0].entry.version, 2, "newest first");
    assert_eq!(history[0].entry.before.as_deref(), Some(v1));
    assert_eq!(history[1].entry.after, v1);
    assert_eq!(history[0].actor_name, "Person counselor-a");

    // Audited reads write their row in the same transaction.
    let (before_view, _) = store.audit_head().await.unwrap();
    let view = event(
        f.counselor_a,
        Role::Counselor,
        client,
        DataKind::Plan,
        AuditAction::Viewed,
    );
    store.read_plan(client, Some(view)).await.unwrap().unwrap();
    let view = event(
        f.counselor_a,
        Role::Counselor,
        client,
        DataKind::PlanHistory,
        AuditAction::Viewed,
    );
    store.plan_history(client, Some(view), 10).await.unwrap();
    assert_eq!(store.audit_head().await.unwrap().0, before_view + 2);
    verify_chain(store).await.unwrap();

    // Catalogue entries are versioned too.
    let changed = MeasureRow {
        version: 2,
        data: r#"{"name":"Job club (mornings)"}"#.into(),
        ..measure.clone()
    };
    store.put_measure(changed.clone(), Some(1)).await.unwrap();
    assert!(matches!(
        store.put_measure(changed.clone(), Some(1)).await,
        Err(PortError::Conflict(STALE))
    ));
    assert_eq!(store.measure(measure.id).await.unwrap(), Some(changed));
    assert_eq!(store.list_measures(f.office_a).await.unwrap().len(), 1);
}

/// Two people save the same version of an item at once: exactly one wins.
pub async fn concurrent_plan_edits_exactly_one_wins(store: Arc<dyn Store>) {
    let f = fixture(store.as_ref()).await;
    let client = new_client(store.as_ref(), &f, f.office_a, "Kari Race", false, None).await;
    let item = PlanItemId::new();
    let v1 = r#"{"text":"v1"}"#;
    store
        .write_plan_item(plan_write(f.counselor_a, client, item, 1, v1, None))
        .await
        .unwrap();
    let mut tasks = Vec::new();
    for n in 0..8 {
        let store = store.clone();
        let actor = f.counselor_a;
        tasks.push(tokio::spawn(async move {
            let data = format!(r#"{{"text":"edit {n}"}}"#);
            store
                .write_plan_item(plan_write(actor, client, item, 2, &data, Some(v1)))
                .await
        }));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(PortError::Conflict(STALE)) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(ok, 1, "exactly one of the parallel edits must win");
    assert_eq!(store.plan_history(client, None, 10).await.unwrap().len(), 2);
    verify_chain(store.as_ref()).await.unwrap();
}

fn message(
    thread: ThreadId,
    client: ClientId,
    author: UserId,
    side: Side,
    body: &str,
    minute: i64,
) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        thread_id: thread,
        client_id: client,
        author_id: author,
        author_side: side,
        body: body.into(),
        sent_at: t0() + Duration::minutes(minute),
        attachments: vec![],
    }
}

/// Threads and messages: who wrote last, unread counts, read receipts that happen once, live
/// events in order per recipient, and threads that belong to one client only.
pub async fn conversations_keep_order_receipts_and_events(store: &dyn Store) {
    let f = fixture(store).await;
    let client_user = user(f.org, "client-talk", vec![]);
    let client_user_id = client_user.id;
    store.create_user(client_user).await.unwrap();
    let client = new_client(
        store,
        &f,
        f.office_a,
        "Kari Talk",
        false,
        Some(client_user_id),
    )
    .await;
    let other = new_client(store, &f, f.office_a, "Ola Talk", false, None).await;
    assert_eq!(
        store.client_user(client).await.unwrap(),
        Some(client_user_id)
    );
    assert_eq!(store.client_user(other).await.unwrap(), None);

    let thread = ThreadId::new();
    let to_counselor = || {
        vec![LiveEvent {
            recipient: f.counselor_a,
            kind: "message".into(),
            about: Some(thread.to_string()),
        }]
    };
    let audit = || {
        event(
            client_user_id,
            Role::Client,
            client,
            DataKind::Messages,
            AuditAction::Created,
        )
    };
    store
        .create_thread(
            NewThread {
                id: thread,
                client_id: client,
                subject: "Moving the meeting".into(),
                about: None,
                created_at: t0(),
            },
            message(
                thread,
                client,
                client_user_id,
                Side::Client,
                "Can we move it?",
                0,
            ),
            audit(),
            to_counselor(),
        )
        .await
        .unwrap();
    store
        .add_message(
            message(
                thread,
                client,
                client_user_id,
                Side::Client,
                "To Friday?",
                1,
            ),
            audit(),
            to_counselor(),
        )
        .await
        .unwrap();
    let t = store.thread_summary(thread).await.unwrap().unwrap();
    assert_eq!(
        (t.messages, t.last_author_side, t.unread_for_counselor),
        (2, Some(Side::Client), 2)
    );
    assert_eq!(t.last_message_at, Some(t0() + Duration::minutes(1)));

    // A message cannot be added to another client's thread.
    assert!(
        store
            .add_message(
                message(thread, other, f.counselor_a, Side::Counselor, "x", 2),
                audit(),
                vec![]
            )
            .await
            .is_err()
    );
    assert!(
        store
            .read_thread(thread, other, None, t0(), None, vec![])
            .await
            .unwrap()
            .is_none()
    );

    // The counselor opens it: the client's messages become read, once, with one receipt event.
    let receipt = || {
        vec![LiveEvent {
            recipient: client_user_id,
            kind: "read".into(),
            about: Some(thread.to_string()),
        }]
    };
    let read_at = t0() + Duration::minutes(5);
    let r = store
        .read_thread(
            thread,
            client,
            Some(Side::Counselor),
            read_at,
            None,
            receipt(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.messages.len(), 2);
    assert_eq!(r.messages[0].body, "Can we move it?");
    assert!(r.messages.iter().all(|m| m.read_at == Some(read_at)));
    assert_eq!(r.messages[0].author_name, "Person client-talk");
    store
        .read_thread(
            thread,
            client,
            Some(Side::Counselor),
            read_at + Duration::minutes(1),
            None,
            receipt(),
        )
        .await
        .unwrap();
    let client_events = store
        .live_events_after(client_user_id, 0, 10)
        .await
        .unwrap();
    assert_eq!(
        client_events
            .iter()
            .map(|e| e.kind.as_str())
            .collect::<Vec<_>>(),
        vec!["read"],
        "one receipt, not two"
    );

    // Events per recipient, in order, resumable after any seq.
    let events = store.live_events_after(f.counselor_a, 0, 10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(events[0].seq < events[1].seq);
    assert_eq!(
        events[0].about,
        Some(thread.to_string()),
        "what the event is about"
    );
    assert_eq!(
        store
            .live_events_after(f.counselor_a, events[0].seq, 10)
            .await
            .unwrap(),
        vec![events[1].clone()]
    );
    assert_eq!(
        store.last_live_event(f.counselor_a).await.unwrap(),
        events[1].seq
    );
    assert_eq!(store.last_live_event(f.admin).await.unwrap(), 0);

    // "No answer needed" holds until the client writes again.
    let mark = event(
        f.counselor_a,
        Role::Counselor,
        client,
        DataKind::Messages,
        AuditAction::Changed,
    );
    store
        .set_no_answer_needed(thread, true, mark)
        .await
        .unwrap();
    assert!(
        store
            .thread_summary(thread)
            .await
            .unwrap()
            .unwrap()
            .no_answer_needed
    );
    store
        .add_message(
            message(
                thread,
                client,
                client_user_id,
                Side::Client,
                "Still there?",
                9,
            ),
            audit(),
            vec![],
        )
        .await
        .unwrap();
    assert!(
        !store
            .thread_summary(thread)
            .await
            .unwrap()
            .unwrap()
            .no_answer_needed
    );

    // An attachment is stored with its message and read back byte for byte, for its client only.
    let mut with_file = message(
        thread,
        client,
        client_user_id,
        Side::Client,
        "The letter",
        10,
    );
    let file = NewAttachment {
        id: AttachmentId::new(),
        name: "letter.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: b"%PDF-1.4 \x00\xff binary %%EOF".to_vec(),
    };
    with_file.attachments = vec![file.clone()];
    store.add_message(with_file, audit(), vec![]).await.unwrap();
    let r = store
        .read_thread(thread, client, None, read_at, None, vec![])
        .await
        .unwrap()
        .unwrap();
    let meta = &r.messages.last().unwrap().attachments;
    assert_eq!(meta.len(), 1);
    assert_eq!(
        (meta[0].id, meta[0].name.as_str(), meta[0].size),
        (file.id, "letter.pdf", file.bytes.len() as i64)
    );
    let got = store
        .attachment(file.id, client, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.bytes, file.bytes);
    assert!(
        store
            .attachment(file.id, other, None)
            .await
            .unwrap()
            .is_none()
    );

    let list = store.list_threads(client, None).await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].unread_for_counselor, 2,
        "two client messages since the counselor read"
    );
    assert!(store.list_threads(other, None).await.unwrap().is_empty());

    // Check-ins: frequency per client, last contact from messages (and plan changes).
    let set = |c| {
        event(
            f.counselor_a,
            Role::Counselor,
            c,
            DataKind::Messages,
            AuditAction::Changed,
        )
    };
    store
        .set_checkin_frequency(client, Some(14), set(client))
        .await
        .unwrap();
    store
        .set_checkin_frequency(other, Some(7), set(other))
        .await
        .unwrap();
    store
        .set_checkin_frequency(other, None, set(other))
        .await
        .unwrap();
    let status = store.contact_status(&[client, other]).await.unwrap();
    let of = |c: ClientId| status.iter().find(|s| s.client_id == c).unwrap().clone();
    assert_eq!(of(client).every_days, Some(14));
    assert_eq!(
        of(client).last_contact,
        Some(t0() + Duration::minutes(10)),
        "the latest message"
    );
    assert_eq!((of(other).every_days, of(other).last_contact), (None, None));
    verify_chain(store).await.unwrap();
}

/// Generates one `#[tokio::test]` per conformance function. `$make` is an async expression
/// giving `Option<`[`Fresh`](crate::db::Fresh)`>` (`Fresh::sqlite()`, `Fresh::postgres()`);
/// `None` means the database is unavailable (skip, never under CI — the factory panics there).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            organisation_offices_and_teams_round_trip,
            sessions_live_until_ended,
            password_change_and_disable_end_sessions,
            external_identities_link_to_users,
            failed_logins_count_within_the_window,
            known_devices_are_per_user,
            a_setup_token_works_once,
            lists_respect_office_assignment_and_protection,
            an_audited_read_writes_exactly_one_row,
            the_head_moves_with_every_appended_row,
            the_access_log_shows_staff_newest_first,
            without_an_audit_row_there_is_no_data,
            plan_items_are_versioned_with_history_and_audit,
            conversations_keep_order_receipts_and_events,
            meetings_keep_versions_notes_and_audit,
            // notices-reminders
            reminders_are_made_once_per_meeting_start_and_due_date,
            feedback_is_stored_shared_changed_and_deleted,
            // issue 11
            a_page_about_a_missing_part_of_a_plan_writes_no_audit_row,
            clients_accounts_are_found_by_username_and_read_and_changed_with_their_audit_rows,
            the_access_log_pages_openings_and_groups_list_views_per_person_and_day,
        );
        // Tests that also read the database directly (`testkit::db`).
        $crate::conformance_tests!(@with_db $make;
            people_become_actors_with_their_grants,
            a_taken_username_is_a_conflict,
            opening_a_client_case_is_one_transaction,
            notices_are_stored_once_with_cursor_and_attempts,
        );
        // notices-reminders
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn due_notices_are_claimed_once() {
            let Some(fresh) = $make.await else { return };
            $crate::conformance::due_notices_are_claimed_once(fresh.store.clone()).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn concurrent_plan_edits_exactly_one_wins() {
            let Some(fresh) = $make.await else { return };
            $crate::conformance::concurrent_plan_edits_exactly_one_wins(fresh.store.clone()).await;
        }
        #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
        async fn concurrent_writers_all_succeed() {
            let Some(fresh) = $make.await else { return };
            $crate::conformance::concurrent_writers_all_succeed(fresh.store.clone()).await;
        }
    };
    (@each $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some(fresh) = $make.await else { return };
                $crate::conformance::$name(fresh.store.as_ref()).await;
            }
        )+
    };
    (@with_db $make:expr; $($name:ident),+ $(,)?) => {
        $(
            #[tokio::test]
            async fn $name() {
                let Some(fresh) = $make.await else { return };
                $crate::conformance::$name(fresh.store.as_ref(), &fresh.db).await;
            }
        )+
    };
}

/// The notice outbox: the worker's cursor over live events, notices stored once per
/// idempotency key, due notices, attempts recorded, `sending` resumed after a crash; and the
/// contact agreement and counselor availability that decide where notices go.
pub async fn notices_are_stored_once_with_cursor_and_attempts(store: &dyn Store, db: &Db) {
    use domain::availability::{ContactAgreement, CounselorAvailability};
    use domain::notify::{Channel, NewNotice, NoticeState, QuietHours};
    use domain::ports::NoticeAttempt;
    let f = fixture(store).await;
    let client_user = user(f.org, "client-notice", vec![]);
    let client_user_id = client_user.id;
    store.create_user(client_user).await.unwrap();
    let client = new_client(
        store,
        &f,
        f.office_a,
        "Kari Notice",
        false,
        Some(client_user_id),
    )
    .await;

    // Nothing agreed yet: no contact, the cursor at zero.
    assert_eq!(store.notice_contact(client_user_id).await.unwrap(), None);
    assert_eq!(store.notice_cursor().await.unwrap(), 0);
    let agreement = ContactAgreement {
        client_id: client,
        in_app: true,
        email_notices: false,
        sms_notices: true,
        phone_calls: false,
        email: None,
        phone: Some("+4799999999".into()),
        quiet: Some(QuietHours {
            start: time::macros::time!(22:00),
            end: time::macros::time!(07:30),
        }),
        response_hours: Some(48),
        language: "nn".into(),
        proposed_by: Side::Client,
        confirmed_at: None,
        version: 1,
        updated_at: t0(),
    };
    store
        .put_contact_agreement(agreement.clone(), None, None, vec![])
        .await
        .unwrap();
    assert!(matches!(
        store
            .put_contact_agreement(agreement.clone(), None, None, vec![])
            .await,
        Err(PortError::Conflict(_))
    ));
    let confirmed = ContactAgreement {
        confirmed_at: Some(t0() + Duration::minutes(5)),
        version: 2,
        ..agreement.clone()
    };
    store
        .put_contact_agreement(confirmed.clone(), Some(1), None, vec![])
        .await
        .unwrap();
    assert_eq!(
        store.contact_agreement(client, None).await.unwrap(),
        Some(confirmed)
    );
    let contact = store.notice_contact(client_user_id).await.unwrap().unwrap();
    assert_eq!(contact.channels(), [Channel::Sms]);
    assert_eq!(contact.language, "nn");
    assert_eq!(contact.quiet.unwrap().end, time::macros::time!(07:30));

    let availability = CounselorAvailability {
        counselor_id: f.counselor_a,
        contact_hours: "Monday to Thursday 9–15".into(),
        channels: vec!["messages".into(), "phone".into()],
        notice_email: Some("counselor@example.org".into()),
        updated_at: t0(),
    };
    store.put_availability(availability.clone()).await.unwrap();
    assert_eq!(
        store.availability(f.counselor_a).await.unwrap(),
        Some(availability)
    );
    assert_eq!(
        store
            .notice_contact(f.counselor_a)
            .await
            .unwrap()
            .unwrap()
            .channels(),
        [Channel::Email]
    );

    // Live events from a message are what the worker reads, across recipients, in order.
    let thread = ThreadId::new();
    store
        .create_thread(
            NewThread {
                id: thread,
                client_id: client,
                subject: "Hello".into(),
                about: None,
                created_at: t0(),
            },
            message(thread, client, f.counselor_a, Side::Counselor, "Hi", 0),
            event(
                f.counselor_a,
                Role::Counselor,
                client,
                DataKind::Messages,
                AuditAction::Created,
            ),
            vec![LiveEvent {
                recipient: client_user_id,
                kind: "message".into(),
                about: Some(thread.to_string()),
            }],
        )
        .await
        .unwrap();
    let events = store.notice_events_after(0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].recipient, client_user_id);
    assert_eq!(
        events[0].about.as_deref(),
        Some(thread.to_string().as_str())
    );
    let seq = events[0].seq;

    let notice = NewNotice {
        idempotency_key: format!("k-{seq}-sms"),
        recipient: client_user_id,
        channel: Channel::Sms,
        about: Some(thread.to_string()),
        language: "nn".into(),
        state: NoticeState::Pending,
        reason: None,
        created_at: t0(),
        next_attempt_at: t0(),
    };
    store
        .enqueue_notices(seq, vec![notice.clone()])
        .await
        .unwrap();
    // Reading the same event again (after a crash) stores nothing new.
    store
        .enqueue_notices(seq, vec![notice.clone()])
        .await
        .unwrap();
    assert_eq!(store.notice_cursor().await.unwrap(), seq);
    assert!(store.notice_events_after(seq, 10).await.unwrap().is_empty());
    assert_eq!(store.notices_for(client_user_id).await.unwrap().len(), 1);
    let about = thread.to_string();
    assert!(
        store
            .notice_recently(
                client_user_id,
                Channel::Sms,
                Some(&about),
                t0() - Duration::minutes(30)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .notice_recently(
                client_user_id,
                Channel::Email,
                Some(&about),
                t0() - Duration::minutes(30)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .notice_recently(
                client_user_id,
                Channel::Sms,
                None,
                t0() - Duration::minutes(30)
            )
            .await
            .unwrap()
    );

    // Claimed (a crash leaves it `sending`), resumed, failed once, deferred, then sent.
    let sms = [Channel::Sms];
    let lease = t0() + Duration::minutes(5);
    let claimed = store
        .claim_due_notices(t0(), lease, &sms, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].state, NoticeState::Sending);
    let id = claimed[0].id;
    assert!(
        store
            .claim_due_notices(t0(), lease, &sms, 10)
            .await
            .unwrap()
            .is_empty(),
        "a claimed notice is not claimed again while its lease runs"
    );
    assert_eq!(store.resume_sending_notices(t0()).await.unwrap(), 1);
    assert_eq!(
        store.notices_for(client_user_id).await.unwrap()[0].state,
        NoticeState::Pending
    );
    assert_eq!(
        store
            .claim_due_notices(t0(), lease, &sms, 10)
            .await
            .unwrap()
            .len(),
        1,
        "resumed: due again at once"
    );
    store
        .record_notice_attempt(
            id,
            NoticeAttempt {
                at: t0(),
                outcome: "failed".into(),
                detail: Some("timeout".into()),
            },
            NoticeState::Pending,
            t0() + Duration::seconds(30),
        )
        .await
        .unwrap();
    assert!(
        store
            .claim_due_notices(t0(), lease, &sms, 10)
            .await
            .unwrap()
            .is_empty(),
        "a failed notice waits for its retry"
    );
    store
        .defer_notice(id, t0() + Duration::minutes(1))
        .await
        .unwrap();
    let later = t0() + Duration::minutes(2);
    assert_eq!(
        store
            .claim_due_notices(later, later + Duration::minutes(5), &sms, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    store
        .record_notice_attempt(
            id,
            NoticeAttempt {
                at: later,
                outcome: "sent".into(),
                detail: None,
            },
            NoticeState::Sent,
            later,
        )
        .await
        .unwrap();
    let stored = db.notice(&notice.idempotency_key).await.unwrap();
    assert_eq!(stored.state, NoticeState::Sent.as_str());
    assert_eq!(stored.attempts, 2);
    assert_eq!(stored.sent_at, Some(later));
    assert_eq!(stored.outcomes, ["failed", "sent"]);
    assert!(
        store
            .claim_due_notices(later + Duration::hours(1), later, &sms, 10)
            .await
            .unwrap()
            .is_empty(),
        "a sent notice is never claimed again"
    );
    assert_eq!(db.notice("nope").await, None);
}

/// Meetings: a proposal, a stale answer refused, agenda points, notes that stay as they were
/// once shared, comments kept with them; every write with its audit row and live events,
/// every audited read with exactly one row; another client's meeting is not found.
pub async fn meetings_keep_versions_notes_and_audit(store: &dyn Store) {
    use domain::ids::{AgendaPointId, MeetingId, NotesCommentId};
    use domain::meetings::{MeetingMode, MeetingStatus};
    use domain::ports::{AgendaPointRow, MeetingNotesRow, MeetingRow, NotesCommentRow};

    let f = fixture(store).await;
    let client_user = user(f.org, "client-meet", vec![]);
    let cu = client_user.id;
    store.create_user(client_user).await.unwrap();
    let client = new_client(store, &f, f.office_a, "Kari Meet", false, Some(cu)).await;
    let other = new_client(store, &f, f.office_a, "Ola Meet", false, None).await;
    let audit = |actor, role, action| event(actor, role, client, DataKind::Meetings, action);
    let to = |recipient: UserId, m: MeetingId| {
        vec![LiveEvent {
            recipient,
            kind: "meeting".into(),
            about: Some(m.to_string()),
        }]
    };
    let rows_before = verify_chain(store).await.unwrap();

    let id = MeetingId::new();
    let m = MeetingRow {
        id,
        client_id: client,
        proposed_by: Side::Client,
        proposed_by_user: cu,
        starts_at: t0() + Duration::days(7),
        duration_minutes: 45,
        mode: MeetingMode::Video,
        place: "Æ, ø; å \\ \"quoted\"".into(),
        purpose: "Talk about the course".into(),
        status: MeetingStatus::Proposed,
        answer_by: Some(Side::Counselor),
        version: 1,
        created_at: t0(),
        updated_at: t0(),
    };
    store
        .create_meeting(
            m.clone(),
            audit(cu, Role::Client, AuditAction::Created),
            to(f.counselor_a, id),
        )
        .await
        .unwrap();
    let read = store.read_meeting(id, client, None).await.unwrap().unwrap();
    assert_eq!(read.meeting, m, "a meeting reads back exactly as written");
    assert!(read.agenda.is_empty() && read.notes.is_none() && read.comments.is_empty());
    assert!(
        store.read_meeting(id, other, None).await.unwrap().is_none(),
        "another client's meeting is not found"
    );
    let events = store.live_events_after(f.counselor_a, 0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "meeting");
    assert_eq!(events[0].about, Some(id.to_string()));

    // The counselor accepts; an answer based on the old version is refused and changes nothing.
    let mut accepted = m.clone();
    accepted.status = MeetingStatus::Accepted;
    accepted.answer_by = None;
    accepted.version = 2;
    accepted.updated_at = t0() + Duration::minutes(5);
    store
        .update_meeting(
            accepted.clone(),
            1,
            audit(f.counselor_a, Role::Counselor, AuditAction::Changed),
            to(cu, id),
        )
        .await
        .unwrap();
    let mut late = m.clone();
    late.starts_at = t0() + Duration::days(9);
    late.version = 2;
    let err = store
        .update_meeting(
            late,
            1,
            audit(cu, Role::Client, AuditAction::Changed),
            to(f.counselor_a, id),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, PortError::Conflict(STALE)), "{err:?}");
    let read = store.read_meeting(id, client, None).await.unwrap().unwrap();
    assert_eq!(read.meeting, accepted);

    // Agenda points from both sides, in the order written.
    for (n, (author, side)) in [(f.counselor_a, Side::Counselor), (cu, Side::Client)]
        .into_iter()
        .enumerate()
    {
        store
            .add_agenda_point(
                AgendaPointRow {
                    id: AgendaPointId::new(),
                    meeting_id: id,
                    client_id: client,
                    author_id: author,
                    author_side: side,
                    text: format!("Point {n}"),
                    created_at: t0() + Duration::minutes(10 + n as i64),
                },
                audit(author, Role::Client, AuditAction::Created),
                vec![],
            )
            .await
            .unwrap();
    }
    // A point for a meeting of another client is refused.
    assert!(
        store
            .add_agenda_point(
                AgendaPointRow {
                    id: AgendaPointId::new(),
                    meeting_id: id,
                    client_id: other,
                    author_id: cu,
                    author_side: Side::Client,
                    text: "Wrong".into(),
                    created_at: t0(),
                },
                audit(cu, Role::Client, AuditAction::Created),
                vec![],
            )
            .await
            .is_err()
    );

    // Notes: rewritten while not shared, then shared, then fixed.
    let notes = |text: &str, shared: bool| MeetingNotesRow {
        meeting_id: id,
        client_id: client,
        author_id: f.counselor_a,
        text: text.into(),
        written_at: t0() + Duration::days(7),
        shared_at: shared.then(|| t0() + Duration::days(7)),
    };
    let comment = || NotesCommentRow {
        id: NotesCommentId::new(),
        meeting_id: id,
        client_id: client,
        author_id: cu,
        author_side: Side::Client,
        correction: true,
        text: "It was Tuesday, not Monday.".into(),
        created_at: t0() + Duration::days(8),
    };
    store
        .put_meeting_notes(
            notes("Draft", false),
            audit(f.counselor_a, Role::Counselor, AuditAction::Created),
            vec![],
        )
        .await
        .unwrap();
    assert!(
        store
            .add_notes_comment(
                comment(),
                audit(cu, Role::Client, AuditAction::Created),
                vec![]
            )
            .await
            .is_err(),
        "no comments on notes that are not shared"
    );
    store
        .put_meeting_notes(
            notes("We agreed on Monday.", true),
            audit(f.counselor_a, Role::Counselor, AuditAction::Changed),
            to(cu, id),
        )
        .await
        .unwrap();
    let err = store
        .put_meeting_notes(
            notes("Rewritten", false),
            audit(f.counselor_a, Role::Counselor, AuditAction::Changed),
            vec![],
        )
        .await
        .unwrap_err();
    assert!(matches!(err, PortError::Conflict(STALE)), "{err:?}");
    let c = comment();
    store
        .add_notes_comment(
            c.clone(),
            audit(cu, Role::Client, AuditAction::Created),
            to(f.counselor_a, id),
        )
        .await
        .unwrap();

    // An audited read writes exactly one row; the record holds everything.
    let before = verify_chain(store).await.unwrap();
    let read = store
        .read_meeting(
            id,
            client,
            Some(audit(f.counselor_a, Role::Counselor, AuditAction::Viewed)),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verify_chain(store).await.unwrap(), before + 1);
    let texts: Vec<_> = read.agenda.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["Point 0", "Point 1"]);
    assert_eq!(read.notes, Some(notes("We agreed on Monday.", true)));
    assert_eq!(read.comments, vec![c]);
    let list = store
        .list_meetings(
            client,
            Some(audit(f.counselor_a, Role::Counselor, AuditAction::Viewed)),
        )
        .await
        .unwrap();
    assert_eq!(list, vec![accepted]);
    assert!(store.list_meetings(other, None).await.unwrap().is_empty());
    // Created, accepted, two points, notes twice, a comment, two audited reads.
    assert_eq!(verify_chain(store).await.unwrap(), rows_before + 9);
    let events = store.live_events_after(cu, 0, 10).await.unwrap();
    assert_eq!(events.len(), 2, "accepted and notes shared");
}
