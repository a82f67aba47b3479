//! Migration 0016 converts a plan history written before it (every row with the whole
//! document before and after its change) into one where each version's document is stored
//! once, in place, on both databases: afterwards the history reads exactly as before (every
//! row's before and after, byte for byte, including a row whose `after` differs from the next
//! version's `before`), the plans read the same, open activities are still found by the
//! reminder scan, and the plan goes on growing.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::ids::{ClientId, PlanItemId, UserId};
use domain::plan::store::{NewPlanHistory, PlanItemRow, PlanWrite};
use domain::ports::Store;
use domain::roles::Role;
use std::path::Path;
use testkit::conformance::{event, fixture, new_client, t0};
use time::Duration;

fn migrations(store: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../{store}/migrations"))
}

const GOAL_1: &str = r#"{"text":"Work near home","status":"active"}"#;
const GOAL_2: &str = r#"{"text":"Work near home, mornings","status":"active"}"#;
const GOAL_3: &str = r#"{"text":"Work near home, mornings","status":"reached"}"#;
/// Version 1 of the activity as first stored, and as the next change read it back (a field
/// added to the type since, with its default): the history kept both, and so must 0016.
const ACTIVITY_1: &str = r#"{"title":"Apply to Rema","status":"planned","end":"2026-03-03"}"#;
const ACTIVITY_1_REREAD: &str =
    r#"{"title":"Apply to Rema","status":"planned","end":"2026-03-03","declined":false}"#;
const ACTIVITY_2: &str =
    r#"{"title":"Apply to Rema 1000","status":"planned","end":"2026-03-03","declined":false}"#;

/// One old-shape history row: (item, kind, version, before, after).
type OldRow = (
    PlanItemId,
    &'static str,
    i64,
    Option<&'static str>,
    &'static str,
);

fn old_rows(goal: PlanItemId, activity: PlanItemId) -> Vec<OldRow> {
    vec![
        (goal, "goal", 1, None, GOAL_1),
        (goal, "goal", 2, Some(GOAL_1), GOAL_2),
        (goal, "goal", 3, Some(GOAL_2), GOAL_3),
        (activity, "activity", 1, None, ACTIVITY_1),
        (activity, "activity", 2, Some(ACTIVITY_1_REREAD), ACTIVITY_2),
    ]
}

/// (version, before, after) of the client's history as the store shows it, newest first.
async fn history(store: &dyn Store, client: ClientId) -> Vec<(i64, Option<String>, String)> {
    store
        .plan_history(&testkit::access(client, None), 100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.entry.version, r.entry.before, r.entry.after))
        .collect()
}

fn expected_history() -> Vec<(i64, Option<String>, String)> {
    // The rows were written a minute apart in the order of `old_rows`.
    let mut rows: Vec<_> = old_rows(PlanItemId::new(), PlanItemId::new())
        .into_iter()
        .map(|(_, _, v, b, a)| (v, b.map(str::to_string), a.to_string()))
        .collect();
    rows.reverse();
    rows
}

/// After the upgrade: the same history and plan, the open activity is due for its reminder,
/// and a new version of the goal is recorded on top of the converted ones.
async fn upgraded(store: &dyn Store, client: ClientId, goal: PlanItemId, actor: UserId) {
    assert_eq!(history(store, client).await, expected_history());
    let plan = store
        .read_plan(&testkit::access(client, None))
        .await
        .unwrap()
        .unwrap();
    let mut data: Vec<_> = plan.items.iter().map(|i| i.data.as_str()).collect();
    data.sort();
    let mut want = vec![GOAL_3, ACTIVITY_2];
    want.sort();
    assert_eq!(data, want);
    let due = store.activities_to_remind("2026-03-03", 10).await.unwrap();
    assert_eq!(due.len(), 1, "the open activity is found by its due date");
    assert_eq!(due[0].data, ACTIVITY_2);

    let goal_4 = r#"{"text":"Work near home, afternoons","status":"active"}"#;
    let at = t0() + Duration::minutes(10);
    store
        .write_plan_item(PlanWrite {
            item: PlanItemRow {
                id: goal,
                client_id: client,
                kind: "goal".into(),
                version: 4,
                created_at: t0(),
                updated_at: at,
                data: goal_4.into(),
            },
            expected_version: Some(3),
            history: NewPlanHistory {
                client_id: client,
                item_id: goal,
                item_kind: "goal".into(),
                version: 4,
                at,
                actor_id: actor,
                actor_role: Role::Counselor,
                change: "edited".into(),
                before: Some(GOAL_3.into()),
                after: goal_4.into(),
            },
            audit: event(
                actor,
                Role::Counselor,
                client,
                domain::audit::DataKind::Plan,
                domain::audit::AuditAction::Changed,
            ),
            events: vec![],
        })
        .await
        .unwrap();
    let mut want = expected_history();
    want.insert(0, (4, Some(GOAL_3.into()), goal_4.into()));
    assert_eq!(history(store, client).await, want);
}

#[tokio::test]
async fn sqlite_history_from_before_0016_reads_the_same_after_the_upgrade() {
    let (_dir, url) = testkit::sqlite::temp_url();
    let store = store_sqlite::SqliteStore::open(&url).await.unwrap();
    sqlx::migrate::Migrator::new(migrations("store-sqlite"))
        .await
        .unwrap()
        .run_to(15, store.pool())
        .await
        .unwrap();
    let f = fixture(&store).await;
    let client = new_client(&store, &f, f.office_a, "Kari Upgrade", false, None).await;
    let (goal, activity) = (PlanItemId::new(), PlanItemId::new());
    for (id, kind, data, version) in [
        (goal, "goal", GOAL_3, 3),
        (activity, "activity", ACTIVITY_2, 2),
    ] {
        sqlx::query(
            "INSERT INTO plan_items (id, client_id, kind, version, created_at, updated_at, data)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id.to_string())
        .bind(client.to_string())
        .bind(kind)
        .bind(version)
        .bind(0_i64)
        .bind(0_i64)
        .bind(data)
        .execute(store.pool())
        .await
        .unwrap();
    }
    for (n, (item, kind, version, before, after)) in
        old_rows(goal, activity).into_iter().enumerate()
    {
        let at = t0() + Duration::minutes(n as i64);
        sqlx::query(
            "INSERT INTO plan_history (id, client_id, item_id, item_kind, version, at, actor_id, actor_role, change, before, after)
             VALUES (?, ?, ?, ?, ?, ?, ?, 'counselor', 'edited', ?, ?)",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(client.to_string())
        .bind(item.to_string())
        .bind(kind)
        .bind(version)
        .bind((at.unix_timestamp_nanos() / 1_000) as i64)
        .bind(f.counselor_a.to_string())
        .bind(before)
        .bind(after)
        .execute(store.pool())
        .await
        .unwrap();
    }
    store.migrate().await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM plan_history WHERE after IS NOT NULL")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(
        kept, 1,
        "only the after that the next version does not repeat is kept"
    );
    upgraded(&store, client, goal, f.counselor_a).await;
}

#[tokio::test]
async fn postgres_history_from_before_0016_reads_the_same_after_the_upgrade() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    let store = store_postgres::PgStore::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(migrations("store-postgres"))
        .await
        .unwrap()
        .run_to(15, store.pool())
        .await
        .unwrap();
    let f = fixture(&store).await;
    let client = new_client(&store, &f, f.office_a, "Kari Upgrade", false, None).await;
    let (goal, activity) = (PlanItemId::new(), PlanItemId::new());
    for (id, kind, data, version) in [
        (goal, "goal", GOAL_3, 3_i64),
        (activity, "activity", ACTIVITY_2, 2),
    ] {
        sqlx::query(
            "INSERT INTO plan_items (id, client_id, kind, version, created_at, updated_at, data)
             VALUES ($1, $2, $3, $4, $5, $5, $6)",
        )
        .bind(id.as_uuid())
        .bind(client.as_uuid())
        .bind(kind)
        .bind(version)
        .bind(t0())
        .bind(data)
        .execute(store.pool())
        .await
        .unwrap();
    }
    for (n, (item, kind, version, before, after)) in
        old_rows(goal, activity).into_iter().enumerate()
    {
        sqlx::query(
            "INSERT INTO plan_history (id, client_id, item_id, item_kind, version, at, actor_id, actor_role, change, before, after)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'counselor', 'edited', $8, $9)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(client.as_uuid())
        .bind(item.as_uuid())
        .bind(kind)
        .bind(version)
        .bind(t0() + Duration::minutes(n as i64))
        .bind(f.counselor_a.as_uuid())
        .bind(before)
        .bind(after)
        .execute(store.pool())
        .await
        .unwrap();
    }
    store.migrate().await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM plan_history WHERE after IS NOT NULL")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(
        kept, 1,
        "only the after that the next version does not repeat is kept"
    );
    upgraded(&store, client, goal, f.counselor_a).await;
}
