//! The reminder scan is cheap at any size: SQLite answers both reminder queries from the
//! partial indexes of migration 0012 (a search, never a scan of the table).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use store_sqlite::notices::{ACTIVITIES_TO_REMIND, MEETINGS_TO_REMIND};

async fn plan(pool: &sqlx::SqlitePool, sql: &str, binds: usize) -> String {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")));
    for _ in 0..binds {
        q = q.bind(1_i64);
    }
    use sqlx::Row;
    q.fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("detail"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn reminder_queries_search_their_partial_indexes() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    let meetings = plan(store.pool(), MEETINGS_TO_REMIND, 3).await;
    assert!(
        meetings.contains("SEARCH m USING INDEX meetings_to_remind"),
        "{meetings}"
    );
    let activities = plan(store.pool(), ACTIVITIES_TO_REMIND, 2).await;
    assert!(
        activities.contains("SEARCH plan_items USING INDEX plan_items_due_to_remind"),
        "{activities}"
    );
}
