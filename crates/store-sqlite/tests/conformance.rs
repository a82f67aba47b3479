//! The store conformance suite on SQLite.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::ports::Store;
use std::sync::Arc;

async fn make() -> Option<(tempfile_guard::Guard, Arc<dyn Store>)> {
    let (dir, store) = testkit::sqlite::temp_store().await;
    Some((tempfile_guard::Guard(dir), Arc::new(store)))
}

mod tempfile_guard {
    pub struct Guard(#[allow(dead_code)] pub tempfile::TempDir);
}

testkit::conformance_tests!(make());
