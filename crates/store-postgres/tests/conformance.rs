//! The store conformance suite on PostgreSQL (a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::ports::Store;
use std::sync::Arc;

async fn make() -> Option<((), Arc<dyn Store>)> {
    let store = testkit::postgres::fresh_store().await?;
    Some(((), Arc::new(store)))
}

testkit::conformance_tests!(make());
