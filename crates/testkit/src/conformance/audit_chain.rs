//! Conformance: appending to the audit chain (issue 11). Since migration 0014 the database
//! moves the head with every inserted row; the stores read the head once per transaction and
//! insert. Whatever the batch, the head is the last row and the chain verifies.

use super::{event, fixture, new_client, verify_chain};
use domain::audit::{AuditAction, DataKind};
use domain::ports::Store;
use domain::roles::Role;

pub async fn the_head_moves_with_every_appended_row(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari", false, None).await;
    let (start, _) = store.audit_head().await.unwrap();
    let viewed = |kind| event(f.counselor_a, Role::Counselor, c, kind, AuditAction::Viewed);

    // Nothing to append changes nothing.
    store.append_audit(vec![]).await.unwrap();
    assert_eq!(store.audit_head().await.unwrap().0, start);

    // A caseload of many clients: one call, one transaction, many rows.
    let batch: Vec<_> = (0..25).map(|_| viewed(DataKind::ClientListEntry)).collect();
    store.append_audit(batch).await.unwrap();
    let (seq, hash) = store.audit_head().await.unwrap();
    assert_eq!(seq, start + 25);
    let last = store.audit_rows(seq - 1, 10).await.unwrap();
    assert_eq!(last.len(), 1, "nothing after the head");
    assert_eq!(
        (last[0].seq, &last[0].hash),
        (seq, &hash),
        "the head is the last row"
    );

    // Single rows after it, from appends and from audited reads.
    store
        .append_audit(vec![viewed(DataKind::CaseOverview)])
        .await
        .unwrap();
    store
        .read_client(c, Some(viewed(DataKind::CaseOverview)))
        .await
        .unwrap()
        .expect("the client");
    assert_eq!(store.audit_head().await.unwrap().0, start + 27);
    assert_eq!(verify_chain(store).await, Ok(start + 27));
}
