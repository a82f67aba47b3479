//! Client feedback on the six themes of helpful help (see `../shared/BRIEF.md`): the
//! instruments, asking at the right moment, the client's choice of who sees an answer, the
//! counselor's own picture, and anonymous aggregates for leaders.
//!
//! The storage contract is migration `0011_feedback.sql` in both store crates.

pub mod grouping;
pub mod period;
pub mod suppression;

pub use period::{Quarter, Theme};

// ----- collecting feedback: instruments, asking, answering, the counselor's picture -----
pub mod asking;
pub mod instrument;
pub mod picture;
pub mod responses;
pub mod store;
