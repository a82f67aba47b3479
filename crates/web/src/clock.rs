//! The real clock. The only place in the web crate that reads the wall clock.

use domain::ports::{Clock, truncate_to_micros};
use time::OffsetDateTime;

#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(
        clippy::disallowed_methods,
        reason = "the Clock port's real implementation: the one place that reads the wall clock"
    )]
    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(OffsetDateTime::now_utc())
    }
}
