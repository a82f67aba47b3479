//! The shared plan: the client's self-presentation and preferences, goals in the client's own
//! words, typed activities with enforced status rules, agreements both sides sign, and the
//! office's catalogue of measures.
//!
//! Every part of a plan is an *item* stored as a versioned document ([`store::PlanItemRow`]; storage is the [`store::PlanStore`] capability):
//! the domain owns its shape and rules, the stores only keep versions, refuse stale writes
//! (optimistic locking) and append the immutable history row and the audit row in the same
//! transaction as the write.

pub mod agreements;
pub mod cases;
pub mod catalogue;
pub mod history;
pub mod input;
pub mod model;
pub mod rules;
pub mod store;

pub use model::*;
pub use rules::{PlanOp, Side};
pub use store::PlanStore;
