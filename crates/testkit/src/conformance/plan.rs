//! Conformance: the shared plan: versioned items with history and audit, parallel edits,
//! the catalogue, and pages about one part of a plan.

use super::{event, fixture, new_client, t0, verify_chain};
use domain::audit::{AuditAction, DataKind};
use domain::ids::{ClientId, MeasureId, PlanItemId, UserId};
use domain::plan::store::{MeasureRow, NewPlanHistory, PlanItemRow, PlanPart, PlanWrite};
use domain::ports::{Conflict, LiveEvent, PortError, Store};
use domain::roles::Role;
use std::sync::Arc;
use time::Duration;

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

pub(super) fn plan_write(
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
    let stale = plan_write(
        f.counselor_a,
        client,
        item,
        2,
        r#"{"text":"lost"}"#,
        Some(v1),
    );
    assert!(matches!(
        store.write_plan_item(stale).await,
        Err(PortError::Conflict(Conflict::Stale))
    ));
    // So is an edit that names another client's item.
    let mut foreign = plan_write(f.counselor_a, other, item, 3, r#"{"text":"x"}"#, Some(v2));
    foreign.item.client_id = other;
    assert!(matches!(
        store.write_plan_item(foreign).await,
        Err(PortError::Conflict(Conflict::Stale))
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

    let plan = store
        .read_plan(&crate::access(client, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(plan.client.name, "Kari Plan");
    assert_eq!(plan.items, vec![plan_row(client, item, 2, v2)]);
    assert_eq!(
        plan.measures,
        vec![measure.clone()],
        "only the client's office's catalogue"
    );
    assert!(
        store
            .read_plan(&crate::access(other, None))
            .await
            .unwrap()
            .unwrap()
            .items
            .is_empty()
    );
    assert!(
        store
            .read_plan(&crate::access(ClientId::new(), None))
            .await
            .unwrap()
            .is_none()
    );

    let history = store
        .plan_history(&crate::access(client, None), 10)
        .await
        .unwrap();
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
    store
        .read_plan(&crate::access(client, Some(view)))
        .await
        .unwrap()
        .unwrap();
    let view = event(
        f.counselor_a,
        Role::Counselor,
        client,
        DataKind::PlanHistory,
        AuditAction::Viewed,
    );
    store
        .plan_history(&crate::access(client, Some(view)), 10)
        .await
        .unwrap();
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
        Err(PortError::Conflict(Conflict::Stale))
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
            Err(PortError::Conflict(Conflict::Stale)) => {}
            Err(e) => panic!("unexpected error {e}"),
        }
    }
    assert_eq!(ok, 1, "exactly one of the parallel edits must win");
    assert_eq!(
        store
            .plan_history(&crate::access(client, None), 10)
            .await
            .unwrap()
            .len(),
        2
    );
    verify_chain(store.as_ref()).await.unwrap();
}

/// `read_plan_part` returns the plan and writes the audit row in one transaction when the plan
/// holds the part (a goal or activity of this client, an entry of the office's catalogue), and
/// otherwise returns nothing and writes no row.
pub async fn a_page_about_a_missing_part_of_a_plan_writes_no_audit_row(store: &dyn Store) {
    let f = fixture(store).await;
    let client = new_client(store, &f, f.office_a, "Kari Part", false, None).await;
    let other = new_client(store, &f, f.office_a, "Ola Part", false, None).await;
    let goal = PlanItemId::new();
    store
        .write_plan_item(plan_write(
            f.counselor_a,
            client,
            goal,
            1,
            r#"{"text":"a"}"#,
            None,
        ))
        .await
        .unwrap();
    let foreign = PlanItemId::new();
    store
        .write_plan_item(plan_write(
            f.counselor_a,
            other,
            foreign,
            1,
            r#"{"text":"b"}"#,
            None,
        ))
        .await
        .unwrap();
    let measure = MeasureRow {
        id: MeasureId::new(),
        office_id: f.office_a,
        version: 1,
        updated_at: super::t0(),
        data: r#"{"name":"Job club"}"#.into(),
    };
    store.put_measure(measure.clone(), None).await.unwrap();
    let elsewhere = MeasureRow {
        id: MeasureId::new(),
        office_id: f.office_b,
        ..measure.clone()
    };
    store.put_measure(elsewhere.clone(), None).await.unwrap();

    let view = || {
        Some(event(
            f.counselor_a,
            Role::Counselor,
            client,
            DataKind::Plan,
            AuditAction::Viewed,
        ))
    };
    let head = store.audit_head().await.unwrap();
    for missing in [
        PlanPart::Goal(PlanItemId::new()),
        PlanPart::Activity(goal),
        PlanPart::Goal(foreign),
        PlanPart::Measure(MeasureId::new()),
        PlanPart::Measure(elsewhere.id),
    ] {
        assert!(
            store
                .read_plan_part(&crate::access(client, view()), missing)
                .await
                .unwrap()
                .is_none(),
            "{missing:?} is not part of the plan"
        );
        assert_eq!(
            store.audit_head().await.unwrap(),
            head,
            "{missing:?}: nothing shown, no audit row"
        );
    }
    assert!(
        store
            .read_plan_part(
                &crate::access(domain::ids::ClientId::new(), view()),
                PlanPart::Goal(goal)
            )
            .await
            .unwrap()
            .is_none()
    );
    for present in [PlanPart::Goal(goal), PlanPart::Measure(measure.id)] {
        let plan = store
            .read_plan_part(&crate::access(client, view()), present)
            .await
            .unwrap()
            .expect("the part is there");
        assert_eq!(plan.client.name, "Kari Part");
    }
    assert_eq!(store.audit_head().await.unwrap().0, head.0 + 2);
    verify_chain(store).await.unwrap();
}

/// The history shows every change from the document it replaced to the one it wrote, exactly
/// as written, newest first, across items, and also when the limit cuts it short (the oldest
/// row shown still has its `after`); another client's history is not part of it.
pub async fn history_shows_each_change_from_before_to_after(store: &dyn Store) {
    let f = fixture(store).await;
    let client = new_client(store, &f, f.office_a, "Kari History", false, None).await;
    let other = new_client(store, &f, f.office_a, "Ola History", false, None).await;
    let (goal, second) = (PlanItemId::new(), PlanItemId::new());
    let goal_versions = [
        r#"{"text":"Work"}"#,
        r#"{"text":"Work near home"}"#,
        r#"{"text":"Work near home, mornings"}"#,
    ];
    let second_versions = [
        r#"{"text":"Earn a driving licence"}"#,
        r#"{"text":"Earn a driving licence (B)"}"#,
    ];
    // Written in this order, a minute apart each (the history is ordered by time).
    let order = [(goal, 0), (second, 0), (goal, 1), (second, 1), (goal, 2)];
    for (n, (item, v)) in order.iter().enumerate() {
        let docs: &[&str] = if *item == goal {
            &goal_versions
        } else {
            &second_versions
        };
        let version = *v as i64 + 1;
        let mut w = plan_write(
            f.counselor_a,
            client,
            *item,
            version,
            docs[*v],
            (*v > 0).then(|| docs[*v - 1]),
        );
        w.history.at = t0() + Duration::minutes(n as i64);
        store.write_plan_item(w).await.unwrap();
    }
    store
        .write_plan_item(plan_write(
            f.counselor_a,
            other,
            PlanItemId::new(),
            1,
            r#"{"text":"Not Kari's"}"#,
            None,
        ))
        .await
        .unwrap();

    let shown = |rows: Vec<domain::plan::store::PlanHistoryRow>| {
        rows.into_iter()
            .map(|r| {
                assert_eq!(r.entry.client_id, client);
                assert_eq!(r.entry.item_kind, "goal");
                (
                    r.entry.item_id,
                    r.entry.version,
                    r.entry.before,
                    r.entry.after,
                )
            })
            .collect::<Vec<_>>()
    };
    let row = |item: PlanItemId, v: usize| {
        let docs: &[&str] = if item == goal {
            &goal_versions
        } else {
            &second_versions
        };
        (
            item,
            v as i64 + 1,
            (v > 0).then(|| docs[v - 1].to_string()),
            docs[v].to_string(),
        )
    };
    let all = vec![
        row(goal, 2),
        row(second, 1),
        row(goal, 1),
        row(second, 0),
        row(goal, 0),
    ];
    let history = store
        .plan_history(&crate::access(client, None), 10)
        .await
        .unwrap();
    assert_eq!(shown(history), all);
    let history = store
        .plan_history(&crate::access(client, None), 3)
        .await
        .unwrap();
    assert_eq!(shown(history), all[..3].to_vec(), "the newest three, whole");
}
