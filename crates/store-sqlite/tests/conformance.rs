//! The store conformance suite on SQLite (a fresh database file per test).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

testkit::conformance_tests!(testkit::db::Fresh::sqlite());
