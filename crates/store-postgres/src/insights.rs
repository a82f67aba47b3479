//! Anonymous feedback aggregates on PostgreSQL (`InsightsStore`): group rows only, computed
//! as `domain::feedback::grouping` defines them. No client id leaves these queries.

use super::{PgStore, fail, id};
use async_trait::async_trait;
use domain::feedback::Quarter;
use domain::feedback::suppression::MEASURES;
use domain::ids::{OfficeId, TeamId, UserId};
use domain::insights::InsightsStore;
use domain::insights::{FeedbackGroup, GroupScope, MeasureCounts, OfficeUnits};
use domain::ports::{PortError, PortResult};
use sqlx::Row;
use sqlx::postgres::PgRow;

/// The client-quarters of one office (`$1`) in the listed quarters: team and counselor are the
/// greatest among the client's rows, each theme the client's mean score.
fn client_quarters() -> &'static str {
    "WITH r AS (
        SELECT client_id, quarter, team_id, counselor_id, 1 AS responded,
               CASE WHEN shared_with_counselor THEN 0 ELSE 1 END AS unshared,
               theme_relation AS t0, theme_reciprocity AS t1, theme_choices AS t2,
               theme_time AS t3, theme_knowledge AS t4, theme_knowledge_sharing AS t5
        FROM feedback_responses WHERE office_id = $1 AND quarter = ANY($2)
        UNION ALL
        SELECT client_id, quarter, team_id, counselor_id, 0, 0,
               NULL, NULL, NULL, NULL, NULL, NULL
        FROM feedback_invitations WHERE office_id = $1 AND quarter = ANY($2)
    ),
    cq AS (
        SELECT quarter, client_id,
               MAX(team_id::text COLLATE \"C\")::uuid AS team_id,
               MAX(counselor_id::text COLLATE \"C\")::uuid AS counselor_id,
               MAX(responded) AS answered, MAX(unshared) AS unshared,
               AVG(t0)::float8 AS m0, AVG(t1)::float8 AS m1, AVG(t2)::float8 AS m2,
               AVG(t3)::float8 AS m3, AVG(t4)::float8 AS m4, AVG(t5)::float8 AS m5
        FROM r GROUP BY quarter, client_id
    )"
}

/// The numbers of every measure over the client-quarters of a group.
fn measures() -> String {
    let mut cols = vec![
        "COUNT(*) AS n_r, 0.0::float8 AS s_r, COUNT(DISTINCT counselor_id) AS c_r, \
         SUM(unshared)::bigint AS u_r"
            .to_string(),
        "SUM(answered)::bigint AS n_a, 0.0::float8 AS s_a, \
         COUNT(DISTINCT CASE WHEN answered = 1 THEN counselor_id END) AS c_a, \
         SUM(CASE WHEN answered = 1 THEN unshared ELSE 0 END)::bigint AS u_a"
            .to_string(),
    ];
    for t in 0..6 {
        cols.push(format!(
            "COUNT(m{t}) AS n_{t}, COALESCE(SUM(m{t}), 0)::float8 AS s_{t}, \
             COUNT(DISTINCT CASE WHEN m{t} IS NOT NULL THEN counselor_id END) AS c_{t}, \
             SUM(CASE WHEN m{t} IS NOT NULL THEN unshared ELSE 0 END)::bigint AS u_{t}"
        ));
    }
    cols.join(",\n")
}

const KEYS: [&str; MEASURES] = ["r", "a", "0", "1", "2", "3", "4", "5"];

fn cells(row: &PgRow) -> PortResult<[MeasureCounts; MEASURES]> {
    let mut out = Vec::with_capacity(MEASURES);
    for k in KEYS {
        let get_i = |col: String| row.try_get::<i64, _>(col.as_str()).map_err(fail);
        let n = get_i(format!("n_{k}"))?;
        let s: f64 = row.try_get(format!("s_{k}").as_str()).map_err(fail)?;
        let c = get_i(format!("c_{k}"))?;
        let u = get_i(format!("u_{k}"))?;
        out.push(MeasureCounts::new(
            n.max(0) as u64,
            s,
            c.max(0) as u64,
            u.max(0) as u64,
        ));
    }
    out.try_into()
        .map_err(|_| PortError::Failure("bad measure cells".into()))
}

fn quarter(row: &PgRow) -> PortResult<Quarter> {
    let q: String = row.try_get("quarter").map_err(fail)?;
    Quarter::parse(&q).ok_or_else(|| PortError::Failure(format!("bad quarter {q}")))
}

async fn run(
    store: &PgStore,
    // Built from constants and placeholder counts only; every value is bound.
    sql: &str,
    office: OfficeId,
    extra: Option<UserId>,
    quarters: &[Quarter],
) -> PortResult<Vec<PgRow>> {
    let list: Vec<String> = quarters.iter().map(|q| q.to_string()).collect();
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .bind(office.as_uuid())
        .bind(list);
    if let Some(u) = extra {
        q = q.bind(u.as_uuid());
    }
    q.fetch_all(store.pool()).await.map_err(fail)
}

// ----- the summary of settled quarters (migration 0013) -----

/// The measure columns of `feedback_quarter_groups`, in the order `measures()` yields them.
fn summary_columns(prefix: &str) -> String {
    KEYS.iter()
        .flat_map(|k| ["n", "s", "c", "u"].map(|p| format!("{prefix}{p}_{k}")))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which groups of the summary a read wants.
#[derive(Clone, Copy)]
enum Wanted {
    OfficeAndTeams,
    Counselor(UserId),
}

/// Reads the summarised quarters among `quarters` in one statement (one snapshot): the
/// quarters found (with or without groups) and the groups.
async fn read_summary<'e, E>(
    e: E,
    office: OfficeId,
    quarters: &[Quarter],
    wanted: Wanted,
) -> PortResult<(Vec<Quarter>, Vec<FeedbackGroup>)>
where
    E: sqlx::Executor<'e, Database = sqlx::Postgres>,
{
    let filter = match wanted {
        Wanted::OfficeAndTeams => "g.scope IN ('office', 'team')",
        Wanted::Counselor(_) => "g.scope = 'counselor' AND g.unit_id = $3",
    };
    let sql = format!(
        "SELECT s.quarter AS quarter, g.scope AS scope, g.unit_id AS unit_id, {cols}
         FROM feedback_quarter_summaries s
         LEFT JOIN feedback_quarter_groups g
           ON g.office_id = s.office_id AND g.quarter = s.quarter AND {filter}
         WHERE s.office_id = $1 AND s.quarter = ANY($2)",
        cols = summary_columns("g."),
    );
    let list: Vec<String> = quarters.iter().map(|q| q.to_string()).collect();
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(office.as_uuid())
        .bind(list);
    if let Wanted::Counselor(u) = wanted {
        q = q.bind(u.as_uuid());
    }
    let rows = q.fetch_all(e).await.map_err(fail)?;
    let mut found = Vec::new();
    let mut groups = Vec::new();
    for r in &rows {
        let qt = quarter(r)?;
        if !found.contains(&qt) {
            found.push(qt);
        }
        let Some(scope) = r.try_get::<Option<String>, _>("scope").map_err(fail)? else {
            continue;
        };
        let unit = r
            .try_get::<Option<uuid::Uuid>, _>("unit_id")
            .map_err(fail)?;
        let scope = match scope.as_str() {
            "office" => GroupScope::Office,
            "team" => GroupScope::Team(unit.map(TeamId::from)),
            _ => GroupScope::Counselor,
        };
        groups.push(FeedbackGroup::new(qt, scope, cells(r)?));
    }
    Ok((found, groups))
}

/// Replaces the summary of the office's quarters inside the caller's transaction. It first
/// takes the advisory lock of each office-quarter (the same lock the invalidating triggers
/// take), so a write landing in one of them either waits for this summary and then removes
/// it, or commits first and is counted by it.
async fn build_summary(
    conn: &mut sqlx::PgConnection,
    office: OfficeId,
    quarters: &[Quarter],
) -> PortResult<()> {
    let list: Vec<String> = quarters.iter().map(|q| q.to_string()).collect();
    let run = |sql: String| {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(office.as_uuid())
            .bind(list.clone())
    };
    run("SELECT pg_advisory_xact_lock(k) FROM
            (SELECT feedback_summary_key($1, q) AS k FROM unnest($2::text[]) q ORDER BY 1) x"
        .to_string())
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    run(
        "DELETE FROM feedback_quarter_summaries WHERE office_id = $1 AND quarter = ANY($2)"
            .to_string(),
    )
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    run(
        "INSERT INTO feedback_quarter_summaries (office_id, quarter, built_at)
         SELECT $1, q, now() FROM unnest($2::text[]) q"
            .to_string(),
    )
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    let m = measures();
    run(format!(
        "{cte}
        INSERT INTO feedback_quarter_groups (office_id, quarter, scope, unit_id, {cols})
        SELECT $1, quarter, 'office', NULL, {m} FROM cq GROUP BY quarter
        UNION ALL
        SELECT $1, quarter, 'team', team_id, {m} FROM cq GROUP BY quarter, team_id
        UNION ALL
        SELECT $1, quarter, 'counselor', counselor_id, {m} FROM cq
        WHERE counselor_id IS NOT NULL GROUP BY quarter, counselor_id",
        cte = client_quarters(),
        cols = summary_columns(""),
    ))
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    Ok(())
}

/// The summary's groups for `quarters`, building the quarters missing from it.
async fn settled(
    store: &PgStore,
    office: OfficeId,
    quarters: &[Quarter],
    wanted: Wanted,
) -> PortResult<Vec<FeedbackGroup>> {
    if quarters.is_empty() {
        return Ok(vec![]);
    }
    let (found, mut groups) = read_summary(store.pool(), office, quarters, wanted).await?;
    let missing: Vec<Quarter> = quarters
        .iter()
        .copied()
        .filter(|q| !found.contains(q))
        .collect();
    if !missing.is_empty() {
        let mut tx = store.write().await?;
        build_summary(&mut tx, office, &missing).await?;
        let (_, built) = read_summary(&mut *tx, office, &missing, wanted).await?;
        tx.commit().await.map_err(fail)?;
        groups.extend(built);
    }
    Ok(groups)
}

#[async_trait]
impl InsightsStore for PgStore {
    async fn feedback_units(&self, office: OfficeId) -> PortResult<Option<OfficeUnits>> {
        let Some(name) = sqlx::query_scalar::<_, String>("SELECT name FROM offices WHERE id = $1")
            .bind(office.as_uuid())
            .fetch_optional(self.pool())
            .await
            .map_err(fail)?
        else {
            return Ok(None);
        };
        let teams =
            sqlx::query("SELECT id, name FROM teams WHERE office_id = $1 ORDER BY name, id")
                .bind(office.as_uuid())
                .fetch_all(self.pool())
                .await
                .map_err(fail)?
                .iter()
                .map(|r| {
                    Ok((
                        id(&r.try_get::<uuid::Uuid, _>("id").map_err(fail)?)?,
                        r.try_get::<String, _>("name").map_err(fail)?,
                    ))
                })
                .collect::<PortResult<Vec<_>>>()?;
        Ok(Some(OfficeUnits {
            office_id: office,
            office_name: name,
            teams,
        }))
    }

    async fn office_feedback(
        &self,
        office: OfficeId,
        quarters: &[Quarter],
    ) -> PortResult<Vec<FeedbackGroup>> {
        if quarters.is_empty() {
            return Ok(vec![]);
        }
        let m = measures();
        let sql = format!(
            "{cte}
            SELECT quarter, 1 AS whole, NULL::uuid AS team_id, {m} FROM cq GROUP BY quarter
            UNION ALL
            SELECT quarter, 0 AS whole, team_id, {m} FROM cq GROUP BY quarter, team_id",
            cte = client_quarters(),
        );
        let rows = run(self, &sql, office, None, quarters).await?;
        rows.iter()
            .map(|r| {
                let scope = if r.try_get::<i32, _>("whole").map_err(fail)? == 1 {
                    GroupScope::Office
                } else {
                    GroupScope::Team(
                        r.try_get::<Option<uuid::Uuid>, _>("team_id")
                            .map_err(fail)?
                            .map(TeamId::from),
                    )
                };
                Ok(FeedbackGroup::new(quarter(r)?, scope, cells(r)?))
            })
            .collect()
    }

    async fn counselor_feedback(
        &self,
        office: OfficeId,
        counselor: UserId,
        quarters: &[Quarter],
    ) -> PortResult<Vec<FeedbackGroup>> {
        if quarters.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "{cte}
            SELECT quarter, {m} FROM cq WHERE counselor_id = $3 GROUP BY quarter",
            cte = client_quarters(),
            m = measures(),
        );
        let rows = run(self, &sql, office, Some(counselor), quarters).await?;
        rows.iter()
            .map(|r| {
                Ok(FeedbackGroup::new(
                    quarter(r)?,
                    GroupScope::Counselor,
                    cells(r)?,
                ))
            })
            .collect()
    }

    // ----- the summary of settled quarters (migration 0013) -----

    async fn settled_office_feedback(
        &self,
        office: OfficeId,
        quarters: &[Quarter],
    ) -> PortResult<Vec<FeedbackGroup>> {
        settled(self, office, quarters, Wanted::OfficeAndTeams).await
    }

    async fn settled_counselor_feedback(
        &self,
        office: OfficeId,
        counselor: UserId,
        quarters: &[Quarter],
    ) -> PortResult<Vec<FeedbackGroup>> {
        settled(self, office, quarters, Wanted::Counselor(counselor)).await
    }

    async fn unsummarised_offices(
        &self,
        quarter: Quarter,
        limit: i64,
    ) -> PortResult<Vec<OfficeId>> {
        sqlx::query_scalar::<_, uuid::Uuid>(
            "SELECT o.id FROM offices o
             WHERE NOT EXISTS (SELECT 1 FROM feedback_quarter_summaries s
                               WHERE s.office_id = o.id AND s.quarter = $1)
               AND (EXISTS (SELECT 1 FROM feedback_invitations i
                            WHERE i.office_id = o.id AND i.quarter = $1)
                    OR EXISTS (SELECT 1 FROM feedback_responses r
                               WHERE r.office_id = o.id AND r.quarter = $1))
             ORDER BY o.id LIMIT $2",
        )
        .bind(quarter.to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(id)
        .collect()
    }

    async fn summarise_quarters(&self, office: OfficeId, quarters: &[Quarter]) -> PortResult<()> {
        if quarters.is_empty() {
            return Ok(());
        }
        let mut tx = self.write().await?;
        build_summary(&mut tx, office, quarters).await?;
        tx.commit().await.map_err(fail)
    }
}
