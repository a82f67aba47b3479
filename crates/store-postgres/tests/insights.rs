//! The summary of settled quarters on PostgreSQL only: a view that builds a quarter while a
//! late write into it is still open waits for the write and counts it (the advisory lock).
//! The insight tests both stores share are in the conformance suite (`insights::`).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[tokio::test]
async fn a_summary_built_during_a_late_write_counts_it_on_postgres() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    testkit::conformance::insights::summary::a_summary_built_during_a_late_write_counts_it(
        &store,
        store.pool(),
    )
    .await;
}
