//! Conformance of the summary of settled quarters (migration `0013_feedback_summary.sql`):
//! what the pages read from it always equals a fresh grouping of the raw rows — after it was
//! built, after a late write into a summarised quarter (clock skew), after a changed answer,
//! and after a client's feedback was deleted under the retention rules — on both databases.

use super::{Dice, Raw, insert_rows, response};
use crate::conformance::{fixture, new_client, user};
use crate::db::Db;
use domain::feedback::Quarter;
use domain::feedback::grouping::{FeedbackRow, RowKind, counselor_groups, office_groups};
use domain::ids::{ClientId, OfficeId, TeamId, UserId};
use domain::insights::{FeedbackGroup, summarise_settled};
use domain::organisation::store::NewTeam;
use domain::ports::Store;
use domain::roles::{Role, RoleGrant};
use domain::types::UnitName;

fn sorted(mut g: Vec<FeedbackGroup>) -> Vec<FeedbackGroup> {
    g.sort_by_key(|g| (g.quarter(), format!("{:?}", g.scope())));
    g
}

fn q(n: u8) -> Quarter {
    Quarter::new(2025, n).unwrap()
}

/// Runs one statement with the office (or client) id bound as `?1` / `$1`.
async fn exec(raw: Raw<'_>, sql: &str, id: uuid::Uuid) -> u64 {
    match raw {
        Raw::Sqlite(p) => sqlx::query(sqlx::AssertSqlSafe(sql.replace("$1", "?1")))
            .bind(id.to_string())
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
        Raw::Postgres(p) => sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
            .bind(id)
            .execute(p)
            .await
            .unwrap()
            .rows_affected(),
    }
}

async fn summarised(raw: Raw<'_>, office: OfficeId) -> i64 {
    let sql = "SELECT COUNT(*) FROM feedback_quarter_summaries WHERE office_id = $1";
    match raw {
        Raw::Sqlite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.replace("$1", "?1")))
            .bind(office.to_string())
            .fetch_one(p)
            .await
            .unwrap(),
        Raw::Postgres(p) => sqlx::query_scalar(sql)
            .bind(office.as_uuid())
            .fetch_one(p)
            .await
            .unwrap(),
    }
}

struct Dataset {
    office: OfficeId,
    other_office: OfficeId,
    counselors: Vec<UserId>,
    clients: Vec<ClientId>,
    author: UserId,
    rows: Vec<FeedbackRow>,
    other_rows: Vec<FeedbackRow>,
}

async fn dataset(store: &dyn Store, raw: Raw<'_>) -> Dataset {
    let f = fixture(store).await;
    let mut teams = Vec::new();
    for name in ["Team Nord", "Team Sør"] {
        let id = TeamId::new();
        store
            .create_team(NewTeam {
                id,
                office_id: f.office_a,
                name: UnitName::parse(name).unwrap(),
                created_at: time::macros::datetime!(2025-01-01 0:00 UTC),
            })
            .await
            .unwrap();
        teams.push(id);
    }
    let mut counselors = vec![f.counselor_a];
    for i in 0..2 {
        let u = user(
            f.org,
            &format!("summary-counselor-{i}"),
            vec![RoleGrant {
                role: Role::Counselor,
                office_id: Some(f.office_a),
            }],
        );
        counselors.push(u.id);
        store.create_user(u).await.unwrap();
    }
    let mut clients = Vec::new();
    for i in 0..24 {
        clients.push(new_client(store, &f, f.office_a, &format!("Klient {i}"), false, None).await);
    }
    let mut dice = Dice::new(20261130);
    let mut rows = Vec::new();
    for &c in &clients {
        for quarter in [q(2), q(3), q(4)] {
            for _ in 0..1 + dice.below(3) {
                let team = (!dice.chance(15)).then(|| teams[dice.below(2) as usize]);
                let counselor = (!dice.chance(5)).then(|| counselors[dice.below(3) as usize]);
                let kind = if dice.chance(30) {
                    RowKind::Invitation
                } else {
                    RowKind::Response {
                        scores: std::array::from_fn(|_| {
                            (!dice.chance(15)).then(|| dice.below(11) as u8)
                        }),
                        shared: dice.chance(70),
                    }
                };
                rows.push(FeedbackRow {
                    client: c,
                    quarter,
                    team,
                    counselor,
                    kind,
                });
            }
        }
    }
    insert_rows(raw, f.office_a, f.admin, &rows).await;
    let other = new_client(store, &f, f.office_b, "Klient B", false, None).await;
    let other_rows: Vec<FeedbackRow> = (0..6)
        .map(|_| response(other, q(3), None, Some(f.counselor_b), 4, true))
        .collect();
    insert_rows(raw, f.office_b, f.admin, &other_rows).await;
    Dataset {
        office: f.office_a,
        other_office: f.office_b,
        counselors,
        clients,
        author: f.admin,
        rows,
        other_rows,
    }
}

/// The summary read equals both the grouping definition and the store's direct query.
async fn assert_fresh(store: &dyn Store, d: &Dataset, quarters: &[Quarter], when: &str) {
    let want = sorted(office_groups(&d.rows, quarters));
    let got = sorted(
        store
            .settled_office_feedback(d.office, quarters)
            .await
            .unwrap(),
    );
    assert_eq!(got, want, "office figures {when}");
    let direct = sorted(store.office_feedback(d.office, quarters).await.unwrap());
    assert_eq!(direct, want, "direct query {when}");
    for &c in &d.counselors {
        let got = store
            .settled_counselor_feedback(d.office, c, quarters)
            .await
            .unwrap();
        assert_eq!(
            sorted(got),
            sorted(counselor_groups(&d.rows, c, quarters)),
            "counselor figures {when}"
        );
    }
}

/// Conformance: the summary is built on a miss and then read (not recomputed); a late write
/// into a summarised quarter, a changed answer and a deleted client each leave the figures
/// equal to a fresh grouping, because the write removes that office-quarter's summary in
/// the same transaction; other offices' summaries stay.
pub async fn summary_equals_a_fresh_grouping_after_every_write(store: &dyn Store, db: &Db) {
    let raw = db.raw();
    let mut d = dataset(store, raw).await;
    let quarters = [q(2), q(3), q(4)];
    assert_eq!(summarised(raw, d.office).await, 0);
    // A miss builds and stores the summary of every quarter asked for (also a quarter
    // without feedback, which is summarised as empty).
    let with_empty = [q(1), q(2), q(3), q(4)];
    assert_fresh(store, &d, &with_empty, "on the first (cold) view").await;
    assert_eq!(summarised(raw, d.office).await, 4);
    assert_fresh(store, &d, &quarters, "on a warm view").await;
    let other_want = sorted(office_groups(&d.other_rows, &quarters));
    assert_eq!(
        sorted(
            store
                .settled_office_feedback(d.other_office, &quarters)
                .await
                .unwrap()
        ),
        other_want
    );
    assert_eq!(summarised(raw, d.other_office).await, 3);

    // A warm view reads the stored rows: altering them shows on the page (and rebuilding
    // puts them right), so the summary is what is served.
    exec(
        raw,
        "UPDATE feedback_quarter_groups SET n_r = n_r + 100 WHERE office_id = $1",
        d.office.as_uuid(),
    )
    .await;
    let altered = sorted(
        store
            .settled_office_feedback(d.office, &quarters)
            .await
            .unwrap(),
    );
    assert_ne!(altered, sorted(office_groups(&d.rows, &quarters)));
    store.summarise_quarters(d.office, &quarters).await.unwrap();
    assert_fresh(store, &d, &quarters, "after a rebuild").await;

    // A late write into a summarised quarter (clock skew): a response and an invitation.
    let late = vec![
        response(d.clients[0], q(3), None, Some(d.counselors[1]), 1, false),
        FeedbackRow {
            client: d.clients[1],
            quarter: q(4),
            team: None,
            counselor: Some(d.counselors[2]),
            kind: RowKind::Invitation,
        },
    ];
    insert_rows(raw, d.office, d.author, &late).await;
    d.rows.extend(late);
    assert_eq!(summarised(raw, d.office).await, 2, "q3 and q4 forgotten");
    assert_fresh(store, &d, &quarters, "after a late write").await;

    // A changed answer (every response of client 2 now scores 0 on one theme).
    exec(
        raw,
        "UPDATE feedback_responses SET theme_time = 0 WHERE client_id = $1",
        d.clients[2].as_uuid(),
    )
    .await;
    for r in d.rows.iter_mut().filter(|r| r.client == d.clients[2]) {
        if let RowKind::Response { scores, .. } = &mut r.kind {
            scores[3] = Some(0);
        }
    }
    assert_fresh(store, &d, &quarters, "after a changed answer").await;
    // Closing an invitation changes no figure and keeps the summary.
    exec(
        raw,
        "UPDATE feedback_invitations SET state = 'dismissed' WHERE client_id = $1",
        d.clients[1].as_uuid(),
    )
    .await;
    assert_eq!(summarised(raw, d.office).await, 4);

    // Retention: the client's feedback is deleted, and with it every summary it was in.
    let gone = d.clients[3];
    let deleted = store.delete_feedback(gone).await.unwrap();
    assert!(deleted.responses + deleted.invitations > 0);
    let in_quarters = d
        .rows
        .iter()
        .filter(|r| r.client == gone)
        .map(|r| r.quarter)
        .collect::<std::collections::BTreeSet<_>>()
        .len() as i64;
    assert_eq!(summarised(raw, d.office).await, 4 - in_quarters);
    d.rows.retain(|r| r.client != gone);
    assert_fresh(store, &d, &quarters, "after the client was deleted").await;
    assert_eq!(
        summarised(raw, d.other_office).await,
        3,
        "other office kept"
    );
    assert_eq!(
        sorted(
            store
                .settled_office_feedback(d.other_office, &quarters)
                .await
                .unwrap()
        ),
        other_want
    );
}

/// Conformance: the worker's part summarises newly settled quarters in bounded, resumable
/// rounds, newest quarter first, and only quarters with feedback.
pub async fn the_worker_summarises_settled_quarters_in_rounds(store: &dyn Store, db: &Db) {
    let raw = db.raw();
    let d = dataset(store, raw).await;
    // On 20 January 2026 the published quarters are 2024-Q1 … 2025-Q4.
    let now = time::macros::datetime!(2026-01-20 12:00 UTC);
    let mut offices = store.unsummarised_offices(q(3), 10).await.unwrap();
    offices.sort();
    let mut want = vec![d.office, d.other_office];
    want.sort();
    assert_eq!(offices, want);
    assert_eq!(
        store.unsummarised_offices(q(1), 10).await.unwrap(),
        vec![],
        "no feedback in 2025-Q1"
    );
    // 4 office-quarters in all: office A in Q2–Q4, office B in Q3.
    let first = summarise_settled(store, now, 2).await.unwrap();
    assert_eq!((first.built, first.more), (2, true));
    assert_eq!(
        summarised(raw, d.office).await + summarised(raw, d.other_office).await,
        2
    );
    assert!(
        store
            .unsummarised_offices(q(4), 10)
            .await
            .unwrap()
            .is_empty(),
        "the newest quarter first"
    );
    let rest = summarise_settled(store, now, 10).await.unwrap();
    assert_eq!((rest.built, rest.more), (2, false));
    let idle = summarise_settled(store, now, 10).await.unwrap();
    assert_eq!((idle.built, idle.more), (0, false));
    assert_eq!(summarised(raw, d.office).await, 3);
    assert_eq!(summarised(raw, d.other_office).await, 1);
    assert_fresh(store, &d, &[q(2), q(3), q(4)], "after the worker").await;
}

/// PostgreSQL only (SQLite runs one writer at a time): a summary built while a late write is
/// not yet committed waits for it (both take the office-quarter's advisory lock) and counts
/// it, instead of storing figures without it that the write's trigger could no longer remove.
pub async fn a_summary_built_during_a_late_write_counts_it(store: &dyn Store, pool: &sqlx::PgPool) {
    let mut d = dataset(store, Raw::Postgres(pool)).await;
    let quarter = [q(1)];
    let late = FeedbackRow {
        client: d.clients[0],
        quarter: q(1),
        team: None,
        counselor: Some(d.counselors[1]),
        kind: RowKind::Invitation,
    };
    let mut tx = pool.begin().await.unwrap();
    sqlx::query(
        "INSERT INTO feedback_invitations (id, client_id, office_id, team_id, counselor_id,
         quarter, reason, meeting_id, invited_at, state, closed_at)
         VALUES ($1, $2, $3, NULL, $4, $5, 'monthly', NULL, now(), 'open', NULL)",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(late.client.as_uuid())
    .bind(d.office.as_uuid())
    .bind(d.counselors[1].as_uuid())
    .bind(q(1).to_string())
    .execute(&mut *tx)
    .await
    .unwrap();
    // The view finds 2025-Q1 not summarised and builds it while the write is open; the write
    // commits a moment later.
    let commit = async {
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        tx.commit().await.unwrap();
    };
    let (built, ()) = tokio::join!(store.settled_office_feedback(d.office, &quarter), commit);
    d.rows.push(late);
    let want = sorted(office_groups(&d.rows, &quarter));
    assert!(!want.is_empty());
    assert_eq!(
        sorted(built.unwrap()),
        want,
        "the view waited for the write"
    );
    assert_fresh(store, &d, &quarter, "after the late write committed").await;
}
