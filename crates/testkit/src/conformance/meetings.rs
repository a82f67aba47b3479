//! Conformance: meetings, agenda points, notes and comments.

use super::{event, fixture, new_client, t0, user, verify_chain};
use domain::audit::{AuditAction, DataKind};
use domain::ids::UserId;
use domain::plan::Side;
use domain::ports::{Conflict, LiveEvent, PortError, Store};
use domain::roles::Role;
use time::Duration;

/// Meetings: a proposal, a stale answer refused, agenda points, notes that stay as they were
/// once shared, comments kept with them; every write with its audit row and live events,
/// every audited read with exactly one row; another client's meeting is not found.
pub async fn meetings_keep_versions_notes_and_audit(store: &dyn Store) {
    use domain::ids::{AgendaPointId, MeetingId, NotesCommentId};
    use domain::meetings::store::{AgendaPointRow, MeetingNotesRow, MeetingRow, NotesCommentRow};
    use domain::meetings::{MeetingMode, MeetingStatus};

    let f = fixture(store).await;
    let client_user = user(f.org, "client-meet", vec![]);
    let cu = client_user.id;
    store.create_user(client_user).await.unwrap();
    let client = new_client(store, &f, f.office_a, "Kari Meet", false, Some(cu)).await;
    let other = new_client(store, &f, f.office_a, "Ola Meet", false, None).await;
    let audit = |actor, role, action| event(actor, role, client, DataKind::Meetings, action);
    let to = |recipient: UserId, m: MeetingId| {
        vec![LiveEvent {
            recipient,
            kind: "meeting".into(),
            about: Some(m.to_string()),
        }]
    };
    let rows_before = verify_chain(store).await.unwrap();

    let id = MeetingId::new();
    let m = MeetingRow {
        id,
        client_id: client,
        proposed_by: Side::Client,
        proposed_by_user: cu,
        starts_at: t0() + Duration::days(7),
        duration_minutes: 45,
        mode: MeetingMode::Video,
        place: "Æ, ø; å \\ \"quoted\"".into(),
        purpose: "Talk about the course".into(),
        status: MeetingStatus::Proposed,
        answer_by: Some(Side::Counselor),
        version: 1,
        created_at: t0(),
        updated_at: t0(),
    };
    store
        .create_meeting(
            m.clone(),
            audit(cu, Role::Client, AuditAction::Created),
            to(f.counselor_a, id),
        )
        .await
        .unwrap();
    let read = store
        .read_meeting(id, &crate::access(client, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.meeting, m, "a meeting reads back exactly as written");
    assert!(read.agenda.is_empty() && read.notes.is_none() && read.comments.is_empty());
    assert!(
        store
            .read_meeting(id, &crate::access(other, None))
            .await
            .unwrap()
            .is_none(),
        "another client's meeting is not found"
    );
    let events = store.live_events_after(f.counselor_a, 0, 10).await.unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "meeting");
    assert_eq!(events[0].about, Some(id.to_string()));

    // The counselor accepts; an answer based on the old version is refused and changes nothing.
    let mut accepted = m.clone();
    accepted.status = MeetingStatus::Accepted;
    accepted.answer_by = None;
    accepted.version = 2;
    accepted.updated_at = t0() + Duration::minutes(5);
    store
        .update_meeting(
            accepted.clone(),
            1,
            audit(f.counselor_a, Role::Counselor, AuditAction::Changed),
            to(cu, id),
        )
        .await
        .unwrap();
    let mut late = m.clone();
    late.starts_at = t0() + Duration::days(9);
    late.version = 2;
    let err = store
        .update_meeting(
            late,
            1,
            audit(cu, Role::Client, AuditAction::Changed),
            to(f.counselor_a, id),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, PortError::Conflict(Conflict::Stale)),
        "{err:?}"
    );
    let read = store
        .read_meeting(id, &crate::access(client, None))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(read.meeting, accepted);

    // Agenda points from both sides, in the order written.
    for (n, (author, side)) in [(f.counselor_a, Side::Counselor), (cu, Side::Client)]
        .into_iter()
        .enumerate()
    {
        store
            .add_agenda_point(
                AgendaPointRow {
                    id: AgendaPointId::new(),
                    meeting_id: id,
                    client_id: client,
                    author_id: author,
                    author_side: side,
                    text: format!("Point {n}"),
                    created_at: t0() + Duration::minutes(10 + n as i64),
                },
                audit(author, Role::Client, AuditAction::Created),
                vec![],
            )
            .await
            .unwrap();
    }
    // A point for a meeting of another client is refused.
    assert!(
        store
            .add_agenda_point(
                AgendaPointRow {
                    id: AgendaPointId::new(),
                    meeting_id: id,
                    client_id: other,
                    author_id: cu,
                    author_side: Side::Client,
                    text: "Wrong".into(),
                    created_at: t0(),
                },
                audit(cu, Role::Client, AuditAction::Created),
                vec![],
            )
            .await
            .is_err()
    );

    // Notes: rewritten while not shared, then shared, then fixed.
    let notes = |text: &str, shared: bool| MeetingNotesRow {
        meeting_id: id,
        client_id: client,
        author_id: f.counselor_a,
        text: text.into(),
        written_at: t0() + Duration::days(7),
        shared_at: shared.then(|| t0() + Duration::days(7)),
    };
    let comment = || NotesCommentRow {
        id: NotesCommentId::new(),
        meeting_id: id,
        client_id: client,
        author_id: cu,
        author_side: Side::Client,
        correction: true,
        text: "It was Tuesday, not Monday.".into(),
        created_at: t0() + Duration::days(8),
    };
    store
        .put_meeting_notes(
            notes("Draft", false),
            audit(f.counselor_a, Role::Counselor, AuditAction::Created),
            vec![],
        )
        .await
        .unwrap();
    assert!(
        store
            .add_notes_comment(
                comment(),
                audit(cu, Role::Client, AuditAction::Created),
                vec![]
            )
            .await
            .is_err(),
        "no comments on notes that are not shared"
    );
    store
        .put_meeting_notes(
            notes("We agreed on Monday.", true),
            audit(f.counselor_a, Role::Counselor, AuditAction::Changed),
            to(cu, id),
        )
        .await
        .unwrap();
    let err = store
        .put_meeting_notes(
            notes("Rewritten", false),
            audit(f.counselor_a, Role::Counselor, AuditAction::Changed),
            vec![],
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, PortError::Conflict(Conflict::Stale)),
        "{err:?}"
    );
    let c = comment();
    store
        .add_notes_comment(
            c.clone(),
            audit(cu, Role::Client, AuditAction::Created),
            to(f.counselor_a, id),
        )
        .await
        .unwrap();

    // An audited read writes exactly one row; the record holds everything.
    let before = verify_chain(store).await.unwrap();
    let read = store
        .read_meeting(
            id,
            &crate::access(
                client,
                Some(audit(f.counselor_a, Role::Counselor, AuditAction::Viewed)),
            ),
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(verify_chain(store).await.unwrap(), before + 1);
    let texts: Vec<_> = read.agenda.iter().map(|p| p.text.as_str()).collect();
    assert_eq!(texts, ["Point 0", "Point 1"]);
    assert_eq!(read.notes, Some(notes("We agreed on Monday.", true)));
    assert_eq!(read.comments, vec![c]);
    let list = store
        .list_meetings(&crate::access(
            client,
            Some(audit(f.counselor_a, Role::Counselor, AuditAction::Viewed)),
        ))
        .await
        .unwrap();
    assert_eq!(list, vec![accepted]);
    assert!(
        store
            .list_meetings(&crate::access(other, None))
            .await
            .unwrap()
            .is_empty()
    );
    // Created, accepted, two points, notes twice, a comment, two audited reads.
    assert_eq!(verify_chain(store).await.unwrap(), rows_before + 9);
    let events = store.live_events_after(cu, 0, 10).await.unwrap();
    assert_eq!(events.len(), 2, "accepted and notes shared");
}
