//! Meetings through the real router and a real SQLite store: a proposal answered by the other
//! side only (another time turns the question round), stale answers refused, the agenda with
//! the client's points first and closed at the start, notes invisible to the client until
//! shared, comments kept with the notes, need-to-know with no audit row on refusals, and the
//! calendar file's content and headers.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use http::{StatusCode, header};
use testkit::world::users;
use time::Duration;

async fn english(app: &TestApp, who: &str) -> Browser {
    let mut b = app.login(who).await;
    b.accept_language = Some("en".into());
    b
}

/// The test clock starts at 2026-03-02 09:15 UTC (10:15 in Oslo). This is 2026-03-05 10:00
/// in Oslo, 09:00 UTC.
const THURSDAY_TEN: &str = "2026-03-05T10:00";

/// Proposes a meeting as `b`; returns the meeting's path.
async fn propose(app: &TestApp, b: &mut Browser, purpose: &str, place: &str) -> String {
    let owner = app.world.owner_client;
    let r = app
        .post(
            b,
            &format!("/clients/{owner}/meetings"),
            &[
                ("starts_at", THURSDAY_TEN),
                ("duration_minutes", "45"),
                ("mode", "in-person"),
                ("place", place),
                ("purpose", purpose),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().to_string()
}

#[tokio::test]
async fn only_the_other_side_answers_and_another_time_turns_the_question_round() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;

    // Refused input: a time in the past, a too short meeting, no place for an in-person
    // meeting; the message is next to each field, the typed purpose kept, nothing stored.
    let before = app.audit_count().await;
    let r = app
        .post(
            &mut client,
            &format!("/clients/{owner}/meetings"),
            &[
                ("starts_at", "2026-03-01T10:00"),
                ("duration_minutes", "10"),
                ("mode", "in-person"),
                ("place", ""),
                ("purpose", "Talk about the course"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"starts_at-error\""), "{}", r.body);
    assert!(r.body.contains("The time has already passed"));
    assert!(r.body.contains("id=\"duration_minutes-error\""));
    assert!(r.body.contains("id=\"place-error\""));
    assert!(r.body.contains("value=\"Talk about the course\""));
    for bad in ["2101-01-01T10:00", "next week", ""] {
        let r = app
            .post(
                &mut client,
                &format!("/clients/{owner}/meetings"),
                &[
                    ("starts_at", bad),
                    ("duration_minutes", "30"),
                    ("mode", "phone"),
                    ("purpose", "x"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(r.body.contains("id=\"starts_at-error\""), "{bad}");
    }
    assert_eq!(app.audit_count().await, before);

    let meeting = propose(&app, &mut client, "Talk about the course", "Storgata 1").await;
    assert_eq!(
        app.audit_count().await,
        before + 1,
        "a proposal writes one row"
    );
    let r = app.get(&mut client, &meeting).await;
    assert!(
        r.body.contains("2026-03-05 10:00 (Norwegian time)"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Waiting for an answer from the counselor"));
    assert!(
        !r.body.contains("Accept the time"),
        "the proposer does not answer"
    );

    // The proposer cannot accept their own proposal.
    let before = app.audit_count().await;
    let r = app
        .post(
            &mut client,
            &format!("{meeting}/accept"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("It is not your turn"));
    assert_eq!(app.audit_count().await, before);

    // The counselor suggests another time: now the client must answer.
    let r = app.get(&mut counselor, &meeting).await;
    assert!(r.body.contains("Waiting for your answer"));
    assert!(
        r.body.contains("value=\"2026-03-05T10:00\""),
        "the form starts from the proposal"
    );
    let before = app.audit_count().await;
    let r = app
        .post(
            &mut counselor,
            &format!("{meeting}/other-time"),
            &[
                ("version", "1"),
                ("starts_at", "2026-03-06T14:00"),
                ("duration_minutes", "60"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    assert_eq!(
        app.audit_count().await,
        before + 1,
        "the change writes one row"
    );
    let r = app
        .post(
            &mut counselor,
            &format!("{meeting}/accept"),
            &[("version", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // An answer based on the old version is refused; the current one goes through.
    let r = app
        .post(
            &mut client,
            &format!("{meeting}/accept"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert!(r.body.contains("Someone else changed this"));
    let r = app
        .post(
            &mut client,
            &format!("{meeting}/accept"),
            &[("version", "2")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&mut client, &meeting).await;
    assert!(r.body.contains("2026-03-06 14:00 (Norwegian time)"));
    assert!(r.body.contains("Agreed"));
    assert!(r.body.contains("60 minutes"));

    // The list shows it under what is coming up, with a link from the plan.
    let r = app
        .get(&mut client, &format!("/clients/{owner}/meetings"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Talk about the course"));
    let r = app.get(&mut client, "/me").await;
    assert!(
        r.body
            .contains(&format!("href=\"/clients/{owner}/meetings\""))
    );

    // A proposal whose time passes without an answer no longer waits for anyone, and
    // cannot be accepted any more.
    let late = propose(&app, &mut client, "Never answered", "Storgata 1").await;
    app.clock.advance(Duration::days(3) + Duration::hours(1));
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = app.get(&mut counselor, &late).await;
    assert!(!r.body.contains("Waiting for your answer"));
    assert!(!r.body.contains("Accept the time"));
    let r = app
        .post(
            &mut counselor,
            &format!("{late}/accept"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The time has already passed"));
    let r = app.get(&mut client, &late).await;
    assert!(!r.body.contains("Waiting for an answer"));
}

#[tokio::test]
async fn the_agenda_puts_the_client_first_and_notes_stay_hidden_until_shared() {
    let app = TestApp::new().await;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let meeting = propose(&app, &mut counselor, "Follow-up", "Storgata 1").await;
    let r = app
        .post(
            &mut client,
            &format!("{meeting}/accept"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The counselor writes first, the client second; the client's point is shown first.
    for (b, text) in [
        (&mut counselor, "Counselor point: the course"),
        (&mut client, "Client point: my back"),
    ] {
        let r = app
            .post(b, &format!("{meeting}/agenda"), &[("agenda_text", text)])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let r = app.get(&mut counselor, &meeting).await;
    let client_at = r.body.find("Client point: my back").unwrap();
    let counselor_at = r.body.find("Counselor point: the course").unwrap();
    assert!(client_at < counselor_at, "the client's points come first");
    let r = app
        .post(
            &mut client,
            &format!("{meeting}/agenda"),
            &[("agenda_text", "  ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"agenda_text-error\""));

    // Notes wait until a quarter of an hour before the start.
    let r = app
        .post(
            &mut counselor,
            &format!("{meeting}/notes"),
            &[("notes", "Too early"), ("share", "0")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Notes can be written from 15 minutes"));

    // The meeting has taken place (new sessions: the old ones timed out).
    app.clock.advance(Duration::days(4));
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let before = app.audit_count().await;
    let r = app
        .post(
            &mut client,
            &format!("{meeting}/agenda"),
            &[("agenda_text", "Late")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("the agenda is closed"));
    assert_eq!(app.audit_count().await, before);

    // The client cannot write notes; a draft is not shown to the client.
    let r = app
        .post(
            &mut client,
            &format!("{meeting}/notes"),
            &[("notes", "My own notes"), ("share", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &mut counselor,
            &format!("{meeting}/notes"),
            &[
                ("notes", "Draft: we talked about the course."),
                ("share", "0"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.get(&mut client, &meeting).await;
    assert!(
        !r.body.contains("Draft: we talked"),
        "unshared notes are never shown"
    );
    assert!(r.body.contains("Your counselor has not shared notes yet"));
    let r = app
        .post(
            &mut client,
            &format!("{meeting}/comments"),
            &[("comment", "Hello?")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get(&mut counselor, &meeting).await;
    assert!(r.body.contains("Draft: we talked"));
    assert!(
        r.body
            .contains("The draft is not shared with the client yet")
    );

    // Shared: the client reads them and asks for a correction, kept with the notes.
    let r = app
        .post(
            &mut counselor,
            &format!("{meeting}/notes"),
            &[
                ("notes", "We agreed on the course from Monday."),
                ("share", "1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&mut client, &meeting).await;
    assert!(r.body.contains("We agreed on the course from Monday."));
    let before = app.audit_count().await;
    let r = app
        .post(
            &mut client,
            &format!("{meeting}/comments"),
            &[
                ("comment", "It was Tuesday, not Monday."),
                ("correction", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(app.audit_count().await, before + 1);
    let r = app.get(&mut counselor, &meeting).await;
    assert!(r.body.contains("It was Tuesday, not Monday."));
    assert!(r.body.contains("Asks for a correction"));

    // Shared notes are not rewritten.
    let r = app
        .post(
            &mut counselor,
            &format!("{meeting}/notes"),
            &[("notes", "Rewritten"), ("share", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.get(&mut client, &meeting).await;
    assert!(r.body.contains("We agreed on the course from Monday."));
    assert!(!r.body.contains("Rewritten"));

    // It is now among the earlier meetings.
    let owner = app.world.owner_client;
    let r = app
        .get(&mut client, &format!("/clients/{owner}/meetings"))
        .await;
    let past = r.body.find("Earlier meetings").unwrap();
    assert!(r.body.find("Follow-up").unwrap() > past);
}

#[tokio::test]
async fn meetings_are_need_to_know_and_refusals_leave_no_trace() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let meeting = propose(&app, &mut client, "<script>alert(1)</script>", "Storgata 1").await;
    let r = app.get(&mut client, &meeting).await;
    assert!(!r.body.contains("<script>alert(1)"));
    assert!(r.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));

    let list = format!("/clients/{owner}/meetings");
    let ics = format!("{meeting}/calendar.ics");
    for who in [
        users::OTHER_CLIENT,
        users::OTHER_OFFICE_COUNSELOR,
        users::LEADER,
        users::ADMINISTRATOR,
    ] {
        let mut b = english(&app, who).await;
        let before = app.audit_count().await;
        for path in [&meeting, &list, &ics] {
            assert_eq!(
                app.get(&mut b, path).await.status,
                StatusCode::NOT_FOUND,
                "{who} {path}"
            );
        }
        for (path, fields) in [
            (format!("{meeting}/accept"), vec![("version", "1")]),
            (format!("{meeting}/agenda"), vec![("agenda_text", "x")]),
            (
                format!("{meeting}/notes"),
                vec![("notes", "x"), ("share", "1")],
            ),
            (
                list.clone(),
                vec![
                    ("starts_at", THURSDAY_TEN),
                    ("duration_minutes", "30"),
                    ("mode", "phone"),
                    ("purpose", "x"),
                ],
            ),
        ] {
            let r = app.post(&mut b, &path, &fields).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} {path}");
        }
        assert_eq!(
            app.audit_count().await,
            before,
            "{who}: refusals leave no trace"
        );
    }

    // A meeting of another client is not found through this client's address.
    let mut other = english(&app, users::OTHER_CLIENT).await;
    let other_id = app.world.other_client;
    let r = app
        .post(
            &mut other,
            &format!("/clients/{other_id}/meetings"),
            &[
                ("starts_at", THURSDAY_TEN),
                ("duration_minutes", "30"),
                ("mode", "video"),
                ("purpose", "Mine"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let theirs = r
        .location()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    let r = app
        .get(&mut client, &format!("/clients/{owner}/meetings/{theirs}"))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // A colleague at the same office reads (audited) but sees no forms and cannot write.
    let mut colleague = english(&app, users::SAME_OFFICE_COUNSELOR).await;
    let before = app.audit_count().await;
    let r = app.get(&mut colleague, &meeting).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.audit_count().await, before + 1);
    assert!(!r.body.contains("name=\"agenda_text\""));
    assert!(!r.body.contains("Accept the time"));
    let r = app
        .post(
            &mut colleague,
            &format!("{meeting}/agenda"),
            &[("agenda_text", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before + 1);
}

#[tokio::test]
async fn the_calendar_file_is_rfc_5545_with_utc_times_and_escaped_text() {
    let app = TestApp::new().await;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let meeting = propose(
        &app,
        &mut client,
        "Plan; CV, and a \\ backslash",
        "Storgata 1, 2nd floor",
    )
    .await;
    let id = meeting.rsplit('/').next().unwrap().to_string();
    let r = app
        .get(&mut client, &format!("{meeting}/calendar.ics"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.headers.get(header::CONTENT_TYPE).unwrap(),
        "text/calendar; charset=utf-8"
    );
    let disposition = r
        .headers
        .get(header::CONTENT_DISPOSITION)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(disposition.starts_with("attachment;"), "{disposition}");
    let body = &r.body;
    assert!(
        body.starts_with("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"),
        "{body}"
    );
    assert!(body.ends_with("END:VEVENT\r\nEND:VCALENDAR\r\n"));
    assert!(
        !body.replace("\r\n", "").contains('\n'),
        "only CRLF line ends"
    );
    for line in body.split("\r\n") {
        assert!(line.len() <= 75, "{line}");
    }
    let unfolded = body.replace("\r\n ", "");
    assert!(unfolded.contains(&format!("\r\nUID:{id}@vendepunkt\r\n")));
    assert!(unfolded.contains("\r\nDTSTART:20260305T090000Z\r\n"));
    assert!(unfolded.contains("\r\nDTEND:20260305T094500Z\r\n"));
    assert!(unfolded.contains("\r\nDTSTAMP:20260302T091500Z\r\n"));
    assert!(unfolded.contains("\r\nSUMMARY:Plan\\; CV\\, and a \\\\ backslash\r\n"));
    assert!(unfolded.contains("\r\nLOCATION:Storgata 1\\, 2nd floor\r\n"));
    assert!(
        !unfolded.contains("Kari") && !unfolded.contains("owner"),
        "no personal data"
    );

    // Staff downloads are audited like any view; a phone meeting is described in words.
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let owner = app.world.owner_client;
    let r = app
        .post(
            &mut counselor,
            &format!("/clients/{owner}/meetings"),
            &[
                ("starts_at", THURSDAY_TEN),
                ("duration_minutes", "30"),
                ("mode", "phone"),
                ("purpose", "Short call"),
            ],
        )
        .await;
    let phone = r.location().unwrap().to_string();
    let before = app.audit_count().await;
    let r = app
        .get(&mut counselor, &format!("{phone}/calendar.ics"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(app.audit_count().await, before + 1);
    assert!(r.body.contains("\r\nLOCATION:Phone call\r\n"));
    assert!(r.body.contains("\r\nSTATUS:TENTATIVE\r\n"));
}
