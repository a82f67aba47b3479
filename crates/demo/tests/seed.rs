//! `demo::seed` on both databases, through the domain's public API only: the first call fills
//! an empty database (the demo accounts can be found, Kari has a case followed by Vera, the
//! audit chain verifies) and the second one leaves it alone.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use domain::ports::Store;
use domain::types::Username;

async fn seeds_once(store: &dyn Store) {
    let clock = testkit::clock::ManualClock::at_2026();
    let hasher = web::Argon2Hasher::for_tests();
    let cleaner = web::FileRewriter::new();
    assert!(demo::seed(store, &clock, &hasher, &cleaner).await.unwrap());
    assert!(!demo::seed(store, &clock, &hasher, &cleaner).await.unwrap());

    let user = |name: &str| Username::parse(name).unwrap();
    for name in ["demo-client", "demo-counselor", "demo-leader", "demo-admin"] {
        assert!(
            store
                .credentials_by_username(&user(name))
                .await
                .unwrap()
                .is_some(),
            "{name}"
        );
    }
    let kari = store
        .credentials_by_username(&user("demo-client"))
        .await
        .unwrap()
        .unwrap();
    let vera = store
        .credentials_by_username(&user("demo-counselor"))
        .await
        .unwrap()
        .unwrap();
    let case = store
        .actor(kari.user_id)
        .await
        .unwrap()
        .unwrap()
        .own_client
        .expect("Kari's case");
    let scope = store.client_scope(case).await.unwrap().unwrap();
    assert_eq!(scope.assigned_counselor, Some(vera.user_id));
    domain::audit::verify_trail(store, 1_000, &mut |_, _| {})
        .await
        .expect("the demo's audit chain verifies");
}

#[tokio::test]
async fn sqlite_demo_seeds_an_empty_database_once() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    seeds_once(&store).await;
}

#[tokio::test]
async fn postgres_demo_seeds_an_empty_database_once() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    seeds_once(&store).await;
}
