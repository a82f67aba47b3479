//! The shared plan: versioned items with their history (optimistic locking, the history row
//! and the audit row in the write's transaction), reading a plan whole or for a page about one
//! part of it (outside the write transaction; the audit row, through the appender, written
//! only when there is something to show), and the offices'
//! catalogues of measures.

use crate::audit::append_audit_rows;
use crate::cases::fetch_client_record;
use crate::plan_documents::{StoredVersion, decode, encode, encode_replaced, versions};
use crate::{PgStore, fail, id, role};
use async_trait::async_trait;
use domain::audit::NewAuditEvent;
use domain::cases::ClientAccess;
use domain::ids::{ClientId, MeasureId, OfficeId};
use domain::plan::store::{
    MeasureRow, NewPlanHistory, PlanHistoryRow, PlanItemRow, PlanPart, PlanRecord, PlanStore,
    PlanWrite,
};
use domain::ports::{Conflict, PortError, PortResult};
use sqlx::Row;
use sqlx::postgres::PgConnection;
use uuid::Uuid;

fn plan_item(r: &sqlx::postgres::PgRow) -> PortResult<PlanItemRow> {
    Ok(PlanItemRow {
        id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
        client_id: id(&r.try_get::<Uuid, _>("client_id").map_err(fail)?)?,
        kind: r.try_get("kind").map_err(fail)?,
        version: r.try_get("version").map_err(fail)?,
        created_at: r.try_get("created_at").map_err(fail)?,
        updated_at: r.try_get("updated_at").map_err(fail)?,
        data: decode(&r.try_get::<Vec<u8>, _>("data").map_err(fail)?)?,
    })
}

/// The due date an open activity is reminded of (`plan_items.due`, migration 0016), computed
/// from the document being written: its `end` while planned or in progress, otherwise NULL.
const DUE: &str = "CASE WHEN $3 = 'activity'
                   AND (($8::jsonb) ->> 'status') IN ('planned', 'in-progress')
              THEN ($8::jsonb) ->> 'end' END";

fn measure_row(r: &sqlx::postgres::PgRow) -> PortResult<MeasureRow> {
    Ok(MeasureRow {
        id: id(&r.try_get::<Uuid, _>("id").map_err(fail)?)?,
        office_id: id(&r.try_get::<Uuid, _>("office_id").map_err(fail)?)?,
        version: r.try_get("version").map_err(fail)?,
        updated_at: r.try_get("updated_at").map_err(fail)?,
        data: r.try_get("data").map_err(fail)?,
    })
}

const MEASURE_COLUMNS: &str = "SELECT id, office_id, version, updated_at, data FROM measures";

impl PgStore {
    /// The plan of `client`, read outside any write transaction (and without BEGIN/COMMIT:
    /// at READ COMMITTED one would not make its reads one snapshot anyway), returned when it
    /// holds `part` (or no part is named) once `audit` is durable (through the appender).
    pub(crate) async fn read_plan_where(
        &self,
        client: ClientId,
        part: Option<PlanPart>,
        audit: Option<NewAuditEvent>,
    ) -> PortResult<Option<PlanRecord>> {
        let mut conn = self.read().await?;
        let Some(plan) = read_plan_record(&mut conn, client, part).await? else {
            // Nothing of the page's subject to show: no audit row.
            return Ok(None);
        };
        drop(conn);
        self.audited(audit).await?;
        Ok(Some(plan))
    }
}

/// The case header, the plan items and the office's catalogue; `None` without the client, or
/// when the plan does not hold `part`.
async fn read_plan_record(
    conn: &mut PgConnection,
    client: ClientId,
    part: Option<PlanPart>,
) -> PortResult<Option<PlanRecord>> {
    let Some(record) = fetch_client_record(&mut *conn, client).await? else {
        return Ok(None);
    };
    let items = sqlx::query(
        "SELECT id, client_id, kind, version, created_at, updated_at, data FROM plan_items
         WHERE client_id = $1 ORDER BY created_at, id",
    )
    .bind(client.as_uuid())
    .fetch_all(&mut *conn)
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
    .fetch_all(&mut *conn)
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
    Ok(part.is_none_or(|p| p.is_in(&plan)).then_some(plan))
}

#[async_trait]
impl PlanStore for PgStore {
    async fn read_plan(&self, access: &ClientAccess) -> PortResult<Option<PlanRecord>> {
        self.read_plan_where(access.client(), None, access.audit().cloned())
            .await
    }

    async fn read_plan_part(
        &self,
        access: &ClientAccess,
        part: domain::plan::store::PlanPart,
    ) -> PortResult<Option<PlanRecord>> {
        self.read_plan_where(access.client(), Some(part), access.audit().cloned())
            .await
    }

    async fn write_plan_item(&self, w: PlanWrite) -> PortResult<()> {
        let mut tx = self.write().await?;
        let (item, h) = (&w.item, &w.history);
        let stored = encode(&item.data)?;
        // Every version's document is stored once (migration 0016): the item row holds the
        // new one, and the history row the one the change replaces, as stored in the item row
        // (so `h.before` is not needed: it is the same document), compressed against the new.
        let before = match w.expected_version {
            None => {
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "INSERT INTO plan_items (id, client_id, kind, version, created_at, updated_at, data, due)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, {DUE})"
                )))
                .bind(item.id.as_uuid())
                .bind(item.client_id.as_uuid())
                .bind(&item.kind)
                .bind(item.version)
                .bind(item.created_at)
                .bind(item.updated_at)
                .bind(&stored)
                .bind(&item.data)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
                None
            }
            Some(expected) => {
                // Not this client's item, or no longer at the version the change was based on; a
                // second writer based on the same version waits here for the first, then finds
                // nothing.
                let Some(replaced) = sqlx::query_scalar::<_, Vec<u8>>(
                    "SELECT data FROM plan_items WHERE id = $1 AND client_id = $2 AND version = $3
                     FOR UPDATE",
                )
                .bind(item.id.as_uuid())
                .bind(item.client_id.as_uuid())
                .bind(expected)
                .fetch_optional(&mut *tx)
                .await
                .map_err(fail)?
                else {
                    return Err(PortError::Conflict(Conflict::Stale));
                };
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "UPDATE plan_items SET version = $4, updated_at = $6, data = $7, due = {DUE}
                     WHERE id = $1 AND client_id = $2 AND version = $5"
                )))
                .bind(item.id.as_uuid())
                .bind(item.client_id.as_uuid())
                .bind(&item.kind)
                .bind(item.version)
                .bind(expected)
                .bind(item.updated_at)
                .bind(&stored)
                .bind(&item.data)
                .execute(&mut *tx)
                .await
                .map_err(fail)?;
                Some(encode_replaced(&decode(&replaced)?, &item.data)?)
            }
        };
        sqlx::query(
            "INSERT INTO plan_history (item_id, version, at, actor_id, actor_role, change, before)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(h.item_id.as_uuid())
        .bind(h.version)
        .bind(h.at)
        .bind(h.actor_id.as_uuid())
        .bind(h.actor_role.as_str())
        .bind(&h.change)
        .bind(before)
        .execute(&mut *tx)
        .await
        .map_err(|e| match fail(e) {
            // Two writers that both passed the version check cannot both add version n.
            PortError::Conflict(_) => PortError::Conflict(Conflict::Stale),
            other => other,
        })?;
        crate::conversation::insert_events(&mut tx, &w.events, w.history.at).await?;
        append_audit_rows(&mut tx, vec![w.audit]).await?;
        tx.commit().await.map_err(fail)
    }

    async fn plan_history(
        &self,
        access: &ClientAccess,
        limit: i64,
    ) -> PortResult<Vec<PlanHistoryRow>> {
        let (client, audit) = (access.client(), access.audit().cloned());
        let mut conn = self.read().await?;
        // Each version's document is stored once (migration 0016), so an item's versions are
        // read together, newest first, and decoded from its current document backwards.
        let rows = sqlx::query(
            "SELECT i.client_id, i.kind, i.version AS current_version, i.data AS current,
                    h.item_id, h.version, h.at, h.actor_id, h.actor_role, h.change, h.before,
                    h.after, u.display_name
             FROM plan_items i
             JOIN plan_history h ON h.item_id = i.id
             JOIN users u ON u.id = h.actor_id
             WHERE i.client_id = $1 ORDER BY h.item_id, h.version DESC",
        )
        .bind(client.as_uuid())
        .fetch_all(&mut *conn)
        .await
        .map_err(fail)?;
        let mut out = Vec::with_capacity(rows.len());
        for item in rows.chunk_by(|a, b| {
            a.try_get::<Uuid, _>("item_id").ok() == b.try_get::<Uuid, _>("item_id").ok()
        }) {
            let stored = item
                .iter()
                .map(|r| {
                    Ok(StoredVersion {
                        version: r.try_get("version").map_err(fail)?,
                        before: r.try_get("before").map_err(fail)?,
                        after: r.try_get("after").map_err(fail)?,
                    })
                })
                .collect::<PortResult<Vec<_>>>()?;
            let first = &item[0];
            let documents = versions(
                first.try_get("current_version").map_err(fail)?,
                &first.try_get::<Vec<u8>, _>("current").map_err(fail)?,
                &stored,
            )?;
            for (r, (before, after)) in item.iter().zip(documents) {
                out.push(PlanHistoryRow {
                    entry: NewPlanHistory {
                        client_id: id(&r.try_get::<Uuid, _>("client_id").map_err(fail)?)?,
                        item_id: id(&r.try_get::<Uuid, _>("item_id").map_err(fail)?)?,
                        item_kind: r.try_get("kind").map_err(fail)?,
                        version: r.try_get("version").map_err(fail)?,
                        at: r.try_get("at").map_err(fail)?,
                        actor_id: id(&r.try_get::<Uuid, _>("actor_id").map_err(fail)?)?,
                        actor_role: role(&r.try_get::<String, _>("actor_role").map_err(fail)?)?,
                        change: r.try_get("change").map_err(fail)?,
                        before,
                        after,
                    },
                    actor_name: r.try_get("display_name").map_err(fail)?,
                });
            }
        }
        // Newest first.
        out.sort_by(|a, b| {
            let key = |r: &PlanHistoryRow| (r.entry.at, r.entry.item_id, r.entry.version);
            key(b).cmp(&key(a))
        });
        out.truncate(usize::try_from(limit).unwrap_or(0));
        drop(conn);
        self.audited(audit).await?;
        Ok(out)
    }

    async fn put_measure(&self, m: MeasureRow, expected_version: Option<i64>) -> PortResult<()> {
        let mut tx = self.write().await?;
        let done = match expected_version {
            None => sqlx::query(
                "INSERT INTO measures (id, office_id, version, updated_at, data) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(m.id.as_uuid())
            .bind(m.office_id.as_uuid())
            .bind(m.version)
            .bind(m.updated_at)
            .bind(&m.data)
            .execute(&mut *tx)
            .await
            .map_err(fail)?,
            Some(expected) => sqlx::query(
                "UPDATE measures SET version = $1, updated_at = $2, data = $3
                 WHERE id = $4 AND office_id = $5 AND version = $6",
            )
            .bind(m.version)
            .bind(m.updated_at)
            .bind(&m.data)
            .bind(m.id.as_uuid())
            .bind(m.office_id.as_uuid())
            .bind(expected)
            .execute(&mut *tx)
            .await
            .map_err(fail)?,
        };
        if done.rows_affected() != 1 {
            return Err(PortError::Conflict(Conflict::Stale));
        }
        tx.commit().await.map_err(fail)
    }

    async fn measure(&self, measure: MeasureId) -> PortResult<Option<MeasureRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MEASURE_COLUMNS} WHERE id = $1"
        )))
        .bind(measure.as_uuid())
        .fetch_optional(&self.pool)
        .await
        .map_err(fail)?
        .as_ref()
        .map(measure_row)
        .transpose()
    }

    async fn list_measures(&self, office: OfficeId) -> PortResult<Vec<MeasureRow>> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{MEASURE_COLUMNS} WHERE office_id = $1 ORDER BY id"
        )))
        .bind(office.as_uuid())
        .fetch_all(&self.pool)
        .await
        .map_err(fail)?
        .iter()
        .map(measure_row)
        .collect()
    }
}
