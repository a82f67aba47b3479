//! The property test of issue 5: for random datasets (teams, counselors, clients, invitations,
//! answers with skipped items, quarters) and every query a leader or counselor can make, no
//! published number, and no number worked out from two published numbers, counts between one
//! and four clients.
//!
//! The populations are computed here from the raw rows, independently of the domain's
//! grouping; every shown number is also checked against them.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::feedback::grouping::{FeedbackRow, RowKind, counselor_groups, office_groups};
use domain::feedback::suppression::{MEASURES, MIN_CLIENTS, Measure};
use domain::feedback::{Quarter, Theme};
use domain::ids::{ClientId, OfficeId, TeamId, UserId};
use domain::insights::{
    Figure, OfficeInsights, OfficeUnits, UnitLabel, publish_office, publish_own,
};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug, Clone)]
struct RawRow {
    client: usize,
    quarter: usize,
    team: Option<usize>,
    counselor: Option<usize>,
    /// `None`: an invitation.
    response: Option<([Option<u8>; 6], bool)>,
}

#[derive(Debug, Clone)]
struct Dataset {
    teams: usize,
    counselors: usize,
    quarters: usize,
    rows: Vec<RawRow>,
}

fn dataset() -> impl Strategy<Value = Dataset> {
    (0usize..4, 1usize..5, 1usize..40, 1usize..3).prop_flat_map(
        |(teams, counselors, clients, quarters)| {
            let score = proptest::option::weighted(0.85, 0u8..=10);
            let response = proptest::option::weighted(
                0.7,
                (
                    proptest::array::uniform6(score),
                    proptest::bool::weighted(0.7),
                ),
            );
            let row = (
                0..clients,
                0..quarters,
                proptest::option::weighted(0.85, 0..teams.max(1)),
                proptest::option::weighted(0.95, 0..counselors),
                response,
            )
                .prop_map(move |(client, quarter, team, counselor, response)| RawRow {
                    client,
                    quarter,
                    team: team.filter(|_| teams > 0),
                    counselor,
                    response,
                });
            proptest::collection::vec(row, 0..160).prop_map(move |rows| Dataset {
                teams,
                counselors,
                quarters,
                rows,
            })
        },
    )
}

/// What one published number counts: the clients of a set of children (the office is all of
/// them) under one measure.
#[derive(Debug, Clone)]
struct Fact {
    units: BTreeSet<usize>,
    measure: Measure,
    clients: BTreeSet<usize>,
    what: String,
}

fn structurally_within(a: &Fact, b: &Fact) -> bool {
    a.units.is_subset(&b.units) && a.measure.within(b.measure)
}

fn check_pairs(facts: &[Fact]) -> Result<(), TestCaseError> {
    for a in facts {
        for b in facts {
            if std::ptr::eq(a, b) || !structurally_within(a, b) {
                continue;
            }
            prop_assert!(a.clients.is_subset(&b.clients), "{} ⊄ {}", a.what, b.what);
            let d = b.clients.len() - a.clients.len();
            prop_assert!(
                d == 0 || d >= MIN_CLIENTS as usize,
                "{} minus {} is {d} clients",
                b.what,
                a.what
            );
        }
    }
    Ok(())
}

struct ClientQ {
    team: Option<TeamId>,
    counselor: Option<UserId>,
    answered: bool,
    scores: [Vec<u8>; 6],
    unshared: bool,
}

fn counted(c: &ClientQ, m: Measure) -> bool {
    match m {
        Measure::Reached => true,
        Measure::Answered => c.answered,
        Measure::Theme(t) => !c.scores[Theme::ALL.iter().position(|x| *x == t).unwrap()].is_empty(),
    }
}

fn mean_of(clients: &BTreeMap<usize, ClientQ>, pop: &BTreeSet<usize>, m: Measure) -> f64 {
    let Measure::Theme(t) = m else { return 0.0 };
    let i = Theme::ALL.iter().position(|x| *x == t).unwrap();
    let sum: f64 = pop
        .iter()
        .map(|c| {
            let s = &clients[c].scores[i];
            s.iter().map(|x| f64::from(*x)).sum::<f64>() / s.len() as f64
        })
        .sum();
    sum / pop.len() as f64
}

fn check_figure(
    f: Figure,
    pop: &BTreeSet<usize>,
    clients: &BTreeMap<usize, ClientQ>,
    m: Measure,
    what: &str,
) -> Result<bool, TestCaseError> {
    match f {
        Figure::TooFew => Ok(false),
        Figure::Shown { clients: n, mean } => {
            prop_assert_eq!(n as usize, pop.len(), "{} shows a wrong count", what);
            prop_assert!(n >= MIN_CLIENTS, "{} shows {} clients", what, n);
            if let Measure::Theme(_) = m {
                let want = mean_of(clients, pop, m);
                let got = mean.unwrap();
                prop_assert!((got - want).abs() <= 0.05 + 1e-9, "{what}: {got} vs {want}");
            }
            Ok(true)
        }
    }
}

fn run(d: &Dataset) -> Result<(), TestCaseError> {
    let mut team_ids: Vec<TeamId> = (0..d.teams).map(|_| TeamId::new()).collect();
    team_ids.sort();
    let counselor_ids: Vec<UserId> = (0..d.counselors).map(|_| UserId::new()).collect();
    let client_ids: BTreeMap<usize, ClientId> = d
        .rows
        .iter()
        .map(|r| r.client)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .map(|c| (c, ClientId::new()))
        .collect();
    let quarters: Vec<Quarter> = (0..d.quarters)
        .map(|q| Quarter::new(2025, q as u8 + 1).unwrap())
        .collect();
    let rows: Vec<FeedbackRow> = d
        .rows
        .iter()
        .map(|r| FeedbackRow {
            client: client_ids[&r.client],
            quarter: quarters[r.quarter],
            team: r.team.map(|t| team_ids[t]),
            counselor: r.counselor.map(|c| counselor_ids[c]),
            kind: match r.response {
                None => RowKind::Invitation,
                Some((scores, shared)) => RowKind::Response { scores, shared },
            },
        })
        .collect();
    let units = OfficeUnits {
        office_id: OfficeId::new(),
        office_name: "Kontor".into(),
        // Names in the same order as the ids, so the page order is index order.
        teams: team_ids
            .iter()
            .enumerate()
            .map(|(i, t)| (*t, format!("T{i}")))
            .collect(),
    };
    let ins: OfficeInsights = publish_office(&units, &quarters, &office_groups(&rows, &quarters));
    let unit_of = |label: &UnitLabel| -> Option<TeamId> {
        match label {
            UnitLabel::Team(name) => Some(team_ids[name[1..].parse::<usize>().unwrap()]),
            _ => None,
        }
    };

    for (qi, q) in quarters.iter().enumerate() {
        // The client-quarters, from the raw rows.
        let mut clients: BTreeMap<usize, ClientQ> = BTreeMap::new();
        for r in d.rows.iter().filter(|r| r.quarter == qi) {
            let c = clients.entry(r.client).or_insert(ClientQ {
                team: None,
                counselor: None,
                answered: false,
                scores: Default::default(),
                unshared: false,
            });
            c.team = c.team.max(r.team.map(|t| team_ids[t]));
            c.counselor = c.counselor.max(r.counselor.map(|x| counselor_ids[x]));
            if let Some((scores, shared)) = r.response {
                c.answered = true;
                c.unshared |= !shared;
                for (i, s) in scores.iter().enumerate() {
                    if let Some(s) = s {
                        c.scores[i].push(*s);
                    }
                }
            }
        }
        let pop = |team: Option<Option<TeamId>>, m: Measure| -> BTreeSet<usize> {
            clients
                .iter()
                .filter(|(_, c)| team.is_none_or(|t| c.team == t) && counted(c, m))
                .map(|(k, _)| *k)
                .collect()
        };
        let counselors_of = |p: &BTreeSet<usize>| -> usize {
            p.iter()
                .filter_map(|c| clients[c].counselor)
                .collect::<BTreeSet<_>>()
                .len()
        };

        // ---- the leader's page ----
        let children: Vec<usize> = (1..=ins.teams.len()).collect();
        let mut facts = Vec::new();
        let office_q = &ins.office.quarters[qi];
        prop_assert_eq!(office_q.quarter, *q);
        for m in Measure::ALL {
            let p = pop(None, m);
            let what = format!("office {m:?}");
            if check_figure(office_q.get(m), &p, &clients, m, &what)? {
                prop_assert!(counselors_of(&p) >= 2, "{} is one counselor's", what);
                facts.push(Fact {
                    units: children.iter().copied().collect(),
                    measure: m,
                    clients: p,
                    what,
                });
            }
        }
        for (ti, series) in ins.teams.iter().enumerate() {
            let team = unit_of(&series.unit);
            for m in Measure::ALL {
                let p = pop(Some(team), m);
                let what = format!("team {:?} {m:?}", series.unit);
                if check_figure(series.quarters[qi].get(m), &p, &clients, m, &what)? {
                    prop_assert!(counselors_of(&p) >= 2, "{} is one counselor's", what);
                    facts.push(Fact {
                        units: BTreeSet::from([ti + 1]),
                        measure: m,
                        clients: p,
                        what,
                    });
                }
            }
        }
        // Every team of the office with clients is on the page (the partition is complete).
        let listed: BTreeSet<Option<TeamId>> = ins.teams.iter().map(|s| unit_of(&s.unit)).collect();
        for c in clients.values() {
            prop_assert!(listed.contains(&c.team));
        }
        for m in Measure::ALL {
            let hidden: Vec<(usize, BTreeSet<usize>)> = ins
                .teams
                .iter()
                .enumerate()
                .filter(|(_, s)| s.quarters[qi].get(m) == Figure::TooFew)
                .map(|(i, s)| (i + 1, pop(Some(unit_of(&s.unit)), m)))
                .filter(|(_, p)| !p.is_empty())
                .collect();
            if office_q.get(m) != Figure::TooFew {
                // (c) The office minus the shown teams: 0 or at least five clients.
                let all: BTreeSet<usize> = hidden.iter().flat_map(|(_, p)| p.clone()).collect();
                prop_assert!(
                    all.is_empty() || all.len() >= MIN_CLIENTS as usize,
                    "hidden teams under a shown office total {} for {:?}",
                    all.len(),
                    m
                );
                if !all.is_empty() {
                    facts.push(Fact {
                        units: hidden.iter().map(|(i, _)| *i).collect(),
                        measure: m,
                        clients: all,
                        what: format!("office minus shown teams {m:?}"),
                    });
                }
            } else if !pop(None, m).is_empty() {
                // A hidden office figure is not the sum of shown team figures.
                prop_assert!(
                    !hidden.is_empty(),
                    "hidden office {:?} is the sum of its teams",
                    m
                );
            }
        }
        // (b) Nested published numbers differ by 0 or at least five.
        check_pairs(&facts)?;

        // ---- each counselor's own page ----
        for me in &counselor_ids {
            let own = counselor_groups(&rows, *me, &quarters);
            let mine = publish_own(&ins, &own);
            let mut facts: Vec<Fact> = Vec::new();
            for m in Measure::ALL {
                if let Some(n) = office_q.get(m).clients() {
                    prop_assert_eq!(mine.office.quarters[qi].get(m).clients(), Some(n));
                    facts.push(Fact {
                        units: BTreeSet::from([0, 1]),
                        measure: m,
                        clients: pop(None, m),
                        what: format!("office {m:?}"),
                    });
                }
                let p: BTreeSet<usize> = pop(None, m)
                    .into_iter()
                    .filter(|c| clients[c].counselor == Some(*me))
                    .collect();
                let what = format!("own {m:?}");
                if check_figure(mine.mine.quarters[qi].get(m), &p, &clients, m, &what)? {
                    let unshared = p.iter().filter(|c| clients[c].unshared).count();
                    prop_assert!(
                        unshared == 0 || unshared >= MIN_CLIENTS as usize,
                        "{} shown with {} unshared",
                        what,
                        unshared
                    );
                    facts.push(Fact {
                        units: BTreeSet::from([1]),
                        measure: m,
                        clients: p,
                        what,
                    });
                }
            }
            check_pairs(&facts)?;
        }
    }
    let _ = MEASURES;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1_000, ..ProptestConfig::default() })]

    #[test]
    fn no_published_number_or_difference_counts_one_to_four_clients(d in dataset()) {
        run(&d)?;
    }
}

/// Datasets built around the threshold: many teams of 3–7 clients each.
#[test]
fn crowded_thresholds_hold_too() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 500,
        ..ProptestConfig::default()
    });
    let strategy = (3usize..7, 2usize..4).prop_flat_map(|(teams, counselors)| {
        let row = (
            0usize..teams * 6,
            proptest::bool::weighted(0.8),
            0..counselors,
            proptest::array::uniform6(proptest::option::weighted(0.9, 0u8..=10)),
        )
            .prop_map(move |(client, responded, counselor, scores)| RawRow {
                client,
                quarter: 0,
                team: Some(client % teams),
                counselor: Some(counselor),
                response: responded.then_some((scores, client % 3 != 0)),
            });
        proptest::collection::vec(row, 10..80).prop_map(move |rows| Dataset {
            teams,
            counselors,
            quarters: 1,
            rows,
        })
    });
    runner
        .run(&strategy, |d| run(&d))
        .unwrap_or_else(|e| panic!("{e}"));
}
