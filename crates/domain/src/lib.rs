//! Vendepunkt's domain.
//!
//! Everything here is free of I/O: the types that input is parsed into at the edge, the one
//! access policy ([`policy::authorize`]), the use cases, and the ports ([`ports`]) that the
//! storage crates and the web crate implement. A use case receives its ports as arguments, so
//! every rule can be tested with real stores and an injected [`ports::Clock`].

pub mod access_log;
pub mod accounts;
pub mod audit;
pub mod auth;
pub mod bidi;
pub mod clients;
pub mod contact;
pub mod context;
pub mod conversation;
#[doc(hidden)]
pub mod conversation_demo;
pub mod error;
pub mod feedback;
pub mod ids;
pub mod insights;
pub mod live;
pub mod meetings;
pub mod notices;
pub mod org;
pub mod oslo;
pub mod password;
pub mod plan;
pub mod policy;
pub mod ports;
pub mod roles;
pub mod types;

pub use error::DomainError;

// Old paths of moved modules, kept while the issue-12 branches merge (the coordinator removes
// them afterwards).
#[doc(hidden)]
pub use crate::contact as availability;
#[doc(hidden)]
pub use crate::notices as notify;
#[doc(hidden)]
pub use crate::notices::reminders;
#[doc(hidden)]
pub use conversation::{attachments, checkins};
