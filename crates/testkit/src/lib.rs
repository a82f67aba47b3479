//! Test support shared by every crate's tests. Nothing here is used by the binary.
//!
//! * [`clock`]: a clock tests can set and advance.
//! * [`sqlite`] / [`postgres`]: a fresh database per test (a temp file; a new PostgreSQL
//!   database). Under `CI=true` a missing PostgreSQL fails the test instead of skipping it.
//! * [`conformance`]: the store conformance suite, written once and run against both stores:
//!   one file per feature, every test registered in one list ([`conformance_tests!`]);
//!   [`conformance::insights`] also holds the feedback-row fixtures of the insight tests.
//! * [`db`]: raw reads of a test's database (row counts, organisations, stored notices) for
//!   what no product code asks the store; [`db::Fresh`] is a fresh store with that access.
//! * [`world`]: a small organisation with one person per role, for router and browser tests.
//! * [`tamper`]: audit trails as someone with full database access could leave them (fixtures
//!   for the tests of what `audit verify` and the server do then).

// Test support fails loudly: a panic here is a failed test, which is what we want.
#![allow(clippy::panic, clippy::unwrap_used, clippy::expect_used)]

pub mod clock;
pub mod conformance;
pub mod db;
pub mod postgres;
pub mod sqlite;
pub mod tamper;
pub mod world;

/// A permit for a store read in a test: `client`'s data, with `audit` made durable before the
/// data is returned (the product gets its permits from `domain::cases::grant` only).
pub fn access(
    client: domain::ids::ClientId,
    audit: Option<domain::audit::NewAuditEvent>,
) -> domain::cases::ClientAccess {
    domain::cases::ClientAccess::for_tests(client, audit)
}
