//! The two migration trees must not drift apart: same version numbers, and after migrating,
//! the same tables with the same column names.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use sqlx::Row;
use std::collections::BTreeMap;
use std::collections::BTreeSet;

/// The migration file names (`0001_foundation.sql`): version number and description.
fn migration_files(dir: &str) -> BTreeSet<String> {
    let path = format!("{}/../{dir}/migrations", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_dir(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".sql"))
        .collect()
}

#[test]
fn both_stores_have_the_same_migration_files() {
    let sqlite = migration_files("store-sqlite");
    let postgres = migration_files("store-postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(
        sqlite, postgres,
        "the migration files (version numbers and names) differ between the stores"
    );
}

type Schema = BTreeMap<String, BTreeSet<String>>;

#[tokio::test]
async fn both_stores_have_the_same_tables_and_columns() {
    let (_dir, sqlite) = testkit::sqlite::temp_store().await;
    let Some(pg) = testkit::postgres::fresh_store().await else {
        return;
    };

    let mut lite: Schema = BTreeMap::new();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(sqlite.pool())
    .await
    .unwrap();
    for t in tables {
        let cols = sqlx::query("SELECT name FROM pragma_table_info(?)")
            .bind(&t)
            .fetch_all(sqlite.pool())
            .await
            .unwrap()
            .iter()
            .map(|r| r.get::<String, _>("name"))
            .collect();
        lite.insert(t, cols);
    }

    let mut post: Schema = BTreeMap::new();
    let rows = sqlx::query(
        "SELECT table_name::text AS t, column_name::text AS c FROM information_schema.columns
         WHERE table_schema = 'public' AND table_name <> '_sqlx_migrations'",
    )
    .fetch_all(pg.pool())
    .await
    .unwrap();
    for r in rows {
        post.entry(r.get("t")).or_default().insert(r.get("c"));
    }
    assert!(lite.contains_key("audit_log"));
    assert_eq!(
        lite, post,
        "tables or columns differ between the SQLite and PostgreSQL schemas"
    );
}
