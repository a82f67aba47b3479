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
