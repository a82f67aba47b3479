//! Conformance: what staff are shown and its audit rows (issue 11) — a page about one part of
//! a plan writes its row only when the part exists.

use super::{event, fixture, new_client, plan_write, verify_chain};
use domain::audit::{AuditAction, DataKind};
use domain::ids::{MeasureId, PlanItemId};
use domain::ports::{MeasureRow, PlanPart, Store};
use domain::roles::Role;

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
                .read_plan_part(client, missing, view())
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
            .read_plan_part(domain::ids::ClientId::new(), PlanPart::Goal(goal), view())
            .await
            .unwrap()
            .is_none()
    );
    for present in [PlanPart::Goal(goal), PlanPart::Measure(measure.id)] {
        let plan = store
            .read_plan_part(client, present, view())
            .await
            .unwrap()
            .expect("the part is there");
        assert_eq!(plan.client.name, "Kari Part");
    }
    assert_eq!(store.audit_head().await.unwrap().0, head.0 + 2);
    verify_chain(store).await.unwrap();
}
