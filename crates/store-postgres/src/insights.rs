//! Anonymous feedback aggregates on PostgreSQL (`FeedbackAggregates`): group rows only, computed
//! as `domain::feedback::grouping` defines them. No client id leaves these queries.

use super::{PgStore, fail, id};
use async_trait::async_trait;
use domain::feedback::Quarter;
use domain::feedback::insights::{FeedbackGroup, GroupScope, MeasureCounts, OfficeUnits};
use domain::feedback::suppression::MEASURES;
use domain::ids::{OfficeId, TeamId, UserId};
use domain::ports::{FeedbackAggregates, PortError, PortResult};
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

fn cells(row: &PgRow) -> [MeasureCounts; MEASURES] {
    std::array::from_fn(|m| {
        let k = KEYS[m];
        let n: i64 = row.get(format!("n_{k}").as_str());
        let s: f64 = row.get(format!("s_{k}").as_str());
        let c: i64 = row.get(format!("c_{k}").as_str());
        let u: i64 = row.get(format!("u_{k}").as_str());
        MeasureCounts::new(n.max(0) as u64, s, c.max(0) as u64, u.max(0) as u64)
    })
}

fn quarter(row: &PgRow) -> PortResult<Quarter> {
    let q: String = row.get("quarter");
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

#[async_trait]
impl FeedbackAggregates for PgStore {
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
                        id(&r.get::<uuid::Uuid, _>("id"))?,
                        r.get::<String, _>("name"),
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
                let scope = if r.get::<i32, _>("whole") == 1 {
                    GroupScope::Office
                } else {
                    GroupScope::Team(r.get::<Option<uuid::Uuid>, _>("team_id").map(TeamId::from))
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
                    cells(r),
                ))
            })
            .collect()
    }
}
