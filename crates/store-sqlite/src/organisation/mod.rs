//! Organisations, offices, teams and staff; the administrator's lookup of a client's account
//! ([`client_accounts`]).

mod client_accounts;
