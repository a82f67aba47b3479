//! The reminder scan is cheap at any size: the reminder queries can be answered from the
//! partial indexes of migration 0012 (their predicates match the queries'), so PostgreSQL
//! never has to read every meeting or plan item.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sqlx::Row;
use store_postgres::notices::{ACTIVITIES_TO_REMIND, MEETINGS_TO_REMIND};

#[tokio::test]
async fn reminder_queries_can_use_their_partial_indexes() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    let mut conn = store.pool().acquire().await.unwrap();
    // An empty table would be read whole anyway; forbid that to see whether the index fits.
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    let now = testkit::clock::wall_now();
    let meetings: Vec<String> =
        sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {MEETINGS_TO_REMIND}")))
            .bind(now)
            .bind(now)
            .bind(10_i64)
            .fetch_all(&mut *conn)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    let meetings = meetings.join("\n");
    assert!(meetings.contains("meetings_to_remind"), "{meetings}");
    let activities: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
        "EXPLAIN {ACTIVITIES_TO_REMIND}"
    )))
    .bind("2026-03-03")
    .bind(10_i64)
    .fetch_all(&mut *conn)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get(0))
    .collect();
    let activities = activities.join("\n");
    assert!(
        activities.contains("plan_items_due_to_remind"),
        "{activities}"
    );
}
