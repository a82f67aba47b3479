//! `serve --demo --clock-shift-days N`: the server's clock, N days off the real time.
//!
//! For developers and browser tests only (see `docs/TESTING.md`): with it, answers given in a
//! browser land in an earlier quarter, which a later server at the real time shows as settled.
//! Clap refuses the flag without `--demo`, and `serve` prints the shift loudly at start. The
//! domain is untouched: this only wraps the real clock.

use domain::ports::{Clock, truncate_to_micros};
use time::{Duration, OffsetDateTime};

/// At most about ten years either way.
pub const MAX_SHIFT_DAYS: i64 = 3_660;

#[derive(Debug, Clone, Copy)]
pub struct ShiftedClock {
    shift: Duration,
}

impl ShiftedClock {
    pub fn days(days: i64) -> Result<ShiftedClock, String> {
        if days.abs() > MAX_SHIFT_DAYS {
            return Err(format!(
                "clock-shift-days: {days} is more than {MAX_SHIFT_DAYS} days either way"
            ));
        }
        Ok(ShiftedClock {
            shift: Duration::days(days),
        })
    }
}

impl Clock for ShiftedClock {
    fn now(&self) -> OffsetDateTime {
        truncate_to_micros(web::SystemClock.now() + self.shift)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clock_runs_the_given_days_off_the_real_time() {
        let clock = ShiftedClock::days(-80).unwrap_or_else(|e| unreachable!("{e}"));
        let real = web::SystemClock.now();
        let off = real - clock.now();
        // The two readings are a moment apart; the shift is 80 days to the second.
        assert!(
            (off - Duration::days(80)).abs() < Duration::seconds(5),
            "{off}"
        );
        assert!(ShiftedClock::days(MAX_SHIFT_DAYS + 1).is_err());
        assert!(ShiftedClock::days(-MAX_SHIFT_DAYS - 1).is_err());
    }
}
