//! Anonymous feedback figures: the leader's dashboard by office and team, and the counselor's
//! own aggregate against the office (see `docs/INSIGHTS.md`).
//!
//! The stores compute raw group rows ([`FeedbackGroup`]) through the [`InsightsStore`]
//! port, which has aggregate queries only: no client id leaves it. The numbers of a raw row
//! cannot be read outside this crate; the web crate gets figures only from [`office_insights`]
//! and [`own_insights`], after the suppression rule ([`super::suppression`]) has run. A hidden
//! figure ([`Figure::TooFew`]) carries no number at all.
//!
//! No audit rows are written: no personal data reaches the viewer.
//!
//! The pages read settled quarters through the stored summary
//! (`InsightsStore::settled_office_feedback`, migration 0013): the same groups as a fresh
//! grouping, computed once per office and quarter. The worker fills it for newly settled
//! quarters ([`summarise_settled`]); a view fills a missing quarter itself.

pub mod store;

pub use store::InsightsStore;

use crate::DomainError;
use crate::feedback::Quarter;
use crate::feedback::suppression::{CellInput, MEASURES, MIN_CLIENTS, Measure, suppress};
use crate::ids::{OfficeId, TeamId};
use crate::policy::{Action, Resource, authorize};
use crate::ports::Clock;
use crate::roles::{Actor, Role};
use std::fmt;
use time::{Duration, OffsetDateTime};

/// How many quarters the pages show.
pub const QUARTERS_SHOWN: usize = 8;

/// A quarter is published only once it has ended and this long has passed, so that figures
/// no longer change (an answer can still be changed for a short while after it was given):
/// watching a figure change from one day to the next would reveal the one answer that changed
/// it.
pub const SETTLE: Duration = Duration::days(14);

/// The quarters shown at `now`, oldest first: the last [`QUARTERS_SHOWN`] settled quarters.
pub fn published_quarters(now: OffsetDateTime) -> Vec<Quarter> {
    Quarter::of(now - SETTLE).previous().last(QUARTERS_SHOWN)
}

/// Which clients a raw group counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum GroupScope {
    /// All clients of the office in the quarter.
    Office,
    /// The clients of one team (`None`: clients in no team). Teams split the office: a
    /// client-quarter belongs to the greatest team id among that client's rows.
    Team(Option<TeamId>),
    /// The clients of the counselor who asked (the greatest counselor id among the client's
    /// rows in the office and quarter).
    Counselor,
}

/// The raw numbers of one measure of a group. Readable only inside the domain. Equality
/// allows for rounding in the sum (the databases add floating-point means in their own order).
#[derive(Clone, Copy, Default)]
pub struct MeasureCounts {
    clients: u64,
    sum: f64,
    counselors: u64,
    unshared: u64,
}

impl MeasureCounts {
    /// For the stores: `clients` distinct clients; for a theme, `sum` of each client's mean
    /// score in the quarter; `counselors` distinct counselors among those clients' rows;
    /// `unshared` clients among them with any answer not shared with their counselor (only
    /// for [`GroupScope::Counselor`]).
    pub fn new(clients: u64, sum: f64, counselors: u64, unshared: u64) -> MeasureCounts {
        MeasureCounts {
            clients,
            sum,
            counselors,
            unshared,
        }
    }
}

impl PartialEq for MeasureCounts {
    fn eq(&self, other: &Self) -> bool {
        self.clients == other.clients
            && self.counselors == other.counselors
            && self.unshared == other.unshared
            && (self.sum - other.sum).abs() < 1e-6
    }
}

impl fmt::Debug for MeasureCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MeasureCounts(..)")
    }
}

/// One raw group of one quarter, as a store computed it. Its numbers are not readable outside
/// the domain (no getters, no `Debug` output of them).
#[derive(Clone, PartialEq)]
pub struct FeedbackGroup {
    quarter: Quarter,
    scope: GroupScope,
    cells: [MeasureCounts; MEASURES],
}

impl FeedbackGroup {
    /// For the stores; `cells` in the order of [`Measure::ALL`].
    pub fn new(
        quarter: Quarter,
        scope: GroupScope,
        cells: [MeasureCounts; MEASURES],
    ) -> FeedbackGroup {
        FeedbackGroup {
            quarter,
            scope,
            cells,
        }
    }

    pub fn quarter(&self) -> Quarter {
        self.quarter
    }

    pub fn scope(&self) -> GroupScope {
        self.scope
    }
}

impl fmt::Debug for FeedbackGroup {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FeedbackGroup({}, {:?}, ..)", self.quarter, self.scope)
    }
}

/// The names of an office and its teams (not personal data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeUnits {
    pub office_id: OfficeId,
    pub office_name: String,
    pub teams: Vec<(TeamId, String)>,
}

/// A published figure. A hidden one carries no number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Figure {
    Shown {
        clients: u64,
        /// The mean of the clients' mean scores, 0–10, to one decimal (themes only).
        mean: Option<f64>,
    },
    TooFew,
}

impl Figure {
    pub fn clients(self) -> Option<u64> {
        match self {
            Figure::Shown { clients, .. } => Some(clients),
            Figure::TooFew => None,
        }
    }

    pub fn mean(self) -> Option<f64> {
        match self {
            Figure::Shown { mean, .. } => mean,
            Figure::TooFew => None,
        }
    }
}

/// The figures of one unit in one quarter.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarterFigures {
    pub quarter: Quarter,
    cells: [Figure; MEASURES],
}

impl QuarterFigures {
    pub fn get(&self, m: Measure) -> Figure {
        self.cells[m.index()]
    }

    /// Clients who answered out of clients reached, in percent, when both are shown.
    pub fn response_rate(&self) -> Option<u64> {
        let reached = self.get(Measure::Reached).clients()?;
        let answered = self.get(Measure::Answered).clients()?;
        (reached > 0).then(|| (answered * 100 + reached / 2) / reached)
    }
}

/// Which unit a series is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnitLabel {
    Office(String),
    Team(String),
    /// Clients who were in no team.
    NoTeam,
    /// The counselor's own clients.
    Mine,
}

/// One unit's figures over the published quarters, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitSeries {
    pub unit: UnitLabel,
    pub quarters: Vec<QuarterFigures>,
}

/// The latest shown mean of a measure, and its change since the quarter before (when both
/// quarters are shown).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Trend {
    pub quarter: Quarter,
    pub mean: f64,
    pub change: Option<f64>,
}

impl UnitSeries {
    pub fn trend(&self, m: Measure) -> Option<Trend> {
        let last = self
            .quarters
            .iter()
            .rposition(|q| q.get(m).mean().is_some())?;
        let mean = self.quarters[last].get(m).mean()?;
        let change = last
            .checked_sub(1)
            .and_then(|p| self.quarters[p].get(m).mean())
            .map(|before| round1(mean - before));
        Some(Trend {
            quarter: self.quarters[last].quarter,
            mean,
            change,
        })
    }
}

/// What a leader sees about one office.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeInsights {
    pub office_id: OfficeId,
    pub office_name: String,
    pub quarters: Vec<Quarter>,
    pub office: UnitSeries,
    /// Teams by name, then clients in no team.
    pub teams: Vec<UnitSeries>,
}

/// What a counselor sees about their own clients against the office.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnInsights {
    pub office_id: OfficeId,
    pub office_name: String,
    pub quarters: Vec<Quarter>,
    pub office: UnitSeries,
    pub mine: UnitSeries,
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn figure(m: Measure, counts: &MeasureCounts, shown: bool) -> Figure {
    if !shown || counts.clients < MIN_CLIENTS {
        return Figure::TooFew;
    }
    let mean = match m {
        Measure::Theme(_) => Some(round1(counts.sum / counts.clients as f64)),
        _ => None,
    };
    Figure::Shown {
        clients: counts.clients,
        mean,
    }
}

fn empty_cells() -> [MeasureCounts; MEASURES] {
    [MeasureCounts::default(); MEASURES]
}

/// The leader's figures for one office: suppression over the office and its teams, quarter by
/// quarter. Pure, so the property test can run it on any dataset.
pub fn publish_office(
    units: &OfficeUnits,
    quarters: &[Quarter],
    groups: &[FeedbackGroup],
) -> OfficeInsights {
    // Children: every team of the office (by name), any other team id seen, then no team.
    let mut teams: Vec<(Option<TeamId>, UnitLabel)> = {
        let mut named = units.teams.clone();
        named.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        named
            .into_iter()
            .map(|(id, name)| (Some(id), UnitLabel::Team(name)))
            .collect()
    };
    for g in groups {
        if let GroupScope::Team(Some(t)) = g.scope
            && !teams.iter().any(|(id, _)| *id == Some(t))
        {
            teams.push((Some(t), UnitLabel::Team(String::from("?"))));
        }
    }
    if groups.iter().any(|g| g.scope == GroupScope::Team(None)) {
        teams.push((None, UnitLabel::NoTeam));
    }
    let mut office = UnitSeries {
        unit: UnitLabel::Office(units.office_name.clone()),
        quarters: Vec::new(),
    };
    let mut series: Vec<UnitSeries> = teams
        .iter()
        .map(|(_, label)| UnitSeries {
            unit: label.clone(),
            quarters: Vec::new(),
        })
        .collect();
    for &q in quarters {
        let find = |scope: GroupScope| {
            groups
                .iter()
                .find(|g| g.quarter == q && g.scope == scope)
                .map(|g| g.cells)
                .unwrap_or_else(empty_cells)
        };
        let mut raw = vec![find(GroupScope::Office)];
        raw.extend(teams.iter().map(|(id, _)| find(GroupScope::Team(*id))));
        let inputs: Vec<[CellInput; MEASURES]> = raw
            .iter()
            .map(|cells| {
                cells.map(|c| CellInput {
                    clients: c.clients,
                    // Never one counselor's figure: leaders see no per-counselor numbers.
                    allowed: c.counselors >= 2,
                })
            })
            .collect();
        let shown = suppress(&inputs, true);
        let figures = |u: usize| QuarterFigures {
            quarter: q,
            cells: std::array::from_fn(|m| figure(Measure::ALL[m], &raw[u][m], shown[u][m])),
        };
        office.quarters.push(figures(0));
        for (i, s) in series.iter_mut().enumerate() {
            s.quarters.push(figures(i + 1));
        }
    }
    OfficeInsights {
        office_id: units.office_id,
        office_name: units.office_name.clone(),
        quarters: quarters.to_vec(),
        office,
        teams: series,
    }
}

/// The counselor's figures: their own clients against the office. The office figures are the
/// leader's (already safe); the own figure is hidden when it counts fewer than five clients,
/// when one to four of its clients did not share their answers (the counselor sees the shared
/// ones and could subtract them), or when it is within one to four clients of the office.
pub fn publish_own(office: &OfficeInsights, own: &[FeedbackGroup]) -> OwnInsights {
    let mut mine = UnitSeries {
        unit: UnitLabel::Mine,
        quarters: Vec::new(),
    };
    for (i, &q) in office.quarters.iter().enumerate() {
        let raw = own
            .iter()
            .find(|g| g.quarter == q && g.scope == GroupScope::Counselor)
            .map(|g| g.cells)
            .unwrap_or_else(empty_cells);
        let office_q = &office.office.quarters[i];
        let office_inputs: [CellInput; MEASURES] = std::array::from_fn(|m| {
            let f = office_q.cells[m];
            CellInput {
                clients: f.clients().unwrap_or(0),
                allowed: f.clients().is_some(),
            }
        });
        let own_inputs = raw.map(|c| CellInput {
            clients: c.clients,
            allowed: !(1..MIN_CLIENTS).contains(&c.unshared),
        });
        let shown = suppress(&[office_inputs, own_inputs], false);
        mine.quarters.push(QuarterFigures {
            quarter: q,
            cells: std::array::from_fn(|m| figure(Measure::ALL[m], &raw[m], shown[1][m])),
        });
    }
    OwnInsights {
        office_id: office.office_id,
        office_name: office.office_name.clone(),
        quarters: office.quarters.clone(),
        office: office.office.clone(),
        mine,
    }
}

/// The leader's dashboard of every office they lead (`ViewOfficeInsights`); out of reach
/// (404) for anyone else.
pub async fn leader_insights(
    aggregates: &dyn InsightsStore,
    clock: &dyn Clock,
    actor: &Actor,
) -> Result<Vec<OfficeInsights>, DomainError> {
    let offices = crate::organisation::insight_offices(actor)?;
    let mut out = Vec::with_capacity(offices.len());
    for office in offices {
        out.push(office_insights(aggregates, clock, actor, office).await?);
    }
    Ok(out)
}

/// One office's dashboard for a leader of that office.
pub async fn office_insights(
    aggregates: &dyn InsightsStore,
    clock: &dyn Clock,
    actor: &Actor,
    office: OfficeId,
) -> Result<OfficeInsights, DomainError> {
    authorize(actor, Action::ViewOfficeInsights, Resource::Office(office))?;
    let units = aggregates
        .feedback_units(office)
        .await?
        .ok_or(DomainError::NotFound)?;
    let quarters = published_quarters(clock.now());
    let groups = aggregates
        .settled_office_feedback(office, &quarters)
        .await?;
    Ok(publish_office(&units, &quarters, &groups))
}

/// The counselor's own aggregate at each office where they are a counselor.
pub async fn own_insights(
    aggregates: &dyn InsightsStore,
    clock: &dyn Clock,
    actor: &Actor,
) -> Result<Vec<OwnInsights>, DomainError> {
    let offices: Vec<OfficeId> = actor
        .offices_with_role(Role::Counselor)
        .into_iter()
        .filter(|o| authorize(actor, Action::ViewOwnFeedback, Resource::Office(*o)).is_ok())
        .collect();
    if offices.is_empty() {
        return Err(DomainError::NotFound);
    }
    let quarters = published_quarters(clock.now());
    let mut out = Vec::with_capacity(offices.len());
    for office in offices {
        let Some(units) = aggregates.feedback_units(office).await? else {
            continue;
        };
        let groups = aggregates
            .settled_office_feedback(office, &quarters)
            .await?;
        let published = publish_office(&units, &quarters, &groups);
        let own = aggregates
            .settled_counselor_feedback(office, actor.user_id, &quarters)
            .await?;
        out.push(publish_own(&published, &own));
    }
    Ok(out)
}

/// What one round of [`summarise_settled`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summarised {
    /// Office-quarters summarised in this round.
    pub built: u64,
    /// Whether office-quarters were left for the next round (the budget ran out).
    pub more: bool,
}

/// The worker's part of the summary of settled quarters: summarises at most `budget`
/// office-quarters among the published quarters at `now` that have feedback and no summary
/// yet, newest quarter first (a quarter that has just settled is summarised before anyone
/// asks for it). Resumable: what is done is stored, so the next round goes on from there.
/// Correctness never depends on it: a view summarises a missing quarter itself.
pub async fn summarise_settled(
    aggregates: &dyn InsightsStore,
    now: OffsetDateTime,
    budget: u64,
) -> Result<Summarised, DomainError> {
    let mut done = Summarised::default();
    for q in published_quarters(now).into_iter().rev() {
        let left = budget.saturating_sub(done.built);
        if left == 0 {
            done.more = true;
            break;
        }
        let offices = aggregates
            .unsummarised_offices(q, i64::try_from(left + 1).unwrap_or(i64::MAX))
            .await?;
        for office in offices.iter().take(left as usize) {
            aggregates.summarise_quarters(*office, &[q]).await?;
            done.built += 1;
        }
        if offices.len() as u64 > left {
            done.more = true;
            break;
        }
    }
    Ok(done)
}

/// The column headings of the CSV export, in the reader's language.
pub struct CsvHeadings<'a> {
    pub office: &'a str,
    pub unit: &'a str,
    pub quarter: &'a str,
    pub measure: &'a str,
    pub clients: &'a str,
    pub mean: &'a str,
    pub response_rate: &'a str,
    /// The text of a hidden figure ("too few answers to show").
    pub too_few: &'a str,
    /// The name of the office row and of the no-team row.
    pub whole_office: &'a str,
    pub no_team: &'a str,
}

/// Exactly the published figures as CSV (RFC 4180, CRLF line ends): one row per office or
/// team, quarter and measure. Text cells that a spreadsheet would run as a formula are
/// neutralised (see [`csv_cell`]).
pub fn to_csv(offices: &[OfficeInsights], h: &CsvHeadings<'_>) -> String {
    let mut out = String::new();
    let mut row = |cells: &[String]| {
        let line: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        out.push_str(&line.join(","));
        out.push_str("\r\n");
    };
    row(&[
        h.office,
        h.unit,
        h.quarter,
        h.measure,
        h.clients,
        h.mean,
        h.response_rate,
    ]
    .map(String::from));
    for o in offices {
        for s in std::iter::once(&o.office).chain(o.teams.iter()) {
            let unit = match &s.unit {
                UnitLabel::Office(_) => h.whole_office.to_string(),
                UnitLabel::Team(name) => name.clone(),
                UnitLabel::NoTeam => h.no_team.to_string(),
                UnitLabel::Mine => String::new(),
            };
            for q in &s.quarters {
                for m in Measure::ALL {
                    let f = q.get(m);
                    let (clients, mean) = match f {
                        Figure::Shown { clients, mean } => (
                            clients.to_string(),
                            mean.map(|x| format!("{x:.1}")).unwrap_or_default(),
                        ),
                        Figure::TooFew => (h.too_few.to_string(), String::new()),
                    };
                    let rate = match m {
                        Measure::Answered => {
                            q.response_rate().map(|r| r.to_string()).unwrap_or_default()
                        }
                        _ => String::new(),
                    };
                    row(&[
                        o.office_name.clone(),
                        unit.clone(),
                        q.quarter.to_string(),
                        m.key().to_string(),
                        clients,
                        mean,
                        rate,
                    ]);
                }
            }
        }
    }
    out
}

/// One CSV cell, always quoted (quotes doubled), so a `,` or `;` inside it never splits it in a
/// spreadsheet that honours quotes, whichever separator it uses (Norwegian Excel splits on
/// `;`). A `'` goes in front of every `=`, `+`, `-`, `@`, tab or carriage return that starts
/// the cell or a piece of it after a separator (`,`, `;`, tab or line break, with any spaces
/// or quotes between), so that even a program that splits on separators without honouring quotes finds
/// no piece that a spreadsheet would run as a formula.
pub fn csv_cell(s: &str) -> String {
    let mut v = String::with_capacity(s.len() + 4);
    v.push('"');
    let mut piece_start = true;
    for c in s.chars() {
        if piece_start && matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r') {
            v.push('\'');
        }
        if c == '"' {
            v.push('"');
        }
        v.push(c);
        piece_start =
            matches!(c, ',' | ';' | '\t' | '\n' | '\r') || (piece_start && matches!(c, ' ' | '"'));
    }
    v.push('"');
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feedback::Theme;

    fn counts(clients: u64, mean: f64, counselors: u64) -> MeasureCounts {
        MeasureCounts::new(clients, mean * clients as f64, counselors, 0)
    }

    fn group(q: Quarter, scope: GroupScope, clients: u64, counselors: u64) -> FeedbackGroup {
        FeedbackGroup::new(
            q,
            scope,
            std::array::from_fn(|_| counts(clients, 7.25, counselors)),
        )
    }

    fn units(teams: &[(TeamId, &str)]) -> OfficeUnits {
        OfficeUnits {
            office_id: OfficeId::new(),
            office_name: "Kontor".into(),
            teams: teams.iter().map(|(t, n)| (*t, n.to_string())).collect(),
        }
    }

    #[test]
    fn quarters_are_published_once_settled() {
        let now = time::macros::datetime!(2026-04-10 12:00 UTC);
        let qs = published_quarters(now);
        assert_eq!(qs.len(), QUARTERS_SHOWN);
        assert_eq!(qs.last().map(|q| q.to_string()).as_deref(), Some("2025-Q4"));
        let now = time::macros::datetime!(2026-04-20 12:00 UTC);
        let qs = published_quarters(now);
        assert_eq!(qs.last().map(|q| q.to_string()).as_deref(), Some("2026-Q1"));
    }

    #[test]
    fn five_clients_are_shown_and_four_are_too_few() {
        let q = Quarter::new(2025, 4).unwrap_or_else(|| unreachable!());
        let u = units(&[]);
        let five = publish_office(&u, &[q], &[group(q, GroupScope::Office, 5, 2)]);
        let f = five.office.quarters[0].get(Measure::Theme(Theme::Relation));
        assert_eq!(
            f,
            Figure::Shown {
                clients: 5,
                mean: Some(7.3)
            }
        );
        let four = publish_office(&u, &[q], &[group(q, GroupScope::Office, 4, 2)]);
        assert_eq!(
            four.office.quarters[0].get(Measure::Reached),
            Figure::TooFew
        );
        let one_counselor = publish_office(&u, &[q], &[group(q, GroupScope::Office, 9, 1)]);
        assert_eq!(
            one_counselor.office.quarters[0].get(Measure::Answered),
            Figure::TooFew,
            "an office of one counselor would be a per-counselor figure"
        );
    }

    #[test]
    fn the_own_figure_hides_a_small_unshared_remainder() {
        let q = Quarter::new(2025, 4).unwrap_or_else(|| unreachable!());
        let u = units(&[]);
        let office = publish_office(&u, &[q], &[group(q, GroupScope::Office, 40, 6)]);
        let own = |unshared| {
            FeedbackGroup::new(
                q,
                GroupScope::Counselor,
                std::array::from_fn(|_| MeasureCounts::new(10, 70.0, 1, unshared)),
            )
        };
        for (unshared, shown) in [(0, true), (1, false), (4, false), (5, true)] {
            let mine = publish_own(&office, &[own(unshared)]);
            assert_eq!(
                mine.mine.quarters[0]
                    .get(Measure::Answered)
                    .clients()
                    .is_some(),
                shown,
                "{unshared} unshared"
            );
        }
    }

    #[test]
    fn csv_cells_cannot_start_a_formula_and_are_quoted() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "\"'+1\"");
        assert_eq!(csv_cell("-1"), "\"'-1\"");
        assert_eq!(csv_cell("@SUM(A1)"), "\"'@SUM(A1)\"");
        assert_eq!(csv_cell("\tx"), "\"'\tx\"");
        assert_eq!(csv_cell("\rx"), "\"'\rx\"");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("line\nbreak"), "\"line\nbreak\"");
        assert_eq!(csv_cell("Team Øst"), "\"Team Øst\"");
        assert_eq!(csv_cell("7.8"), "\"7.8\"");
        assert_eq!(csv_cell(""), "\"\"");
    }

    #[test]
    fn csv_cells_survive_splitting_on_semicolons_commas_tabs_and_line_breaks() {
        // Norwegian Excel splits on `;`: no piece may be a bare formula.
        assert_eq!(csv_cell("Team x;=1+1;"), "\"Team x;'=1+1;\"");
        assert_eq!(csv_cell("a, +1"), "\"a, '+1\"");
        assert_eq!(csv_cell("a;  -1"), "\"a;  '-1\"");
        assert_eq!(csv_cell("a\t@SUM(A1)"), "\"a\t'@SUM(A1)\"");
        assert_eq!(csv_cell("a\n=1"), "\"a\n'=1\"");
        assert_eq!(csv_cell("a\r\n=1"), "\"a\r\n'=1\"");
        // Inside a piece the characters stay as they are.
        assert_eq!(csv_cell("Team A-B = C+D"), "\"Team A-B = C+D\"");
        for hostile in [
            "Team x;=1+1;",
            "x;\"=1\";y",
            ";;=cmd|' /C calc'!A0",
            "x, =1",
            "x\t+1",
            "x\n@1",
        ] {
            let cell = csv_cell(hostile);
            assert!(cell.starts_with('"') && cell.ends_with('"'), "{cell}");
            for piece in cell.split([',', ';', '\t', '\n', '\r']) {
                let piece = piece.trim_start_matches(['"', ' ']);
                assert!(
                    !piece.starts_with(['=', '+', '-', '@']),
                    "{hostile:?} gives the piece {piece:?}"
                );
            }
        }
    }

    #[test]
    fn raw_numbers_do_not_print() {
        let q = Quarter::new(2025, 4).unwrap_or_else(|| unreachable!());
        let text = format!("{:?}", group(q, GroupScope::Office, 1234, 2));
        assert!(!text.contains("1234"), "{text}");
    }
}
