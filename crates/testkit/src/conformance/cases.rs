//! Conformance: opening a client case, caseload lists by office, assignment and protection,
//! and many writers at once.

use super::{event, fixture, new_client, t0, user, verify_chain};
use crate::db::{Db, Table};
use domain::audit::{AuditAction, DataKind};
use domain::cases::store::NewClient;
use domain::ids::{ClientId, UserId};
use domain::policy::{CaseloadScope, OfficeScope};
use domain::ports::{Conflict, PortError, Store};
use domain::roles::Role;
use domain::types::PersonName;
use std::sync::Arc;

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
    assert!(
        matches!(err, PortError::Conflict(Conflict::Username)),
        "{err:?}"
    );
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
    let names = |v: Vec<domain::cases::store::ClientSummary>| {
        v.into_iter().map(|c| c.name).collect::<Vec<_>>()
    };
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
                    .read_client(&crate::access(
                        c,
                        Some(event(
                            f.counselor_a,
                            Role::Counselor,
                            c,
                            DataKind::CaseOverview,
                            AuditAction::Viewed,
                        )),
                    ))
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
