//! The audit trail as people see it: the client's own access log.

pub mod access_log;
