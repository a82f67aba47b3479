//! The client's access log on PostgreSQL (issue 11): openings, prints and changes paged by
//! `seq`, and list views grouped per actor and UTC day in the query
//! (`(at AT TIME ZONE 'UTC')::date`). Both lists are read through partial indexes on
//! `(client_id, seq)` (migration 0015).

use super::{PgStore, fail, role};
use async_trait::async_trait;
use domain::access_log::{AccessLogStore, Cursor, ListViews, LogPage};
use domain::audit::{AccessLogEntry, AuditAction, DataKind};
use domain::ids::ClientId;
use domain::ports::{PortError, PortResult};
use sqlx::{AssertSqlSafe, Row};

/// The actor's offices, by name (`{actor}` is the column holding the actor's id).
fn offices(actor: &str) -> String {
    format!(
        "(SELECT string_agg(DISTINCT o.name, ', ' ORDER BY o.name)
            FROM role_grants rg JOIN offices o ON o.id = rg.office_id
            WHERE rg.user_id = {actor}) AS offices"
    )
}

fn entry_select() -> String {
    format!(
        "SELECT a.seq, a.at, a.actor_role, a.data_kind, a.action, u.display_name, {}
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
         WHERE a.client_id = $1 AND a.actor_role <> 'client'",
        offices("a.actor_id")
    )
}

fn entry(r: &sqlx::postgres::PgRow) -> PortResult<AccessLogEntry> {
    Ok(AccessLogEntry {
        seq: r.get("seq"),
        at: r.get("at"),
        // Never hide an access: an actor missing from `users` shows with no name.
        actor_name: r
            .get::<Option<String>, _>("display_name")
            .unwrap_or_default(),
        actor_role: role(&r.get::<String, _>("actor_role"))?,
        actor_offices: r.get::<Option<String>, _>("offices").unwrap_or_default(),
        data_kind: DataKind::parse(&r.get::<String, _>("data_kind"))
            .ok_or_else(|| PortError::Failure("unknown data kind".into()))?,
        action: AuditAction::parse(&r.get::<String, _>("action"))
            .ok_or_else(|| PortError::Failure("unknown audit action".into()))?,
    })
}

// The queries are put together from constant fragments only (a comparison and an order chosen
// by a `match` on the cursor, the office subquery); every value is bound. Hence
// `AssertSqlSafe`.

/// The comparison with the cursor, the order of the fetch and the cursor number.
fn direction(cursor: Cursor) -> (&'static str, &'static str, i64) {
    match cursor {
        Cursor::Newest => ("<", "DESC", i64::MAX),
        Cursor::Before(c) => ("<", "DESC", c),
        Cursor::After(c) => (">", "ASC", c),
    }
}

/// The comparison that finds lines on the other side of the cursor.
fn beyond(cursor: Cursor) -> Option<(&'static str, i64)> {
    match cursor {
        Cursor::Newest => None,
        Cursor::Before(c) => Some((">=", c)),
        Cursor::After(c) => Some(("<=", c)),
    }
}

const LIST_VIEWS: &str = "FROM audit_log a
    WHERE a.client_id = $1 AND a.actor_role <> 'client' AND a.data_kind = 'client-list-entry'
    GROUP BY a.actor_id, a.actor_role, (a.at AT TIME ZONE 'UTC')::date";

/// The query of one page of openings, prints and changes from `cursor` (binds: the client,
/// the number of rows, the cursor number). Public for the test that it reads its index.
pub fn openings_sql(cursor: Cursor) -> String {
    let (op, order, _) = direction(cursor);
    format!(
        "{} AND a.data_kind <> 'client-list-entry' AND a.seq {op} $3
         ORDER BY a.seq {order} LIMIT $2",
        entry_select()
    )
}

/// The query of one page of list views, grouped per actor and day, from `cursor` (binds as
/// [`openings_sql`]).
pub fn list_views_sql(cursor: Cursor) -> String {
    let (op, order, _) = direction(cursor);
    format!(
        "SELECT g.last_seq, g.last_at, g.times, g.actor_role, u.display_name, {}
         FROM (SELECT MAX(a.seq) AS last_seq, MAX(a.at) AS last_at, COUNT(*) AS times,
                      a.actor_id, a.actor_role
               {LIST_VIEWS} HAVING MAX(a.seq) {op} $3) g
         LEFT JOIN users u ON u.id = g.actor_id
         ORDER BY g.last_seq {order} LIMIT $2",
        offices("g.actor_id")
    )
}

impl PgStore {
    /// Every staff row, list views included, newest first (`Store::access_log`).
    pub(crate) async fn access_log_all(
        &self,
        client: ClientId,
        limit: i64,
    ) -> PortResult<Vec<AccessLogEntry>> {
        let sql = format!("{} ORDER BY a.seq DESC LIMIT $2", entry_select());
        sqlx::query(AssertSqlSafe(sql))
            .bind(client.as_uuid())
            .bind(limit)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
            .iter()
            .map(entry)
            .collect()
    }
}

#[async_trait]
impl AccessLogStore for PgStore {
    async fn access_log_page(
        &self,
        client: ClientId,
        cursor: Cursor,
        limit: i64,
    ) -> PortResult<LogPage<AccessLogEntry>> {
        let (_, _, at) = direction(cursor);
        let fetched = sqlx::query(AssertSqlSafe(openings_sql(cursor)))
            .bind(client.as_uuid())
            .bind(limit.saturating_add(1))
            .bind(at)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
            .iter()
            .map(entry)
            .collect::<PortResult<Vec<_>>>()?;
        let other_side = match beyond(cursor) {
            None => false,
            Some((op, c)) => sqlx::query_scalar::<_, bool>(AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 FROM audit_log a
                 WHERE a.client_id = $1 AND a.actor_role <> 'client'
                   AND a.data_kind <> 'client-list-entry' AND a.seq {op} $2)"
            )))
            .bind(client.as_uuid())
            .bind(c)
            .fetch_one(&self.pool)
            .await
            .map_err(fail)?,
        };
        Ok(LogPage::from_fetched(
            cursor,
            fetched,
            limit,
            |e| e.seq,
            other_side,
        ))
    }

    async fn list_views_page(
        &self,
        client: ClientId,
        cursor: Cursor,
        limit: i64,
    ) -> PortResult<LogPage<ListViews>> {
        let (_, _, at) = direction(cursor);
        let fetched = sqlx::query(AssertSqlSafe(list_views_sql(cursor)))
            .bind(client.as_uuid())
            .bind(limit.saturating_add(1))
            .bind(at)
            .fetch_all(&self.pool)
            .await
            .map_err(fail)?
            .iter()
            .map(|r| {
                let last_at: time::OffsetDateTime = r.get("last_at");
                let last_at = last_at.to_offset(time::UtcOffset::UTC);
                Ok(ListViews {
                    last_seq: r.get("last_seq"),
                    day: last_at.date(),
                    last_at,
                    actor_name: r
                        .get::<Option<String>, _>("display_name")
                        .unwrap_or_default(),
                    actor_role: role(&r.get::<String, _>("actor_role"))?,
                    actor_offices: r.get::<Option<String>, _>("offices").unwrap_or_default(),
                    times: r.get("times"),
                })
            })
            .collect::<PortResult<Vec<_>>>()?;
        let other_side = match beyond(cursor) {
            None => false,
            Some((op, c)) => sqlx::query_scalar::<_, bool>(AssertSqlSafe(format!(
                "SELECT EXISTS (SELECT 1 {LIST_VIEWS} HAVING MAX(a.seq) {op} $2)"
            )))
            .bind(client.as_uuid())
            .bind(c)
            .fetch_one(&self.pool)
            .await
            .map_err(fail)?,
        };
        Ok(LogPage::from_fetched(
            cursor,
            fetched,
            limit,
            |l| l.last_seq,
            other_side,
        ))
    }
}
