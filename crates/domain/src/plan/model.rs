//! The shapes of plan items and measures, as stored (JSON documents) and as shown.

use super::rules::Side;
use crate::ids::{MeasureId, OfficeId, PlanItemId};
use serde::{Deserialize, Serialize};
use std::fmt;
use time::{Date, OffsetDateTime};

/// A calendar date, stored as `YYYY-MM-DD`. Plans deal in days, not instants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlanDate(pub Date);

/// The earliest and latest dates a plan accepts: anything outside is a typing mistake.
pub const FIRST_DATE: (i32, u8, u8) = (2000, 1, 1);
pub const LAST_DATE: (i32, u8, u8) = (2100, 12, 31);

impl PlanDate {
    /// Parses `YYYY-MM-DD` (what `<input type="date">` sends).
    pub fn parse(raw: &str) -> Option<Self> {
        let mut parts = raw.trim().splitn(3, '-');
        let y: i32 = parts.next()?.parse().ok()?;
        let m: u8 = parts.next()?.parse().ok()?;
        let d: u8 = parts.next()?.parse().ok()?;
        let month = time::Month::try_from(m).ok()?;
        Date::from_calendar_date(y, month, d).ok().map(Self)
    }

    pub fn in_range(&self) -> bool {
        let (y0, m0, d0) = FIRST_DATE;
        let (y1, m1, d1) = LAST_DATE;
        let t = (self.0.year(), u8::from(self.0.month()), self.0.day());
        t >= (y0, m0, d0) && t <= (y1, m1, d1)
    }
}

impl fmt::Display for PlanDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}",
            self.0.year(),
            u8::from(self.0.month()),
            self.0.day()
        )
    }
}

impl Serialize for PlanDate {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for PlanDate {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        PlanDate::parse(&s).ok_or_else(|| serde::de::Error::custom("bad date"))
    }
}

/// The kinds of plan items (the `kind` column of the store).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ItemKind {
    Presentation,
    Preferences,
    Goal,
    Activity,
    Question,
}

impl ItemKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            ItemKind::Presentation => "presentation",
            ItemKind::Preferences => "preferences",
            ItemKind::Goal => "goal",
            ItemKind::Activity => "activity",
            ItemKind::Question => "question",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Presentation,
            Self::Preferences,
            Self::Goal,
            Self::Activity,
            Self::Question,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// "Blank sheets": the client's own words about themselves. Resources, not deficits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Presentation {
    pub about: String,
    pub strengths: String,
    pub wishes: String,
    pub obstacles: String,
    /// Archived when the client starts afresh: out of the default view, still in history.
    #[serde(default)]
    pub archived: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ContactChannel {
    Messages,
    Phone,
    Sms,
    Email,
    Meeting,
}

impl ContactChannel {
    pub const ALL: [ContactChannel; 5] = [
        Self::Messages,
        Self::Phone,
        Self::Sms,
        Self::Email,
        Self::Meeting,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Messages => "messages",
            Self::Phone => "phone",
            Self::Sms => "sms",
            Self::Email => "email",
            Self::Meeting => "meeting",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Practical preferences and accommodations, shown wherever they matter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Preferences {
    pub contact_channel: Option<ContactChannel>,
    pub contact_times: String,
    pub language: String,
    pub interpreter: bool,
    pub reading_support: bool,
    pub other: String,
}

impl Preferences {
    /// Whether anything is recorded (an empty record is not worth a box on the page).
    pub fn is_empty(&self) -> bool {
        *self == Preferences::default()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum GoalStatus {
    Active,
    Reached,
    Dropped,
}

impl GoalStatus {
    pub const ALL: [GoalStatus; 3] = [Self::Active, Self::Reached, Self::Dropped];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Reached => "reached",
            Self::Dropped => "dropped",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A goal in the client's own words. A counselor may suggest a wording; it counts as the
/// client's goal once the client approves it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Goal {
    pub text: String,
    pub target_date: Option<PlanDate>,
    pub status: GoalStatus,
    pub written_by: Side,
    pub approved_by_client: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivityKind {
    Own,
    JobApplication,
    JobSearch,
    Education,
    Internship,
    WageSubsidy,
    Health,
    Meeting,
    CurrentJob,
    Measure,
}

impl ActivityKind {
    pub const ALL: [ActivityKind; 10] = [
        Self::Own,
        Self::JobApplication,
        Self::JobSearch,
        Self::Education,
        Self::Internship,
        Self::WageSubsidy,
        Self::Health,
        Self::Meeting,
        Self::CurrentJob,
        Self::Measure,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Own => "own",
            Self::JobApplication => "job-application",
            Self::JobSearch => "job-search",
            Self::Education => "education",
            Self::Internship => "internship",
            Self::WageSubsidy => "wage-subsidy",
            Self::Health => "health",
            Self::Meeting => "meeting",
            Self::CurrentJob => "current-job",
            Self::Measure => "measure",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplicationStage {
    Interested,
    Applied,
    Interview,
    Offer,
    Rejected,
}

impl ApplicationStage {
    pub const ALL: [ApplicationStage; 5] = [
        Self::Interested,
        Self::Applied,
        Self::Interview,
        Self::Offer,
        Self::Rejected,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Interested => "interested",
            Self::Applied => "applied",
            Self::Interview => "interview",
            Self::Offer => "offer",
            Self::Rejected => "rejected",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Status of an activity. The allowed moves are [`ActivityStatus::may_become`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ActivityStatus {
    Proposed,
    Planned,
    InProgress,
    Completed,
    Cancelled,
}

impl ActivityStatus {
    pub const ALL: [ActivityStatus; 5] = [
        Self::Proposed,
        Self::Planned,
        Self::InProgress,
        Self::Completed,
        Self::Cancelled,
    ];
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Proposed => "proposed",
            Self::Planned => "planned",
            Self::InProgress => "in-progress",
            Self::Completed => "completed",
            Self::Cancelled => "cancelled",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
    /// Completed and cancelled activities are read-only.
    pub fn is_final(&self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled)
    }
    /// proposed → planned → in progress → completed; anything not final may be cancelled; a
    /// planned activity may be completed directly (a one-off thing such as a meeting).
    pub fn may_become(&self, to: ActivityStatus) -> bool {
        use ActivityStatus::*;
        matches!(
            (self, to),
            (Proposed, Planned)
                | (Planned, InProgress)
                | (Planned, Completed)
                | (InProgress, Completed)
                | (Proposed | Planned | InProgress, Cancelled)
        )
    }
    /// The statuses this one may move to, in display order.
    pub fn next(&self) -> Vec<ActivityStatus> {
        Self::ALL
            .into_iter()
            .filter(|s| self.may_become(*s))
            .collect()
    }
}

/// Kind-specific details of an activity (unused fields are empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct ActivityDetails {
    #[serde(default)]
    pub employer: String,
    #[serde(default)]
    pub position: String,
    #[serde(default)]
    pub stage: Option<ApplicationStage>,
    /// Job-search agreement: applications per week.
    #[serde(default)]
    pub per_week: Option<u8>,
    /// Measures: which catalogue entry.
    #[serde(default)]
    pub measure_id: Option<MeasureId>,
}

/// The agreed terms, in plain language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Terms {
    /// What is agreed.
    pub what: String,
    /// How often (free text: "every Tuesday", "two applications a week").
    pub how_often: String,
    pub until: Option<PlanDate>,
    /// A condition attached to a benefit (otherwise voluntary).
    pub condition: bool,
    /// For conditions: what happens if it is not met. Shown before the client confirms.
    pub consequence: String,
    /// An adjustment to the usual rules, and why.
    pub adaptation: String,
    pub adaptation_reason: String,
}

/// A proposal of terms waiting for the other side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TermsProposal {
    pub terms: Terms,
    pub by: Side,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

/// An agreement: becomes agreed when the side that did not propose it confirms.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Agreement {
    /// The terms in force (empty until first agreed).
    pub agreed: Option<Terms>,
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub agreed_at: Option<OffsetDateTime>,
    /// When the client confirmed having been shown the consequence of the current condition.
    #[serde(with = "time::serde::rfc3339::option", default)]
    pub consequence_shown_at: Option<OffsetDateTime>,
    /// A first proposal or a change to the agreed terms, waiting for the other side.
    pub pending: Option<TermsProposal>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Activity {
    pub kind: ActivityKind,
    pub title: String,
    pub description: String,
    pub goal_id: Option<PlanItemId>,
    pub start: Option<PlanDate>,
    pub end: Option<PlanDate>,
    pub status: ActivityStatus,
    pub created_by: Side,
    #[serde(default)]
    pub details: ActivityDetails,
    #[serde(default)]
    pub agreement: Agreement,
    /// Why it was completed, cancelled or declined (required when it was agreed).
    #[serde(default)]
    pub closing_reason: String,
    /// The client said no to a suggested measure.
    #[serde(default)]
    pub declined: bool,
}

impl Activity {
    pub fn is_agreed(&self) -> bool {
        self.agreement.agreed.is_some()
    }
    /// Who the activity is waiting for, if anyone.
    pub fn waiting_for(&self) -> Option<Side> {
        if self.status.is_final() {
            return None;
        }
        if let Some(p) = &self.agreement.pending {
            return Some(p.by.other());
        }
        if self.status == ActivityStatus::Proposed {
            return Some(self.created_by.other());
        }
        None
    }
}

/// A client's question about a measure, and the counselor's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Question {
    pub measure_id: MeasureId,
    pub text: String,
    pub answer: Option<String>,
}

/// One item of a plan with its store metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item<T> {
    pub id: PlanItemId,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub data: T,
}

/// An entry of an office's catalogue of measures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MeasureData {
    pub name: String,
    pub description: String,
    pub provider: String,
    pub duration: String,
    pub location: String,
    pub eligibility: String,
    pub capacity: Option<u32>,
    /// Current waiting time in weeks; `None` with `no_places` means no places now.
    pub waiting_weeks: Option<u32>,
    pub no_places: bool,
    /// Whether it can be made a condition (otherwise always voluntary).
    pub may_be_condition: bool,
    /// What saying no means, in plain language.
    pub saying_no: String,
    #[serde(default)]
    pub withdrawn: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Measure {
    pub id: MeasureId,
    pub office_id: OfficeId,
    pub version: i64,
    pub data: MeasureData,
}
