//! Instruments are data: a JSON definition with items on a numeric scale (anchor texts for
//! both ends), optional free-text questions, all texts in nb, nn and en. A definition is
//! validated when it is loaded; it is stored with a version, and a response always names the
//! version it answered. See `docs/FEEDBACK.md` for the format.
//!
//! The built-in instrument ([`builtin`]) is Vendepunkt's own: one 0–10 item per theme and two
//! optional free-text questions. An office with a licence adds another instrument with
//! `vendepunkt admin add-instrument FILE.json` (same id: the next version) and chooses it with
//! `vendepunkt admin use-instrument ID`.

use super::Theme;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;

/// The id of Vendepunkt's own instrument.
pub const BUILTIN_ID: &str = "vendepunkt-six-themes";
/// The version of the built-in definition in this code. Changing its texts or items means a
/// new version here (stored next to the old one; old responses keep theirs).
pub const BUILTIN_VERSION: i64 = 1;
/// At most this many items and free-text questions.
pub const MAX_ITEMS: usize = 20;
pub const MAX_QUESTIONS: usize = 5;
/// Longest item text, anchor text and name.
pub const MAX_TEXT: usize = 300;
/// Longest free-text answer an instrument may allow.
pub const MAX_ANSWER_LENGTH: usize = 4000;

/// A text in the three languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Texts {
    pub nb: String,
    pub nn: String,
    pub en: String,
}

impl Texts {
    fn new(nb: &str, nn: &str, en: &str) -> Self {
        Texts {
            nb: nb.into(),
            nn: nn.into(),
            en: en.into(),
        }
    }

    /// The text in `lang` (`nb`, `nn` or `en`; anything else gets bokmål).
    pub fn get(&self, lang: &str) -> &str {
        match lang {
            "nn" => &self.nn,
            "en" => &self.en,
            _ => &self.nb,
        }
    }

    fn check(&self, what: &str, errors: &mut Vec<String>) {
        for (lang, t) in [("nb", &self.nb), ("nn", &self.nn), ("en", &self.en)] {
            if t.trim().is_empty() {
                errors.push(format!("{what}: the {lang} text is missing"));
            } else if t.chars().count() > MAX_TEXT {
                errors.push(format!("{what}: the {lang} text is longer than {MAX_TEXT}"));
            } else if t.chars().any(char::is_control) {
                errors.push(format!("{what}: the {lang} text has control characters"));
            }
        }
    }
}

/// One item: a statement the client rates on a scale from `min` to `max`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub id: String,
    /// The theme this item measures (its score fills the theme's column), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<Theme>,
    pub min: i64,
    pub max: i64,
    pub text: Texts,
    /// What the lowest and the highest answer mean.
    pub low: Texts,
    pub high: Texts,
}

/// An optional free-text question.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    pub id: String,
    pub text: Texts,
    pub max_length: usize,
}

/// An instrument definition. `version` is given by the store when it is added.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    pub id: String,
    #[serde(default)]
    pub version: i64,
    pub name: Texts,
    pub items: Vec<Item>,
    #[serde(default)]
    pub questions: Vec<Question>,
}

/// Why a definition was refused: every problem found, in English (for the command line).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the instrument is not valid: {}", .0.join("; "))]
pub struct InvalidInstrument(pub Vec<String>);

fn key_ok(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
}

impl Instrument {
    /// Reads and validates a definition.
    pub fn from_json(json: &str) -> Result<Instrument, InvalidInstrument> {
        let i: Instrument = serde_json::from_str(json)
            .map_err(|e| InvalidInstrument(vec![format!("not a valid definition: {e}")]))?;
        i.validate()?;
        Ok(i)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Checks everything a page and the theme columns rely on.
    pub fn validate(&self) -> Result<(), InvalidInstrument> {
        let mut e = Vec::new();
        if !key_ok(&self.id) {
            e.push("id: use 1–64 of a-z, 0-9 and -".to_string());
        }
        if self.version < 0 {
            e.push("version: must be positive".into());
        }
        self.name.check("name", &mut e);
        if self.items.is_empty() || self.items.len() > MAX_ITEMS {
            e.push(format!("items: between 1 and {MAX_ITEMS}"));
        }
        if self.questions.len() > MAX_QUESTIONS {
            e.push(format!("questions: at most {MAX_QUESTIONS}"));
        }
        let mut ids = HashSet::new();
        let mut themes = HashSet::new();
        for item in &self.items {
            let what = format!("item {}", item.id);
            if !key_ok(&item.id) {
                e.push(format!("{what}: id: use 1–64 of a-z, 0-9 and -"));
            }
            if !ids.insert(item.id.as_str()) {
                e.push(format!("{what}: the id is used twice"));
            }
            // At most 11 answers, so every one is a radio button on a small phone.
            if item.min < 0 || item.max <= item.min || item.max - item.min > 10 {
                e.push(format!(
                    "{what}: the scale must go up from 0 or more, with 2 to 11 steps"
                ));
            }
            if let Some(t) = item.theme {
                if !themes.insert(t) {
                    e.push(format!("{what}: theme {} is measured twice", t.as_str()));
                }
                if item.max > 10 {
                    e.push(format!("{what}: a theme item's scale must lie within 0–10"));
                }
            }
            item.text.check(&format!("{what} text"), &mut e);
            item.low.check(&format!("{what} low"), &mut e);
            item.high.check(&format!("{what} high"), &mut e);
        }
        for q in &self.questions {
            let what = format!("question {}", q.id);
            if !key_ok(&q.id) {
                e.push(format!("{what}: id: use 1–64 of a-z, 0-9 and -"));
            }
            if !ids.insert(q.id.as_str()) {
                e.push(format!("{what}: the id is used twice"));
            }
            if q.max_length == 0 || q.max_length > MAX_ANSWER_LENGTH {
                e.push(format!(
                    "{what}: max_length between 1 and {MAX_ANSWER_LENGTH}"
                ));
            }
            q.text.check(&format!("{what} text"), &mut e);
        }
        if e.is_empty() {
            Ok(())
        } else {
            Err(InvalidInstrument(e))
        }
    }

    pub fn item(&self, id: &str) -> Option<&Item> {
        self.items.iter().find(|i| i.id == id)
    }
}

/// Vendepunkt's own instrument: one short statement per theme, 0 (not at all) to 10 (yes,
/// fully), and two optional questions. Plain words, short sentences, in all three languages.
pub fn builtin() -> Instrument {
    let low = Texts::new("Ikke i det hele tatt", "Ikkje i det heile", "Not at all");
    let high = Texts::new("Ja, helt", "Ja, heilt", "Yes, fully");
    let item = |theme: Theme, nb: &str, nn: &str, en: &str| Item {
        id: theme.as_str().to_string(),
        theme: Some(theme),
        min: 0,
        max: 10,
        text: Texts::new(nb, nn, en),
        low: low.clone(),
        high: high.clone(),
    };
    Instrument {
        id: BUILTIN_ID.into(),
        version: BUILTIN_VERSION,
        name: Texts::new(
            "Hvordan virker hjelpen?",
            "Korleis verkar hjelpa?",
            "How is the help working?",
        ),
        items: vec![
            item(
                Theme::Relation,
                "Jeg blir møtt med respekt og blir trodd",
                "Eg blir møtt med respekt og blir trudd",
                "I am met with respect and believed",
            ),
            item(
                Theme::Reciprocity,
                "Vi bestemmer sammen",
                "Vi bestemmer saman",
                "We decide together",
            ),
            item(
                Theme::Choices,
                "Jeg får ekte valg",
                "Eg får ekte val",
                "I get real options",
            ),
            item(
                Theme::Time,
                "Ting skjer i tide og i mitt tempo",
                "Ting skjer i tide og i mitt tempo",
                "Things happen in time and at my pace",
            ),
            item(
                Theme::Knowledge,
                "Veilederen min vet hva som kan gjøres",
                "Rettleiaren min veit kva som kan gjerast",
                "My counselor knows what can be done",
            ),
            item(
                Theme::KnowledgeSharing,
                "Jeg vet hva som skjer videre, og hvorfor",
                "Eg veit kva som skjer vidare, og kvifor",
                "I know what happens next and why",
            ),
        ],
        questions: vec![
            Question {
                id: "helped-most".into(),
                text: Texts::new(
                    "Hva har hjulpet deg mest?",
                    "Kva har hjelpt deg mest?",
                    "What has helped most?",
                ),
                max_length: 1000,
            },
            Question {
                id: "make-better".into(),
                text: Texts::new(
                    "Hva kunne gjort det bedre?",
                    "Kva kunne gjort det betre?",
                    "What would make it better?",
                ),
                max_length: 1000,
            },
        ],
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    #[test]
    fn the_builtin_instrument_is_valid_and_measures_every_theme_once() {
        let b = builtin();
        b.validate().unwrap();
        let themes: Vec<Theme> = b.items.iter().filter_map(|i| i.theme).collect();
        assert_eq!(themes, Theme::ALL);
        assert!(b.items.iter().all(|i| i.min == 0 && i.max == 10));
        assert_eq!(b.questions.len(), 2);
        // Round trip through the stored form.
        assert_eq!(Instrument::from_json(&b.to_json()).unwrap(), b);
    }

    #[test]
    fn a_licensed_instrument_loads_from_json_without_a_theme() {
        let json = r#"{
          "id": "session-rating", "name": {"nb": "Timen", "nn": "Timen", "en": "The session"},
          "items": [{"id": "goals", "min": 0, "max": 10,
            "text": {"nb": "Mål", "nn": "Mål", "en": "Goals"},
            "low": {"nb": "Lite", "nn": "Lite", "en": "Little"},
            "high": {"nb": "Mye", "nn": "Mykje", "en": "Much"}}]
        }"#;
        let i = Instrument::from_json(json).unwrap();
        assert_eq!(i.version, 0);
        assert_eq!(i.items[0].theme, None);
        assert!(i.questions.is_empty());
    }

    #[test]
    fn invalid_definitions_are_refused_with_every_problem_named() {
        let mut b = builtin();
        b.id = "Has Spaces".into();
        b.items[1].theme = Some(Theme::Relation);
        b.items[2].max = 20;
        b.items[3].text.nn = " ".into();
        b.questions[1].id = "relation".into();
        b.questions[0].max_length = 0;
        let e = b.validate().unwrap_err().0;
        assert!(e.iter().any(|m| m.starts_with("id:")), "{e:?}");
        assert!(e.iter().any(|m| m.contains("measured twice")), "{e:?}");
        assert!(e.iter().any(|m| m.contains("2 to 11 steps")), "{e:?}");
        assert!(e.iter().any(|m| m.contains("nn text is missing")), "{e:?}");
        assert!(e.iter().any(|m| m.contains("used twice")), "{e:?}");
        assert!(e.iter().any(|m| m.contains("max_length")), "{e:?}");
        assert!(Instrument::from_json("{").is_err());
        assert!(
            Instrument::from_json(
                r#"{"id":"x","name":{"nb":"a","nn":"a","en":"a"},"items":[],"extra":1}"#
            )
            .is_err()
        );
        let mut none = builtin();
        none.items.clear();
        assert!(none.validate().is_err());
    }
}
