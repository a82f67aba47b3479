//! The feedback aggregate queries on SQLite compute what `domain::feedback::grouping` defines.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use testkit::insights::{Raw, aggregates_match_the_grouping_definition};

#[tokio::test]
async fn aggregates_match_the_grouping_definition_on_sqlite() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    aggregates_match_the_grouping_definition(&store, Raw::Sqlite(store.pool())).await;
}
