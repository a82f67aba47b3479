//! Conformance of the feedback-collection port ([`domain::feedback::store::FeedbackStore`]),
//! run on SQLite and PostgreSQL through `conformance_tests!`: instruments are versioned,
//! responses are stored with their theme scores, a staff read returns shared responses only
//! (with its audit row in the same transaction), only the author changes a response and only
//! inside its window, invitations keep their state, talk notes read back with the author's
//! name, and retention deletes every trace of one client and nothing of another.

use super::{event, fixture, new_client, user, verify_chain};
use domain::audit::{AuditAction, DataKind};
use domain::feedback::instrument::{BUILTIN_ID, builtin};
use domain::feedback::responses::Answers;
use domain::feedback::store::{
    InstrumentRow, InvitationRow, InviteReason, InviteState, ResponseRow, TalkNoteRow,
};
use domain::ids::{ClientId, FeedbackInvitationId, FeedbackResponseId, TalkNoteId, UserId};
use domain::ports::{Conflict, PortError, Store};
use domain::roles::Role;
use time::{Duration, OffsetDateTime};

fn t0() -> OffsetDateTime {
    time::macros::datetime!(2026-03-02 09:15:00.123456 UTC)
}

fn response(
    client: ClientId,
    author: UserId,
    f: &crate::conformance::Fixture,
    at: OffsetDateTime,
    shared: bool,
    themes: [Option<i64>; 6],
) -> ResponseRow {
    let mut a = Answers::default();
    a.items.insert("relation".into(), themes[0].unwrap_or(0));
    a.texts.insert(
        "helped-most".into(),
        "<b>Being believed</b> – «takk»".into(),
    );
    ResponseRow {
        id: FeedbackResponseId::new(),
        client_id: client,
        author_id: author,
        office_id: f.office_a,
        team_id: None,
        counselor_id: Some(f.counselor_a),
        instrument_id: BUILTIN_ID.into(),
        instrument_version: 1,
        meeting_id: None,
        quarter: "2026-Q1".into(),
        answered_at: at,
        changeable_until: at + Duration::minutes(30),
        shared_with_counselor: shared,
        themes,
        answers: serde_json::to_string(&a).unwrap(),
    }
}

pub async fn feedback_is_stored_shared_changed_and_deleted(store: &dyn Store) {
    let f = fixture(store).await;
    let kari = user(f.org, "kari", vec![]);
    let ola = user(f.org, "ola", vec![]);
    let (kari_id, ola_id) = (kari.id, ola.id);
    store.create_user(kari).await.unwrap();
    store.create_user(ola).await.unwrap();
    let client = new_client(store, &f, f.office_a, "Kari Client", false, Some(kari_id)).await;
    let other = new_client(store, &f, f.office_a, "Ola Client", false, Some(ola_id)).await;

    // Instruments: versioned, the same version twice is a conflict, the latest is found.
    let row = |version: i64| InstrumentRow {
        id: BUILTIN_ID.into(),
        version,
        organisation_id: None,
        definition: builtin().to_json(),
        created_at: t0(),
    };
    store.put_instrument(row(1)).await.unwrap();
    assert!(matches!(
        store.put_instrument(row(1)).await,
        Err(PortError::Conflict(_))
    ));
    assert!(matches!(
        store.put_instrument(row(1)).await,
        Err(PortError::Conflict(Conflict::Unique))
    ));
    store.put_instrument(row(2)).await.unwrap();
    assert_eq!(
        store
            .instrument(BUILTIN_ID, None)
            .await
            .unwrap()
            .unwrap()
            .version,
        2
    );
    let v1 = store
        .instrument(BUILTIN_ID, Some(1))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        domain::feedback::instrument::Instrument::from_json(&v1.definition).unwrap(),
        builtin()
    );
    assert!(store.instrument("nothing", None).await.unwrap().is_none());
    assert_eq!(store.chosen_instrument(f.org).await.unwrap(), None);
    store
        .choose_instrument(f.org, BUILTIN_ID, t0())
        .await
        .unwrap();
    store
        .choose_instrument(f.org, BUILTIN_ID, t0())
        .await
        .unwrap();
    assert_eq!(
        store.chosen_instrument(f.org).await.unwrap().as_deref(),
        Some(BUILTIN_ID)
    );

    // An invitation, answered by a private response.
    let inv = InvitationRow {
        id: FeedbackInvitationId::new(),
        client_id: client,
        office_id: f.office_a,
        team_id: None,
        counselor_id: Some(f.counselor_a),
        quarter: "2026-Q1".into(),
        reason: InviteReason::Monthly,
        meeting_id: None,
        invited_at: t0(),
        state: InviteState::Open,
        closed_at: None,
    };
    store.create_invitation(inv.clone()).await.unwrap();
    assert_eq!(
        store.feedback_invitations(client, 10).await.unwrap(),
        std::slice::from_ref(&inv)
    );
    let audit = |actor, role, action| event(actor, role, client, DataKind::Feedback, action);
    let private = response(
        client,
        kari_id,
        &f,
        t0() + Duration::minutes(5),
        false,
        [Some(2), None, Some(10), Some(0), None, Some(7)],
    );
    let head = store.audit_head().await.unwrap().0;
    store
        .insert_response(
            private.clone(),
            Some(inv.id),
            audit(kari_id, Role::Client, AuditAction::Created),
        )
        .await
        .unwrap();
    assert_eq!(store.audit_head().await.unwrap().0, head + 1);
    let got = store.feedback_invitations(client, 10).await.unwrap();
    assert_eq!(got[0].state, InviteState::Answered);
    assert_eq!(got[0].closed_at, Some(private.answered_at));
    assert_eq!(
        store.feedback_preference(client).await.unwrap(),
        Some(false)
    );
    assert!(
        !store
            .close_invitation(inv.id, client, InviteState::Dismissed, t0())
            .await
            .unwrap(),
        "an answered invitation is not dismissed"
    );

    // A shared response; the staff read returns only that one, with one audit row.
    let shared = response(
        client,
        kari_id,
        &f,
        t0() + Duration::days(20),
        true,
        [Some(8), Some(8), Some(8), Some(8), Some(8), Some(8)],
    );
    store
        .insert_response(
            shared.clone(),
            None,
            audit(kari_id, Role::Client, AuditAction::Created),
        )
        .await
        .unwrap();
    assert_eq!(store.feedback_preference(client).await.unwrap(), Some(true));
    let head = store.audit_head().await.unwrap().0;
    let staff = store
        .feedback_responses(
            &crate::access(
                client,
                Some(audit(f.counselor_a, Role::Counselor, AuditAction::Viewed)),
            ),
            true,
        )
        .await
        .unwrap();
    assert_eq!(store.audit_head().await.unwrap().0, head + 1);
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].id, shared.id);
    let own = store
        .feedback_responses(&crate::access(client, None), false)
        .await
        .unwrap();
    assert_eq!(own.len(), 2, "the client reads all their own, oldest first");
    assert_eq!(own[0].id, private.id);
    assert_eq!(own[0].themes, private.themes);
    assert_eq!(own[0].answered_at, private.answered_at);
    assert_eq!(own[0].changeable_until, private.changeable_until);
    assert_eq!(
        Answers::from_json(&own[0].answers),
        Answers::from_json(&private.answers)
    );
    assert!(
        store
            .feedback_responses(&crate::access(other, None), false)
            .await
            .unwrap()
            .is_empty()
    );

    // Only the author, only inside the window.
    let changed = ResponseRow {
        themes: [Some(9); 6],
        shared_with_counselor: true,
        ..private.clone()
    };
    let by_other = ResponseRow {
        author_id: ola_id,
        ..changed.clone()
    };
    assert!(matches!(
        store
            .update_response(
                by_other,
                private.answered_at,
                audit(ola_id, Role::Client, AuditAction::Changed)
            )
            .await,
        Err(PortError::Conflict(Conflict::Stale))
    ));
    assert!(matches!(
        store
            .update_response(
                changed.clone(),
                private.changeable_until + Duration::seconds(1),
                audit(kari_id, Role::Client, AuditAction::Changed)
            )
            .await,
        Err(PortError::Conflict(Conflict::Stale))
    ));
    store
        .update_response(
            changed.clone(),
            private.changeable_until,
            audit(kari_id, Role::Client, AuditAction::Changed),
        )
        .await
        .unwrap();
    let own = store
        .feedback_responses(&crate::access(client, None), false)
        .await
        .unwrap();
    assert_eq!(own[0].themes, [Some(9); 6]);
    assert!(own[0].shared_with_counselor);

    // Talk notes, with the author's name.
    store
        .add_talk_note(
            TalkNoteRow {
                id: TalkNoteId::new(),
                client_id: client,
                author_id: f.counselor_a,
                prompt: "drop".into(),
                text: "We talked about the waiting.".into(),
                created_at: t0() + Duration::days(21),
            },
            audit(f.counselor_a, Role::Counselor, AuditAction::Created),
        )
        .await
        .unwrap();
    let notes = store.talk_notes(client).await.unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].author_name, "Person counselor-a");
    assert_eq!(notes[0].note.prompt, "drop");
    assert!(store.talk_notes(other).await.unwrap().is_empty());

    // A dismissed invitation of the other client, and its response: untouched by retention.
    let theirs = InvitationRow {
        id: FeedbackInvitationId::new(),
        client_id: other,
        ..inv.clone()
    };
    store.create_invitation(theirs.clone()).await.unwrap();
    assert!(
        store
            .close_invitation(theirs.id, other, InviteState::Dismissed, t0())
            .await
            .unwrap()
    );
    store
        .insert_response(
            response(other, ola_id, &f, t0(), true, [Some(5); 6]),
            None,
            event(
                ola_id,
                Role::Client,
                other,
                DataKind::Feedback,
                AuditAction::Created,
            ),
        )
        .await
        .unwrap();

    // Retention: everything of the client goes, nothing of the other.
    let d = store.delete_feedback(client).await.unwrap();
    assert_eq!(
        (d.responses, d.invitations, d.preferences, d.talk_notes),
        (2, 1, 1, 1)
    );
    assert!(
        store
            .feedback_responses(&crate::access(client, None), false)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .feedback_invitations(client, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.feedback_preference(client).await.unwrap(), None);
    assert!(store.talk_notes(client).await.unwrap().is_empty());
    assert_eq!(
        store
            .feedback_responses(&crate::access(other, None), false)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store.feedback_invitations(other, 10).await.unwrap().len(),
        1
    );
    assert_eq!(store.feedback_preference(other).await.unwrap(), Some(true));
    // The audit trail is untouched and still verifies.
    verify_chain(store).await.unwrap();
}
