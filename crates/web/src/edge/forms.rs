//! Form pieces every page shares: field errors for messages next to fields, checkboxes, and
//! the version a change was based on.

use crate::edge::context::PageCtx;
use domain::DomainError;
use serde::Deserialize;

/// Field errors keyed by field name, for messages next to fields.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<(String, String)>);

impl Errors {
    pub fn of(ctx: &PageCtx, e: &DomainError) -> Self {
        Errors(ctx.field_errors(e))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The message for `field`, or an empty string.
    pub fn at(&self, field: &str) -> String {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }
}

/// A checkbox, read one way everywhere: ticked when sent as `on` (a checkbox's value when it
/// has none of its own), `1`, `true` or `yes`; sent with anything else, or not sent, it is
/// not ticked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub struct Checkbox(pub bool);

impl From<String> for Checkbox {
    fn from(raw: String) -> Self {
        Self(matches!(raw.as_str(), "on" | "1" | "true" | "yes"))
    }
}

impl Checkbox {
    pub fn ticked(self) -> bool {
        self.0
    }
}

/// The version of the thing a form changes, as the page that sent it knew it (the `version`
/// field): `None` when it is missing or not a number.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "String")]
pub struct Version(pub Option<i64>);

impl From<String> for Version {
    fn from(raw: String) -> Self {
        Self(raw.trim().parse().ok())
    }
}

impl Version {
    pub fn get(self) -> Option<i64> {
        self.0
    }
}

/// A form with the version it was based on, and its own fields.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Versioned<T> {
    pub version: Version,
    #[serde(flatten)]
    pub form: T,
}
