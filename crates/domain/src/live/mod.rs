//! Live updates for open pages: every change that the other party should learn of stores a
//! [`crate::ports::LiveEvent`] in the transaction of the change; after the commit the use case
//! announces it through the [`crate::ports::Notifier`] port, and an open page that missed
//! some (a dropped connection) reads them back from the store by sequence number.

pub mod store;

pub use store::{LiveStore, StoredLiveEvent};
