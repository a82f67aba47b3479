//! The feedback aggregate queries on PostgreSQL compute what `domain::feedback::grouping`
//! defines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use testkit::insights::{Raw, aggregates_match_the_grouping_definition};

#[tokio::test]
async fn aggregates_match_the_grouping_definition_on_postgres() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    aggregates_match_the_grouping_definition(&store, Raw::Postgres(store.pool())).await;
}

// The summary of settled quarters (issue 5 at scale).
#[tokio::test]
async fn summary_equals_a_fresh_grouping_after_every_write_on_postgres() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    testkit::insights_summary::summary_equals_a_fresh_grouping_after_every_write(
        &store,
        Raw::Postgres(store.pool()),
    )
    .await;
}

// The summary of settled quarters (issue 5 at scale).
#[tokio::test]
async fn the_worker_summarises_settled_quarters_in_rounds_on_postgres() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    testkit::insights_summary::the_worker_summarises_settled_quarters_in_rounds(
        &store,
        Raw::Postgres(store.pool()),
    )
    .await;
}

// The summary of settled quarters (issue 5 at scale): a build and a concurrent late write.
#[tokio::test]
async fn a_summary_built_during_a_late_write_counts_it_on_postgres() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    testkit::insights_summary::a_summary_built_during_a_late_write_counts_it(&store, store.pool())
        .await;
}
