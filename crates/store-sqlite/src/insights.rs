//! Anonymous feedback aggregates on SQLite (`FeedbackAggregates`): group rows only, computed
//! as `domain::feedback::grouping` defines them. No client id leaves these queries.

use super::{SqliteStore, fail, id};
use async_trait::async_trait;
use domain::feedback::Quarter;
use domain::feedback::insights::{FeedbackGroup, GroupScope, MeasureCounts, OfficeUnits};
use domain::feedback::suppression::MEASURES;
use domain::ids::{OfficeId, UserId};
use domain::ports::{FeedbackAggregates, PortError, PortResult};
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

fn cells(row: &SqliteRow) -> [MeasureCounts; MEASURES] {
    std::array::from_fn(|m| {
        let k = KEYS[m];
        let n: i64 = row.get(format!("n_{k}").as_str());
        let s: f64 = row.get(format!("s_{k}").as_str());
        let c: i64 = row.get(format!("c_{k}").as_str());
        let u: i64 = row.get(format!("u_{k}").as_str());
        MeasureCounts::new(n.max(0) as u64, s, c.max(0) as u64, u.max(0) as u64)
    })
}

fn quarter(row: &SqliteRow) -> PortResult<Quarter> {
    let q: String = row.get("quarter");
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

#[async_trait]
impl FeedbackAggregates for SqliteStore {
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
            .map(|r| Ok((id(&r.get::<String, _>("id"))?, r.get::<String, _>("name"))))
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
                let scope = if r.get::<i64, _>("whole") == 1 {
                    GroupScope::Office
                } else {
                    GroupScope::Team(
                        r.get::<Option<String>, _>("team_id")
                            .as_deref()
                            .map(id)
                            .transpose()?,
                    )
                };
                Ok(FeedbackGroup::new(quarter(r)?, scope, cells(r)))
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
                    cells(r),
                ))
            })
            .collect()
    }
}
