//! Conformance: the group-commit audit appender (issue 13). Audited views read outside any
//! write transaction and hand their rows to one appender per store, which commits whatever is
//! waiting at once; each view returns its data only after its row is durable, and not at all
//! when the row is refused ("no audit, no data").

use super::{event, fixture, new_client, verify_chain};
use crate::db::Db;
use domain::audit::{AuditAction, DataKind, NewAuditEvent};
use domain::ids::{AuditId, ClientId, UserId};
use domain::plan::store::PlanRecord;
use domain::ports::{PortError, PortResult, Store};
use domain::roles::Role;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

/// Runs `futures` concurrently on the test's own task (they borrow the store, so they cannot
/// be spawned) and returns their outputs in order.
async fn all<'a, T>(futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    let mut futures: Vec<_> = futures.into_iter().map(Some).collect();
    let mut outputs: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        for (slot, output) in futures.iter_mut().zip(outputs.iter_mut()) {
            if let Some(f) = slot
                && let Poll::Ready(v) = f.as_mut().poll(cx)
            {
                *output = Some(v);
                *slot = None;
            }
        }
        if futures.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
    outputs.into_iter().map(|o| o.expect("finished")).collect()
}

/// A plan view in flight.
type View<'a> = Pin<Box<dyn Future<Output = PortResult<Option<PlanRecord>>> + Send + 'a>>;

fn viewed(actor: UserId, client: ClientId) -> NewAuditEvent {
    event(
        actor,
        Role::Counselor,
        client,
        DataKind::Plan,
        AuditAction::Viewed,
    )
}

/// The ids of the trail's rows after `after`.
async fn ids_after(store: &dyn Store, after: i64) -> Vec<AuditId> {
    store
        .audit_rows(after, 10_000)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.event.id)
        .collect()
}

/// 32 counselors open the same client's plan at once, while audited writes (assignments, each
/// with its row in its own transaction) move the head between their batches: every view gets
/// the plan, its row is already in the trail when the view returns (so it was committed
/// first), every row is there exactly once, and the chain verifies.
pub async fn concurrent_audited_views_all_commit_before_they_return(store: Arc<dyn Store>) {
    let f = Arc::new(fixture(store.as_ref()).await);
    let c = new_client(store.as_ref(), &f, f.office_a, "Kari Plan", false, None).await;
    let (start, _) = store.audit_head().await.unwrap();
    let mut views = tokio::task::JoinSet::new();
    for _ in 0..32 {
        let (store, f) = (store.clone(), f.clone());
        views.spawn(async move {
            let seen = viewed(f.counselor_a, c);
            let plan = store
                .read_plan(&crate::access(c, Some(seen.clone())))
                .await
                .expect("the view commits")
                .expect("the plan");
            assert_eq!(plan.client.name, "Kari Plan");
            assert!(
                ids_after(store.as_ref(), start).await.contains(&seen.id),
                "the view's row is in the trail when its data is returned"
            );
            seen.id
        });
    }
    let mut writes = tokio::task::JoinSet::new();
    for i in 0..8 {
        let (store, f) = (store.clone(), f.clone());
        writes.spawn(async move {
            let counselor = if i % 2 == 0 {
                f.counselor_a
            } else {
                f.counselor_b
            };
            let changed = event(
                f.admin,
                Role::Administrator,
                c,
                DataKind::Assignment,
                AuditAction::Changed,
            );
            store
                .assign_counselor(c, counselor, changed.clone())
                .await
                .expect("the write commits");
            changed.id
        });
    }
    let mut expected = Vec::new();
    while let Some(id) = views.join_next().await {
        expected.push(id.expect("a view failed"));
    }
    while let Some(id) = writes.join_next().await {
        expected.push(id.expect("a write failed"));
    }
    let mut stored = ids_after(store.as_ref(), start).await;
    assert_eq!(stored.len(), 40, "32 views and 8 writes, one row each");
    stored.sort();
    expected.sort();
    assert_eq!(stored, expected, "every row exactly once");
    assert_eq!(verify_chain(store.as_ref()).await, Ok(start + 40));
}

/// A view whose row is refused returns no data, and neither do the views that were waiting
/// with it: a trail with a row after the head (as someone with database access could leave
/// it) refuses every append, so eight concurrent views of a plan all fail as
/// `AuditChainBroken`, and nothing is added to the trail.
pub async fn when_the_trail_refuses_the_rows_no_view_returns_data(store: &dyn Store, db: &Db) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari Refused", false, None).await;
    let forged = match db {
        Db::Sqlite(pool) => crate::tamper::sqlite_row_after_head(pool).await,
        Db::Postgres(pool) => crate::tamper::postgres_row_after_head(pool).await,
    };
    let (head, _) = store.audit_head().await.unwrap();
    let events: Vec<_> = (0..8).map(|_| viewed(f.counselor_a, c)).collect();
    let views = events
        .iter()
        .map(|e| {
            let access = crate::access(c, Some(e.clone()));
            Box::pin(async move { store.read_plan(&access).await }) as View<'_>
        })
        .collect();
    for outcome in all(views).await {
        match outcome {
            Err(PortError::AuditChainBroken { seq }) => assert_eq!(seq, forged),
            other => panic!("a view returned {other:?} without its audit row"),
        }
    }
    assert_eq!(store.audit_head().await.unwrap().0, head, "the head stayed");
    let stored = ids_after(store, head).await;
    assert!(
        events.iter().all(|e| !stored.contains(&e.id)),
        "no refused row reached the trail"
    );
    // The caseload's append goes through the appender too.
    assert!(matches!(
        store.append_audit(vec![viewed(f.counselor_a, c)]).await,
        Err(PortError::AuditChainBroken { .. })
    ));
}

/// One bad row (an event id already in the trail) fails only its own view: the seven views
/// waiting with it return their data and their rows, the bad one returns an error and no data,
/// and the chain verifies.
pub async fn one_refused_row_fails_only_its_own_view(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari Batch", false, None).await;
    let used = viewed(f.counselor_a, c);
    store
        .read_plan(&crate::access(c, Some(used.clone())))
        .await
        .unwrap()
        .expect("the plan");
    let (start, _) = store.audit_head().await.unwrap();
    let mut events: Vec<_> = (0..7).map(|_| viewed(f.counselor_b, c)).collect();
    events.insert(3, used.clone());
    let views = events
        .iter()
        .map(|e| {
            let access = crate::access(c, Some(e.clone()));
            Box::pin(async move { store.read_plan(&access).await }) as View<'_>
        })
        .collect();
    let outcomes = all(views).await;
    for (e, outcome) in events.iter().zip(outcomes) {
        if e.id == used.id {
            assert!(outcome.is_err(), "the reused id returns no data");
        } else {
            assert_eq!(
                outcome.unwrap().expect("the plan").client.name,
                "Kari Batch"
            );
        }
    }
    let stored = ids_after(store, start).await;
    assert_eq!(stored.len(), 7);
    assert!(
        events
            .iter()
            .filter(|e| e.id != used.id)
            .all(|e| stored.contains(&e.id))
    );
    assert_eq!(verify_chain(store).await, Ok(start + 7));
}
