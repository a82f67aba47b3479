//! Form pieces every page shares: field errors for messages next to fields.

use crate::edge::context::PageCtx;
use domain::DomainError;

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
