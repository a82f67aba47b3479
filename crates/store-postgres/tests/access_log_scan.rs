//! The client's access log stays cheap when list views pile up (issue 11): a page of
//! openings, prints and changes, and the grouping of list views, can be answered from the
//! partial indexes of migration 0015 (their predicates match the queries'), and the listings
//! of migration 0017 from the side table's primary key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::access_log::Cursor;
use sqlx::Row;
use store_postgres::audit::access_log::{list_views_sql, openings_sql};

#[tokio::test]
async fn the_access_log_pages_can_use_their_partial_indexes() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    let mut conn = store.pool().acquire().await.unwrap();
    // An empty table would be read whole anyway; forbid that to see whether the index fits.
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .unwrap();
    for cursor in [Cursor::Newest, Cursor::Before(1_000), Cursor::After(1_000)] {
        for (sql, index) in [
            (openings_sql(cursor), "audit_log_client_openings"),
            (list_views_sql(cursor), "audit_log_client_list_views"),
            // Listings since migration 0017, by the side table's key.
            (list_views_sql(cursor), "audit_list_entries_pkey"),
        ] {
            let plan: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN {sql}")))
                .bind(uuid::Uuid::nil())
                .bind(51_i64)
                .bind(1_000_i64)
                .fetch_all(&mut *conn)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            let plan = plan.join("\n");
            assert!(plan.contains(index), "{cursor:?}: {plan}");
        }
    }
}
