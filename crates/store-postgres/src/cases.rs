//! Client cases: opening, assignment, the policy's scope, the case header and the caseload.

use crate::accounts::insert_user;
use crate::audit::append_audit_rows;
use crate::{PgStore, fail, id, opt_id};
use async_trait::async_trait;
use domain::accounts::store::NewUser;
use domain::audit::NewAuditEvent;
use domain::cases::{CasesStore, ClientAccess, ClientRecord, ClientSummary, NewClient};
use domain::ids::{ClientId, UserId};
use domain::policy::{CaseloadScope, ClientScope};
use domain::ports::PortResult;
use sqlx::Row;
use sqlx::postgres::PgConnection;
use uuid::Uuid;

/// Inserts a client case inside the caller's transaction (its audit row is the caller's).
async fn insert_client(conn: &mut PgConnection, client: &NewClient) -> PortResult<()> {
    sqlx::query("INSERT INTO clients (id, office_id, user_id, name, protected, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(client.id.as_uuid())
        .bind(client.office_id.as_uuid())
        .bind(client.user_id.map(|u| u.as_uuid()))
        .bind(client.name.as_str())
        .bind(client.protected)
        .bind(client.created_at)
        .execute(&mut *conn)
        .await
        .map_err(fail)?;
    Ok(())
}

/// Sets a client's assigned counselor inside the caller's transaction.
async fn set_counselor(
    conn: &mut PgConnection,
    client: ClientId,
    counselor: UserId,
) -> PortResult<()> {
    sqlx::query("UPDATE clients SET assigned_counselor = $1 WHERE id = $2")
        .bind(counselor.as_uuid())
        .bind(client.as_uuid())
        .execute(&mut *conn)
        .await
        .map_err(fail)?;
    Ok(())
}

fn client_summary(r: &sqlx::postgres::PgRow) -> PortResult<ClientSummary> {
    Ok(ClientSummary {
        id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
        name: r.try_get("name").map_err(fail)?,
        office_id: id(&r.try_get::<Uuid, _>("office_id").map_err(fail)?)?,
        assigned_counselor: opt_id(
            r.try_get::<Option<Uuid>, _>("assigned_counselor")
                .map_err(fail)?,
        )?,
        protected: r.try_get::<bool, _>("protected").map_err(fail)?,
    })
}

/// The case header of a client (shared by the case page and the plan).
pub(crate) async fn fetch_client_record(
    conn: &mut PgConnection,
    client: ClientId,
) -> PortResult<Option<ClientRecord>> {
    let row = sqlx::query(
            "SELECT c.name, c.office_id, o.name AS office_name, c.assigned_counselor, u.display_name AS counselor_name,
                    c.protected, c.created_at
             FROM clients c JOIN offices o ON o.id = c.office_id
             LEFT JOIN users u ON u.id = c.assigned_counselor
             WHERE c.id = $1",
        )
        .bind(client.as_uuid())
        .fetch_optional(&mut *conn)
        .await
        .map_err(fail)?;
    let Some(r) = row else {
        return Ok(None);
    };
    let counselor_id: Option<UserId> = opt_id(
        r.try_get::<Option<Uuid>, _>("assigned_counselor")
            .map_err(fail)?,
    )?;
    let counselor_name: Option<String> = r.try_get("counselor_name").map_err(fail)?;
    let record = ClientRecord {
        id: client,
        name: r.try_get("name").map_err(fail)?,
        office_id: id(&r.try_get::<Uuid, _>("office_id").map_err(fail)?)?,
        office_name: r.try_get("office_name").map_err(fail)?,
        counselor: counselor_id.map(|c| (c, counselor_name.unwrap_or_default())),
        protected: r.try_get::<bool, _>("protected").map_err(fail)?,
        created_at: r.try_get("created_at").map_err(fail)?,
    };
    Ok(Some(record))
}

#[async_trait]
impl CasesStore for PgStore {
    async fn create_client(&self, client: NewClient, audit: NewAuditEvent) -> PortResult<()> {
        let mut tx = self.write().await?;
        insert_client(&mut tx, &client).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn assign_counselor(
        &self,
        client: ClientId,
        counselor: UserId,
        audit: NewAuditEvent,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        set_counselor(&mut tx, client, counselor).await?;
        append_audit_rows(&mut tx, vec![audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn open_client_case(
        &self,
        user: Option<NewUser>,
        client: NewClient,
        counselor: UserId,
        audits: Vec<NewAuditEvent>,
    ) -> PortResult<()> {
        let mut tx = self.write().await?;
        if let Some(user) = &user {
            insert_user(&mut tx, user).await?;
        }
        insert_client(&mut tx, &client).await?;
        set_counselor(&mut tx, client.id, counselor).await?;
        append_audit_rows(&mut tx, audits).await?;
        tx.commit().await.map_err(fail)
    }

    async fn client_scope(&self, client: ClientId) -> PortResult<Option<ClientScope>> {
        let row = sqlx::query(
            "SELECT c.office_id, o.organisation_id, c.assigned_counselor, c.protected
             FROM clients c JOIN offices o ON o.id = c.office_id WHERE c.id = $1",
        )
        .bind(client.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(fail)?;
        row.map(|r| {
            Ok(ClientScope {
                client_id: client,
                organisation_id: id(&r.try_get::<Uuid, _>("organisation_id").map_err(fail)?)?,
                office_id: id(&r.try_get::<Uuid, _>("office_id").map_err(fail)?)?,
                assigned_counselor: opt_id(
                    r.try_get::<Option<Uuid>, _>("assigned_counselor")
                        .map_err(fail)?,
                )?,
                protected: r.try_get::<bool, _>("protected").map_err(fail)?,
            })
        })
        .transpose()
    }

    async fn read_client(&self, access: &ClientAccess) -> PortResult<Option<ClientRecord>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        // The read outside the write lock; the audit row through the appender, committed before
        // the data is returned.
        let mut conn = self.read().await?;
        let Some(record) = fetch_client_record(&mut conn, client).await? else {
            return Ok(None);
        };
        drop(conn);
        self.audited(audit).await?;
        Ok(Some(record))
    }

    async fn list_clients(
        &self,
        scope: &CaseloadScope,
        assigned_only: bool,
    ) -> PortResult<Vec<ClientSummary>> {
        let mut out = Vec::new();
        for office in &scope.offices {
            let rows = sqlx::query(
                "SELECT id, name, office_id, assigned_counselor, protected FROM clients
                 WHERE office_id = $1 AND ($2 OR NOT protected) AND (NOT $3 OR assigned_counselor = $4)
                 ORDER BY name, id",
            )
            .bind(office.office_id.as_uuid())
            .bind(office.include_protected)
            .bind(assigned_only)
            .bind(scope.counselor_id.as_uuid())
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?;
            for r in &rows {
                out.push(client_summary(r)?);
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
        Ok(out)
    }
}
