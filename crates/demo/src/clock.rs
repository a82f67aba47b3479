//! `serve --demo --clock-shift-days N`: the server's clock, N days off the real time.
//!
//! For developers and browser tests only (see `docs/TESTING.md`): with it, answers given in a
//! browser land in an earlier quarter, which a later server at the real time shows as settled.
//! Clap refuses the flag without `--demo`, and `serve` prints the shift loudly at start. The
//! domain is untouched: this only wraps the real clock, which the caller passes in.

use domain::ports::{Clock, truncate_to_micros};
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// At most about ten years either way.
pub const MAX_SHIFT_DAYS: i64 = 3_660;

#[derive(Clone)]
pub struct ShiftedClock {
    real: Arc<dyn Clock>,
    shift: Duration,
}

impl ShiftedClock {
    /// `real` shifted by `days` (negative: in the past).
    pub fn days(real: Arc<dyn Clock>, days: i64) -> Result<ShiftedClock, String> {
        if days.abs() > MAX_SHIFT_DAYS {
            return Err(format!(
                "clock-shift-days: {days} is more than {MAX_SHIFT_DAYS} days either way"
            ));
        }
        Ok(ShiftedClock {
            real,
            shift: Duration::days(days),
        })
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(self.real.now() + self.shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed(OffsetDateTime);

    impl Clock for Fixed {
        fn now(&self) -> OffsetDateTime {
            self.0
        }
    }

    #[test]
    fn the_clock_runs_the_given_days_off_the_real_time() {
        let real = time::macros::datetime!(2026-03-01 12:00:00.123456 UTC);
        let clock =
            ShiftedClock::days(Arc::new(Fixed(real)), -80).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(real - clock.now(), Duration::days(80));
        let fixed = || Arc::new(Fixed(real));
        assert!(ShiftedClock::days(fixed(), MAX_SHIFT_DAYS + 1).is_err());
        assert!(ShiftedClock::days(fixed(), -MAX_SHIFT_DAYS - 1).is_err());
    }
}
