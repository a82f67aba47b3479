//! The store conformance suite on PostgreSQL (a fresh database per test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

testkit::conformance_tests!(testkit::db::Fresh::postgres());
