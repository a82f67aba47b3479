//! Form input as typed, and its parsing into plan data. Every field is checked; all errors
//! are collected so the form can show each next to its field. Text is stored as typed (HTML
//! and script included) and escaped when shown.

use super::model::*;
use crate::DomainError;
use crate::ids::PlanItemId;
use crate::types::{FieldError, clean_text};
use serde::Deserialize;

/// Longest single-line field (titles, names).
pub const SHORT_MAX: usize = 200;
/// Longest free-text field.
pub const LONG_MAX: usize = 4000;

/// Collects field errors while parsing.
#[derive(Default)]
pub struct Check {
    errors: Vec<(&'static str, FieldError)>,
}

impl Check {
    pub fn required(&mut self, field: &'static str, raw: &str, max: usize) -> String {
        match clean_text(raw, max, max > SHORT_MAX) {
            Ok(s) => s,
            Err(e) => {
                self.errors.push((field, e));
                String::new()
            }
        }
    }

    pub fn optional(&mut self, field: &'static str, raw: &str, max: usize) -> String {
        if raw.trim().is_empty() {
            return String::new();
        }
        self.required(field, raw, max)
    }

    pub fn date(&mut self, field: &'static str, raw: &str) -> Option<PlanDate> {
        if raw.trim().is_empty() {
            return None;
        }
        match PlanDate::parse(raw) {
            None => {
                self.errors.push((field, FieldError::DateInvalid));
                None
            }
            Some(d) if !d.in_range() => {
                self.errors.push((field, FieldError::DateOutOfRange));
                None
            }
            Some(d) => Some(d),
        }
    }

    pub fn choice<T>(
        &mut self,
        field: &'static str,
        raw: &str,
        parse: impl Fn(&str) -> Option<T>,
    ) -> Option<T> {
        let v = parse(raw.trim());
        if v.is_none() {
            self.errors.push((field, FieldError::NotAChoice));
        }
        v
    }

    pub fn number<T: std::str::FromStr>(&mut self, field: &'static str, raw: &str) -> Option<T> {
        if raw.trim().is_empty() {
            return None;
        }
        let v = raw.trim().parse().ok();
        if v.is_none() {
            self.errors.push((field, FieldError::NumberInvalid));
        }
        v
    }

    pub fn fail(&mut self, field: &'static str, e: FieldError) {
        self.errors.push((field, e));
    }

    pub fn finish<T>(self, value: T) -> Result<T, DomainError> {
        if self.errors.is_empty() {
            Ok(value)
        } else {
            Err(DomainError::Invalid(self.errors))
        }
    }
}

fn checkbox(raw: &str) -> bool {
    matches!(raw, "on" | "true" | "1" | "yes")
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PresentationInput {
    pub about: String,
    pub strengths: String,
    pub wishes: String,
    pub obstacles: String,
}

impl PresentationInput {
    pub fn parse(&self) -> Result<Presentation, DomainError> {
        let mut c = Check::default();
        let p = Presentation {
            about: c.optional("about", &self.about, LONG_MAX),
            strengths: c.optional("strengths", &self.strengths, LONG_MAX),
            wishes: c.optional("wishes", &self.wishes, LONG_MAX),
            obstacles: c.optional("obstacles", &self.obstacles, LONG_MAX),
            archived: false,
        };
        if p == Presentation::default() {
            c.fail("about", FieldError::Required);
        }
        c.finish(p)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct PreferencesInput {
    pub contact_channel: String,
    pub contact_times: String,
    pub language: String,
    pub interpreter: String,
    pub reading_support: String,
    pub other: String,
}

impl PreferencesInput {
    pub fn parse(&self) -> Result<Preferences, DomainError> {
        let mut c = Check::default();
        let contact_channel = if self.contact_channel.trim().is_empty() {
            None
        } else {
            c.choice(
                "contact_channel",
                &self.contact_channel,
                ContactChannel::parse,
            )
        };
        let p = Preferences {
            contact_channel,
            contact_times: c.optional("contact_times", &self.contact_times, SHORT_MAX),
            language: c.optional("language", &self.language, SHORT_MAX),
            interpreter: checkbox(&self.interpreter),
            reading_support: checkbox(&self.reading_support),
            other: c.optional("other", &self.other, LONG_MAX),
        };
        c.finish(p)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct GoalInput {
    pub text: String,
    pub target_date: String,
}

impl GoalInput {
    /// The wording and target date (status and approval are decided by the use case).
    pub fn parse(&self) -> Result<(String, Option<PlanDate>), DomainError> {
        let mut c = Check::default();
        let text = c.required("text", &self.text, SHORT_MAX * 2);
        let date = c.date("target_date", &self.target_date);
        c.finish((text, date))
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ActivityInput {
    pub kind: String,
    pub title: String,
    pub description: String,
    pub goal_id: String,
    pub start: String,
    pub end: String,
    pub employer: String,
    pub position: String,
    pub stage: String,
    pub per_week: String,
    pub measure_id: String,
}

/// The fields of an activity that a form sets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityFields {
    pub kind: ActivityKind,
    pub title: String,
    pub description: String,
    pub goal_id: Option<PlanItemId>,
    pub start: Option<PlanDate>,
    pub end: Option<PlanDate>,
    pub details: ActivityDetails,
}

impl ActivityInput {
    pub fn parse(&self) -> Result<ActivityFields, DomainError> {
        let mut c = Check::default();
        let kind = c.choice("kind", &self.kind, ActivityKind::parse);
        let title = c.required("title", &self.title, SHORT_MAX);
        let description = c.optional("description", &self.description, LONG_MAX);
        let goal_id = if self.goal_id.trim().is_empty() {
            None
        } else {
            c.choice("goal_id", &self.goal_id, |s| s.parse().ok())
        };
        let start = c.date("start", &self.start);
        let end = c.date("end", &self.end);
        if let (Some(s), Some(e)) = (start, end)
            && e < s
        {
            c.fail("end", FieldError::EndBeforeStart);
        }
        let mut details = ActivityDetails {
            employer: c.optional("employer", &self.employer, SHORT_MAX),
            position: c.optional("position", &self.position, SHORT_MAX),
            ..Default::default()
        };
        match kind {
            Some(ActivityKind::JobApplication) => {
                if details.employer.is_empty() && details.position.is_empty() {
                    c.fail("employer", FieldError::Required);
                }
                details.stage = if self.stage.trim().is_empty() {
                    Some(ApplicationStage::Interested)
                } else {
                    c.choice("stage", &self.stage, ApplicationStage::parse)
                };
            }
            Some(ActivityKind::JobSearch) => {
                details.per_week = c.number::<u8>("per_week", &self.per_week);
                match details.per_week {
                    None if self.per_week.trim().is_empty() => {
                        c.fail("per_week", FieldError::Required)
                    }
                    Some(0) => c.fail("per_week", FieldError::NumberInvalid),
                    Some(n) if n > 50 => c.fail("per_week", FieldError::NumberInvalid),
                    _ => {}
                }
            }
            Some(ActivityKind::Measure) => {
                details.measure_id = c.choice("measure_id", &self.measure_id, |s| s.parse().ok());
            }
            _ => {}
        }
        let fields = ActivityFields {
            kind: kind.unwrap_or(ActivityKind::Own),
            title,
            description,
            goal_id,
            start,
            end,
            details,
        };
        c.finish(fields)
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TermsInput {
    pub what: String,
    pub how_often: String,
    pub until: String,
    pub condition: String,
    pub consequence: String,
    pub adaptation: String,
    pub adaptation_reason: String,
}

impl TermsInput {
    pub fn parse(&self) -> Result<Terms, DomainError> {
        let mut c = Check::default();
        let condition = checkbox(&self.condition);
        let t = Terms {
            what: c.required("what", &self.what, LONG_MAX),
            how_often: c.optional("how_often", &self.how_often, SHORT_MAX),
            until: c.date("until", &self.until),
            condition,
            consequence: if condition {
                c.required("consequence", &self.consequence, LONG_MAX)
            } else {
                c.optional("consequence", &self.consequence, LONG_MAX)
            },
            adaptation: c.optional("adaptation", &self.adaptation, LONG_MAX),
            adaptation_reason: c.optional("adaptation_reason", &self.adaptation_reason, LONG_MAX),
        };
        if !t.adaptation.is_empty() && t.adaptation_reason.is_empty() {
            c.fail("adaptation_reason", FieldError::Required);
        }
        c.finish(t)
    }
}

/// A short reason (closing an agreed activity, declining a measure).
pub fn parse_reason(raw: &str) -> Result<String, DomainError> {
    let mut c = Check::default();
    let r = c.required("reason", raw, SHORT_MAX * 2);
    c.finish(r)
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct MeasureInput {
    pub name: String,
    pub description: String,
    pub provider: String,
    pub duration: String,
    pub location: String,
    pub eligibility: String,
    pub capacity: String,
    pub waiting_weeks: String,
    pub no_places: String,
    pub may_be_condition: String,
    pub saying_no: String,
}

impl MeasureInput {
    pub fn parse(&self) -> Result<MeasureData, DomainError> {
        let mut c = Check::default();
        let m = MeasureData {
            name: c.required("name", &self.name, SHORT_MAX),
            description: c.required("description", &self.description, LONG_MAX),
            provider: c.required("provider", &self.provider, SHORT_MAX),
            duration: c.optional("duration", &self.duration, SHORT_MAX),
            location: c.optional("location", &self.location, SHORT_MAX),
            eligibility: c.optional("eligibility", &self.eligibility, LONG_MAX),
            capacity: c.number("capacity", &self.capacity),
            waiting_weeks: c.number("waiting_weeks", &self.waiting_weeks),
            no_places: checkbox(&self.no_places),
            may_be_condition: checkbox(&self.may_be_condition),
            saying_no: c.required("saying_no", &self.saying_no, LONG_MAX),
            withdrawn: false,
        };
        c.finish(m)
    }

    pub fn from_data(m: &MeasureData) -> Self {
        let flag = |b: bool| if b { "on".to_string() } else { String::new() };
        let num = |n: Option<u32>| n.map(|n| n.to_string()).unwrap_or_default();
        Self {
            name: m.name.clone(),
            description: m.description.clone(),
            provider: m.provider.clone(),
            duration: m.duration.clone(),
            location: m.location.clone(),
            eligibility: m.eligibility.clone(),
            capacity: num(m.capacity),
            waiting_weeks: num(m.waiting_weeks),
            no_places: flag(m.no_places),
            may_be_condition: flag(m.may_be_condition),
            saying_no: m.saying_no.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_outside_the_plan_range_is_refused() {
        let input = ActivityInput {
            kind: "own".into(),
            title: "Walk".into(),
            start: "1899-01-01".into(),
            end: "2026-02-30".into(),
            ..Default::default()
        };
        let Err(DomainError::Invalid(errors)) = input.parse() else {
            unreachable!("must be refused")
        };
        assert!(errors.contains(&("start", FieldError::DateOutOfRange)));
        assert!(errors.contains(&("end", FieldError::DateInvalid)));
    }

    #[test]
    fn end_before_start_is_refused() {
        let input = ActivityInput {
            kind: "own".into(),
            title: "Walk".into(),
            start: "2026-05-02".into(),
            end: "2026-05-01".into(),
            ..Default::default()
        };
        assert!(
            matches!(input.parse(), Err(DomainError::Invalid(e)) if e == vec![("end", FieldError::EndBeforeStart)])
        );
    }

    #[test]
    fn a_condition_needs_its_consequence_and_an_adaptation_its_reason() {
        let input = TermsInput {
            what: "Attend the course".into(),
            condition: "on".into(),
            adaptation: "May arrive at ten".into(),
            ..Default::default()
        };
        let Err(DomainError::Invalid(errors)) = input.parse() else {
            unreachable!("must be refused")
        };
        assert!(errors.contains(&("consequence", FieldError::Required)));
        assert!(errors.contains(&("adaptation_reason", FieldError::Required)));
    }

    #[test]
    fn html_is_kept_as_text_and_over_long_text_refused() {
        let input = GoalInput {
            text: "<script>alert(1)</script> a job".into(),
            target_date: String::new(),
        };
        assert_eq!(
            input.parse().map(|g| g.0).ok().as_deref(),
            Some("<script>alert(1)</script> a job")
        );
        let long = GoalInput {
            text: "x".repeat(401),
            target_date: String::new(),
        };
        assert!(long.parse().is_err());
    }
}
