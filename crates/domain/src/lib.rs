//! Vendepunkt's domain.
//!
//! Everything here is free of I/O: the types that input is parsed into at the edge, the one
//! access policy ([`policy::authorize`]), the use cases, and the ports ([`ports`]) that the
//! storage crates and the web crate implement. A use case receives its ports as arguments, so
//! every rule can be tested with real stores and an injected [`ports::Clock`].

pub mod accounts;
pub mod audit;
pub mod bidi;
pub mod cases;
pub mod contact;
pub mod context;
pub mod conversation;
pub mod error;
pub mod feedback;
pub mod ids;
pub mod insights;
pub mod live;
pub mod meetings;
pub mod notices;
pub mod organisation;
pub mod oslo;
pub mod plan;
pub mod policy;
pub mod ports;
pub mod roles;
pub mod types;

pub use error::DomainError;
