//! Helpers shared by the tests that drive the real binaries: `vendepunkt-dev` (built by cargo
//! for these tests) and the product binary `vendepunkt` (for `serve`, `migrate` and `audit
//! verify`), which these tests find next to it in the same target folder. Each test file is its
//! own crate and uses only some of these, hence the `dead_code` allowance.
#![allow(dead_code, clippy::unwrap_used, clippy::panic)]

use domain::ports::Store;
use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

/// The development tools under test.
pub const DEV: &str = env!("CARGO_BIN_EXE_vendepunkt-dev");

/// The product binary next to `vendepunkt-dev`: `cargo test --workspace` (or
/// `cargo test -p vendepunkt -p devtools`) builds both before running any test.
pub fn product() -> PathBuf {
    let bin =
        PathBuf::from(DEV).with_file_name(format!("vendepunkt{}", std::env::consts::EXE_SUFFIX));
    if !bin.exists() {
        panic!(
            "no product binary at {}: build it first (`cargo build -p vendepunkt`, or run \
             `cargo test -p vendepunkt -p devtools`)",
            bin.display()
        );
    }
    bin
}

fn output(mut command: Command, args: &[&str]) -> (i32, String, String) {
    let out = command
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

/// Runs the product binary to completion: exit code, stdout and stderr.
pub fn run(args: &[&str]) -> (i32, String, String) {
    output(Command::new(product()), args)
}

/// Runs `vendepunkt-dev` to completion: exit code, stdout and stderr.
pub fn dev(args: &[&str]) -> (i32, String, String) {
    output(Command::new(DEV), args)
}

/// A store on the database the binaries used, to check what they wrote.
pub async fn store(db: &str) -> Arc<dyn Store> {
    if db.starts_with("postgres") {
        Arc::new(store_postgres::PgStore::connect(db).await.unwrap())
    } else {
        Arc::new(store_sqlite::SqliteStore::open(db).await.unwrap())
    }
}
