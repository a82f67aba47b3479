//! What logging in needs from storage: the [`AccountsStore`] capability (people's accounts,
//! sessions, failed logins, known devices, the first-run setup token, external identities)
//! and the records it passes. Every [`crate::ports::Store`] is one.

use crate::ids::{OfficeId, OrganisationId, UserId};
use crate::ports::PortResult;
use crate::roles::{Actor, RoleGrant};
use crate::types::{PersonName, Username};
use async_trait::async_trait;
use time::OffsetDateTime;

/// A new person. `password_hash` is `None` for people who will only log in through an
/// external identity provider (OIDC), which is linked through [`AccountsStore::link_identity`].
#[derive(Debug, Clone)]
pub struct NewUser {
    pub id: UserId,
    pub organisation_id: OrganisationId,
    pub username: Username,
    pub display_name: PersonName,
    pub password_hash: Option<String>,
    pub grants: Vec<RoleGrant>,
    pub protected_access: Vec<OfficeId>,
    pub created_at: OffsetDateTime,
}

/// What login needs to know about an account.
#[derive(Debug, Clone)]
pub struct Credentials {
    pub user_id: UserId,
    pub password_hash: Option<String>,
    pub disabled: bool,
}

/// A server-side session. Only the SHA-256 of the token is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    pub token_hash: String,
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
}

/// A session with the actor behind it ([`AccountsStore::session_actor`]).
#[derive(Debug, Clone)]
pub struct SessionActor {
    pub session: SessionRecord,
    /// `None` when the account is disabled.
    pub actor: Option<Actor>,
}

/// A failed login attempt, counted per key (`user:<name>` or `ip:<address>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailedLogin {
    pub key: String,
    pub at: OffsetDateTime,
}

/// People's accounts and everything logging in keeps.
#[async_trait]
pub trait AccountsStore: Send + Sync {
    // people and identity
    async fn create_user(&self, user: NewUser) -> PortResult<()>;
    async fn credentials_by_username(&self, username: &Username)
    -> PortResult<Option<Credentials>>;
    /// The actor for a user, or `None` if unknown or disabled.
    async fn actor(&self, user: UserId) -> PortResult<Option<Actor>>;
    /// Sets a new password hash and ends every session of the user, in one transaction.
    async fn set_password_hash(&self, user: UserId, hash: &str) -> PortResult<()>;
    /// Disables or re-enables an account; disabling ends every session of the user.
    async fn set_disabled(&self, user: UserId, disabled: bool) -> PortResult<()>;
    /// Links an external identity (OIDC issuer and subject) to a user.
    async fn link_identity(&self, user: UserId, issuer: &str, subject: &str) -> PortResult<()>;
    async fn user_by_identity(&self, issuer: &str, subject: &str) -> PortResult<Option<UserId>>;

    // sessions
    async fn create_session(&self, session: SessionRecord) -> PortResult<()>;
    async fn session(&self, token_hash: &str) -> PortResult<Option<SessionRecord>>;
    /// The session and the actor behind it, read in one query (every signed-in request asks):
    /// `None` without such a session; the actor is `None` when the account is disabled.
    /// Expiry is the caller's to decide.
    async fn session_actor(&self, token_hash: &str) -> PortResult<Option<SessionActor>>;
    /// Sets the session's `last_seen_at` (one statement; `authenticate` calls it at most
    /// once a minute per session).
    async fn touch_session(&self, token_hash: &str, at: OffsetDateTime) -> PortResult<()>;
    async fn delete_session(&self, token_hash: &str) -> PortResult<()>;
    async fn delete_sessions_of_user(&self, user: UserId) -> PortResult<()>;
    /// Removes sessions last seen before `idle_before` or created before `created_before`.
    async fn delete_expired_sessions(
        &self,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> PortResult<u64>;

    // login throttling and known devices
    async fn record_failed_login(&self, attempt: FailedLogin) -> PortResult<()>;
    async fn failed_logins_since(&self, key: &str, since: OffsetDateTime) -> PortResult<i64>;
    async fn clear_failed_logins(&self, key: &str) -> PortResult<()>;
    /// Remembers that a browser (identified by the hash of a device cookie) logged in as `user`.
    async fn remember_device(
        &self,
        user: UserId,
        device_hash: &str,
        at: OffsetDateTime,
    ) -> PortResult<()>;
    async fn is_known_device(&self, user: UserId, device_hash: &str) -> PortResult<bool>;

    // first-run setup
    /// Stores the hash of a one-time setup token, replacing any earlier one.
    async fn put_setup_token(&self, token_hash: &str, at: OffsetDateTime) -> PortResult<()>;
    /// Deletes the setup token if it matches; true if it did. Atomic: a token works once.
    async fn consume_setup_token(&self, token_hash: &str) -> PortResult<bool>;
}
