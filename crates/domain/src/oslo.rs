//! Norwegian local time (Europe/Oslo), for what people read and type: meeting times, contact
//! hours, quiet hours. Stored times stay UTC. The EU rule: summer time (UTC+2) from the last
//! Sunday of March 01:00 UTC to the last Sunday of October 01:00 UTC, otherwise UTC+1.

use time::{Date, Month, OffsetDateTime, PrimitiveDateTime, Time, UtcOffset, Weekday};

fn last_sunday(year: i32, month: Month) -> Date {
    let last_day = time::util::days_in_month(month, year);
    let mut d = Date::from_calendar_date(year, month, last_day).unwrap_or(Date::MIN);
    while d.weekday() != Weekday::Sunday {
        d = d.previous_day().unwrap_or(Date::MIN);
    }
    d
}

const ONE_AM: Time = time::macros::time!(01:00);

/// The offset in force in Oslo at an instant.
pub fn offset_at(utc: OffsetDateTime) -> UtcOffset {
    let utc = utc.to_offset(UtcOffset::UTC);
    let y = utc.year();
    let start = PrimitiveDateTime::new(last_sunday(y, Month::March), ONE_AM).assume_utc();
    let end = PrimitiveDateTime::new(last_sunday(y, Month::October), ONE_AM).assume_utc();
    let hours = if utc >= start && utc < end { 2 } else { 1 };
    UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC)
}

/// The Oslo wall-clock time of an instant.
pub fn to_local(utc: OffsetDateTime) -> PrimitiveDateTime {
    let local = utc.to_offset(offset_at(utc));
    PrimitiveDateTime::new(local.date(), local.time())
}

/// The instant a person in Oslo means by a wall-clock time. In the autumn hour that occurs
/// twice the earlier one is meant; a time in the spring gap is read as winter time.
pub fn from_local(local: PrimitiveDateTime) -> OffsetDateTime {
    for hours in [2, 1] {
        let offset = UtcOffset::from_hms(hours, 0, 0).unwrap_or(UtcOffset::UTC);
        let candidate = local.assume_offset(offset);
        if offset_at(candidate) == offset {
            return candidate.to_offset(UtcOffset::UTC);
        }
    }
    local
        .assume_offset(UtcOffset::from_hms(1, 0, 0).unwrap_or(UtcOffset::UTC))
        .to_offset(UtcOffset::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn summer_and_winter_time_follow_the_eu_rule() {
        assert_eq!(
            to_local(datetime!(2026-01-15 12:00 UTC)),
            datetime!(2026-01-15 13:00)
        );
        assert_eq!(
            to_local(datetime!(2026-07-15 12:00 UTC)),
            datetime!(2026-07-15 14:00)
        );
        // 2026: summer time from 29 March 01:00 UTC to 25 October 01:00 UTC.
        assert_eq!(
            to_local(datetime!(2026-03-29 00:59 UTC)),
            datetime!(2026-03-29 01:59)
        );
        assert_eq!(
            to_local(datetime!(2026-03-29 01:00 UTC)),
            datetime!(2026-03-29 03:00)
        );
        assert_eq!(
            to_local(datetime!(2026-10-25 00:59 UTC)),
            datetime!(2026-10-25 02:59)
        );
        assert_eq!(
            to_local(datetime!(2026-10-25 01:00 UTC)),
            datetime!(2026-10-25 02:00)
        );
    }

    #[test]
    fn local_times_round_trip() {
        for utc in [
            datetime!(2026-01-15 12:00 UTC),
            datetime!(2026-06-01 08:30 UTC),
            datetime!(2026-12-24 23:00 UTC),
        ] {
            assert_eq!(from_local(to_local(utc)), utc);
        }
        assert_eq!(
            from_local(datetime!(2026-10-25 02:30)),
            datetime!(2026-10-25 00:30 UTC),
            "the earlier of the two"
        );
    }
}
