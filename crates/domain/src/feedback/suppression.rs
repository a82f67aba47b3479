//! The suppression rule for anonymous feedback figures (pure; see `docs/INSIGHTS.md`).
//!
//! A *cell* is one measure (clients reached, clients who answered, or clients with a score on
//! one theme) of one *unit* in one quarter. Unit 0 is the parent (the office); with
//! `partition`, units 1.. are its children and split its clients exactly (every client-quarter
//! belongs to one team, or to "no team"). Without `partition` (the counselor's own page) unit
//! 1 is a subset of unit 0 whose complement is not published.
//!
//! Every published number is a count of a set of clients, and so is every number a reader can
//! work out from them. The rule makes sure none of those counts is between 1 and 4:
//!
//! 1. **Primary:** a cell with fewer than [`MIN_CLIENTS`] clients (or that the caller
//!    disallows, for instance a team figure that would be one counselor's) is hidden.
//! 2. **Nested pairs:** two published counts whose populations are nested by construction
//!    (theme ⊆ answered ⊆ reached; team ⊆ office) must differ by 0 or at least
//!    [`MIN_CLIENTS`], else one of them is hidden (the team rather than the office; within one
//!    unit the wider count rather than the theme).
//! 3. **Partitions:** when the office figure is shown, the office minus its shown teams is the
//!    total of the hidden teams, a number anyone can work out: it must be 0 or at least
//!    [`MIN_CLIENTS`] (else the smallest shown team is hidden too), and it takes part in rule 2
//!    like any published count.
//! 4. **No recomputation:** a hidden office figure must not be the sum of shown team figures
//!    (else the smallest team is hidden too).
//!
//! Hiding only ever adds hidden cells, so repeating the rules reaches a fixpoint.

use super::Theme;

/// The smallest number of distinct clients a published figure may count.
pub const MIN_CLIENTS: u64 = 5;

/// What a cell counts. Populations nest: every client with a theme score answered, and every
/// client who answered was reached (invited, or answered).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Measure {
    Reached,
    Answered,
    Theme(Theme),
}

/// The number of measures, so cells can live in arrays.
pub const MEASURES: usize = 8;

impl Measure {
    pub const ALL: [Measure; MEASURES] = [
        Measure::Reached,
        Measure::Answered,
        Measure::Theme(Theme::Relation),
        Measure::Theme(Theme::Reciprocity),
        Measure::Theme(Theme::Choices),
        Measure::Theme(Theme::Time),
        Measure::Theme(Theme::Knowledge),
        Measure::Theme(Theme::KnowledgeSharing),
    ];

    pub fn index(self) -> usize {
        match self {
            Measure::Reached => 0,
            Measure::Answered => 1,
            Measure::Theme(t) => 2 + Theme::ALL.iter().position(|x| *x == t).unwrap_or(0),
        }
    }

    /// Whether every client counted by `self` is also counted by `wider`, by construction.
    pub fn within(self, wider: Measure) -> bool {
        match (self, wider) {
            (a, b) if a == b => true,
            (_, Measure::Reached) => true,
            (Measure::Theme(_), Measure::Answered) => true,
            _ => false,
        }
    }

    /// The stable key used in CSV files and message ids.
    pub fn key(self) -> &'static str {
        match self {
            Measure::Reached => "reached",
            Measure::Answered => "answered",
            Measure::Theme(t) => t.as_str(),
        }
    }
}

/// One cell as the rule sees it: how many distinct clients it counts, and whether the caller
/// allows it at all (for instance not when its clients come from fewer than two counselors).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CellInput {
    pub clients: u64,
    pub allowed: bool,
}

/// A number a reader has or can work out: the count of the clients of some units under one
/// measure. `units` is a bit set over the children (the parent is all children).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fact {
    units: u128,
    measure: usize,
    clients: u64,
    /// The real cell it is, or `None` for the total of hidden children.
    cell: Option<(usize, usize)>,
}

fn within(a: &Fact, b: &Fact) -> bool {
    a.units & !b.units == 0 && Measure::ALL[a.measure].within(Measure::ALL[b.measure])
}

fn risky(difference: u64) -> bool {
    (1..MIN_CLIENTS).contains(&difference)
}

/// Decides which cells of one quarter are shown. `units[0]` is the parent; see the module
/// documentation for `partition`. At most 127 children are supported; more are all hidden.
pub fn suppress(units: &[[CellInput; MEASURES]], partition: bool) -> Vec<[bool; MEASURES]> {
    let mut shown: Vec<[bool; MEASURES]> = units
        .iter()
        .enumerate()
        .map(|(u, cells)| cells.map(|c| u < 128 && c.allowed && c.clients >= MIN_CLIENTS))
        .collect();
    if units.is_empty() {
        return shown;
    }
    let bit = |u: usize| -> u128 {
        if u == 0 {
            if partition {
                // The parent is all its children.
                let n = units.len().min(128);
                if n >= 128 {
                    u128::MAX
                } else {
                    (1u128 << n) - 2
                }
            } else {
                // Without a partition, the parent strictly contains the one child.
                u128::MAX
            }
        } else {
            1u128 << u.min(127)
        }
    };
    loop {
        let mut changed = false;
        if partition {
            for m in 0..MEASURES {
                changed |= partition_rules(units, &mut shown, m);
            }
        }
        // Every number a reader has or can work out.
        let mut facts = Vec::new();
        for (u, cells) in units.iter().enumerate() {
            for m in 0..MEASURES {
                if shown[u][m] {
                    facts.push(Fact {
                        units: bit(u),
                        measure: m,
                        clients: cells[m].clients,
                        cell: Some((u, m)),
                    });
                }
            }
        }
        if partition {
            for m in 0..MEASURES {
                if !shown[0][m] {
                    continue;
                }
                let (mut set, mut total) = (0u128, 0u64);
                for u in 1..units.len() {
                    if !shown[u][m] && units[u][m].clients > 0 {
                        set |= bit(u);
                        total += units[u][m].clients;
                    }
                }
                if total > 0 {
                    facts.push(Fact {
                        units: set,
                        measure: m,
                        clients: total,
                        cell: None,
                    });
                }
            }
        }
        'pairs: for a in &facts {
            for b in &facts {
                if a == b || !within(a, b) || !risky(b.clients.saturating_sub(a.clients)) {
                    continue;
                }
                // Resolve by hiding one real cell, then start over.
                match (a.cell, b.cell) {
                    (Some((ua, ma)), Some((ub, mb))) => {
                        if ua != ub {
                            shown[ua][ma] = false; // the team rather than the office
                        } else {
                            shown[ub][mb] = false; // the wider count rather than the theme
                        }
                    }
                    // A total of hidden teams is involved: hide one more team under the
                    // measure of that total (or the office figure when none is left).
                    (None, _) => hide_more(units, &mut shown, a.measure),
                    (_, None) => hide_more(units, &mut shown, b.measure),
                }
                changed = true;
                break 'pairs;
            }
        }
        if !changed {
            return shown;
        }
    }
}

/// Hides the smallest shown child under measure `m`, or the parent when none is left.
fn hide_more(units: &[[CellInput; MEASURES]], shown: &mut [[bool; MEASURES]], m: usize) {
    let smallest = (1..units.len())
        .filter(|u| shown[*u][m])
        .min_by_key(|u| (units[*u][m].clients, *u));
    match smallest {
        Some(u) => shown[u][m] = false,
        None => shown[0][m] = false,
    }
}

/// Rules 3 and 4 for one measure. Returns whether anything was hidden.
fn partition_rules(
    units: &[[CellInput; MEASURES]],
    shown: &mut [[bool; MEASURES]],
    m: usize,
) -> bool {
    let mut changed = false;
    loop {
        let hidden_total: u64 = (1..units.len())
            .filter(|u| !shown[*u][m])
            .map(|u| units[u][m].clients)
            .sum();
        let nonempty_hidden = (1..units.len()).any(|u| !shown[u][m] && units[u][m].clients > 0);
        let any_shown_child = (1..units.len()).any(|u| shown[u][m]);
        let violated = if shown[0][m] {
            risky(hidden_total)
        } else {
            // A hidden parent is the sum of its children when all of them are shown.
            units[0][m].clients > 0 && !nonempty_hidden && any_shown_child
        };
        if !violated {
            return changed;
        }
        hide_more(units, shown, m);
        changed = true;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(reached: u64, answered: u64, theme: u64) -> [CellInput; MEASURES] {
        let mut cells = [CellInput {
            clients: theme,
            allowed: true,
        }; MEASURES];
        cells[0].clients = reached;
        cells[1].clients = answered;
        cells
    }

    #[test]
    fn fewer_than_five_clients_are_never_shown() {
        let shown = suppress(&[unit(4, 4, 4)], true);
        assert_eq!(shown[0], [false; MEASURES]);
        let shown = suppress(&[unit(5, 5, 5)], true);
        assert_eq!(shown[0], [true; MEASURES]);
    }

    #[test]
    fn a_lone_small_team_is_hidden_with_the_next_smallest() {
        // Office 20 = team 12 + team 5 + team 3: team 3 is hidden (too few), and the office
        // minus the shown teams would be 3, so team 5 is hidden as well.
        let units = [
            unit(20, 20, 20),
            unit(12, 12, 12),
            unit(5, 5, 5),
            unit(3, 3, 3),
        ];
        let shown = suppress(&units, true);
        assert!(shown[0].iter().all(|s| *s));
        assert!(shown[1].iter().all(|s| *s));
        assert!(shown[2].iter().all(|s| !*s));
        assert!(shown[3].iter().all(|s| !*s));
    }

    #[test]
    fn a_theme_a_few_clients_skipped_hides_the_wider_count() {
        // 20 reached, 20 answered, 18 scored each theme: 20 - 18 = 2 would tell that two
        // skipped, so the counts are hidden and the theme figures kept.
        let shown = suppress(&[unit(20, 20, 18)], true);
        assert!(!shown[0][0] && !shown[0][1]);
        assert!(shown[0][2..].iter().all(|s| *s));
    }

    #[test]
    fn a_hidden_office_is_not_the_sum_of_shown_teams() {
        // The office's reached count is hidden (two skipped... of 23), but the teams' reached
        // counts would add up to it: one team's is hidden too.
        let units = [unit(23, 21, 21), unit(12, 11, 11), unit(11, 10, 10)];
        let shown = suppress(&units, true);
        assert!(!shown[0][0]);
        assert!(!(shown[1][0] && shown[2][0]));
    }

    #[test]
    fn the_counselor_subset_hides_when_close_to_the_office() {
        let shown = suppress(&[unit(30, 30, 30), unit(27, 27, 27)], false);
        assert!(shown[0].iter().all(|s| *s));
        assert!(shown[1].iter().all(|s| !*s));
        let shown = suppress(&[unit(30, 30, 30), unit(10, 10, 10)], false);
        assert!(shown[1].iter().all(|s| *s));
    }
}
