//! A fresh SQLite database per test: a file in a temporary directory (a pool of in-memory
//! databases would give each connection its own empty database).

use store_sqlite::SqliteStore;
use tempfile::TempDir;

/// A URL for a database file in a new temporary directory (kept alive by the `TempDir`).
pub fn temp_url() -> (TempDir, String) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("cannot create a temp dir: {e}"));
    let url = format!("sqlite://{}", dir.path().join("test.sqlite").display());
    (dir, url)
}

/// A migrated store on a fresh database file.
pub async fn temp_store() -> (TempDir, SqliteStore) {
    let (dir, url) = temp_url();
    let store = SqliteStore::open(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("cannot migrate: {e}"));
    (dir, store)
}
