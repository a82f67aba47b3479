//! People's accounts and what logging in keeps: credentials and actors, sessions, failed
//! logins, known devices, the first-run setup token and external identities.

use crate::{PgStore, fail, id, opt_id, role};
use async_trait::async_trait;
use domain::accounts::{
    AccountsStore, Credentials, FailedLogin, NewUser, SessionActor, SessionRecord,
};
use domain::ids::UserId;
use domain::ports::{Conflict, PortError, PortResult};
use domain::roles::{Actor, RoleGrant};
use domain::types::Username;
use sqlx::Row;
use sqlx::postgres::PgConnection;
use time::OffsetDateTime;
use uuid::Uuid;

/// Inserts a user with their grants and protected access inside the caller's transaction.
pub(crate) async fn insert_user(conn: &mut PgConnection, user: &NewUser) -> PortResult<()> {
    sqlx::query(
        "INSERT INTO users (id, organisation_id, username, display_name, password_hash, disabled, created_at)
         VALUES ($1, $2, $3, $4, $5, FALSE, $6)",
    )
    .bind(user.id.as_uuid())
    .bind(user.organisation_id.as_uuid())
    .bind(user.username.as_str())
    .bind(user.display_name.as_str())
    .bind(user.password_hash.as_deref())
    .bind(user.created_at)
    .execute(&mut *conn)
    .await
    .map_err(|e| match fail(e) {
        PortError::Conflict(_) => PortError::Conflict(Conflict::Username),
        other => other,
    })?;
    for g in &user.grants {
        sqlx::query("INSERT INTO role_grants (user_id, role, office_id) VALUES ($1, $2, $3)")
            .bind(user.id.as_uuid())
            .bind(g.role.as_str())
            .bind(g.office_id.map(|o| o.as_uuid()))
            .execute(&mut *conn)
            .await
            .map_err(fail)?;
    }
    for o in &user.protected_access {
        sqlx::query("INSERT INTO protected_access (user_id, office_id) VALUES ($1, $2)")
            .bind(user.id.as_uuid())
            .bind(o.as_uuid())
            .execute(&mut *conn)
            .await
            .map_err(fail)?;
    }
    Ok(())
}

#[async_trait]
impl AccountsStore for PgStore {
    async fn create_user(&self, user: NewUser) -> PortResult<()> {
        let mut tx = self.write().await?;
        insert_user(&mut tx, &user).await?;
        tx.commit().await.map_err(fail)
    }

    async fn credentials_by_username(
        &self,
        username: &Username,
    ) -> PortResult<Option<Credentials>> {
        let row = sqlx::query("SELECT id, password_hash, disabled FROM users WHERE username = $1")
            .bind(username.as_str())
            .fetch_optional(&self.pool)
            .await
            .map_err(fail)?;
        row.map(|r| {
            Ok(Credentials {
                user_id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
                password_hash: r.try_get("password_hash").map_err(fail)?,
                disabled: r.try_get::<bool, _>("disabled").map_err(fail)?,
            })
        })
        .transpose()
    }

    async fn actor(&self, user: UserId) -> PortResult<Option<Actor>> {
        let Some(r) = sqlx::query(
            "SELECT organisation_id, username, display_name, disabled FROM users WHERE id = $1",
        )
        .bind(user.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(fail)?
        else {
            return Ok(None);
        };
        if r.try_get::<bool, _>("disabled").map_err(fail)? {
            return Ok(None);
        }
        let grants = sqlx::query("SELECT role, office_id FROM role_grants WHERE user_id = $1")
            .bind(user.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
            .iter()
            .map(|g| {
                Ok(RoleGrant {
                    role: role(&g.try_get::<String, _>("role").map_err(fail)?)?,
                    office_id: opt_id(g.try_get::<Option<Uuid>, _>("office_id").map_err(fail)?)?,
                })
            })
            .collect::<PortResult<Vec<_>>>()?;
        let protected: Vec<Uuid> =
            sqlx::query_scalar("SELECT office_id FROM protected_access WHERE user_id = $1")
                .bind(user.as_uuid())
                .fetch_all(&self.pool)
                .await
                .map_err(fail)?;
        let own: Option<Uuid> = sqlx::query_scalar("SELECT id FROM clients WHERE user_id = $1")
            .bind(user.as_uuid())
            .fetch_optional(&self.pool)
            .await
            .map_err(fail)?;
        Ok(Some(Actor {
            user_id: user,
            username: r.try_get("username").map_err(fail)?,
            display_name: r.try_get("display_name").map_err(fail)?,
            organisation_id: id(&r.try_get::<Uuid, _>("organisation_id").map_err(fail)?)?,
            grants,
            protected_access: protected.iter().map(id).collect::<PortResult<_>>()?,
            own_client: opt_id(own)?,
        }))
    }

    async fn set_password_hash(&self, user: UserId, hash: &str) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
            .bind(hash)
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn set_disabled(&self, user: UserId, disabled: bool) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
            .bind(disabled)
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user.as_uuid())
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
        }
        tx.commit().await.map_err(fail)
    }

    async fn link_identity(&self, user: UserId, issuer: &str, subject: &str) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO external_identities (issuer, subject, user_id) VALUES ($1, $2, $3)",
        )
        .bind(issuer)
        .bind(subject)
        .bind(user.as_uuid())
        .execute(&mut *tx)
        .await
        .map_err(|e| match fail(e) {
            PortError::Conflict(_) => PortError::Conflict(Conflict::Identity),
            other => other,
        })?;
        tx.commit().await.map_err(fail)
    }

    async fn user_by_identity(&self, issuer: &str, subject: &str) -> PortResult<Option<UserId>> {
        let found: Option<Uuid> = sqlx::query_scalar(
            "SELECT user_id FROM external_identities WHERE issuer = $1 AND subject = $2",
        )
        .bind(issuer)
        .bind(subject)
        .fetch_optional(&self.pool)
        .await
        .map_err(fail)?;
        opt_id(found)
    }

    async fn create_session(&self, s: SessionRecord) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4)")
            .bind(&s.token_hash)
            .bind(s.user_id.as_uuid())
            .bind(s.created_at)
            .bind(s.last_seen_at)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn session(&self, token_hash: &str) -> PortResult<Option<SessionRecord>> {
        let row = sqlx::query(
            "SELECT user_id, created_at, last_seen_at FROM sessions WHERE token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(fail)?;
        row.map(|r| {
            Ok(SessionRecord {
                token_hash: token_hash.to_string(),
                user_id: id(&r.try_get::<Uuid, _>("user_id").map_err(fail)?)?,
                created_at: r.try_get("created_at").map_err(fail)?,
                last_seen_at: r.try_get("last_seen_at").map_err(fail)?,
            })
        })
        .transpose()
    }

    async fn session_actor(&self, token_hash: &str) -> PortResult<Option<SessionActor>> {
        // One round trip per signed-in request: the session, the account, its grants (two
        // arrays in the same order), its protected access and the client it is.
        let Some(r) = sqlx::query(
            "SELECT s.user_id, s.created_at, s.last_seen_at,
                    u.organisation_id, u.username, u.display_name, u.disabled,
                    ARRAY(SELECT g.role FROM role_grants g WHERE g.user_id = s.user_id
                          ORDER BY g.role, g.office_id) AS grant_roles,
                    ARRAY(SELECT g.office_id FROM role_grants g WHERE g.user_id = s.user_id
                          ORDER BY g.role, g.office_id) AS grant_offices,
                    ARRAY(SELECT p.office_id FROM protected_access p WHERE p.user_id = s.user_id
                          ORDER BY p.office_id) AS protected,
                    (SELECT c.id FROM clients c WHERE c.user_id = s.user_id) AS own_client
             FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await
        .map_err(fail)?
        else {
            return Ok(None);
        };
        let user_id: UserId = id(&r.try_get::<Uuid, _>("user_id").map_err(fail)?)?;
        let session = SessionRecord {
            token_hash: token_hash.to_string(),
            user_id,
            created_at: r.try_get("created_at").map_err(fail)?,
            last_seen_at: r.try_get("last_seen_at").map_err(fail)?,
        };
        if r.try_get::<bool, _>("disabled").map_err(fail)? {
            return Ok(Some(SessionActor {
                session,
                actor: None,
            }));
        }
        let roles: Vec<String> = r.try_get("grant_roles").map_err(fail)?;
        let offices: Vec<Option<Uuid>> = r.try_get("grant_offices").map_err(fail)?;
        if roles.len() != offices.len() {
            return Err(PortError::Failure("role grants read unevenly".into()));
        }
        let grants = roles
            .iter()
            .zip(offices)
            .map(|(r, o)| {
                Ok(RoleGrant {
                    role: role(r)?,
                    office_id: opt_id(o)?,
                })
            })
            .collect::<PortResult<Vec<_>>>()?;
        let protected: Vec<Uuid> = r.try_get("protected").map_err(fail)?;
        let actor = Actor {
            user_id,
            username: r.try_get("username").map_err(fail)?,
            display_name: r.try_get("display_name").map_err(fail)?,
            organisation_id: id(&r.try_get::<Uuid, _>("organisation_id").map_err(fail)?)?,
            grants,
            protected_access: protected.iter().map(id).collect::<PortResult<_>>()?,
            own_client: opt_id(r.try_get::<Option<Uuid>, _>("own_client").map_err(fail)?)?,
        };
        Ok(Some(SessionActor {
            session,
            actor: Some(actor),
        }))
    }

    async fn touch_session(&self, token_hash: &str, at: OffsetDateTime) -> PortResult<()> {
        // One statement, no transaction around it.
        sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2")
            .bind(at)
            .bind(token_hash)
            .execute(&self.pool)
            .await
            .map_err(fail)?;
        Ok(())
    }

    async fn delete_session(&self, token_hash: &str) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn delete_sessions_of_user(&self, user: UserId) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(user.as_uuid())
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn delete_expired_sessions(
        &self,
        idle_before: OffsetDateTime,
        created_before: OffsetDateTime,
    ) -> PortResult<u64> {
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM sessions WHERE last_seen_at < $1 OR created_at < $2")
            .bind(idle_before)
            .bind(created_before)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok(done.rows_affected())
    }

    async fn record_failed_login(&self, attempt: FailedLogin) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("INSERT INTO failed_logins (key, at) VALUES ($1, $2)")
            .bind(&attempt.key)
            .bind(attempt.at)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn failed_logins_since(&self, key: &str, since: OffsetDateTime) -> PortResult<i64> {
        sqlx::query_scalar("SELECT COUNT(*) FROM failed_logins WHERE key = $1 AND at >= $2")
            .bind(key)
            .bind(since)
            .fetch_one(&self.pool)
            .await
            .map_err(fail)
    }

    async fn clear_failed_logins(&self, key: &str) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM failed_logins WHERE key = $1")
            .bind(key)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn remember_device(
        &self,
        user: UserId,
        device_hash: &str,
        at: OffsetDateTime,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query(
            "INSERT INTO known_devices (user_id, device_hash, last_used_at) VALUES ($1, $2, $3)
             ON CONFLICT (user_id, device_hash) DO UPDATE SET last_used_at = excluded.last_used_at",
        )
        .bind(user.as_uuid())
        .bind(device_hash)
        .bind(at)
        .execute(&mut *tx)
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn is_known_device(&self, user: UserId, device_hash: &str) -> PortResult<bool> {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM known_devices WHERE user_id = $1 AND device_hash = $2",
        )
        .bind(user.as_uuid())
        .bind(device_hash)
        .fetch_one(&self.pool)
        .await
        .map_err(fail)?;
        Ok(n > 0)
    }

    async fn put_setup_token(&self, token_hash: &str, at: OffsetDateTime) -> PortResult<()> {
        let mut tx = self.write().await?;
        sqlx::query("DELETE FROM setup_tokens")
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        sqlx::query("INSERT INTO setup_tokens (token_hash, created_at) VALUES ($1, $2)")
            .bind(token_hash)
            .bind(at)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)
    }

    async fn consume_setup_token(&self, token_hash: &str) -> PortResult<bool> {
        let mut tx = self.write().await?;
        let done = sqlx::query("DELETE FROM setup_tokens WHERE token_hash = $1")
            .bind(token_hash)
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        Ok(done.rows_affected() == 1)
    }
}
