//! How raw feedback rows become groups, written once as plain Rust. The stores compute the
//! same thing in SQL ([`crate::insights::InsightsStore`]); the conformance suite checks that
//! they agree with this definition, and the property test uses it to build random datasets.
//!
//! * The unit is a **client-quarter within an office**. A client's rows (invitations and
//!   responses) in one office and quarter make one client-quarter.
//! * Its **team** is the greatest team id among those rows (none if none has a team), so teams
//!   split the office exactly. Its **counselor** is, likewise, the greatest counselor id.
//! * **Reached**: every client-quarter (invited, or answered without an invitation), so that
//!   answered ⊆ reached always holds. **Answered**: those with at least one response. **Theme**:
//!   those with at least one score on the theme; the client's score is the mean of their
//!   scores in the quarter, and a group sums those means.
//! * **Counselors**: distinct counselors of the client-quarters counted. **Unshared**: those
//!   counted with at least one response not shared with the counselor.

use super::Quarter;
use super::suppression::MEASURES;
use crate::ids::{ClientId, TeamId, UserId};
use crate::insights::{FeedbackGroup, GroupScope, MeasureCounts};
use std::collections::{BTreeMap, BTreeSet};

/// One stored row of one office: an invitation or a response.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedbackRow {
    pub client: ClientId,
    pub quarter: Quarter,
    pub team: Option<TeamId>,
    pub counselor: Option<UserId>,
    pub kind: RowKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum RowKind {
    Invitation,
    /// Scores in the order of `Theme::ALL` (`None`: skipped).
    Response {
        scores: [Option<u8>; 6],
        shared: bool,
    },
}

/// One client-quarter, with what each measure needs.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientQuarter {
    pub client: ClientId,
    pub quarter: Quarter,
    pub team: Option<TeamId>,
    pub counselor: Option<UserId>,
    pub answered: bool,
    /// The client's mean score per theme, when they gave one.
    pub means: [Option<f64>; 6],
    pub unshared: bool,
}

impl ClientQuarter {
    /// Whether this client-quarter is counted by measure `m` (index into `Measure::ALL`).
    pub fn counted(&self, m: usize) -> bool {
        match m {
            0 => true,
            1 => self.answered,
            t => self.means[t - 2].is_some(),
        }
    }
}

/// The client-quarters of one office's rows.
pub fn client_quarters(rows: &[FeedbackRow]) -> Vec<ClientQuarter> {
    type Acc = (Option<TeamId>, Option<UserId>, bool, [(u32, u32); 6], bool);
    let mut by: BTreeMap<(Quarter, ClientId), Acc> = BTreeMap::new();
    for r in rows {
        let e = by
            .entry((r.quarter, r.client))
            .or_insert((None, None, false, [(0, 0); 6], false));
        e.0 = e.0.max(r.team);
        e.1 = e.1.max(r.counselor);
        if let RowKind::Response { scores, shared } = &r.kind {
            e.2 = true;
            for (i, s) in scores.iter().enumerate() {
                if let Some(s) = s {
                    e.3[i].0 += u32::from(*s);
                    e.3[i].1 += 1;
                }
            }
            e.4 |= !shared;
        }
    }
    by.into_iter()
        .map(
            |((quarter, client), (team, counselor, answered, sums, unshared))| ClientQuarter {
                client,
                quarter,
                team,
                counselor,
                answered,
                means: sums.map(|(s, n)| (n > 0).then(|| f64::from(s) / f64::from(n))),
                unshared,
            },
        )
        .collect()
}

fn group(quarter: Quarter, scope: GroupScope, members: &[&ClientQuarter]) -> FeedbackGroup {
    let cells: [MeasureCounts; MEASURES] = std::array::from_fn(|m| {
        let counted: Vec<&&ClientQuarter> = members.iter().filter(|c| c.counted(m)).collect();
        let sum = if m >= 2 {
            counted.iter().filter_map(|c| c.means[m - 2]).sum()
        } else {
            0.0
        };
        let counselors: BTreeSet<UserId> = counted.iter().filter_map(|c| c.counselor).collect();
        MeasureCounts::new(
            counted.len() as u64,
            sum,
            counselors.len() as u64,
            counted.iter().filter(|c| c.unshared).count() as u64,
        )
    });
    FeedbackGroup::new(quarter, scope, cells)
}

/// What `InsightsStore::office_feedback` returns for these rows (one office), for the
/// given quarters: per quarter with any row, the office group and one group per team present.
pub fn office_groups(rows: &[FeedbackRow], quarters: &[Quarter]) -> Vec<FeedbackGroup> {
    let cqs = client_quarters(rows);
    let mut out = Vec::new();
    for &q in quarters {
        let in_q: Vec<&ClientQuarter> = cqs.iter().filter(|c| c.quarter == q).collect();
        if in_q.is_empty() {
            continue;
        }
        out.push(group(q, GroupScope::Office, &in_q));
        let teams: BTreeSet<Option<TeamId>> = in_q.iter().map(|c| c.team).collect();
        for t in teams {
            let members: Vec<&ClientQuarter> =
                in_q.iter().copied().filter(|c| c.team == t).collect();
            out.push(group(q, GroupScope::Team(t), &members));
        }
    }
    out
}

/// What `InsightsStore::counselor_feedback` returns for these rows (one office).
pub fn counselor_groups(
    rows: &[FeedbackRow],
    counselor: UserId,
    quarters: &[Quarter],
) -> Vec<FeedbackGroup> {
    let cqs = client_quarters(rows);
    quarters
        .iter()
        .filter_map(|&q| {
            let mine: Vec<&ClientQuarter> = cqs
                .iter()
                .filter(|c| c.quarter == q && c.counselor == Some(counselor))
                .collect();
            (!mine.is_empty()).then(|| group(q, GroupScope::Counselor, &mine))
        })
        .collect()
}
