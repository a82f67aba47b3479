//! Notices without content: deciding, from the live events stored with every message (the
//! outbox), who gets a notice by which channel, and when. No I/O: the worker in the binary
//! reads events and contacts through the [`crate::ports::Store`], calls [`decide`], stores the
//! result and sends through the [`crate::ports::NoticeSender`] port.
//!
//! Rules (see `docs/NOTIFICATIONS.md`):
//! * a notice never carries content: only "you have something new in Vendepunkt" and a link;
//! * channels come from the contact agreement (clients) or the counselor's own notice e-mail
//!   (staff); a client who chose no digital notices gets none;
//! * at most one notice per recipient, channel and thing (`about`, e.g. a thread) per
//!   [`THROTTLE`]; a throttled notice is recorded as `suppressed`;
//! * quiet hours (Oslo local time): a notice is **deferred** to the end of the quiet hours,
//!   never sent during them;
//! * failed sends are retried after [`backoff`]; after [`MAX_ATTEMPTS`] the notice is `failed`.

pub mod reminders;
pub mod store;

pub use store::{NewNotice, NoticeAttempt, NoticeContact, NoticeEvent, NoticeRow, NoticesStore};

use crate::ids::UserId;
use crate::oslo;
use time::{Duration, OffsetDateTime, PrimitiveDateTime, Time};

/// At most one notice per recipient, channel and thing in this period.
pub const THROTTLE: Duration = Duration::minutes(30);
/// Attempts before a notice is given up (`failed`).
pub const MAX_ATTEMPTS: i64 = 6;

/// How a notice goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Email,
    Sms,
}

impl Channel {
    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
        }
    }
    pub fn parse(s: &str) -> Option<Channel> {
        match s {
            "email" => Some(Channel::Email),
            "sms" => Some(Channel::Sms),
            _ => None,
        }
    }
}

/// Where a notice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeState {
    Pending,
    Sending,
    Sent,
    Suppressed,
    Failed,
}

impl NoticeState {
    pub fn as_str(&self) -> &'static str {
        match self {
            NoticeState::Pending => "pending",
            NoticeState::Sending => "sending",
            NoticeState::Sent => "sent",
            NoticeState::Suppressed => "suppressed",
            NoticeState::Failed => "failed",
        }
    }
    pub fn parse(s: &str) -> Option<NoticeState> {
        Some(match s {
            "pending" => NoticeState::Pending,
            "sending" => NoticeState::Sending,
            "sent" => NoticeState::Sent,
            "suppressed" => NoticeState::Suppressed,
            "failed" => NoticeState::Failed,
            _ => return None,
        })
    }
}

/// Quiet hours in Oslo local time, `start` inclusive, `end` exclusive; may cross midnight
/// (22:00–07:00). Equal start and end means no quiet hours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl QuietHours {
    /// Whether the instant falls in the quiet hours, as read on a clock in Oslo.
    pub fn contains(&self, at: OffsetDateTime) -> bool {
        let t = oslo::to_local(at).time();
        if self.start == self.end {
            false
        } else if self.start < self.end {
            self.start <= t && t < self.end
        } else {
            t >= self.start || t < self.end
        }
    }

    /// The first end of quiet hours after `at` (the instant a deferred notice may go).
    pub fn end_after(&self, at: OffsetDateTime) -> OffsetDateTime {
        let day = oslo::to_local(at).date();
        let mut d = day;
        for _ in 0..3 {
            let candidate = oslo::from_local(PrimitiveDateTime::new(d, self.end));
            if candidate > at {
                return candidate;
            }
            d = d.next_day().unwrap_or(d);
        }
        at
    }
}

/// Kinds of live events that need the other party (a read receipt does not).
pub fn needs_notice(kind: &str) -> bool {
    matches!(
        kind,
        "message" | "meeting" | "meeting-soon" | "activity-due" | "agreement" | "plan-waiting"
    )
}

/// Derived from the event and the channel, so reading the same event twice (after a crash)
/// gives the same key, and a gateway that honours it delivers once.
pub fn idempotency_key(seq: i64, channel: Channel) -> String {
    format!("vp-notice-{seq}-{}", channel.as_str())
}

/// A stable e-mail Message-ID for a notice, from its idempotency key.
pub fn message_id(key: &str, host: &str) -> String {
    let host = if host.is_empty() { "vendepunkt" } else { host };
    format!("<{key}@{host}>")
}

/// The notices for one event. `recently` answers whether a notice to this recipient by this
/// channel about the same thing was created within [`THROTTLE`] before `now`.
pub fn decide(
    event: &NoticeEvent,
    contact: Option<&NoticeContact>,
    now: OffsetDateTime,
    mut recently: impl FnMut(Channel) -> bool,
) -> Vec<NewNotice> {
    if !needs_notice(&event.kind) {
        return vec![];
    }
    let Some(contact) = contact else {
        return vec![];
    };
    contact
        .channels()
        .into_iter()
        .map(|channel| {
            let throttled = recently(channel);
            let quiet = contact.quiet.filter(|q| q.contains(now));
            let (state, reason, next) = match (throttled, quiet) {
                (true, _) => (NoticeState::Suppressed, Some("throttled".to_string()), now),
                (false, Some(q)) => (
                    NoticeState::Pending,
                    Some("quiet-hours".to_string()),
                    q.end_after(now),
                ),
                (false, None) => (NoticeState::Pending, None, now),
            };
            NewNotice {
                idempotency_key: idempotency_key(event.seq, channel),
                recipient: event.recipient,
                channel,
                about: event.about.clone(),
                language: contact.language.clone(),
                state,
                reason,
                created_at: now,
                next_attempt_at: next,
            }
        })
        .collect()
}

/// If the send time falls in quiet hours (the agreement may have changed since the notice
/// was queued), when to try instead.
pub fn defer_for_quiet_hours(
    contact: &NoticeContact,
    now: OffsetDateTime,
) -> Option<OffsetDateTime> {
    contact
        .quiet
        .filter(|q| q.contains(now))
        .map(|q| q.end_after(now))
}

/// The wait before the next attempt after `attempts` failed ones, or `None` to give up.
pub fn backoff(attempts: i64) -> Option<Duration> {
    match attempts {
        ..=0 => Some(Duration::ZERO),
        1 => Some(Duration::seconds(30)),
        2 => Some(Duration::minutes(2)),
        3 => Some(Duration::minutes(10)),
        4 => Some(Duration::hours(1)),
        5 => Some(Duration::hours(6)),
        _ => None,
    }
}

/// The text of a notice: subject and body, in the recipient's language. No content, ever:
/// only that there is something new, and a link to Vendepunkt.
pub fn text(language: &str, base_url: &str) -> (String, String) {
    let link = format!("{}/", base_url.trim_end_matches('/'));
    let (subject, line) = match language {
        "en" => (
            "You have something new in Vendepunkt",
            "You have something new in Vendepunkt. Log in to read it:",
        ),
        "nn" => (
            "Du har noko nytt i Vendepunkt",
            "Du har noko nytt i Vendepunkt. Logg inn for å lese det:",
        ),
        _ => (
            "Du har noe nytt i Vendepunkt",
            "Du har noe nytt i Vendepunkt. Logg inn for å lese det:",
        ),
    };
    (subject.to_string(), format!("{line} {link}"))
}

/// The languages a notice can be written in.
pub const LANGUAGES: [&str; 3] = ["nb", "nn", "en"];

/// Remembers the language a person reads Vendepunkt in (chosen in the language switcher, or
/// in use when they logged in), so that their notices come in it. Staff notices use it; a
/// client's notices follow the language of their contact agreement. Anything but `nb`, `nn`
/// or `en` is ignored.
pub async fn remember_language<S: NoticesStore + ?Sized>(
    store: &S,
    user: UserId,
    language: &str,
) -> crate::ports::PortResult<()> {
    if !LANGUAGES.contains(&language) {
        return Ok(());
    }
    store.set_user_language(user, language).await
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::{datetime, time};

    fn contact(email: bool, sms: bool, quiet: Option<QuietHours>) -> NoticeContact {
        NoticeContact {
            email: Some("a@example.org".into()),
            phone: Some("+4799999999".into()),
            email_notices: email,
            sms_notices: sms,
            quiet,
            language: "nb".into(),
        }
    }

    fn event(kind: &str) -> NoticeEvent {
        NoticeEvent {
            seq: 7,
            recipient: UserId::new(),
            kind: kind.into(),
            about: Some("thread-1".into()),
            at: datetime!(2026-01-15 12:00 UTC),
        }
    }

    const NIGHT: QuietHours = QuietHours {
        start: time!(22:00),
        end: time!(07:00),
    };

    #[test]
    fn quiet_hours_across_midnight_in_oslo_time() {
        // Winter: Oslo is UTC+1.
        assert!(NIGHT.contains(datetime!(2026-01-15 21:30 UTC))); // 22:30
        assert!(NIGHT.contains(datetime!(2026-01-15 05:59 UTC))); // 06:59
        assert!(!NIGHT.contains(datetime!(2026-01-15 06:00 UTC))); // 07:00
        assert!(!NIGHT.contains(datetime!(2026-01-15 20:59 UTC))); // 21:59
        // Summer: UTC+2.
        assert!(NIGHT.contains(datetime!(2026-07-15 20:30 UTC))); // 22:30
        assert!(!NIGHT.contains(datetime!(2026-07-15 05:30 UTC))); // 07:30
        // Ends at 07:00 Oslo the next morning.
        assert_eq!(
            NIGHT.end_after(datetime!(2026-01-15 21:30 UTC)),
            datetime!(2026-01-16 06:00 UTC)
        );
        assert_eq!(
            NIGHT.end_after(datetime!(2026-01-16 02:00 UTC)),
            datetime!(2026-01-16 06:00 UTC)
        );
        let day = QuietHours {
            start: time!(09:00),
            end: time!(17:00),
        };
        assert!(day.contains(datetime!(2026-01-15 12:00 UTC)));
        assert!(!day.contains(datetime!(2026-01-15 17:00 UTC)));
        let none = QuietHours {
            start: time!(09:00),
            end: time!(09:00),
        };
        assert!(!none.contains(datetime!(2026-01-15 08:00 UTC)));
    }

    #[test]
    fn quiet_hours_over_the_dst_changes_end_at_local_seven() {
        // Night of 28–29 March 2026: clocks go forward at 02:00 local.
        assert_eq!(
            NIGHT.end_after(datetime!(2026-03-28 22:00 UTC)),
            datetime!(2026-03-29 05:00 UTC),
            "07:00 summer time"
        );
        // Night of 24–25 October 2026: clocks go back at 03:00 local.
        assert_eq!(
            NIGHT.end_after(datetime!(2026-10-24 21:00 UTC)),
            datetime!(2026-10-25 06:00 UTC),
            "07:00 winter time"
        );
        assert!(NIGHT.contains(datetime!(2026-10-25 01:30 UTC)));
    }

    #[test]
    fn notices_follow_the_agreed_channels_and_none_for_no_digital_notices() {
        let now = datetime!(2026-01-15 12:00 UTC);
        let both = decide(
            &event("message"),
            Some(&contact(true, true, None)),
            now,
            |_| false,
        );
        assert_eq!(
            both.iter().map(|n| n.channel).collect::<Vec<_>>(),
            [Channel::Email, Channel::Sms]
        );
        assert!(both.iter().all(|n| n.state == NoticeState::Pending));
        assert_eq!(both[0].idempotency_key, "vp-notice-7-email");
        assert!(
            decide(
                &event("message"),
                Some(&contact(false, false, None)),
                now,
                |_| false
            )
            .is_empty()
        );
        assert!(decide(&event("message"), None, now, |_| false).is_empty());
        assert!(
            decide(
                &event("read"),
                Some(&contact(true, true, None)),
                now,
                |_| false
            )
            .is_empty(),
            "a read receipt needs nobody"
        );
        let mut no_phone = contact(false, true, None);
        no_phone.phone = None;
        assert!(decide(&event("message"), Some(&no_phone), now, |_| false).is_empty());
    }

    #[test]
    fn throttled_notices_are_suppressed_and_quiet_hours_defer() {
        let night = datetime!(2026-01-15 23:00 UTC);
        let n = decide(
            &event("message"),
            Some(&contact(false, true, None)),
            night,
            |_| true,
        );
        assert_eq!(n[0].state, NoticeState::Suppressed);
        assert_eq!(n[0].reason.as_deref(), Some("throttled"));
        let n = decide(
            &event("message"),
            Some(&contact(false, true, Some(NIGHT))),
            night,
            |_| false,
        );
        assert_eq!(n[0].state, NoticeState::Pending);
        assert_eq!(n[0].next_attempt_at, datetime!(2026-01-16 06:00 UTC));
        assert!(!NIGHT.contains(n[0].next_attempt_at));
    }

    #[test]
    fn the_text_has_no_content_only_a_link() {
        for lang in ["nb", "nn", "en", "xx"] {
            let (subject, body) = text(lang, "https://vp.example/");
            assert!(subject.contains("Vendepunkt"));
            assert!(body.ends_with("https://vp.example/"), "{body}");
            assert!(body.len() < 120, "short enough for one SMS: {body}");
        }
        assert_eq!(text("nn", "x").0, "Du har noko nytt i Vendepunkt");
    }

    #[test]
    fn backoff_grows_then_gives_up() {
        assert_eq!(backoff(1), Some(Duration::seconds(30)));
        assert!(backoff(2) < backoff(3));
        assert_eq!(backoff(MAX_ATTEMPTS), None);
    }

    #[test]
    fn proposals_in_the_plan_get_a_notice_other_plan_changes_do_not() {
        assert!(needs_notice("plan-waiting"));
        assert!(!needs_notice("plan"));
        assert!(!needs_notice("read"));
    }
}
