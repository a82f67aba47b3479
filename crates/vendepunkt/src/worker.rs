//! The notice worker: a background task of `serve` that turns live events (the outbox written
//! in the same transaction as every message) into notices, and sends them without content.
//!
//! * Reading: events after the stored cursor, up to 200 at a time; the notices for those
//!   events and the new cursor are written in one transaction, and each notice's idempotency
//!   key comes from the event's sequence number and the channel, so reading again after a
//!   crash creates no duplicates.
//! * Reminders: every round first runs `domain::notices::reminders::scan`, which stores a live event
//!   per person for a meeting starting within 24 hours and an activity due tomorrow (once per
//!   meeting and start, once per activity and due date); those events then become notices
//!   like every other.
//! * Sending: due notices are *claimed* atomically (a batch becomes `sending` with a lease in
//!   one statement, so several instances on one PostgreSQL database never take the same
//!   notice) and sent concurrently, each with a timeout shorter than the lease; every attempt
//!   is recorded; a failure is retried after `domain::notices::backoff`. A notice whose worker
//!   died is claimed again when its lease runs out (SQLite, with one instance, resumes at
//!   start) and sent with the same key (the SMS gateway dedupes; e-mail keeps its
//!   Message-ID). Nothing here runs inside a request, so a slow gateway never slows a page.

use crate::config::NotifyConfig;
use async_trait::async_trait;
use domain::ids::UserId;
use domain::notices::{self, Channel, NoticeState};
use domain::notices::{NoticeAttempt, NoticeRow};
use domain::ports::{Clock, NoticeSender, OutgoingNotice, PortError, PortResult, Store};
use lettre::message::header::ContentType;
use lettre::message::{Mailbox, Message};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

/// How often the worker looks for reminders, new events and due notices.
const POLL: Duration = Duration::from_millis(500);
/// Live events turned into notices per write transaction.
const EVENT_BATCH: i64 = 200;
/// Notices claimed (and sent concurrently) per round.
const CLAIM: i64 = 16;
/// A claim outlives the send timeout by this much, so a live worker never loses its claim.
const LEASE_MARGIN: time::Duration = time::Duration::seconds(15);

/// E-mail notices through SMTP, or into files (development and tests).
pub enum MailSender {
    Smtp(AsyncSmtpTransport<Tokio1Executor>, Mailbox),
    File(AsyncFileTransport<Tokio1Executor>, Mailbox),
}

impl MailSender {
    pub fn from_config(url: &str, from: &str) -> Result<MailSender, String> {
        let from: Mailbox = from
            .parse()
            .map_err(|e| format!("notify.mail_from: not an e-mail address ({e})"))?;
        if let Some(dir) = url.strip_prefix("file:") {
            let dir = dir.strip_prefix("//").unwrap_or(dir);
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("notify.email: cannot create {dir}: {e}"))?;
            return Ok(MailSender::File(AsyncFileTransport::new(dir), from));
        }
        let smtp = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| format!("notify.email: {e}"))?
            .timeout(Some(Duration::from_secs(30)))
            .build();
        Ok(MailSender::Smtp(smtp, from))
    }

    fn from(&self) -> &Mailbox {
        match self {
            MailSender::Smtp(_, f) | MailSender::File(_, f) => f,
        }
    }
}

#[async_trait]
impl NoticeSender for MailSender {
    async fn send(&self, n: &OutgoingNotice) -> PortResult<()> {
        let to: Mailbox =
            n.to.parse()
                .map_err(|_| PortError::Failure("not an e-mail address".into()))?;
        let host = self.from().email.domain().to_string();
        let message = Message::builder()
            .from(self.from().clone())
            .to(to)
            .subject(&n.subject)
            .message_id(Some(notices::message_id(&n.idempotency_key, &host)))
            .header(ContentType::TEXT_PLAIN)
            .body(n.body.clone())
            .map_err(|e| PortError::Failure(format!("cannot build the e-mail: {e}")))?;
        let result = match self {
            MailSender::Smtp(t, _) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
            MailSender::File(t, _) => t.send(message).await.map(|_| ()).map_err(|e| e.to_string()),
        };
        result.map_err(|e| PortError::Failure(format!("e-mail: {e}")))
    }
}

/// SMS notices through an HTTP gateway: `POST` JSON `{"to", "text", "idempotency_key"}` with
/// the header `Idempotency-Key` (see docs/NOTIFICATIONS.md).
pub struct SmsSender {
    http: reqwest::Client,
    url: String,
}

impl SmsSender {
    pub fn new(url: &str, timeout: Duration) -> Result<SmsSender, String> {
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("notify.sms_url: {e}"))?;
        Ok(SmsSender {
            http,
            url: url.to_string(),
        })
    }
}

#[async_trait]
impl NoticeSender for SmsSender {
    async fn send(&self, n: &OutgoingNotice) -> PortResult<()> {
        let body = serde_json::json!({
            "to": n.to,
            "text": n.body,
            "idempotency_key": n.idempotency_key,
        });
        let r = self
            .http
            .post(&self.url)
            .header("Idempotency-Key", &n.idempotency_key)
            .json(&body)
            .send()
            .await
            // No URL or address in the message: only what kind of failure it was.
            .map_err(|e| {
                let kind = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "cannot connect"
                } else {
                    "request failed"
                };
                PortError::Failure(format!("sms gateway: {kind}"))
            })?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(PortError::Failure(format!(
                "sms gateway answered {}",
                r.status().as_u16()
            )))
        }
    }
}

#[derive(Clone)]
pub struct Worker {
    pub store: Arc<dyn Store>,
    pub clock: Arc<dyn Clock>,
    pub senders: HashMap<Channel, Arc<dyn NoticeSender>>,
    pub base_url: String,
    pub timeout: Duration,
    /// Whether this is the only instance on its database (SQLite): then notices left
    /// `sending` are resumed at start instead of waiting for their lease to run out. With
    /// PostgreSQL another live instance may hold them.
    pub sole_instance: bool,
}

impl Worker {
    /// Builds the worker from the configuration (no channel configured: notices stay queued).
    pub fn from_config(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        config: &NotifyConfig,
        base_url: String,
    ) -> Result<Worker, String> {
        let timeout = Duration::from_secs(config.send_timeout_seconds.clamp(1, 120) as u64);
        let mut senders: HashMap<Channel, Arc<dyn NoticeSender>> = HashMap::new();
        if let Some(url) = &config.email {
            senders.insert(
                Channel::Email,
                Arc::new(MailSender::from_config(url, &config.mail_from)?),
            );
        }
        if let Some(url) = &config.sms_url {
            senders.insert(Channel::Sms, Arc::new(SmsSender::new(url, timeout)?));
        }
        Ok(Worker {
            store,
            clock,
            senders,
            base_url,
            timeout,
            sole_instance: false,
        })
    }

    /// Runs until the task is aborted. Errors are logged and retried on the next round.
    pub async fn run(self) {
        if self.sole_instance
            && let Err(e) = self.store.resume_sending_notices(self.clock.now()).await
        {
            tracing::warn!(error = %e, "notices: cannot resume interrupted sends");
        }
        loop {
            if let Err(e) = self.round().await {
                tracing::warn!(error = %e, "notices: round failed; retrying");
            }
            tokio::time::sleep(POLL).await;
        }
    }

    /// One round: reminders, then notices for new events, then send what is due.
    pub async fn round(&self) -> PortResult<()> {
        // A failed scan does not hold up the notices already queued; it runs again next round.
        match domain::notices::reminders::scan(self.store.as_ref(), self.clock.now()).await {
            Ok(r) if r.events > 0 => {
                tracing::info!(
                    meetings = r.meetings,
                    activities = r.activities,
                    "reminders stored"
                );
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reminders: scan failed; retrying"),
        }
        self.queue_new_events().await?;
        // Only channels this instance can send by: the others' notices stay queued.
        let mut channels: Vec<Channel> = self.senders.keys().copied().collect();
        channels.sort_by_key(|c| c.as_str());
        loop {
            let now = self.clock.now();
            let lease = now + self.timeout_as_time() + LEASE_MARGIN;
            let claimed = self
                .store
                .claim_due_notices(now, lease, &channels, CLAIM)
                .await?;
            let full = claimed.len() as i64 == CLAIM;
            let mut sends = tokio::task::JoinSet::new();
            for n in claimed {
                let w = self.clone();
                sends.spawn(async move { w.send_one(n).await });
            }
            // Every send finishes (none is cut off half-way); the first error is reported.
            let mut failed = None;
            while let Some(done) = sends.join_next().await {
                match done {
                    Ok(Ok(())) => {}
                    Ok(Err(e)) => failed = failed.or(Some(e)),
                    Err(e) => tracing::warn!(error = %e, "notices: a send task failed"),
                }
            }
            if let Some(e) = failed {
                return Err(e);
            }
            if !full {
                return Ok(());
            }
        }
    }

    fn timeout_as_time(&self) -> time::Duration {
        time::Duration::try_from(self.timeout).unwrap_or(time::Duration::seconds(120))
    }

    /// Turns the events after the cursor into notices, a batch of events at a time. The
    /// notices of a whole batch and the new cursor are one write transaction: on SQLite every
    /// write transaction takes the single write lock and an fsync, so one per event would
    /// double the writes of every message sent (and queue the senders behind them).
    async fn queue_new_events(&self) -> PortResult<()> {
        loop {
            let cursor = self.store.notice_cursor().await?;
            let events = self.store.notice_events_after(cursor, EVENT_BATCH).await?;
            let Some(last) = events.last().map(|e| e.seq) else {
                return Ok(());
            };
            let now = self.clock.now();
            // Notices queued earlier in this batch count for the throttle like stored ones:
            // two messages in one thread within the batch give one notice, not two.
            let mut queued: HashSet<(UserId, Channel, Option<String>)> = HashSet::new();
            let mut notices = Vec::new();
            for e in events {
                let contact = if notices::needs_notice(&e.kind) {
                    self.store.notice_contact(e.recipient).await?
                } else {
                    None
                };
                let mut recent = HashMap::new();
                for ch in contact.iter().flat_map(|c| c.channels()) {
                    let hit = queued.contains(&(e.recipient, ch, e.about.clone()))
                        || self
                            .store
                            .notice_recently(
                                e.recipient,
                                ch,
                                e.about.as_deref(),
                                now - notices::THROTTLE,
                            )
                            .await?;
                    recent.insert(ch, hit);
                }
                for n in notices::decide(&e, contact.as_ref(), now, |ch| {
                    recent.get(&ch).copied().unwrap_or(false)
                }) {
                    if n.state != NoticeState::Suppressed {
                        queued.insert((n.recipient, n.channel, n.about.clone()));
                    }
                    notices.push(n);
                }
            }
            self.store.enqueue_notices(last, notices).await?;
        }
    }

    async fn send_one(&self, n: NoticeRow) -> PortResult<()> {
        let now = self.clock.now();
        let contact = self.store.notice_contact(n.recipient).await?;
        let Some(sender) = self.senders.get(&n.channel) else {
            return Ok(());
        };
        // The agreement may have changed since the notice was queued.
        let address = contact
            .as_ref()
            .filter(|c| c.channels().contains(&n.channel))
            .and_then(|c| c.address(n.channel));
        let (Some(contact), Some(address)) = (contact.as_ref(), address) else {
            let attempt = NoticeAttempt {
                at: now,
                outcome: "failed".into(),
                detail: Some("channel no longer agreed".into()),
            };
            return self
                .store
                .record_notice_attempt(n.id, attempt, NoticeState::Suppressed, now)
                .await;
        };
        if let Some(until) = notices::defer_for_quiet_hours(contact, now) {
            return self.store.defer_notice(n.id, until).await;
        }
        // Claimed (`sending`, with a lease) by `claim_due_notices` already.
        let (subject, body) = notices::text(&n.language, &self.base_url);
        let out = OutgoingNotice {
            idempotency_key: n.idempotency_key.clone(),
            to: address.to_string(),
            subject,
            body,
        };
        let result = match tokio::time::timeout(self.timeout, sender.send(&out)).await {
            Ok(r) => r,
            Err(_) => Err(PortError::Failure("timeout".into())),
        };
        let at = self.clock.now();
        let (attempt, state, next) = match result {
            Ok(()) => (
                NoticeAttempt {
                    at,
                    outcome: "sent".into(),
                    detail: None,
                },
                NoticeState::Sent,
                at,
            ),
            Err(e) => {
                let detail = match e {
                    PortError::Failure(m) => m,
                    PortError::Conflict(m) => m.to_string(),
                    e @ PortError::AuditChainBroken { .. } => e.to_string(),
                };
                tracing::warn!(notice = n.id, channel = n.channel.as_str(), %detail, "notice not sent");
                let attempt = NoticeAttempt {
                    at,
                    outcome: "failed".into(),
                    detail: Some(detail),
                };
                match notices::backoff(n.attempts + 1) {
                    Some(wait) => (attempt, NoticeState::Pending, at + wait),
                    None => (attempt, NoticeState::Failed, at),
                }
            }
        };
        self.store
            .record_notice_attempt(n.id, attempt, state, next)
            .await
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use domain::audit::{AuditAction, DataKind};
    use domain::contact::CounselorAvailability;
    use domain::conversation::store::{NewMessage, NewThread};
    use domain::ids::{MessageId, ThreadId};
    use domain::plan::Side;
    use domain::ports::LiveEvent;
    use domain::roles::Role;
    use testkit::conformance::{event, fixture, new_client};

    /// Events read in one batch are throttled against each other as well as against stored
    /// notices: a burst in one thread gives the counselor one e-mail, not one per message.
    #[tokio::test]
    async fn a_burst_in_one_thread_read_in_one_batch_gives_one_notice() {
        let (_dir, store) = testkit::sqlite::temp_store().await;
        let store: Arc<dyn Store> = Arc::new(store);
        let f = fixture(store.as_ref()).await;
        let client = new_client(store.as_ref(), &f, f.office_a, "Kari Burst", false, None).await;
        let clock = testkit::clock::ManualClock::at_2026();
        let now = clock.now();
        store
            .put_availability(CounselorAvailability {
                counselor_id: f.counselor_a,
                contact_hours: "Monday 9–15".into(),
                channels: vec!["messages".into()],
                notice_email: Some("counselor@example.org".into()),
                updated_at: now,
            })
            .await
            .unwrap();
        let to_counselor = |thread: ThreadId, n: usize| {
            (0..n)
                .map(|_| LiveEvent {
                    recipient: f.counselor_a,
                    kind: "message".into(),
                    about: Some(thread.to_string()),
                })
                .collect::<Vec<_>>()
        };
        let (busy, other) = (ThreadId::new(), ThreadId::new());
        for (thread, events) in [(busy, 3), (other, 1)] {
            store
                .create_thread(
                    NewThread {
                        id: thread,
                        client_id: client,
                        subject: "Hello".into(),
                        about: None,
                        created_at: now,
                    },
                    NewMessage {
                        id: MessageId::new(),
                        thread_id: thread,
                        client_id: client,
                        author_id: f.counselor_a,
                        author_side: Side::Counselor,
                        body: "Hi".into(),
                        sent_at: now,
                        attachments: vec![],
                    },
                    event(
                        f.counselor_a,
                        Role::Counselor,
                        client,
                        DataKind::Messages,
                        AuditAction::Created,
                    ),
                    to_counselor(thread, events),
                )
                .await
                .unwrap();
        }
        let worker = Worker {
            store: store.clone(),
            clock: Arc::new(clock),
            senders: HashMap::new(),
            base_url: "http://127.0.0.1".into(),
            timeout: Duration::from_secs(5),
            sole_instance: true,
        };
        worker.round().await.unwrap();

        let notices = store.notices_for(f.counselor_a).await.unwrap();
        let state = |thread: ThreadId, state: NoticeState| {
            notices
                .iter()
                .filter(|n| n.about == Some(thread.to_string()) && n.state == state)
                .count()
        };
        assert_eq!(notices.len(), 4, "every event was read");
        assert_eq!(state(busy, NoticeState::Pending), 1);
        assert_eq!(state(busy, NoticeState::Suppressed), 2);
        assert_eq!(state(other, NoticeState::Pending), 1);
        assert!(
            store
                .notice_events_after(store.notice_cursor().await.unwrap(), 10)
                .await
                .unwrap()
                .is_empty(),
            "the cursor moved past the batch"
        );
    }
}
