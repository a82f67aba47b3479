//! The client's access log on SQLite (issue 11): openings, prints and changes paged by `seq`,
//! and list views grouped per actor and UTC day in the query (`at` is integer microseconds,
//! so the day is `at / 86400000000`). Both lists are read through partial indexes on
//! `(client_id, seq)` (migration 0015), and a listing since migration 0017 through the side
//! table `audit_list_entries`, whose primary key is `(client_id, seq)`.

use crate::{fail, from_ts, role};
use domain::audit::access_log::Cursor;
use domain::audit::{AccessLogEntry, AuditAction, DataKind};
use domain::ports::{PortError, PortResult};
use sqlx::Row;

/// The actor's offices, by name (`{actor}` is the column holding the actor's id).
fn offices(actor: &str) -> String {
    format!(
        "(SELECT group_concat(name, ', ') FROM (
            SELECT DISTINCT o.name FROM role_grants rg JOIN offices o ON o.id = rg.office_id
            WHERE rg.user_id = {actor} ORDER BY o.name)) AS offices"
    )
}

pub(super) fn entry_select() -> String {
    format!(
        "SELECT a.seq, a.at, a.actor_role, a.data_kind, a.action, u.display_name, {}
         FROM audit_log a LEFT JOIN users u ON u.id = a.actor_id
         WHERE a.client_id = $1 AND a.actor_role <> 'client'",
        offices("a.actor_id")
    )
}

pub(super) fn entry(r: &sqlx::sqlite::SqliteRow) -> PortResult<AccessLogEntry> {
    Ok(AccessLogEntry {
        seq: r.try_get("seq").map_err(fail)?,
        at: from_ts(r.try_get("at").map_err(fail)?)?,
        // Never hide an access: an actor missing from `users` shows with no name.
        actor_name: r
            .try_get::<Option<String>, _>("display_name")
            .map_err(fail)?
            .unwrap_or_default(),
        actor_role: role(&r.try_get::<String, _>("actor_role").map_err(fail)?)?,
        actor_offices: r
            .try_get::<Option<String>, _>("offices")
            .map_err(fail)?
            .unwrap_or_default(),
        data_kind: DataKind::parse(&r.try_get::<String, _>("data_kind").map_err(fail)?)
            .ok_or_else(|| PortError::Failure("unknown data kind".into()))?,
        action: AuditAction::parse(&r.try_get::<String, _>("action").map_err(fail)?)
            .ok_or_else(|| PortError::Failure("unknown audit action".into()))?,
    })
}

// The queries are put together from constant fragments only (a comparison and an order chosen
// by a `match` on the cursor, the office subquery); every value is bound. Hence
// `AssertSqlSafe`.

/// The comparison with the cursor, the order of the fetch and the cursor number.
pub(super) fn direction(cursor: Cursor) -> (&'static str, &'static str, i64) {
    match cursor {
        Cursor::Newest => ("<", "DESC", i64::MAX),
        Cursor::Before(c) => ("<", "DESC", c),
        Cursor::After(c) => (">", "ASC", c),
    }
}

/// The comparison that finds lines on the other side of the cursor.
pub(super) fn beyond(cursor: Cursor) -> Option<(&'static str, i64)> {
    match cursor {
        Cursor::Newest => None,
        Cursor::Before(c) => Some((">=", c)),
        Cursor::After(c) => Some(("<=", c)),
    }
}

/// The list views of `$1`: the old `client-list-entry` rows about her (before migration
/// 0017, through their partial index) and the `client-list` rows that listed her (through the
/// side table's primary key), grouped per actor and UTC day.
pub(super) const LIST_VIEWS: &str = "FROM (
        SELECT a.seq, a.at, a.actor_id, a.actor_role FROM audit_log a
        WHERE a.client_id = $1 AND a.actor_role <> 'client' AND a.data_kind = 'client-list-entry'
        UNION ALL
        SELECT a.seq, a.at, a.actor_id, a.actor_role
        FROM audit_list_entries l JOIN audit_log a ON a.seq = l.seq
        WHERE l.client_id = $1 AND a.actor_role <> 'client') a
    GROUP BY a.actor_id, a.actor_role, a.at / 86400000000";

/// Every staff row about `$1` or listing her (for [`AuditStore::access_log`]), newest first,
/// at most `$2`.
///
/// [`AuditStore::access_log`]: domain::audit::AuditStore::access_log
pub(super) fn everything_sql() -> String {
    format!(
        "{}
         UNION ALL
         SELECT a.seq, a.at, a.actor_role, a.data_kind, a.action, u.display_name, {}
         FROM audit_list_entries l JOIN audit_log a ON a.seq = l.seq
         LEFT JOIN users u ON u.id = a.actor_id
         WHERE l.client_id = $1 AND a.actor_role <> 'client'
         ORDER BY seq DESC LIMIT $2",
        entry_select(),
        offices("a.actor_id")
    )
}

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
