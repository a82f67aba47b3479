//! The six themes and the fixed reporting periods that every feedback figure is grouped by.

use crate::oslo;
use serde::{Deserialize, Serialize};
use std::fmt;
use time::OffsetDateTime;

/// The six themes users named as what makes help helpful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Theme {
    Relation,
    Reciprocity,
    Choices,
    Time,
    Knowledge,
    KnowledgeSharing,
}

impl Theme {
    pub const ALL: [Theme; 6] = [
        Theme::Relation,
        Theme::Reciprocity,
        Theme::Choices,
        Theme::Time,
        Theme::Knowledge,
        Theme::KnowledgeSharing,
    ];

    /// The stable key used in instrument definitions, URLs and message ids.
    pub fn as_str(self) -> &'static str {
        match self {
            Theme::Relation => "relation",
            Theme::Reciprocity => "reciprocity",
            Theme::Choices => "choices",
            Theme::Time => "time",
            Theme::Knowledge => "knowledge",
            Theme::KnowledgeSharing => "knowledge-sharing",
        }
    }

    pub fn parse(s: &str) -> Option<Theme> {
        Theme::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The column of `feedback_responses` holding this theme's score.
    pub fn column(self) -> &'static str {
        match self {
            Theme::Relation => "theme_relation",
            Theme::Reciprocity => "theme_reciprocity",
            Theme::Choices => "theme_choices",
            Theme::Time => "theme_time",
            Theme::Knowledge => "theme_knowledge",
            Theme::KnowledgeSharing => "theme_knowledge_sharing",
        }
    }
}

/// A calendar quarter in Oslo time: the only periods feedback is reported by. Fixed periods
/// (no arbitrary date ranges) keep two overlapping ranges from being subtracted to reveal a
/// few answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Quarter {
    year: i32,
    /// 1 to 4.
    number: u8,
}

impl Quarter {
    pub fn new(year: i32, number: u8) -> Option<Quarter> {
        ((1..=4).contains(&number) && (2000..=2200).contains(&year))
            .then_some(Quarter { year, number })
    }

    /// The quarter that `at` falls in, in Oslo time.
    pub fn of(at: OffsetDateTime) -> Quarter {
        let local = oslo::to_local(at);
        Quarter {
            year: local.year(),
            number: (u8::from(local.month()) - 1) / 3 + 1,
        }
    }

    /// Parses the stored form, `2026-Q4`.
    pub fn parse(s: &str) -> Option<Quarter> {
        let (year, q) = s.split_once("-Q")?;
        if year.len() != 4 || q.len() != 1 {
            return None;
        }
        Quarter::new(year.parse().ok()?, q.parse().ok()?)
    }

    pub fn year(self) -> i32 {
        self.year
    }

    pub fn number(self) -> u8 {
        self.number
    }

    pub fn previous(self) -> Quarter {
        if self.number == 1 {
            Quarter {
                year: self.year - 1,
                number: 4,
            }
        } else {
            Quarter {
                year: self.year,
                number: self.number - 1,
            }
        }
    }

    /// The `count` quarters ending with `self`, oldest first.
    pub fn last(self, count: usize) -> Vec<Quarter> {
        let mut out = Vec::with_capacity(count);
        let mut q = self;
        for _ in 0..count {
            out.push(q);
            q = q.previous();
        }
        out.reverse();
        out
    }
}

impl fmt::Display for Quarter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-Q{}", self.year, self.number)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use time::macros::datetime;

    #[test]
    fn quarters_follow_oslo_time_and_round_trip() {
        // 23:30 UTC on 31 March is already 1 April in Oslo (summer time): the second quarter.
        assert_eq!(
            Quarter::of(datetime!(2026-03-31 23:30 UTC)).to_string(),
            "2026-Q2"
        );
        assert_eq!(
            Quarter::of(datetime!(2026-03-31 20:00 UTC)).to_string(),
            "2026-Q1"
        );
        assert_eq!(Quarter::parse("2026-Q4"), Quarter::new(2026, 4));
        assert_eq!(Quarter::parse("2026-Q5"), None);
        assert_eq!(Quarter::parse("26-Q1"), None);
        let last = Quarter::new(2026, 2).unwrap().last(3);
        let text: Vec<String> = last.iter().map(|q| q.to_string()).collect();
        assert_eq!(text, ["2025-Q4", "2026-Q1", "2026-Q2"]);
    }

    #[test]
    fn theme_keys_round_trip() {
        for t in Theme::ALL {
            assert_eq!(Theme::parse(t.as_str()), Some(t));
            assert!(t.column().starts_with("theme_"));
        }
        assert_eq!(Theme::parse("Relation"), None);
    }
}
