//! Conformance: organisations, offices, teams, staff and their roles; the administrator's
//! exact lookup of a client's account.

use super::{event, fixture, new_client, t0, user, verify_chain};
use crate::db::{Db, Table};
use domain::audit::{AuditAction, DataKind};
use domain::ids::{OrganisationId, TeamId, UserId};
use domain::organisation::store::NewTeam;
use domain::ports::{Conflict, PortError, Store};
use domain::roles::{Role, RoleGrant};
use domain::types::{UnitName, Username};

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
    assert!(
        matches!(err, PortError::Conflict(Conflict::Username)),
        "{err:?}"
    );
    assert_eq!(db.count(Table::Users).await, 3, "nothing was stored");
}

/// Clients' accounts for administrators (issue 11): the staff list never holds a client; a
/// client's account is found by its exact username (a staff account and an unknown name are
/// not), read with its audit row, and changed (new password, disabled, enabled) with its
/// audit row, in one transaction: a new password and disabling end the client's sessions; a
/// stale username or a case without an account changes nothing and writes no row.
pub async fn clients_accounts_are_found_by_username_and_read_and_changed_with_their_audit_rows(
    store: &dyn Store,
) {
    use domain::accounts::store::SessionRecord;
    use domain::organisation::client_accounts::AccountChange;
    use domain::types::Username;
    let f = fixture(store).await;
    let account = super::user(f.org, "kari-account", vec![]);
    let uid = account.id;
    store.create_user(account).await.unwrap();
    let client = new_client(store, &f, f.office_a, "Kari Account", true, Some(uid)).await;
    let no_account = new_client(store, &f, f.office_a, "Ola Uten", false, None).await;
    let name = |s: &str| Username::parse(s).unwrap();

    let staff = store.list_users(f.org).await.unwrap();
    assert!(
        staff.iter().all(|p| p.id != uid),
        "no client in the staff list"
    );
    assert_eq!(
        store
            .client_with_username(f.org, &name("kari-account"))
            .await
            .unwrap(),
        Some(client)
    );
    for nobody in ["counselor-a", "admin", "no-such-user"] {
        assert_eq!(
            store
                .client_with_username(f.org, &name(nobody))
                .await
                .unwrap(),
            None,
            "{nobody} is no client's account"
        );
    }
    assert_eq!(
        store
            .client_with_username(domain::ids::OrganisationId::new(), &name("kari-account"))
            .await
            .unwrap(),
        None,
        "another organisation's lookup finds nothing"
    );

    let ev = |action| {
        event(
            f.admin,
            Role::Administrator,
            client,
            DataKind::Account,
            action,
        )
    };
    let head = store.audit_head().await.unwrap().0;
    let shown = store
        .read_client_account(&crate::access(client, Some(ev(AuditAction::Viewed))))
        .await
        .unwrap()
        .expect("the account");
    assert_eq!(
        (
            shown.user_id,
            shown.name.as_str(),
            shown.username.as_str(),
            shown.disabled
        ),
        (uid, "Person kari-account", "kari-account", false)
    );
    assert_eq!(store.audit_head().await.unwrap().0, head + 1);
    let mut none = ev(AuditAction::Viewed);
    none.client_id = no_account;
    assert!(
        store
            .read_client_account(&crate::access(no_account, Some(none.clone())))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .change_client_account(no_account, None, AccountChange::Disabled(true), none)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .change_client_account(
                client,
                Some(&name("someone-else")),
                AccountChange::Password("new-hash".into()),
                ev(AuditAction::Changed),
            )
            .await
            .unwrap()
            .is_none(),
        "a change for a username the account no longer has is refused"
    );
    assert_eq!(store.audit_head().await.unwrap().0, head + 1, "no row");

    let session = |token: &str| SessionRecord {
        token_hash: token.into(),
        user_id: uid,
        created_at: super::t0(),
        last_seen_at: super::t0(),
    };
    store.create_session(session("one")).await.unwrap();
    let after = store
        .change_client_account(
            client,
            Some(&name("kari-account")),
            AccountChange::Password("new-hash".into()),
            ev(AuditAction::Changed),
        )
        .await
        .unwrap()
        .expect("changed");
    assert!(!after.disabled);
    let creds = store
        .credentials_by_username(&name("kari-account"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creds.password_hash.as_deref(), Some("new-hash"));
    assert!(
        store.session("one").await.unwrap().is_none(),
        "a new password ends the sessions"
    );

    store.create_session(session("two")).await.unwrap();
    let after = store
        .change_client_account(
            client,
            None,
            AccountChange::Disabled(true),
            ev(AuditAction::Changed),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(after.disabled);
    assert!(store.session("two").await.unwrap().is_none());
    assert!(store.actor(uid).await.unwrap().is_none(), "disabled");
    let after = store
        .change_client_account(
            client,
            None,
            AccountChange::Disabled(false),
            ev(AuditAction::Changed),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!after.disabled);
    assert!(store.actor(uid).await.unwrap().is_some(), "enabled again");
    assert_eq!(store.audit_head().await.unwrap().0, head + 4);
    let rows = store.audit_rows(head, 10).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.event.client_id == client && r.event.data_kind == DataKind::Account)
    );
    verify_chain(store).await.unwrap();
}
