//! Reminders: a meeting soon and an activity due tomorrow. The notice worker calls [`scan`]
//! every round; it stores a live event per person to remind (kind [`MEETING_SOON`] or
//! [`ACTIVITY_DUE`], no content), and from there a reminder takes the same path as every other
//! notice (`docs/NOTIFICATIONS.md`): the agreed channels, quiet hours (deferred, not dropped),
//! "no digital notices", throttling, retries.
//!
//! Once only: the store records the reminder with a conditional update in the same
//! transaction as its events, keyed by the meeting and its start time (a moved meeting gets a
//! new reminder) or by the activity and its due date (a new due date gets a new reminder).
//! Of two workers scanning at once, one records it and the other gets `false`.
//!
//! Cheap at national scale: the store reads only rows not yet reminded, through partial
//! indexes (migration 0012), at most [`BATCH`] at a time.

use super::NoticesStore;
use crate::ids::{MeetingId, PlanItemId, UserId};
use crate::oslo;
use crate::plan::model::{Activity, ActivityStatus};
use crate::ports::{LiveEvent, PortResult};
use time::{Date, Duration, OffsetDateTime};

/// Live event kinds (and notice kinds) of reminders.
pub const MEETING_SOON: &str = "meeting-soon";
pub const ACTIVITY_DUE: &str = "activity-due";

/// A meeting is reminded of when it starts within this period.
pub const MEETING_AHEAD: Duration = Duration::hours(24);

/// Reminders of tomorrow's activities go out from this hour (Oslo time), so that nobody
/// without quiet hours gets one just after midnight.
pub const ACTIVITY_REMINDER_HOUR: u8 = 9;

/// Rows read per query; the scan goes on until a batch is short.
pub const BATCH: i64 = 200;

/// An accepted meeting starting soon that has not been reminded of for its current start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingToRemind {
    pub meeting: MeetingId,
    pub starts_at: OffsetDateTime,
    /// The client's own account, if they have one.
    pub client_user: Option<UserId>,
    /// The client's assigned counselor, if any.
    pub counselor: Option<UserId>,
}

/// An open activity (planned or in progress) due on the given day, not yet reminded of for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActivityToRemind {
    pub item: PlanItemId,
    pub client_user: Option<UserId>,
    /// The activity as stored (the domain decides; the store's index is only a pre-filter).
    pub data: String,
}

/// What one scan did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanResult {
    pub meetings: u64,
    pub activities: u64,
    /// Live events stored (one per person reminded).
    pub events: u64,
}

/// The due date whose activities get their reminder now: tomorrow in Oslo, from
/// [`ACTIVITY_REMINDER_HOUR`] on; `None` before that hour.
pub fn activity_reminder_day(now: OffsetDateTime) -> Option<Date> {
    let local = oslo::to_local(now);
    if local.hour() < ACTIVITY_REMINDER_HOUR {
        return None;
    }
    local.date().next_day()
}

/// `YYYY-MM-DD`, as plan documents store dates.
pub fn day_text(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// The live events for a meeting reminder: one per party with an account.
pub fn meeting_events(m: &MeetingToRemind) -> Vec<LiveEvent> {
    let mut people: Vec<UserId> = [m.client_user, m.counselor].into_iter().flatten().collect();
    people.dedup();
    people
        .into_iter()
        .map(|recipient| LiveEvent {
            recipient,
            kind: MEETING_SOON.into(),
            about: Some(m.meeting.to_string()),
        })
        .collect()
}

/// The live event for an activity due on `day`: to the client, if the activity is still open
/// (planned or in progress, not declined) and really due that day.
pub fn activity_events(a: &ActivityToRemind, day: Date) -> Vec<LiveEvent> {
    let Ok(activity) = serde_json::from_str::<Activity>(&a.data) else {
        return vec![];
    };
    let open = matches!(
        activity.status,
        ActivityStatus::Planned | ActivityStatus::InProgress
    ) && !activity.declined;
    let due = activity.end.is_some_and(|e| e.0 == day);
    match a.client_user {
        Some(recipient) if open && due => vec![LiveEvent {
            recipient,
            kind: ACTIVITY_DUE.into(),
            about: Some(a.item.to_string()),
        }],
        _ => vec![],
    }
}

/// One scan: meetings starting within [`MEETING_AHEAD`], then (from the reminder hour)
/// activities due tomorrow. Safe to run by several workers at once.
pub async fn scan<S: NoticesStore + ?Sized>(
    store: &S,
    now: OffsetDateTime,
) -> PortResult<ScanResult> {
    let mut result = ScanResult::default();
    loop {
        let batch = store
            .meetings_to_remind(now, now + MEETING_AHEAD, BATCH)
            .await?;
        let short = (batch.len() as i64) < BATCH;
        for m in batch {
            let events = meeting_events(&m);
            let n = events.len() as u64;
            if store
                .record_meeting_reminder(m.meeting, m.starts_at, events, now)
                .await?
            {
                result.meetings += 1;
                result.events += n;
            }
        }
        if short {
            break;
        }
    }
    let Some(day) = activity_reminder_day(now) else {
        return Ok(result);
    };
    let due = day_text(day);
    loop {
        let batch = store.activities_to_remind(&due, BATCH).await?;
        let short = (batch.len() as i64) < BATCH;
        for a in batch {
            // Recorded even without events (no account, declined), so the scan moves on.
            let events = activity_events(&a, day);
            let n = events.len() as u64;
            if store
                .record_activity_reminder(a.item, &due, events, now)
                .await?
                && n > 0
            {
                result.activities += 1;
                result.events += n;
            }
        }
        if short {
            break;
        }
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::plan::Side;
    use crate::plan::model::{ActivityKind, PlanDate};
    use time::macros::{date, datetime};

    #[test]
    fn tomorrow_in_oslo_from_nine_in_the_morning() {
        // Winter (UTC+1): 08:59 Oslo is too early; 09:00 gives tomorrow.
        assert_eq!(activity_reminder_day(datetime!(2026-01-15 07:59 UTC)), None);
        assert_eq!(
            activity_reminder_day(datetime!(2026-01-15 08:00 UTC)),
            Some(date!(2026 - 01 - 16))
        );
        // 23:30 UTC on the 15th is 00:30 on the 16th in Oslo: too early for the 17th.
        assert_eq!(activity_reminder_day(datetime!(2026-01-15 23:30 UTC)), None);
        // 22:30 UTC on 15 July is 00:30 on the 16th in summer: too early.
        assert_eq!(activity_reminder_day(datetime!(2026-07-15 22:30 UTC)), None);
        // 21:30 UTC on 15 July is 23:30 Oslo: still the 15th, so the 16th is tomorrow.
        assert_eq!(
            activity_reminder_day(datetime!(2026-07-15 21:30 UTC)),
            Some(date!(2026 - 07 - 16))
        );
        assert_eq!(day_text(date!(2026 - 03 - 05)), "2026-03-05");
    }

    fn activity(status: ActivityStatus, end: Option<Date>, declined: bool) -> String {
        serde_json::to_string(&Activity {
            kind: ActivityKind::Own,
            title: "SECRET".into(),
            description: String::new(),
            goal_id: None,
            start: None,
            end: end.map(PlanDate),
            status,
            created_by: Side::Client,
            details: Default::default(),
            agreement: Default::default(),
            closing_reason: String::new(),
            declined,
        })
        .unwrap()
    }

    #[test]
    fn an_open_activity_due_that_day_reminds_the_client_only() {
        let day = date!(2026 - 01 - 16);
        let client = UserId::new();
        let item = PlanItemId::new();
        let a = |status, end, declined, user| ActivityToRemind {
            item,
            client_user: user,
            data: activity(status, end, declined),
        };
        let e = activity_events(
            &a(ActivityStatus::Planned, Some(day), false, Some(client)),
            day,
        );
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].recipient, client);
        assert_eq!(e[0].kind, ACTIVITY_DUE);
        assert_eq!(e[0].about.as_deref(), Some(item.to_string().as_str()));
        assert!(!format!("{e:?}").contains("SECRET"), "no content");
        assert_eq!(
            activity_events(
                &a(ActivityStatus::InProgress, Some(day), false, Some(client)),
                day
            )
            .len(),
            1
        );
        for (status, end, declined, user) in [
            (ActivityStatus::Completed, Some(day), false, Some(client)),
            (ActivityStatus::Cancelled, Some(day), false, Some(client)),
            (ActivityStatus::Proposed, Some(day), false, Some(client)),
            (ActivityStatus::Planned, Some(day), true, Some(client)),
            (
                ActivityStatus::Planned,
                Some(date!(2026 - 01 - 17)),
                false,
                Some(client),
            ),
            (ActivityStatus::Planned, None, false, Some(client)),
            (ActivityStatus::Planned, Some(day), false, None),
        ] {
            assert!(
                activity_events(&a(status, end, declined, user), day).is_empty(),
                "{status:?} {end:?} {declined} {user:?}"
            );
        }
    }

    #[test]
    fn reminders_take_the_path_of_every_notice() {
        use crate::notices::{self, Channel, NoticeContact, NoticeEvent, NoticeState, QuietHours};
        use time::macros::time;
        let sms_only = |quiet| NoticeContact {
            email: None,
            phone: Some("+4799999999".into()),
            email_notices: false,
            sms_notices: true,
            quiet,
            language: "en".into(),
        };
        for kind in [MEETING_SOON, ACTIVITY_DUE] {
            let e = NoticeEvent {
                seq: 3,
                recipient: UserId::new(),
                kind: kind.into(),
                about: Some("m".into()),
                at: datetime!(2026-01-15 23:00 UTC),
            };
            let night = datetime!(2026-01-15 23:00 UTC);
            // Quiet hours: deferred to 07:00 Oslo, not dropped.
            let quiet = QuietHours {
                start: time!(22:00),
                end: time!(07:00),
            };
            let n = notices::decide(&e, Some(&sms_only(Some(quiet))), night, |_| false);
            assert_eq!(n.len(), 1, "{kind}");
            assert_eq!(n[0].channel, Channel::Sms);
            assert_eq!(n[0].state, NoticeState::Pending);
            assert_eq!(n[0].next_attempt_at, datetime!(2026-01-16 06:00 UTC));
            // No digital notices: none.
            let mut none = sms_only(None);
            none.sms_notices = false;
            assert!(notices::decide(&e, Some(&none), night, |_| false).is_empty());
        }
    }

    #[test]
    fn a_meeting_reminds_each_party_with_an_account() {
        let m = MeetingToRemind {
            meeting: MeetingId::new(),
            starts_at: datetime!(2026-01-15 12:00 UTC),
            client_user: Some(UserId::new()),
            counselor: Some(UserId::new()),
        };
        let e = meeting_events(&m);
        assert_eq!(e.len(), 2);
        assert!(e.iter().all(|e| e.kind == MEETING_SOON));
        let none = MeetingToRemind {
            client_user: None,
            counselor: None,
            ..m
        };
        assert!(meeting_events(&none).is_empty());
    }
}
