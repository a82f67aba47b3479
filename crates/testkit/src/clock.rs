//! A clock that tests set and advance, so time-dependent rules (session timeouts, throttling
//! windows) are tested without sleeping.

use domain::ports::{Clock, truncate_to_micros};
use std::sync::{Arc, Mutex};
use time::{Duration, OffsetDateTime};

#[derive(Clone)]
pub struct ManualClock {
    now: Arc<Mutex<OffsetDateTime>>,
}

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        Self {
            now: Arc::new(Mutex::new(truncate_to_micros(start))),
        }
    }

    /// A clock starting at a fixed, arbitrary instant.
    pub fn at_2026() -> Self {
        Self::new(time::macros::datetime!(2026-03-02 09:15:00 UTC))
    }

    pub fn set(&self, t: OffsetDateTime) {
        if let Ok(mut now) = self.now.lock() {
            *now = truncate_to_micros(t);
        }
    }

    pub fn advance(&self, d: Duration) {
        if let Ok(mut now) = self.now.lock() {
            *now = truncate_to_micros(*now + d);
        }
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        self.now
            .lock()
            .map(|n| *n)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

/// The real time, for tests of what the real binary does with its real clock (a notice in the
/// quiet hours around now, the quarters published today) and of database queries planned at
/// the current time. Everything else in tests uses [`ManualClock`].
#[allow(
    clippy::disallowed_methods,
    reason = "tests that run the real binary must agree with its wall clock"
)]
pub fn wall_now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}
