//! A person's own account: signing in and out, their password, first-run setup, and the
//! password hasher (Argon2id) behind them.

pub mod hasher;
pub mod login;
pub mod password;
pub mod setup;
