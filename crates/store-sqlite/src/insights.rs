//! Anonymous feedback aggregates on SQLite (`InsightsStore`): group rows only, computed
//! as `domain::feedback::grouping` defines them. No client id leaves these queries.

use super::{SqliteStore, fail, id};
use async_trait::async_trait;
use domain::feedback::Quarter;
use domain::feedback::suppression::MEASURES;
use domain::ids::{OfficeId, UserId};
use domain::insights::InsightsStore;
use domain::insights::{FeedbackGroup, GroupScope, MeasureCounts, OfficeUnits};
use domain::ports::{PortError, PortResult};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

/// The client-quarters of one office (`?1`) in the listed quarters: team and counselor are the
/// greatest among the client's rows, each theme the client's mean score.
fn client_quarters(quarters: usize) -> String {
    // Numbered placeholders only: ?1 is the office, ?2.. the quarters.
    let list = (0..quarters)
        .map(|i| format!("?{}", i + 2))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "WITH r AS (
            SELECT client_id, quarter, team_id, counselor_id, 1 AS responded,
                   1 - shared_with_counselor AS unshared,
                   theme_relation AS t0, theme_reciprocity AS t1, theme_choices AS t2,
                   theme_time AS t3, theme_knowledge AS t4, theme_knowledge_sharing AS t5
            FROM feedback_responses WHERE office_id = ?1 AND quarter IN ({list})
            UNION ALL
            SELECT client_id, quarter, team_id, counselor_id, 0, 0,
                   NULL, NULL, NULL, NULL, NULL, NULL
            FROM feedback_invitations WHERE office_id = ?1 AND quarter IN ({list})
        ),
        cq AS MATERIALIZED (
            SELECT quarter, client_id, MAX(team_id) AS team_id, MAX(counselor_id) AS counselor_id,
                   MAX(responded) AS answered, MAX(unshared) AS unshared,
                   AVG(t0) AS m0, AVG(t1) AS m1, AVG(t2) AS m2,
                   AVG(t3) AS m3, AVG(t4) AS m4, AVG(t5) AS m5
            FROM r GROUP BY quarter, client_id
        )"
    )
}

/// The numbers of every measure over the client-quarters of a group.
fn measures() -> String {
    let mut cols = vec![
        "COUNT(*) AS n_r, 0.0 AS s_r, COUNT(DISTINCT counselor_id) AS c_r, \
         SUM(unshared) AS u_r"
            .to_string(),
        "SUM(answered) AS n_a, 0.0 AS s_a, \
         COUNT(DISTINCT CASE WHEN answered = 1 THEN counselor_id END) AS c_a, \
         SUM(CASE WHEN answered = 1 THEN unshared ELSE 0 END) AS u_a"
            .to_string(),
    ];
    for t in 0..6 {
        cols.push(format!(
            "COUNT(m{t}) AS n_{t}, TOTAL(m{t}) AS s_{t}, \
             COUNT(DISTINCT CASE WHEN m{t} IS NOT NULL THEN counselor_id END) AS c_{t}, \
             SUM(CASE WHEN m{t} IS NOT NULL THEN unshared ELSE 0 END) AS u_{t}"
        ));
    }
    cols.join(",\n")
}

const KEYS: [&str; MEASURES] = ["r", "a", "0", "1", "2", "3", "4", "5"];

fn cells(row: &SqliteRow) -> PortResult<[MeasureCounts; MEASURES]> {
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

fn quarter(row: &SqliteRow) -> PortResult<Quarter> {
    let q: String = row.try_get("quarter").map_err(fail)?;
    Quarter::parse(&q).ok_or_else(|| PortError::Failure(format!("bad quarter {q}")))
}

async fn run(
    store: &SqliteStore,
    // Built from constants and placeholder counts only; every value is bound.
    sql: &str,
    office: OfficeId,
    extra: Option<UserId>,
    quarters: &[Quarter],
) -> PortResult<Vec<SqliteRow>> {
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.to_string())).bind(office.to_string());
    for quarter in quarters {
        q = q.bind(quarter.to_string());
    }
    if let Some(u) = extra {
        q = q.bind(u.to_string());
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

/// `?first, ?first+1, …` for the quarters.
fn quarter_list(first: usize, quarters: usize) -> String {
    (0..quarters)
        .map(|i| format!("?{}", i + first))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which groups of the summary a read wants.
#[derive(Clone, Copy)]
enum Wanted {
    OfficeAndTeams,
    Counselor(UserId),
}

/// Reads the summarised quarters among `quarters`: the quarters found (with or without
/// groups) and the groups.
async fn read_summary<'e, E>(
    e: E,
    office: OfficeId,
    quarters: &[Quarter],
    wanted: Wanted,
) -> PortResult<(Vec<Quarter>, Vec<FeedbackGroup>)>
where
    E: sqlx::Executor<'e, Database = sqlx::Sqlite>,
{
    let filter = match wanted {
        Wanted::OfficeAndTeams => "g.scope IN ('office', 'team')".to_string(),
        Wanted::Counselor(_) => format!(
            "g.scope = 'counselor' AND g.unit_id = ?{}",
            quarters.len() + 2
        ),
    };
    let sql = format!(
        "SELECT s.quarter AS quarter, g.scope AS scope, g.unit_id AS unit_id, {cols}
         FROM feedback_quarter_summaries s
         LEFT JOIN feedback_quarter_groups g
           ON g.office_id = s.office_id AND g.quarter = s.quarter AND {filter}
         WHERE s.office_id = ?1 AND s.quarter IN ({list})",
        cols = summary_columns("g."),
        list = quarter_list(2, quarters.len()),
    );
    let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(office.to_string());
    for quarter in quarters {
        q = q.bind(quarter.to_string());
    }
    if let Wanted::Counselor(u) = wanted {
        q = q.bind(u.to_string());
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
            .try_get::<Option<String>, _>("unit_id")
            .map_err(fail)?
            .as_deref()
            .map(id)
            .transpose()?;
        let scope = match scope.as_str() {
            "office" => GroupScope::Office,
            "team" => GroupScope::Team(unit),
            _ => GroupScope::Counselor,
        };
        groups.push(FeedbackGroup::new(qt, scope, cells(r)?));
    }
    Ok((found, groups))
}

/// Replaces the summary of the office's quarters inside the caller's (immediate) transaction.
async fn build_summary(
    conn: &mut sqlx::SqliteConnection,
    office: OfficeId,
    quarters: &[Quarter],
) -> PortResult<()> {
    let list = quarter_list(2, quarters.len());
    let bind_all = |sql: String| {
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(office.to_string());
        for quarter in quarters {
            q = q.bind(quarter.to_string());
        }
        q
    };
    bind_all(format!(
        "DELETE FROM feedback_quarter_summaries WHERE office_id = ?1 AND quarter IN ({list})"
    ))
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    let values = (0..quarters.len())
        .map(|i| {
            format!(
                "(?1, ?{}, CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER))",
                i + 2
            )
        })
        .collect::<Vec<_>>()
        .join(", ");
    bind_all(format!(
        "INSERT INTO feedback_quarter_summaries (office_id, quarter, built_at) VALUES {values}"
    ))
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    let m = measures();
    bind_all(format!(
        "{cte}
        INSERT INTO feedback_quarter_groups (office_id, quarter, scope, unit_id, {cols})
        SELECT ?1, quarter, 'office', NULL, {m} FROM cq GROUP BY quarter
        UNION ALL
        SELECT ?1, quarter, 'team', team_id, {m} FROM cq GROUP BY quarter, team_id
        UNION ALL
        SELECT ?1, quarter, 'counselor', counselor_id, {m} FROM cq
        WHERE counselor_id IS NOT NULL GROUP BY quarter, counselor_id",
        cte = client_quarters(quarters.len()),
        cols = summary_columns(""),
    ))
    .execute(&mut *conn)
    .await
    .map_err(fail)?;
    Ok(())
}

/// The summary's groups for `quarters`, building the quarters missing from it.
async fn settled(
    store: &SqliteStore,
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
impl InsightsStore for SqliteStore {
    async fn feedback_units(&self, office: OfficeId) -> PortResult<Option<OfficeUnits>> {
        let Some(name) = sqlx::query_scalar::<_, String>("SELECT name FROM offices WHERE id = ?")
            .bind(office.to_string())
            .fetch_optional(self.pool())
            .await
            .map_err(fail)?
        else {
            return Ok(None);
        };
        let teams = sqlx::query("SELECT id, name FROM teams WHERE office_id = ? ORDER BY name, id")
            .bind(office.to_string())
            .fetch_all(self.pool())
            .await
            .map_err(fail)?
            .iter()
            .map(|r| {
                Ok((
                    id(&r.try_get::<String, _>("id").map_err(fail)?)?,
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
            SELECT quarter, 1 AS whole, NULL AS team_id, {m} FROM cq GROUP BY quarter
            UNION ALL
            SELECT quarter, 0 AS whole, team_id, {m} FROM cq GROUP BY quarter, team_id",
            cte = client_quarters(quarters.len()),
        );
        let rows = run(self, &sql, office, None, quarters).await?;
        rows.iter()
            .map(|r| {
                let scope = if r.try_get::<i64, _>("whole").map_err(fail)? == 1 {
                    GroupScope::Office
                } else {
                    GroupScope::Team(
                        r.try_get::<Option<String>, _>("team_id")
                            .map_err(fail)?
                            .as_deref()
                            .map(id)
                            .transpose()?,
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
            SELECT quarter, {m} FROM cq WHERE counselor_id = ?{me} GROUP BY quarter",
            cte = client_quarters(quarters.len()),
            m = measures(),
            me = 2 + quarters.len(),
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
        sqlx::query_scalar::<_, String>(
            "SELECT o.id FROM offices o
             WHERE NOT EXISTS (SELECT 1 FROM feedback_quarter_summaries s
                               WHERE s.office_id = o.id AND s.quarter = ?1)
               AND (EXISTS (SELECT 1 FROM feedback_invitations i
                            WHERE i.office_id = o.id AND i.quarter = ?1)
                    OR EXISTS (SELECT 1 FROM feedback_responses r
                               WHERE r.office_id = o.id AND r.quarter = ?1))
             ORDER BY o.id LIMIT ?2",
        )
        .bind(quarter.to_string())
        .bind(limit)
        .fetch_all(self.pool())
        .await
        .map_err(fail)?
        .iter()
        .map(|s| id(s))
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
