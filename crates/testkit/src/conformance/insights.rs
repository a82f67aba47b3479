//! Conformance of the leader's insights: feedback rows written straight into either database
//! by the migration contract (`0011_feedback.sql`), and the aggregate queries, which both stores
//! must compute exactly as `domain::feedback::grouping` defines; [`summary`]: the summary of
//! settled quarters.
//!
//! Test code only: the real write path (responses and invitations through the use cases)
//! belongs to the feedback collection feature.

use super::{fixture, new_client, user};
use crate::db::Db;
use domain::feedback::Quarter;
use domain::feedback::grouping::{FeedbackRow, RowKind, counselor_groups, office_groups};
use domain::ids::{ClientId, OfficeId, TeamId, UserId};
use domain::insights::FeedbackGroup;
use domain::organisation::store::NewTeam;
use domain::ports::Store;
use domain::roles::{Role, RoleGrant};
use domain::types::UnitName;
use time::OffsetDateTime;
use uuid::Uuid;

pub mod summary;
pub use summary::{
    summary_equals_a_fresh_grouping_after_every_write,
    the_worker_summarises_settled_quarters_in_rounds,
};

/// Direct access to a store's database (borrowed from a [`Db`] with [`Db::raw`]).
#[derive(Clone, Copy)]
pub enum Raw<'a> {
    Sqlite(&'a sqlx::SqlitePool),
    Postgres(&'a sqlx::PgPool),
}

pub const INSTRUMENT: &str = "vendepunkt-test";

fn at() -> OffsetDateTime {
    time::macros::datetime!(2025-11-15 10:00:00 UTC)
}

/// Makes sure the test instrument exists (responses refer to it).
pub async fn ensure_instrument(raw: Raw<'_>) {
    match raw {
        Raw::Sqlite(p) => {
            sqlx::query(
                "INSERT OR IGNORE INTO feedback_instruments
                 (id, version, organisation_id, definition, created_at)
                 VALUES (?, 1, NULL, '{}', 0)",
            )
            .bind(INSTRUMENT)
            .execute(p)
            .await
            .unwrap();
        }
        Raw::Postgres(p) => {
            sqlx::query(
                "INSERT INTO feedback_instruments
                 (id, version, organisation_id, definition, created_at)
                 VALUES ($1, 1, NULL, '{}', now()) ON CONFLICT DO NOTHING",
            )
            .bind(INSTRUMENT)
            .execute(p)
            .await
            .unwrap();
        }
    }
}

/// Writes `rows` as rows of `office` (responses authored by `author`).
pub async fn insert_rows(raw: Raw<'_>, office: OfficeId, author: UserId, rows: &[FeedbackRow]) {
    ensure_instrument(raw).await;
    let micros = (at().unix_timestamp_nanos() / 1_000) as i64;
    for r in rows {
        let id = Uuid::now_v7();
        match (&r.kind, raw) {
            (RowKind::Response { scores, shared }, Raw::Sqlite(p)) => {
                let mut q = sqlx::query(
                    "INSERT INTO feedback_responses (id, client_id, author_id, office_id, team_id,
                     counselor_id, instrument_id, instrument_version, meeting_id, quarter,
                     answered_at, changeable_until, shared_with_counselor, theme_relation,
                     theme_reciprocity, theme_choices, theme_time, theme_knowledge,
                     theme_knowledge_sharing, answers)
                     VALUES (?, ?, ?, ?, ?, ?, ?, 1, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')",
                )
                .bind(id.to_string())
                .bind(r.client.to_string())
                .bind(author.to_string())
                .bind(office.to_string())
                .bind(r.team.map(|t| t.to_string()))
                .bind(r.counselor.map(|c| c.to_string()))
                .bind(INSTRUMENT)
                .bind(r.quarter.to_string())
                .bind(micros)
                .bind(micros)
                .bind(i64::from(*shared));
                for s in scores {
                    q = q.bind(s.map(i64::from));
                }
                q.execute(p).await.unwrap();
            }
            (RowKind::Response { scores, shared }, Raw::Postgres(p)) => {
                let mut q = sqlx::query(
                    "INSERT INTO feedback_responses (id, client_id, author_id, office_id, team_id,
                     counselor_id, instrument_id, instrument_version, meeting_id, quarter,
                     answered_at, changeable_until, shared_with_counselor, theme_relation,
                     theme_reciprocity, theme_choices, theme_time, theme_knowledge,
                     theme_knowledge_sharing, answers)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 1, NULL, $8, $9, $9, $10,
                             $11, $12, $13, $14, $15, $16, '{}')",
                )
                .bind(id)
                .bind(r.client.as_uuid())
                .bind(author.as_uuid())
                .bind(office.as_uuid())
                .bind(r.team.map(|t| t.as_uuid()))
                .bind(r.counselor.map(|c| c.as_uuid()))
                .bind(INSTRUMENT)
                .bind(r.quarter.to_string())
                .bind(at())
                .bind(*shared);
                for s in scores {
                    q = q.bind(s.map(i16::from));
                }
                q.execute(p).await.unwrap();
            }
            (RowKind::Invitation, Raw::Sqlite(p)) => {
                sqlx::query(
                    "INSERT INTO feedback_invitations (id, client_id, office_id, team_id,
                     counselor_id, quarter, reason, meeting_id, invited_at, state, closed_at)
                     VALUES (?, ?, ?, ?, ?, ?, 'monthly', NULL, ?, 'open', NULL)",
                )
                .bind(id.to_string())
                .bind(r.client.to_string())
                .bind(office.to_string())
                .bind(r.team.map(|t| t.to_string()))
                .bind(r.counselor.map(|c| c.to_string()))
                .bind(r.quarter.to_string())
                .bind(micros)
                .execute(p)
                .await
                .unwrap();
            }
            (RowKind::Invitation, Raw::Postgres(p)) => {
                sqlx::query(
                    "INSERT INTO feedback_invitations (id, client_id, office_id, team_id,
                     counselor_id, quarter, reason, meeting_id, invited_at, state, closed_at)
                     VALUES ($1, $2, $3, $4, $5, $6, 'monthly', NULL, $7, 'open', NULL)",
                )
                .bind(id)
                .bind(r.client.as_uuid())
                .bind(office.as_uuid())
                .bind(r.team.map(|t| t.as_uuid()))
                .bind(r.counselor.map(|c| c.as_uuid()))
                .bind(r.quarter.to_string())
                .bind(at())
                .execute(p)
                .await
                .unwrap();
            }
        }
    }
}

/// A small deterministic generator (xorshift), so the dataset is the same on both databases.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Dice {
        Dice(seed.max(1))
    }
    pub fn roll(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.roll() % n.max(1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

/// A response with every theme scored `score`.
pub fn response(
    client: ClientId,
    quarter: Quarter,
    team: Option<TeamId>,
    counselor: Option<UserId>,
    score: u8,
    shared: bool,
) -> FeedbackRow {
    FeedbackRow {
        client,
        quarter,
        team,
        counselor,
        kind: RowKind::Response {
            scores: [Some(score); 6],
            shared,
        },
    }
}

fn sorted(mut g: Vec<FeedbackGroup>) -> Vec<FeedbackGroup> {
    g.sort_by_key(|g| (g.quarter(), format!("{:?}", g.scope())));
    g
}

/// Conformance: the store's aggregate queries compute exactly the grouping definition, for a
/// varied dataset (clients moving between teams and counselors within a quarter, rows without
/// team or counselor, skipped items, unshared answers, invitations without answers, answers
/// without invitations), only for the office and quarters asked, and never for another office.
pub async fn aggregates_match_the_grouping_definition(store: &dyn Store, db: &Db) {
    let raw = db.raw();
    let f = fixture(store).await;
    let mut teams = Vec::new();
    for name in ["Team Nord", "Team Sør", "=Team Øst"] {
        let id = TeamId::new();
        store
            .create_team(NewTeam {
                id,
                office_id: f.office_a,
                name: UnitName::parse(name).unwrap(),
                created_at: at(),
            })
            .await
            .unwrap();
        teams.push(id);
    }
    let mut counselors = vec![f.counselor_a];
    for i in 0..3 {
        let u = user(
            f.org,
            &format!("insight-counselor-{i}"),
            vec![RoleGrant {
                role: Role::Counselor,
                office_id: Some(f.office_a),
            }],
        );
        counselors.push(u.id);
        store.create_user(u).await.unwrap();
    }
    let mut clients = Vec::new();
    for i in 0..36 {
        clients.push(
            new_client(
                store,
                &f,
                f.office_a,
                &format!("Klient {i}"),
                i % 9 == 0,
                None,
            )
            .await,
        );
    }
    let other_client = new_client(store, &f, f.office_b, "Klient B", false, None).await;
    let q = |n| Quarter::new(2025, n).unwrap();
    let quarters = [q(2), q(3), q(4)];
    let mut dice = Dice::new(20251115);
    let mut rows = Vec::new();
    for &c in &clients {
        for &quarter in &[q(1), q(2), q(3), q(4)] {
            let n = dice.below(4);
            for _ in 0..n {
                let team = (!dice.chance(15)).then(|| teams[dice.below(3) as usize]);
                let counselor = (!dice.chance(5)).then(|| counselors[dice.below(4) as usize]);
                let kind = if dice.chance(35) {
                    RowKind::Invitation
                } else {
                    let scores =
                        std::array::from_fn(|_| (!dice.chance(15)).then(|| dice.below(11) as u8));
                    RowKind::Response {
                        scores,
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
    // Another office's rows, in the same quarters, must not count.
    let elsewhere: Vec<FeedbackRow> = (0..6)
        .map(|_| response(other_client, q(3), None, Some(f.counselor_b), 3, true))
        .collect();
    insert_rows(raw, f.office_b, f.admin, &elsewhere).await;

    let got = store.office_feedback(f.office_a, &quarters).await.unwrap();
    let want = office_groups(&rows, &quarters);
    assert!(!want.is_empty());
    assert_eq!(sorted(got), sorted(want));
    for &c in &counselors {
        let got = store
            .counselor_feedback(f.office_a, c, &quarters)
            .await
            .unwrap();
        assert_eq!(sorted(got), sorted(counselor_groups(&rows, c, &quarters)));
    }
    // The other office sees only its own rows.
    let got = store.office_feedback(f.office_b, &quarters).await.unwrap();
    assert_eq!(sorted(got), sorted(office_groups(&elsewhere, &quarters)));
    assert!(
        store
            .office_feedback(f.office_a, &[])
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .office_feedback(f.office_a, &[q(1).previous()])
            .await
            .unwrap()
            .is_empty()
    );

    let units = store.feedback_units(f.office_a).await.unwrap().unwrap();
    assert_eq!(units.office_name, "Office A");
    let names: Vec<&str> = units.teams.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names.len(), 3);
    for n in ["Team Nord", "Team Sør", "=Team Øst"] {
        assert!(names.contains(&n), "{names:?}");
    }
    assert!(
        store
            .feedback_units(OfficeId::new())
            .await
            .unwrap()
            .is_none()
    );
}
