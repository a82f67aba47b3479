//! Accounts and sessions: login with throttling, server-side sessions, logout, password change,
//! and the one-time setup of the first administrator.
//!
//! Sessions: the browser holds a random 256-bit token; the store holds only its SHA-256, so a
//! database leak does not hand out sessions. A session ends after `idle` without use or
//! `absolute` after login, whichever comes first, and on logout, password change and account
//! disable. A new token is issued at every login (no session fixation).
//!
//! Throttling slows an attacker without locking out the real user:
//! * per source address: after `per_ip_limit` failures within `window`, that address is
//!   refused until the window has passed;
//! * per username: after `per_user_limit` failures within `window`, the username is refused;
//! * neither applies to a browser that has logged in as that user before (a "known device"
//!   cookie, stored as a hash): with the right password it always gets in. An attacker can
//!   therefore not lock the real user out of their own browser — not by guessing her
//!   username, and not by guessing from the address she shares with others (an office
//!   network, or a proxy whose address the server sees for everyone) — and cannot keep
//!   guessing from anywhere else.
//!
//! Unknown usernames are throttled and answered exactly like known ones.

pub mod password;
pub mod store;

pub use store::{AccountsStore, Credentials, FailedLogin, NewUser, SessionActor, SessionRecord};

use crate::DomainError;
use crate::ids::UserId;
use crate::organisation::OrganisationStore;
use crate::ports::{Clock, PasswordHasher};
use crate::roles::Actor;
use crate::types::{FieldError, Secret, Username};
use hmac::{Hmac, Mac};
use password::NewPassword;
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPolicy {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Default for SessionPolicy {
    fn default() -> Self {
        Self {
            idle: Duration::minutes(30),
            absolute: Duration::hours(12),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    pub window: Duration,
    pub per_user_limit: i64,
    pub per_ip_limit: i64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            window: Duration::minutes(15),
            per_user_limit: 5,
            per_ip_limit: 30,
        }
    }
}

/// A fresh random token (256 bits, hex).
pub fn new_token() -> Secret {
    let bytes: [u8; 32] = rand::random();
    Secret::new(hex::encode(bytes))
}

/// The CSRF token of a signed-in browser: HMAC-SHA-256 of a fixed label, keyed with the
/// session token. It belongs to that one session — a new one comes with every login and
/// password change, and it dies with the session at logout — and it tells nothing about the
/// session token itself, so a page may carry it in a form.
pub fn session_csrf_token(session: &Secret) -> String {
    match Hmac::<Sha256>::new_from_slice(session.expose().as_bytes()) {
        Ok(mut mac) => {
            mac.update(b"vendepunkt csrf token v1");
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; should that ever change, no token matches.
        Err(_) => new_token().expose().to_string(),
    }
}

/// The SHA-256 of a token, as stored.
pub fn token_hash(token: &Secret) -> String {
    hex::encode(Sha256::digest(token.expose().as_bytes()))
}

/// What a login attempt presents.
#[derive(Debug, Clone)]
pub struct LoginAttempt {
    pub username: String,
    pub password: Secret,
    /// The client address as seen by the server (or by the trusted proxy).
    pub source: String,
    /// The known-device cookie, if the browser has one.
    pub device: Option<Secret>,
}

#[derive(Debug, Clone)]
pub struct LoginSuccess {
    pub user_id: UserId,
    pub session_token: Secret,
    /// A device token to (re)set as the known-device cookie.
    pub device_token: Secret,
}

fn user_key(username: &str) -> String {
    format!("user:{}", username.trim().to_lowercase())
}

fn ip_key(source: &str) -> String {
    format!("ip:{source}")
}

/// Logs in, or says why not without telling unknown users from wrong passwords.
pub async fn login<S: AccountsStore + ?Sized>(
    store: &S,
    clock: &dyn Clock,
    hasher: &dyn PasswordHasher,
    throttle: ThrottlePolicy,
    attempt: LoginAttempt,
) -> Result<LoginSuccess, DomainError> {
    let now = clock.now();
    let since = now - throttle.window;
    let ukey = user_key(&attempt.username);
    let ikey = ip_key(&attempt.source);
    let retry = || DomainError::Throttled {
        retry_after_secs: throttle.window.whole_seconds(),
    };

    // A browser without a known-device cookie cannot be the user's own: refuse it at once
    // when the address is over its limit (no lookup, no password check).
    let address_over = store.failed_logins_since(&ikey, since).await? >= throttle.per_ip_limit;
    if address_over && attempt.device.is_none() {
        return Err(retry());
    }

    let username = Username::parse(&attempt.username).ok();
    let credentials = match &username {
        Some(u) => store.credentials_by_username(u).await?,
        None => None,
    };
    // Known device: this browser has logged in as this very user before.
    let known = match (&credentials, &attempt.device) {
        (Some(c), Some(d)) => store.is_known_device(c.user_id, &token_hash(d)).await?,
        _ => false,
    };

    // Neither limit applies to the user's own browser: an attacker elsewhere (or behind the
    // same address) can slow everyone else down, but not lock her out.
    if !known
        && (address_over
            || store.failed_logins_since(&ukey, since).await? >= throttle.per_user_limit)
    {
        return Err(retry());
    }

    let verified = match credentials
        .as_ref()
        .and_then(|c| c.password_hash.as_deref().map(|h| (c, h)))
    {
        Some((c, hash)) => hasher.verify(&attempt.password, hash).await && !c.disabled,
        None => {
            hasher.verify_dummy(&attempt.password).await;
            false
        }
    };

    let Some(creds) = credentials.filter(|_| verified) else {
        for key in [ukey, ikey] {
            store
                .record_failed_login(FailedLogin { key, at: now })
                .await?;
        }
        return Err(DomainError::InvalidCredentials);
    };

    store.clear_failed_logins(&ukey).await?;
    let session_token = new_token();
    store
        .create_session(SessionRecord {
            token_hash: token_hash(&session_token),
            user_id: creds.user_id,
            created_at: now,
            last_seen_at: now,
        })
        .await?;
    let device_token = match attempt.device {
        Some(d) if known => d,
        _ => new_token(),
    };
    store
        .remember_device(creds.user_id, &token_hash(&device_token), now)
        .await?;
    Ok(LoginSuccess {
        user_id: creds.user_id,
        session_token,
        device_token,
    })
}

/// The actor behind a session token, if the session is alive. Refreshes its idle timer.
/// One store query for the session and the actor together; an expired session or a
/// disabled account also deletes the session, and the idle timer is written at most once a
/// minute.
pub async fn authenticate<S: AccountsStore + ?Sized>(
    store: &S,
    clock: &dyn Clock,
    policy: SessionPolicy,
    token: &Secret,
) -> Result<Option<Actor>, DomainError> {
    let hash = token_hash(token);
    let Some(SessionActor { session, actor }) = store.session_actor(&hash).await? else {
        return Ok(None);
    };
    let now = clock.now();
    if is_expired(&session, now, policy) {
        store.delete_session(&hash).await?;
        return Ok(None);
    }
    let Some(actor) = actor else {
        store.delete_session(&hash).await?;
        return Ok(None);
    };
    // Touch at most once a minute: fewer writes, same idle timeout to the minute.
    if now - session.last_seen_at > Duration::minutes(1) {
        store.touch_session(&hash, now).await?;
    }
    Ok(Some(actor))
}

pub async fn logout<S: AccountsStore + ?Sized>(
    store: &S,
    token: &Secret,
) -> Result<(), DomainError> {
    store.delete_session(&token_hash(token)).await?;
    Ok(())
}

/// Changes the actor's own password after checking the current one. Ends every session of
/// the user (other browsers are logged out) and returns a fresh session for this browser.
pub async fn change_password<S: AccountsStore + ?Sized>(
    store: &S,
    clock: &dyn Clock,
    hasher: &dyn PasswordHasher,
    actor: &Actor,
    username: &Username,
    current: &Secret,
    new: &Secret,
) -> Result<Secret, DomainError> {
    let creds = store
        .credentials_by_username(username)
        .await?
        .filter(|c| c.user_id == actor.user_id)
        .ok_or(DomainError::NotFound)?;
    let ok = match creds.password_hash.as_deref() {
        Some(h) => hasher.verify(current, h).await,
        None => false,
    };
    if !ok {
        return Err(DomainError::invalid(
            "current_password",
            FieldError::Required,
        ));
    }
    let new = NewPassword::parse(new, username.as_str())
        .map_err(|e| DomainError::invalid("new_password", e))?;
    let hash = hasher.hash(new.secret()).await?;
    store.set_password_hash(actor.user_id, &hash).await?;
    let token = new_token();
    let now = clock.now();
    store
        .create_session(SessionRecord {
            token_hash: token_hash(&token),
            user_id: actor.user_id,
            created_at: now,
            last_seen_at: now,
        })
        .await?;
    Ok(token)
}

/// On an empty database (no organisation yet), creates a one-time setup token and returns it
/// so that `serve` can print it; otherwise `None`. Each start issues a new token and the old
/// one stops working.
pub async fn issue_setup_token_if_empty<S: AccountsStore + OrganisationStore + ?Sized>(
    store: &S,
    clock: &dyn Clock,
) -> Result<Option<Secret>, DomainError> {
    if store.organisation_count().await? > 0 {
        return Ok(None);
    }
    let token = new_token();
    store
        .put_setup_token(&token_hash(&token), clock.now())
        .await?;
    Ok(Some(token))
}

pub fn is_expired(session: &SessionRecord, now: OffsetDateTime, policy: SessionPolicy) -> bool {
    now - session.last_seen_at > policy.idle || now - session.created_at > policy.absolute
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sessions_csrf_token_is_its_own_and_reveals_nothing_of_it() {
        let a = new_token();
        let b = new_token();
        let t = session_csrf_token(&a);
        assert_eq!(t, session_csrf_token(&a), "stable for one session");
        assert_ne!(t, session_csrf_token(&b), "another session, another token");
        assert_eq!(t.len(), 64);
        assert!(!t.contains(a.expose()) && t != token_hash(&a));
    }
}
