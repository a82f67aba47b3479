//! Conformance: threads, messages, read receipts, attachments, drafts and check-ins.

use super::{Fixture, event, fixture, new_client, t0, user, verify_chain};
use domain::audit::{AuditAction, DataKind, NewAuditEvent};
use domain::conversation::store::{NewAttachment, NewMessage, NewThread};
use domain::ids::{AttachmentId, ClientId, MessageId, ThreadId, UserId};
use domain::plan::Side;
use domain::ports::{LiveEvent, Store};
use domain::roles::Role;
use time::Duration;

pub(super) fn message(
    thread: ThreadId,
    client: ClientId,
    author: UserId,
    side: Side,
    body: &str,
    minute: i64,
) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        thread_id: thread,
        client_id: client,
        author_id: author,
        author_side: side,
        body: body.into(),
        sent_at: t0() + Duration::minutes(minute),
        attachments: vec![],
    }
}

/// A client with an account (`talk.client`), another without (`talk.other`), and a thread of
/// the client's with two messages from the client, each with its audit row and a live event
/// for counselor A.
pub(super) struct Talk {
    pub f: Fixture,
    pub client_user_id: UserId,
    pub client: ClientId,
    pub other: ClientId,
    pub thread: ThreadId,
}

impl Talk {
    /// The audit row of a message by the client.
    pub fn audit(&self) -> NewAuditEvent {
        event(
            self.client_user_id,
            Role::Client,
            self.client,
            DataKind::Messages,
            AuditAction::Created,
        )
    }

    /// Adds a message by the client at `minute`, with no live event.
    pub async fn client_writes(&self, store: &dyn Store, body: &str, minute: i64) {
        store
            .add_message(
                message(
                    self.thread,
                    self.client,
                    self.client_user_id,
                    Side::Client,
                    body,
                    minute,
                ),
                self.audit(),
                vec![],
            )
            .await
            .unwrap();
    }
}

pub(super) async fn talk(store: &dyn Store) -> Talk {
    let f = fixture(store).await;
    let client_user = user(f.org, "client-talk", vec![]);
    let client_user_id = client_user.id;
    store.create_user(client_user).await.unwrap();
    let client = new_client(
        store,
        &f,
        f.office_a,
        "Kari Talk",
        false,
        Some(client_user_id),
    )
    .await;
    let other = new_client(store, &f, f.office_a, "Ola Talk", false, None).await;
    let thread = ThreadId::new();
    let talk = Talk {
        f,
        client_user_id,
        client,
        other,
        thread,
    };
    let to_counselor = || {
        vec![LiveEvent {
            recipient: talk.f.counselor_a,
            kind: "message".into(),
            about: Some(thread.to_string()),
        }]
    };
    store
        .create_thread(
            NewThread {
                id: thread,
                client_id: client,
                subject: "Moving the meeting".into(),
                about: None,
                created_at: t0(),
            },
            message(
                thread,
                client,
                client_user_id,
                Side::Client,
                "Can we move it?",
                0,
            ),
            talk.audit(),
            to_counselor(),
        )
        .await
        .unwrap();
    store
        .add_message(
            message(
                thread,
                client,
                client_user_id,
                Side::Client,
                "To Friday?",
                1,
            ),
            talk.audit(),
            to_counselor(),
        )
        .await
        .unwrap();
    talk
}

/// A thread counts its messages, who wrote last and what the counselor has not read; it
/// belongs to one client: a message for another client is refused and another client's
/// reading finds nothing.
pub async fn threads_belong_to_one_client_and_count_what_the_client_wrote(store: &dyn Store) {
    let talk = talk(store).await;
    let (f, client, other, thread) = (&talk.f, talk.client, talk.other, talk.thread);
    assert_eq!(
        store.client_user(client).await.unwrap(),
        Some(talk.client_user_id)
    );
    assert_eq!(store.client_user(other).await.unwrap(), None);
    let t = store.thread_summary(thread).await.unwrap().unwrap();
    assert_eq!(
        (t.messages, t.last_author_side, t.unread_for_counselor),
        (2, Some(Side::Client), 2)
    );
    assert_eq!(t.last_message_at, Some(t0() + Duration::minutes(1)));

    // A message cannot be added to another client's thread.
    assert!(
        store
            .add_message(
                message(thread, other, f.counselor_a, Side::Counselor, "x", 2),
                talk.audit(),
                vec![]
            )
            .await
            .is_err()
    );
    assert!(
        store
            .read_thread(thread, &crate::access(other, None), None, t0(), vec![])
            .await
            .unwrap()
            .is_none()
    );
    verify_chain(store).await.unwrap();
}

/// The counselor opens the thread: the client's messages become read, once, with one receipt
/// event; what the client writes afterwards is unread again.
pub async fn reading_a_thread_marks_the_other_sides_messages_read_once(store: &dyn Store) {
    let talk = talk(store).await;
    let (client, other, thread) = (talk.client, talk.other, talk.thread);
    let client_user_id = talk.client_user_id;
    let receipt = || {
        vec![LiveEvent {
            recipient: client_user_id,
            kind: "read".into(),
            about: Some(thread.to_string()),
        }]
    };
    let read_at = t0() + Duration::minutes(5);
    let r = store
        .read_thread(
            thread,
            &crate::access(client, None),
            Some(Side::Counselor),
            read_at,
            receipt(),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(r.messages.len(), 2);
    assert_eq!(r.messages[0].body, "Can we move it?");
    assert!(r.messages.iter().all(|m| m.read_at == Some(read_at)));
    assert_eq!(r.messages[0].author_name, "Person client-talk");
    store
        .read_thread(
            thread,
            &crate::access(client, None),
            Some(Side::Counselor),
            read_at + Duration::minutes(1),
            receipt(),
        )
        .await
        .unwrap();
    let client_events = store
        .live_events_after(client_user_id, 0, 10)
        .await
        .unwrap();
    assert_eq!(
        client_events
            .iter()
            .map(|e| e.kind.as_str())
            .collect::<Vec<_>>(),
        vec!["read"],
        "one receipt, not two"
    );

    talk.client_writes(store, "Still there?", 9).await;
    talk.client_writes(store, "The letter", 10).await;
    let list = store
        .list_threads(&crate::access(client, None))
        .await
        .unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        list[0].unread_for_counselor, 2,
        "two client messages since the counselor read"
    );
    assert!(
        store
            .list_threads(&crate::access(other, None))
            .await
            .unwrap()
            .is_empty()
    );
    verify_chain(store).await.unwrap();
}

/// "No answer needed" holds until the client writes again.
pub async fn no_answer_needed_holds_until_the_client_writes_again(store: &dyn Store) {
    let talk = talk(store).await;
    let thread = talk.thread;
    let mark = event(
        talk.f.counselor_a,
        Role::Counselor,
        talk.client,
        DataKind::Messages,
        AuditAction::Changed,
    );
    store
        .set_no_answer_needed(thread, true, mark)
        .await
        .unwrap();
    assert!(
        store
            .thread_summary(thread)
            .await
            .unwrap()
            .unwrap()
            .no_answer_needed
    );
    talk.client_writes(store, "Still there?", 9).await;
    assert!(
        !store
            .thread_summary(thread)
            .await
            .unwrap()
            .unwrap()
            .no_answer_needed
    );
    verify_chain(store).await.unwrap();
}

/// An attachment is stored with its message and read back byte for byte, for its client only.
pub async fn attachments_are_stored_with_their_message_for_their_client_only(store: &dyn Store) {
    let talk = talk(store).await;
    let (client, other, thread) = (talk.client, talk.other, talk.thread);
    let mut with_file = message(
        thread,
        client,
        talk.client_user_id,
        Side::Client,
        "The letter",
        10,
    );
    let file = NewAttachment {
        id: AttachmentId::new(),
        name: "letter.pdf".into(),
        content_type: "application/pdf".into(),
        bytes: b"%PDF-1.4 \x00\xff binary %%EOF".to_vec(),
    };
    with_file.attachments = vec![file.clone()];
    store
        .add_message(with_file, talk.audit(), vec![])
        .await
        .unwrap();
    let r = store
        .read_thread(
            thread,
            &crate::access(client, None),
            None,
            t0() + Duration::minutes(5),
            vec![],
        )
        .await
        .unwrap()
        .unwrap();
    let meta = &r.messages.last().unwrap().attachments;
    assert_eq!(meta.len(), 1);
    assert_eq!(
        (meta[0].id, meta[0].name.as_str(), meta[0].size),
        (file.id, "letter.pdf", file.bytes.len() as i64)
    );
    let got = store
        .attachment(file.id, &crate::access(client, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.bytes, file.bytes);
    assert!(
        store
            .attachment(file.id, &crate::access(other, None))
            .await
            .unwrap()
            .is_none()
    );
    verify_chain(store).await.unwrap();
}

/// Check-ins: a frequency per client (set, changed, cleared, each with its audit row), and the
/// last contact taken from the latest message.
pub async fn checkins_and_the_latest_message_make_the_contact_status(store: &dyn Store) {
    let talk = talk(store).await;
    let (client, other) = (talk.client, talk.other);
    talk.client_writes(store, "The letter", 10).await;
    let set = |c| {
        event(
            talk.f.counselor_a,
            Role::Counselor,
            c,
            DataKind::Messages,
            AuditAction::Changed,
        )
    };
    store
        .set_checkin_frequency(client, Some(14), set(client))
        .await
        .unwrap();
    store
        .set_checkin_frequency(other, Some(7), set(other))
        .await
        .unwrap();
    store
        .set_checkin_frequency(other, None, set(other))
        .await
        .unwrap();
    let status = store.contact_status(&[client, other]).await.unwrap();
    let of = |c: ClientId| status.iter().find(|s| s.client_id == c).unwrap().clone();
    assert_eq!(of(client).every_days, Some(14));
    assert_eq!(
        of(client).last_contact,
        Some(t0() + Duration::minutes(10)),
        "the latest message"
    );
    assert_eq!((of(other).every_days, of(other).last_contact), (None, None));
    verify_chain(store).await.unwrap();
}

// ----- drafts: a person's unsent answer in a thread -----

/// A second thread of the same client, with a first message by the counselor.
async fn second_thread(store: &dyn Store, talk: &Talk) -> ThreadId {
    let thread = ThreadId::new();
    store
        .create_thread(
            NewThread {
                id: thread,
                client_id: talk.client,
                subject: "Another matter".into(),
                about: None,
                created_at: t0(),
            },
            message(
                thread,
                talk.client,
                talk.f.counselor_a,
                Side::Counselor,
                "About the course",
                3,
            ),
            event(
                talk.f.counselor_a,
                Role::Counselor,
                talk.client,
                DataKind::Messages,
                AuditAction::Created,
            ),
            vec![],
        )
        .await
        .unwrap();
    thread
}

/// A saved draft reads back as written (line breaks and all); saving again replaces it; a
/// thread without a draft has none.
pub async fn a_draft_is_saved_read_back_and_overwritten(store: &dyn Store) {
    let talk = talk(store).await;
    let (me, thread) = (talk.client_user_id, talk.thread);
    assert_eq!(store.draft(me, thread).await.unwrap(), None);
    let body = "Friday works,\nbut not before 10 – Æ ø å";
    store
        .save_draft(me, thread, body, t0() + Duration::minutes(2))
        .await
        .unwrap();
    assert_eq!(
        store.draft(me, thread).await.unwrap().as_deref(),
        Some(body)
    );
    store
        .save_draft(me, thread, "Friday at 11?", t0() + Duration::minutes(3))
        .await
        .unwrap();
    assert_eq!(
        store.draft(me, thread).await.unwrap().as_deref(),
        Some("Friday at 11?"),
        "the newer draft replaces the older"
    );
}

/// Drafts are per person and per thread: the counselor's draft in the same thread and the
/// client's draft in another thread are separate, and changing one leaves the others.
pub async fn drafts_are_per_author_and_per_thread(store: &dyn Store) {
    let talk = talk(store).await;
    let (client, counselor, thread) = (talk.client_user_id, talk.f.counselor_a, talk.thread);
    let elsewhere = second_thread(store, &talk).await;
    let at = t0() + Duration::minutes(4);
    store
        .save_draft(client, thread, "client, first thread", at)
        .await
        .unwrap();
    store
        .save_draft(counselor, thread, "counselor, first thread", at)
        .await
        .unwrap();
    store
        .save_draft(client, elsewhere, "client, second thread", at)
        .await
        .unwrap();
    store
        .save_draft(client, thread, "client, first thread, again", at)
        .await
        .unwrap();
    let draft = async |user, thread| store.draft(user, thread).await.unwrap();
    assert_eq!(
        draft(client, thread).await.as_deref(),
        Some("client, first thread, again")
    );
    assert_eq!(
        draft(counselor, thread).await.as_deref(),
        Some("counselor, first thread")
    );
    assert_eq!(
        draft(client, elsewhere).await.as_deref(),
        Some("client, second thread")
    );
    assert_eq!(draft(counselor, elsewhere).await, None);
}

/// Saving an empty (or blank) draft removes the draft; it does not store an empty one.
pub async fn an_empty_draft_removes_the_draft(store: &dyn Store) {
    let talk = talk(store).await;
    let (me, thread) = (talk.client_user_id, talk.thread);
    for blank in ["", "  \n\t "] {
        store
            .save_draft(me, thread, "to be removed", t0())
            .await
            .unwrap();
        store.save_draft(me, thread, blank, t0()).await.unwrap();
        assert_eq!(store.draft(me, thread).await.unwrap(), None, "{blank:?}");
    }
    // Removing a draft that is not there is fine.
    store.save_draft(me, thread, "", t0()).await.unwrap();
    assert_eq!(store.draft(me, thread).await.unwrap(), None);
}

/// Sending a message removes its author's draft in that thread, and only that one: the other
/// party's draft in the thread and the author's drafts in other threads stay.
pub async fn sending_removes_the_authors_draft_in_that_thread_only(store: &dyn Store) {
    let talk = talk(store).await;
    let (client, counselor, thread) = (talk.client_user_id, talk.f.counselor_a, talk.thread);
    let elsewhere = second_thread(store, &talk).await;
    let at = t0() + Duration::minutes(4);
    for (user, thread, body) in [
        (client, thread, "Friday at 11?"),
        (counselor, thread, "Let me check"),
        (client, elsewhere, "About the course"),
    ] {
        store.save_draft(user, thread, body, at).await.unwrap();
    }
    talk.client_writes(store, "Friday at 11?", 5).await;
    assert_eq!(store.draft(client, thread).await.unwrap(), None, "sent");
    assert_eq!(
        store.draft(counselor, thread).await.unwrap().as_deref(),
        Some("Let me check")
    );
    assert_eq!(
        store.draft(client, elsewhere).await.unwrap().as_deref(),
        Some("About the course")
    );
    verify_chain(store).await.unwrap();
}
