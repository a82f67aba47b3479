//! Several application instances on one PostgreSQL database extend one audit chain: the head
//! row lock makes their appends take turns instead of forking the chain, and each instance's
//! appender, whose remembered head goes stale whenever another writer appends, re-reads it and
//! appends after it.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::{AuditAction, DataKind};
use domain::ports::Store;
use domain::roles::Role;
use std::sync::Arc;
use store_postgres::PgStore;
use testkit::conformance::{event, fixture, new_client, verify_chain};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_extend_one_chain() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    let first = PgStore::connect(&url).await.unwrap();
    first.migrate().await.unwrap();
    let second = PgStore::connect(&url).await.unwrap();
    second.migrate().await.unwrap(); // each instance migrates at start; the second is a no-op
    let f = Arc::new(fixture(&first).await);
    let c = new_client(&first, &f, f.office_a, "Kari", false, None).await;

    let instances: [Arc<dyn Store>; 2] = [Arc::new(first), Arc::new(second)];
    let mut tasks = Vec::new();
    for store in &instances {
        for _ in 0..5 {
            let (store, f) = (store.clone(), f.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..10 {
                    let seen = event(
                        f.counselor_a,
                        Role::Counselor,
                        c,
                        DataKind::CaseOverview,
                        AuditAction::Viewed,
                    );
                    store
                        .read_client(&testkit::access(c, Some(seen)))
                        .await
                        .unwrap()
                        .unwrap();
                }
            }));
        }
    }
    // Audited writes take the head in their own transactions meanwhile: the appenders' remembered
    // heads go stale and each must append after the head as it is then.
    for store in &instances {
        for _ in 0..2 {
            let (store, f) = (store.clone(), f.clone());
            tasks.push(tokio::spawn(async move {
                for _ in 0..10 {
                    let changed = event(
                        f.admin,
                        Role::Administrator,
                        c,
                        DataKind::Assignment,
                        AuditAction::Changed,
                    );
                    store
                        .assign_counselor(c, f.counselor_a, changed)
                        .await
                        .unwrap();
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    for store in &instances {
        assert_eq!(verify_chain(store.as_ref()).await, Ok(141));
    }
}
