//! The client's access log stays cheap when list views pile up (issue 11): SQLite answers a
//! page of openings, prints and changes, and the grouping of list views, from the partial
//! indexes of migration 0015 (a search by client, never a scan of the audit table), and the
//! listings of migration 0017 from the side table's primary key.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::access_log::Cursor;
use sqlx::Row;
use store_sqlite::audit::access_log::{list_views_sql, openings_sql};

async fn plan(pool: &sqlx::SqlitePool, sql: &str) -> String {
    sqlx::query(sqlx::AssertSqlSafe(format!("EXPLAIN QUERY PLAN {sql}")))
        .bind("01900000-0000-7000-8000-000000000000")
        .bind(51_i64)
        .bind(1_000_i64)
        .fetch_all(pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get::<String, _>("detail"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[tokio::test]
async fn the_access_log_pages_search_their_partial_indexes() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    for cursor in [Cursor::Newest, Cursor::Before(1_000), Cursor::After(1_000)] {
        let openings = plan(store.pool(), &openings_sql(cursor)).await;
        assert!(
            openings
                .contains("SEARCH a USING INDEX audit_log_client_openings (client_id=? AND seq"),
            "{cursor:?}: {openings}"
        );
        let lists = plan(store.pool(), &list_views_sql(cursor)).await;
        assert!(
            lists.contains("SEARCH a USING INDEX audit_log_client_list_views (client_id=?)"),
            "{cursor:?}: {lists}"
        );
        // Listings since migration 0017: the side table by its key, then the row by seq.
        assert!(
            lists.contains("SEARCH l USING PRIMARY KEY (client_id=?)")
                && lists.contains("SEARCH a USING INTEGER PRIMARY KEY (rowid=?)"),
            "{cursor:?}: {lists}"
        );
    }
}
