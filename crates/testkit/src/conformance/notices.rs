//! Conformance: the notice outbox (the worker's cursor over live events, notices stored once,
//! claimed, retried and sent), reminders (a meeting soon, an activity due tomorrow) and
//! claiming due notices (`docs/NOTIFICATIONS.md`).

use super::conversation::message;
use super::plan::plan_write;
use super::{event, fixture, new_client, t0, user};
use crate::db::Db;
use domain::audit::{AuditAction, DataKind};
use domain::conversation::store::NewThread;
use domain::ids::MeetingId;
use domain::ids::{PlanItemId, ThreadId, UserId};
use domain::meetings::store::MeetingRow;
use domain::meetings::{MeetingMode, MeetingStatus};
use domain::notices::NoticeAttempt;
use domain::notices::reminders::{ACTIVITY_DUE, MEETING_SOON, scan};
use domain::notices::{Channel, NewNotice, NoticeState};
use domain::plan::Side;
use domain::plan::store::PlanWrite;
use domain::ports::{LiveEvent, Store};
use domain::roles::Role;
use std::collections::HashSet;
use std::sync::Arc;
use time::{Duration, OffsetDateTime};

/// A client with an account, a thread by counselor A with one live event for the client, and
/// the notice the worker makes of that event, stored once.
struct Enqueued {
    client_user_id: UserId,
    thread: ThreadId,
    seq: i64,
    notice: NewNotice,
}

async fn enqueued(store: &dyn Store) -> Enqueued {
    let f = fixture(store).await;
    let client_user = user(f.org, "client-notice", vec![]);
    let client_user_id = client_user.id;
    store.create_user(client_user).await.unwrap();
    let client = new_client(
        store,
        &f,
        f.office_a,
        "Kari Notice",
        false,
        Some(client_user_id),
    )
    .await;
    let thread = ThreadId::new();
    store
        .create_thread(
            NewThread {
                id: thread,
                client_id: client,
                subject: "Hello".into(),
                about: None,
                created_at: t0(),
            },
            message(thread, client, f.counselor_a, Side::Counselor, "Hi", 0),
            event(
                f.counselor_a,
                Role::Counselor,
                client,
                DataKind::Messages,
                AuditAction::Created,
            ),
            vec![LiveEvent {
                recipient: client_user_id,
                kind: "message".into(),
                about: Some(thread.to_string()),
            }],
        )
        .await
        .unwrap();
    let seq = store.notice_events_after(0, 10).await.unwrap()[0].seq;
    let notice = NewNotice {
        idempotency_key: format!("k-{seq}-sms"),
        recipient: client_user_id,
        channel: Channel::Sms,
        about: Some(thread.to_string()),
        language: "nn".into(),
        state: NoticeState::Pending,
        reason: None,
        created_at: t0(),
        next_attempt_at: t0(),
    };
    store
        .enqueue_notices(seq, vec![notice.clone()])
        .await
        .unwrap();
    Enqueued {
        client_user_id,
        thread,
        seq,
        notice,
    }
}

/// The worker's cursor over live events: it starts at zero, live events from a message are
/// what the worker reads (across recipients, in order), a notice is stored once per
/// idempotency key (reading the same event again after a crash stores nothing new) and moves
/// the cursor; `notice_recently` finds it by recipient, channel and what it is about.
pub async fn the_worker_reads_live_events_and_stores_each_notice_once(store: &dyn Store) {
    assert_eq!(store.notice_cursor().await.unwrap(), 0);
    let Enqueued {
        client_user_id,
        thread,
        seq,
        notice,
    } = enqueued(store).await;
    let events = store.notice_events_after(0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].recipient, client_user_id);
    assert_eq!(
        events[0].about.as_deref(),
        Some(thread.to_string().as_str())
    );
    // Reading the same event again (after a crash) stores nothing new.
    store
        .enqueue_notices(seq, vec![notice.clone()])
        .await
        .unwrap();
    assert_eq!(store.notice_cursor().await.unwrap(), seq);
    assert!(store.notice_events_after(seq, 10).await.unwrap().is_empty());
    assert_eq!(store.notices_for(client_user_id).await.unwrap().len(), 1);
    let about = thread.to_string();
    assert!(
        store
            .notice_recently(
                client_user_id,
                Channel::Sms,
                Some(&about),
                t0() - Duration::minutes(30)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .notice_recently(
                client_user_id,
                Channel::Email,
                Some(&about),
                t0() - Duration::minutes(30)
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .notice_recently(
                client_user_id,
                Channel::Sms,
                None,
                t0() - Duration::minutes(30)
            )
            .await
            .unwrap()
    );
}

/// A stored notice is claimed (a crash leaves it `sending`), resumed, failed once, deferred,
/// then sent; the row keeps its attempts, and a sent notice is never claimed again.
pub async fn a_notice_is_claimed_resumed_retried_and_sent_once(store: &dyn Store, db: &Db) {
    let Enqueued {
        client_user_id,
        notice,
        ..
    } = enqueued(store).await;
    let sms = [Channel::Sms];
    let lease = t0() + Duration::minutes(5);
    let claimed = store
        .claim_due_notices(t0(), lease, &sms, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].state, NoticeState::Sending);
    let id = claimed[0].id;
    assert!(
        store
            .claim_due_notices(t0(), lease, &sms, 10)
            .await
            .unwrap()
            .is_empty(),
        "a claimed notice is not claimed again while its lease runs"
    );
    assert_eq!(store.resume_sending_notices(t0()).await.unwrap(), 1);
    assert_eq!(
        store.notices_for(client_user_id).await.unwrap()[0].state,
        NoticeState::Pending
    );
    assert_eq!(
        store
            .claim_due_notices(t0(), lease, &sms, 10)
            .await
            .unwrap()
            .len(),
        1,
        "resumed: due again at once"
    );
    store
        .record_notice_attempt(
            id,
            NoticeAttempt {
                at: t0(),
                outcome: "failed".into(),
                detail: Some("timeout".into()),
            },
            NoticeState::Pending,
            t0() + Duration::seconds(30),
        )
        .await
        .unwrap();
    assert!(
        store
            .claim_due_notices(t0(), lease, &sms, 10)
            .await
            .unwrap()
            .is_empty(),
        "a failed notice waits for its retry"
    );
    store
        .defer_notice(id, t0() + Duration::minutes(1))
        .await
        .unwrap();
    let later = t0() + Duration::minutes(2);
    assert_eq!(
        store
            .claim_due_notices(later, later + Duration::minutes(5), &sms, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    store
        .record_notice_attempt(
            id,
            NoticeAttempt {
                at: later,
                outcome: "sent".into(),
                detail: None,
            },
            NoticeState::Sent,
            later,
        )
        .await
        .unwrap();
    let stored = db.notice(&notice.idempotency_key).await.unwrap();
    assert_eq!(stored.state, NoticeState::Sent.as_str());
    assert_eq!(stored.attempts, 2);
    assert_eq!(stored.sent_at, Some(later));
    assert_eq!(stored.outcomes, ["failed", "sent"]);
    assert!(
        store
            .claim_due_notices(later + Duration::hours(1), later, &sms, 10)
            .await
            .unwrap()
            .is_empty(),
        "a sent notice is never claimed again"
    );
    assert_eq!(db.notice("nope").await, None);
}

fn meeting(
    client: domain::ids::ClientId,
    by: UserId,
    starts_at: OffsetDateTime,
    status: MeetingStatus,
) -> MeetingRow {
    MeetingRow {
        id: MeetingId::new(),
        client_id: client,
        proposed_by: Side::Client,
        proposed_by_user: by,
        starts_at,
        duration_minutes: 45,
        mode: MeetingMode::Phone,
        place: "SECRET place".into(),
        purpose: "SECRET purpose".into(),
        status,
        answer_by: (status == MeetingStatus::Proposed).then_some(Side::Counselor),
        version: 1,
        created_at: t0(),
        updated_at: t0(),
    }
}

fn activity_json(status: &str, end: &str) -> String {
    format!(
        r#"{{"kind":"own","title":"SECRET title","description":"","goal_id":null,"start":null,"end":"{end}","status":"{status}","created_by":"client"}}"#
    )
}

fn activity_write(
    actor: UserId,
    client: domain::ids::ClientId,
    item: PlanItemId,
    version: i64,
    data: &str,
) -> PlanWrite {
    let mut w = plan_write(actor, client, item, version, data, None);
    w.item.kind = "activity".into();
    w.history.item_kind = "activity".into();
    w.events = vec![];
    w
}

/// Reminders: once per meeting and start time (a moved meeting gets a new one), once per
/// activity and due date; only accepted meetings in the next 24 hours and open activities due
/// tomorrow (Oslo); each reminder is live events without content, to the parties with an
/// account; two scans at once make one reminder.
pub async fn reminders_are_made_once_per_meeting_start_and_due_date(store: &dyn Store) {
    let f = fixture(store).await;
    let cu = user(f.org, "client-remind", vec![]);
    let client_user = cu.id;
    store.create_user(cu).await.unwrap();
    let client = new_client(
        store,
        &f,
        f.office_a,
        "Kari Remind",
        false,
        Some(client_user),
    )
    .await;
    store
        .assign_counselor(
            client,
            f.counselor_a,
            event(
                f.admin,
                Role::Administrator,
                client,
                DataKind::Assignment,
                AuditAction::Changed,
            ),
        )
        .await
        .unwrap();
    let no_account = new_client(store, &f, f.office_a, "Ola Remind", false, None).await;
    let audit = |c| {
        event(
            client_user,
            Role::Client,
            c,
            DataKind::Meetings,
            AuditAction::Created,
        )
    };

    // t0 is 10:15 in Oslo on 2 March 2026.
    let now = t0();
    let soon = meeting(
        client,
        client_user,
        now + Duration::hours(2),
        MeetingStatus::Accepted,
    );
    let later = meeting(
        client,
        client_user,
        now + Duration::hours(30),
        MeetingStatus::Accepted,
    );
    let proposed = meeting(
        client,
        client_user,
        now + Duration::hours(3),
        MeetingStatus::Proposed,
    );
    let cancelled = meeting(
        client,
        client_user,
        now + Duration::hours(4),
        MeetingStatus::Cancelled,
    );
    let past = meeting(
        client,
        client_user,
        now - Duration::hours(1),
        MeetingStatus::Accepted,
    );
    for m in [&soon, &later, &proposed, &cancelled, &past] {
        store
            .create_meeting(m.clone(), audit(client), vec![])
            .await
            .unwrap();
    }
    let due = store
        .meetings_to_remind(now, now + Duration::hours(24), 10)
        .await
        .unwrap();
    assert_eq!(
        due.len(),
        1,
        "only the accepted meeting in the next 24 hours"
    );
    assert_eq!(due[0].meeting, soon.id);
    assert_eq!(due[0].starts_at, soon.starts_at);
    assert_eq!(due[0].client_user, Some(client_user));
    assert_eq!(due[0].counselor, Some(f.counselor_a));

    // Activities: open and due tomorrow (3 March) get one; the rest not.
    let mk = |status: &str, end: &str| (PlanItemId::new(), activity_json(status, end));
    let planned = mk("planned", "2026-03-03");
    let in_progress = mk("in-progress", "2026-03-03");
    let completed = mk("completed", "2026-03-03");
    let proposed_activity = mk("proposed", "2026-03-03");
    let day_after = mk("planned", "2026-03-04");
    for (item, data) in [
        &planned,
        &in_progress,
        &completed,
        &proposed_activity,
        &day_after,
    ] {
        store
            .write_plan_item(activity_write(f.counselor_a, client, *item, 1, data))
            .await
            .unwrap();
    }
    let orphan = mk("planned", "2026-03-03");
    store
        .write_plan_item(activity_write(
            f.counselor_a,
            no_account,
            orphan.0,
            1,
            &orphan.1,
        ))
        .await
        .unwrap();
    let listed: HashSet<PlanItemId> = store
        .activities_to_remind("2026-03-03", 10)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.item)
        .collect();
    assert_eq!(
        listed,
        HashSet::from([planned.0, in_progress.0, orphan.0]),
        "open activities due that day"
    );

    // Two workers scan at once: one reminder each, no more.
    let (a, b) = tokio::join!(scan(store, now), scan(store, now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.meetings + b.meetings, 1);
    assert_eq!(a.activities + b.activities, 2);
    assert_eq!(
        a.events + b.events,
        4,
        "client and counselor; the client twice"
    );
    let events = store.notice_events_after(0, 100).await.unwrap();
    let soon_events: Vec<_> = events.iter().filter(|e| e.kind == MEETING_SOON).collect();
    assert_eq!(soon_events.len(), 2);
    assert_eq!(
        soon_events
            .iter()
            .map(|e| e.recipient)
            .collect::<HashSet<_>>(),
        HashSet::from([client_user, f.counselor_a])
    );
    assert!(
        soon_events
            .iter()
            .all(|e| e.about.as_deref() == Some(soon.id.to_string().as_str()))
    );
    let due_events: Vec<_> = events.iter().filter(|e| e.kind == ACTIVITY_DUE).collect();
    assert_eq!(due_events.len(), 2);
    assert!(due_events.iter().all(|e| e.recipient == client_user));
    assert!(!format!("{events:?}").contains("SECRET"), "no content");

    // A repeated scan makes none.
    let again = scan(store, now + Duration::minutes(1)).await.unwrap();
    assert_eq!((again.meetings, again.activities, again.events), (0, 0, 0));
    assert!(
        store
            .activities_to_remind("2026-03-03", 10)
            .await
            .unwrap()
            .is_empty()
    );

    // The meeting moves (and is accepted again): a new reminder for the new start.
    let moved = MeetingRow {
        starts_at: soon.starts_at + Duration::hours(1),
        version: 2,
        ..soon.clone()
    };
    store
        .update_meeting(moved, 1, audit(client), vec![])
        .await
        .unwrap();
    let after_move = scan(store, now + Duration::minutes(2)).await.unwrap();
    assert_eq!((after_move.meetings, after_move.events), (1, 2));
    // A stale reminder (the old start) is refused.
    assert!(
        !store
            .record_meeting_reminder(soon.id, soon.starts_at, vec![], now)
            .await
            .unwrap()
    );

    // The later meeting comes into the window; the due date of an activity moves to the
    // next day and it is reminded again then.
    store
        .write_plan_item(activity_write(
            f.counselor_a,
            client,
            planned.0,
            2,
            &activity_json("planned", "2026-03-04"),
        ))
        .await
        .unwrap();
    let next_day = scan(store, now + Duration::hours(8)).await.unwrap();
    assert_eq!(
        next_day.meetings, 1,
        "the meeting 30 hours ahead, now 22 hours ahead"
    );
    // 18:15 Oslo on 2 March: tomorrow is still 3 March.
    assert_eq!(next_day.activities, 0);
    let tomorrow = scan(store, now + Duration::hours(24)).await.unwrap();
    assert_eq!(
        tomorrow.activities, 2,
        "the moved activity and the one due on 4 March"
    );
    // Before nine in the morning in Oslo, no activity reminders.
    let early = now + Duration::days(1) + Duration::hours(20); // 06:15 Oslo on 4 March
    let mut also = mk("planned", "2026-03-05");
    also.1 = activity_json("planned", "2026-03-05");
    store
        .write_plan_item(activity_write(f.counselor_a, client, also.0, 1, &also.1))
        .await
        .unwrap();
    assert_eq!(scan(store, early).await.unwrap().activities, 0);
    assert_eq!(
        scan(store, early + Duration::hours(3))
            .await
            .unwrap()
            .activities,
        1
    );
}

/// Claiming: a claimed notice is `sending` with its lease and nobody else's until the lease
/// runs out; only the asked channels; parallel claims never share a notice.
pub async fn due_notices_are_claimed_once(store: Arc<dyn Store>) {
    let f = fixture(store.as_ref()).await;
    // The staff's language, for their notices.
    store
        .put_availability(domain::contact::CounselorAvailability {
            counselor_id: f.counselor_a,
            contact_hours: "9-15".into(),
            channels: vec![],
            notice_email: Some("c@example.org".into()),
            updated_at: t0(),
        })
        .await
        .unwrap();
    let lang = |s: Arc<dyn Store>| async move {
        s.notice_contact(f.counselor_a)
            .await
            .unwrap()
            .unwrap()
            .language
    };
    assert_eq!(lang(store.clone()).await, "nb", "bokmål until chosen");
    store.set_user_language(f.counselor_a, "en").await.unwrap();
    assert_eq!(lang(store.clone()).await, "en");
    store.set_user_language(f.counselor_a, "nn").await.unwrap();
    assert_eq!(lang(store.clone()).await, "nn");

    let notice = |n: usize, channel| NewNotice {
        idempotency_key: format!("claim-{n}-{}", Channel::as_str(&channel)),
        recipient: f.counselor_a,
        channel,
        about: Some(format!("thing-{n}")),
        language: "nb".into(),
        state: NoticeState::Pending,
        reason: None,
        created_at: t0(),
        next_attempt_at: t0(),
    };
    let mut all = vec![];
    for n in 0..60 {
        all.push(notice(n, Channel::Sms));
    }
    all.push(notice(99, Channel::Email));
    store.enqueue_notices(1, all).await.unwrap();

    let lease = t0() + Duration::seconds(30);
    // Eight workers claim in parallel, in batches of 4, until nothing is left.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let s = store.clone();
        tasks.spawn(async move {
            let mut mine = vec![];
            loop {
                let got = s
                    .claim_due_notices(t0(), lease, &[Channel::Sms], 4)
                    .await
                    .unwrap();
                if got.is_empty() {
                    return mine;
                }
                for n in &got {
                    assert_eq!(n.state, NoticeState::Sending);
                    assert_eq!(n.next_attempt_at, lease);
                    assert_eq!(n.channel, Channel::Sms);
                }
                mine.extend(got.into_iter().map(|n| n.idempotency_key));
            }
        });
    }
    let mut claimed = vec![];
    while let Some(r) = tasks.join_next().await {
        claimed.extend(r.unwrap());
    }
    assert_eq!(claimed.len(), 60, "every SMS notice claimed");
    assert_eq!(
        claimed.iter().collect::<HashSet<_>>().len(),
        60,
        "no notice claimed twice"
    );
    // Held until the lease runs out; the e-mail notice was not asked for.
    assert!(
        store
            .claim_due_notices(t0() + Duration::seconds(29), lease, &[Channel::Sms], 100)
            .await
            .unwrap()
            .is_empty()
    );
    let mail = store
        .claim_due_notices(t0(), lease, &[Channel::Email, Channel::Sms], 100)
        .await
        .unwrap();
    assert_eq!(mail.len(), 1);
    assert_eq!(mail[0].channel, Channel::Email);
    let expired = store
        .claim_due_notices(lease, lease + Duration::seconds(30), &[Channel::Sms], 100)
        .await
        .unwrap();
    assert_eq!(
        expired.len(),
        60,
        "a dead worker's claims come back after the lease"
    );
    assert!(
        store
            .claim_due_notices(lease, lease, &[], 100)
            .await
            .unwrap()
            .is_empty()
    );
}
