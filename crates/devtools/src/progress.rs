//! Progress lines for long runs, and durations as people read them.

use std::time::{Duration, Instant};

/// "1 min 33 s", "12 s", "2 h 5 min".
pub fn duration_text(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    if s >= 3_600 {
        format!("{} h {} min", s / 3_600, (s % 3_600) / 60)
    } else if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// Prints a [`progress_line`] to stderr at most every few seconds, so that a long run shows it
/// is alive and how long it has left without flooding the terminal.
pub struct Progress {
    what: &'static str,
    total: u64,
    started: Instant,
    last: Instant,
}

impl Progress {
    const EVERY: Duration = Duration::from_secs(3);

    /// `started` is when the work being counted began (the rate is measured from there).
    pub fn new(what: &'static str, total: u64, started: Instant) -> Progress {
        Progress {
            what,
            total,
            started,
            last: Instant::now(),
        }
    }

    pub fn report(&mut self, done: u64) {
        if self.last.elapsed() >= Self::EVERY {
            eprintln!(
                "{}",
                progress_line(self.what, done, self.total, self.started.elapsed())
            );
            let _ = std::io::Write::flush(&mut std::io::stderr());
            self.last = Instant::now();
        }
    }
}

/// "clients 120000 of 1000000 (12 %), 9500 clients/s, about 1 min 33 s left"
pub fn progress_line(what: &str, done: u64, total: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let rate = done as f64 / secs;
    let left = if rate > 0.0 {
        Duration::from_secs_f64(total.saturating_sub(done) as f64 / rate)
    } else {
        Duration::ZERO
    };
    let pct = if total > 0 {
        done as f64 * 100.0 / total as f64
    } else {
        100.0
    };
    format!(
        "{what} {done} of {total} ({pct:.0} %), {rate:.0} {what}/s, about {} left",
        duration_text(left)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_rate_and_time_left() {
        assert_eq!(
            progress_line("clients", 120_000, 1_000_000, Duration::from_secs(12)),
            "clients 120000 of 1000000 (12 %), 10000 clients/s, about 1 min 28 s left"
        );
        assert_eq!(duration_text(Duration::from_secs(7_500)), "2 h 5 min");
        assert_eq!(duration_text(Duration::from_secs(9)), "9 s");
    }
}
