//! Reading a client's plan, whole or for a page about one part of it, with the audit row
//! in the same transaction (written only when there is something to show).

use super::{PgStore, append_audit_rows, fail, measure_row, plan_item};
use crate::cases::fetch_client_record;
use domain::audit::NewAuditEvent;
use domain::ids::ClientId;
use domain::ports::{PlanPart, PlanRecord, PortResult};

impl PgStore {
    /// The plan of `client` and, when it holds `part` (or no part is named), `audit` written
    /// in the same transaction.
    pub(crate) async fn read_plan_where(
        &self,
        client: ClientId,
        part: Option<PlanPart>,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<PlanRecord>> {
        let mut tx = if audit.is_some() {
            self.write().await?
        } else {
            self.pool.begin().await.map_err(fail)?
        };
        let Some(record) = fetch_client_record(&mut tx, client).await? else {
            return Ok(None);
        };
        let items = sqlx::query(
            "SELECT id, client_id, kind, version, created_at, updated_at, data FROM plan_items
             WHERE client_id = $1 ORDER BY created_at, id",
        )
        .bind(client.as_uuid())
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?
        .iter()
        .map(plan_item)
        .collect::<PortResult<Vec<_>>>()?;
        let measures = sqlx::query(
            "SELECT id, office_id, version, updated_at, data FROM measures
             WHERE office_id = $1 ORDER BY id",
        )
        .bind(record.office_id.as_uuid())
        .fetch_all(&mut *tx)
        .await
        .map_err(fail)?
        .iter()
        .map(measure_row)
        .collect::<PortResult<Vec<_>>>()?;
        let plan = PlanRecord {
            client: record,
            items,
            measures,
        };
        if part.is_some_and(|p| !p.is_in(&plan)) {
            // Nothing of the page's subject to show: no audit row (the transaction is rolled
            // back when dropped).
            return Ok(None);
        }
        if let Some(event) = audit {
            append_audit_rows(&mut tx, vec![event]).await?;
        }
        tx.commit().await.map_err(fail)?;
        Ok(Some(plan))
    }
}
