//! Helpers shared by the tests that drive the real binary. Each test file is its own crate and
//! uses only some of these, hence the `dead_code` allowance.
#![allow(dead_code, clippy::unwrap_used)]

use domain::ports::Store;
use std::process::Command;
use std::sync::Arc;

/// The binary under test, built by cargo for the integration tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_vendepunkt");

/// Runs the binary to completion: exit code, stdout and stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args(args)
        .env("VENDEPUNKT_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

/// A store on the database the binary used, to check what it wrote.
pub async fn store(db: &str) -> Arc<dyn Store> {
    if db.starts_with("postgres") {
        Arc::new(store_postgres::PgStore::connect(db).await.unwrap())
    } else {
        Arc::new(store_sqlite::SqliteStore::open(db).await.unwrap())
    }
}
