//! Clients' accounts for administrators on PostgreSQL (issue 11): found by exact username, read
//! and changed with the audit row in the same transaction.

use crate::{PgStore, append_audit_rows, fail, id};
use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::cases::ClientAccess;
use domain::ids::{ClientId, OrganisationId};
use domain::organisation::client_accounts::{AccountChange, AccountStore, ClientAccount};
use domain::ports::PortResult;
use domain::types::Username;
use sqlx::Row;
use sqlx::postgres::PgConnection;

async fn fetch_account(
    conn: &mut PgConnection,
    client: ClientId,
) -> PortResult<Option<ClientAccount>> {
    let row = sqlx::query(
        "SELECT u.id, u.username, u.display_name, u.disabled
         FROM clients c JOIN users u ON u.id = c.user_id WHERE c.id = $1",
    )
    .bind(client.as_uuid())
    .fetch_optional(&mut *conn)
    .await
    .map_err(fail)?;
    row.map(|r| {
        Ok(ClientAccount {
            client_id: client,
            user_id: id(&r.try_get::<uuid::Uuid, _>("id").map_err(fail)?)?,
            name: r.try_get("display_name").map_err(fail)?,
            username: r.try_get("username").map_err(fail)?,
            disabled: r.try_get::<bool, _>("disabled").map_err(fail)?,
        })
    })
    .transpose()
}

#[async_trait]
impl AccountStore for PgStore {
    async fn client_with_username(
        &self,
        org: OrganisationId,
        username: &Username,
    ) -> PortResult<Option<ClientId>> {
        let found: Option<uuid::Uuid> = sqlx::query_scalar(
            "SELECT c.id FROM users u JOIN clients c ON c.user_id = u.id
             WHERE u.username = $1 AND u.organisation_id = $2",
        )
        .bind(username.as_str())
        .bind(org.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(fail)?;
        found.as_ref().map(id).transpose()
    }

    async fn read_client_account(
        &self,
        access: &ClientAccess,
    ) -> PortResult<Option<ClientAccount>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        let mut conn = self.read().await?;
        let Some(account) = fetch_account(&mut conn, client).await? else {
            return Ok(None);
        };
        drop(conn);
        self.audited(audit).await?;
        Ok(Some(account))
    }

    async fn change_client_account(
        &self,
        client: ClientId,
        expected_username: Option<&Username>,
        change: AccountChange,
        audit: NewAuditEvent,
    ) -> PortResult<Option<ClientAccount>> {
        let mut tx = self.write().await?;
        let Some(before) = fetch_account(&mut tx, client).await? else {
            return Ok(None);
        };
        if expected_username.is_some_and(|u| u.as_str() != before.username) {
            return Ok(None);
        }
        let user = before.user_id.as_uuid();
        let ends_sessions = match &change {
            AccountChange::Password(hash) => {
                sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
                    .bind(hash)
                    .bind(user)
                    .execute(&mut *tx)
                    .await
                    .map_err(fail)?;
                true
            }
            AccountChange::Disabled(disabled) => {
                sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
                    .bind(*disabled)
                    .bind(user)
                    .execute(&mut *tx)
                    .await
                    .map_err(fail)?;
                *disabled
            }
        };
        if ends_sessions {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(user)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
        }
        append_audit_rows(&mut tx, vec![audit]).await?;
        let after = fetch_account(&mut tx, client).await?;
        tx.commit().await.map_err(fail)?;
        Ok(after)
    }
}
