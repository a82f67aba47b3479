//! Client feedback through the real router and a real SQLite store: the client is invited,
//! answers (a message next to each refused field, nothing stored on error), says "Not now",
//! changes their own answer only inside the window; the assigned counselor sees shared
//! answers only, escaped, with an audit row, gets the prompt and records a talk the client
//! can read; everyone else gets a 404 and leaves no audit row.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use domain::audit::AuditStore;
use domain::audit::{AuditAction, DataKind};
use domain::feedback::store::{FeedbackStore, InviteState};
use http::{StatusCode, header};
use testkit::world::users;
use time::Duration;

async fn english(app: &TestApp, who: &str) -> Browser {
    let mut b = app.login(who).await;
    b.accept_language = Some("en".into());
    b
}

const INSTRUMENT: &str = "vendepunkt-six-themes@1";

/// Posts an answer as `b`; returns the reply.
async fn answer(app: &TestApp, b: &mut Browser, fields: &[(&str, &str)]) -> common::Reply {
    let mut all = vec![("instrument", INSTRUMENT)];
    all.extend_from_slice(fields);
    app.post(b, "/me/feedback", &all).await
}

#[tokio::test]
async fn the_client_is_invited_and_answers_with_field_errors_first_and_nothing_stored() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;

    // Nothing answered yet: the monthly check invites.
    let page = app.get(&mut client, "/me/feedback").await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(
        page.body.contains("id=\"feedback-invitation\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("Not now"));
    let invitations = app.store.feedback_invitations(owner, 10).await.unwrap();
    assert_eq!(invitations.len(), 1);
    let invitation = invitations[0].id.to_string();

    // The form: a fieldset with a legend per item, 11 radio buttons and a skip, anchors tied.
    let form = app
        .get(
            &mut client,
            &format!("/me/feedback/new?invitation={invitation}"),
        )
        .await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(
        form.body.matches("<fieldset").count(),
        7,
        "six items and the choice"
    );
    assert!(
        form.body
            .contains("<legend class=\"ds-label\">I am met with respect and believed</legend>")
    );
    assert_eq!(form.body.matches("name=\"item-relation\"").count(), 12);
    assert!(form.body.contains("id=\"item-relation-0\" name=\"item-relation\" value=\"0\" aria-describedby=\"item-relation-low\""));
    assert!(form.body.contains("What has helped most?"));
    assert!(form.body.contains("May your counselor see these answers?"));
    assert!(!form.body.contains("name=\"share\" value=\"yes\" checked"));

    // Refused: a score out of range, a text too long, no sharing choice.
    let before = app.audit_count().await;
    let long = "x".repeat(1001);
    let r = answer(
        &app,
        &mut client,
        &[
            ("invitation", &invitation),
            ("item-relation", "11"),
            ("item-time", "4"),
            ("text-make-better", &long),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"item-relation-error\""), "{}", r.body);
    assert!(
        r.body
            .contains("I am met with respect and believed: Choose a number from the list.")
    );
    assert!(r.body.contains("id=\"text-make-better-error\""));
    assert!(r.body.contains("id=\"share-error\""));
    assert!(
        r.body
            .contains("May your counselor see these answers? Choose yes or no.")
    );
    // What was typed is kept.
    assert!(
        r.body
            .contains("id=\"item-time-4\" name=\"item-time\" value=\"4\" checked")
    );
    // An unknown instrument version is refused too.
    let r = app
        .post(
            &mut client,
            "/me/feedback",
            &[("instrument", "vendepunkt-six-themes@99"), ("share", "no")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The questions have changed"));
    assert!(
        app.store
            .feedback_responses(&testkit::access(owner, None), false)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(app.audit_count().await, before, "nothing stored on error");

    // Accepted: skipped items stay empty, scores fill the theme columns.
    let r = answer(
        &app,
        &mut client,
        &[
            ("invitation", &invitation),
            ("item-relation", "7"),
            ("item-time", "4"),
            ("item-choices", ""),
            ("text-helped-most", "Being believed"),
            ("share", "no"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let stored = app
        .store
        .feedback_responses(&testkit::access(owner, None), false)
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].themes, [Some(7), None, None, Some(4), None, None]);
    assert_eq!(stored[0].office_id, app.world.office_a);
    assert_eq!(
        stored[0].counselor_id,
        Some(app.world.assigned_counselor_id)
    );
    assert_eq!(stored[0].quarter, "2026-Q1");
    assert!(!stored[0].shared_with_counselor);
    assert_eq!(
        app.store.feedback_invitations(owner, 10).await.unwrap()[0].state,
        InviteState::Answered
    );
    // The page shows the answer, and no new invitation right after answering.
    let page = app.get(&mut client, "/me/feedback?saved=1").await;
    assert!(page.body.contains("Your answer is saved"));
    assert!(!page.body.contains("id=\"feedback-invitation\""));
    assert!(page.body.contains("Being believed"));
    assert!(page.body.contains("Not shared"));
    // The choice is remembered for next time.
    let form = app.get(&mut client, "/me/feedback/new").await;
    assert!(form.body.contains("name=\"share\" value=\"no\" checked"));
}

#[tokio::test]
async fn not_now_dismisses_the_check_and_the_quiet_period_holds() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    app.get(&mut client, "/me/feedback").await;
    let id = app.store.feedback_invitations(owner, 10).await.unwrap()[0]
        .id
        .to_string();
    // Another client cannot dismiss it.
    let mut other = english(&app, users::OTHER_CLIENT).await;
    let r = app
        .post(&mut other, "/me/feedback/dismiss", &[("invitation", &id)])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app
        .post(&mut client, "/me/feedback/dismiss", &[("invitation", &id)])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&mut client, "/me/feedback?later=1").await;
    assert!(!page.body.contains("id=\"feedback-invitation\""));
    assert_eq!(
        app.store.feedback_invitations(owner, 10).await.unwrap()[0].state,
        InviteState::Dismissed
    );
    // Still quiet after 29 days (no monthly check yet), asked again after 30.
    // (Sessions end over such periods: log in again.)
    app.clock.advance(Duration::days(29));
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let page = app.get(&mut client, "/me/feedback").await;
    assert!(!page.body.contains("id=\"feedback-invitation\""));
    app.clock.advance(Duration::days(2));
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let page = app.get(&mut client, "/me/feedback").await;
    assert!(page.body.contains("id=\"feedback-invitation\""));
    assert_eq!(
        app.store
            .feedback_invitations(owner, 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn only_the_author_changes_a_response_and_only_inside_the_window() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let r = answer(
        &app,
        &mut client,
        &[("item-relation", "5"), ("share", "no")],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let id = app
        .store
        .feedback_responses(&testkit::access(owner, None), false)
        .await
        .unwrap()[0]
        .id;
    let path = format!("/me/feedback/{id}");

    // Nobody else: another client, the counselor.
    for who in [users::OTHER_CLIENT, users::ASSIGNED_COUNSELOR] {
        let mut b = english(&app, who).await;
        assert_eq!(app.get(&mut b, &path).await.status, StatusCode::NOT_FOUND);
        let r = app
            .post(
                &mut b,
                &path,
                &[
                    ("instrument", INSTRUMENT),
                    ("item-relation", "0"),
                    ("share", "yes"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
    }

    // The author, within 30 minutes.
    app.clock.advance(Duration::minutes(20));
    let form = app.get(&mut client, &path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains("id=\"item-relation-5\" name=\"item-relation\" value=\"5\" checked")
    );
    assert!(form.body.contains("You can change this answer until"));
    let r = app
        .post(
            &mut client,
            &path,
            &[
                ("instrument", INSTRUMENT),
                ("item-relation", "9"),
                ("share", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let row = &app
        .store
        .feedback_responses(&testkit::access(owner, None), false)
        .await
        .unwrap()[0];
    assert_eq!(row.themes[0], Some(9));
    assert!(row.shared_with_counselor);

    // After the window: refused, unchanged.
    app.clock.advance(Duration::minutes(11));
    let r = app.get(&mut client, &path).await;
    assert_eq!(r.location(), Some("/me/feedback?closed=1"));
    let r = app
        .post(
            &mut client,
            &path,
            &[
                ("instrument", INSTRUMENT),
                ("item-relation", "1"),
                ("share", "no"),
            ],
        )
        .await;
    assert_eq!(r.location(), Some("/me/feedback?closed=1"));
    let row = &app
        .store
        .feedback_responses(&testkit::access(owner, None), false)
        .await
        .unwrap()[0];
    assert_eq!(row.themes[0], Some(9));
    let page = app.get(&mut client, "/me/feedback?closed=1").await;
    assert!(page.body.contains("can no longer be changed"));
    assert!(!page.body.contains(&path));
}

#[tokio::test]
async fn the_counselor_sees_shared_answers_only_escaped_audited_and_records_a_talk() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let picture = format!("/clients/{owner}/feedback");
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;

    // Nothing shared yet: the page says so and shows nothing else.
    let r = answer(
        &app,
        &mut client,
        &[
            ("item-relation", "1"),
            ("text-make-better", "PRIVATE-WORDS"),
            ("share", "no"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get(&mut counselor, &picture).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("id=\"feedback-none\""), "{}", page.body);
    assert!(!page.body.contains("PRIVATE-WORDS"));
    assert!(
        !page.body.contains("feedback-prompt"),
        "an unshared low score prompts nothing"
    );

    // Shared answers: a good one, then a low one with HTML in the free text.
    app.clock.advance(Duration::days(15));
    let mut client = english(&app, users::OWNER_CLIENT).await;
    answer(
        &app,
        &mut client,
        &[("item-relation", "8"), ("item-time", "8"), ("share", "yes")],
    )
    .await;
    app.clock.advance(Duration::days(15));
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = answer(
        &app,
        &mut client,
        &[
            ("item-relation", "3"),
            ("item-time", "7"),
            ("text-helped-most", "<script>alert('x')</script>"),
            ("share", "yes"),
        ],
    )
    .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let before = app.audit_count().await;
    let page = app.get(&mut counselor, &picture).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(page.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(
        page.body
            .contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;")
    );
    assert!(!page.body.contains("PRIVATE-WORDS"));
    assert_eq!(
        page.body.matches("<th scope=\"row\">").count(),
        2,
        "two shared answers in the table"
    );
    assert!(page.body.contains("role=\"img\""));
    assert!(
        page.body
            .contains("Latest 3 of 10. Before that, on average 8.0")
    );
    assert!(
        page.body
            .contains("Talk with Olga about how your cooperation is going"),
        "{}",
        page.body
    );
    assert_eq!(app.audit_count().await, before + 1);
    let rows = app.store.audit_rows(before, 10).await.unwrap();
    assert_eq!(rows[0].event.data_kind, DataKind::Feedback);
    assert_eq!(rows[0].event.action, AuditAction::Viewed);
    assert_eq!(rows[0].event.actor_id, app.world.assigned_counselor_id);

    // Recording the talk: empty refused next to the field, then saved; the prompt is gone.
    let talks = format!("{picture}/talks");
    let before = app.audit_count().await;
    let r = app
        .post(&mut counselor, &talks, &[("prompt", "low"), ("talk", "  ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"talk-error\""));
    assert!(app.store.talk_notes(owner).await.unwrap().is_empty());
    assert_eq!(
        app.audit_count().await,
        before + 1,
        "only the page's own view row"
    );
    let r = app
        .post(
            &mut counselor,
            &talks,
            &[
                ("prompt", "low"),
                ("talk", "We talked about <b>respect</b> and what to change."),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let page = app.get(&mut counselor, &picture).await;
    assert!(!page.body.contains("id=\"feedback-prompt\""));
    let mine = app.get(&mut client, "/me/feedback").await;
    assert!(
        mine.body
            .contains("We talked about &#60;b&#62;respect&#60;/b&#62; and what to change.")
    );
    let log = app.get(&mut client, "/me/access-log").await;
    assert!(log.body.contains("Looked at the feedback you shared"));

    // Out of reach: the same 404 as for a client that does not exist, and no audit row.
    let before = app.audit_count().await;
    for who in [
        users::SAME_OFFICE_COUNSELOR,
        users::OTHER_OFFICE_COUNSELOR,
        users::LEADER,
        users::ADMINISTRATOR,
        users::OWNER_CLIENT,
        users::OTHER_CLIENT,
    ] {
        let mut b = english(&app, who).await;
        let r = app.get(&mut b, &picture).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        assert!(!r.body.contains("respect"));
        let r = app.post(&mut b, &talks, &[("talk", "Hello")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
    }
    let nobody = format!("/clients/{}/feedback", domain::ids::ClientId::new());
    assert_eq!(
        app.get(&mut counselor, &nobody).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.audit_count().await, before);
    assert_eq!(app.store.talk_notes(owner).await.unwrap().len(), 1);
}

#[tokio::test]
async fn answering_on_ones_own_initiative_answers_the_open_invitation() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    // Opening the home asks (the monthly check): the home shows the invitation.
    let home = app.get(&mut client, "/me").await;
    assert!(home.body.contains("id=\"feedback-ask-card\""));
    assert_eq!(
        app.store.feedback_invitations(owner, 10).await.unwrap()[0].state,
        InviteState::Open
    );
    let r = answer(&app, &mut client, &[("item-choices", "6"), ("share", "no")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let all = app.store.feedback_invitations(owner, 10).await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].state, InviteState::Answered);
    let home = app.get(&mut client, "/me").await;
    assert!(!home.body.contains("id=\"feedback-ask-card\""));
    // Staff never see the invitation card on the client's page; the assigned counselor gets
    // the link to the client's feedback.
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let page = app.get(&mut counselor, &format!("/clients/{owner}")).await;
    assert!(!page.body.contains("feedback-ask-card"));
    assert!(
        page.body
            .contains(&format!("href=\"/clients/{owner}/feedback\""))
    );
    let mut colleague = english(&app, users::SAME_OFFICE_COUNSELOR).await;
    let page = app.get(&mut colleague, &format!("/clients/{owner}")).await;
    assert!(
        !page
            .body
            .contains(&format!("href=\"/clients/{owner}/feedback\""))
    );
}

#[tokio::test]
async fn a_protected_clients_feedback_opens_only_with_a_stated_reason() {
    let app = TestApp::new().await;
    let protected = app.world.protected_client;
    let path = format!("/clients/{protected}/feedback");
    // The assigned counselor without the permission: 404, like everyone else.
    let mut assigned = english(&app, users::ASSIGNED_COUNSELOR).await;
    assert_eq!(
        app.get(&mut assigned, &path).await.status,
        StatusCode::NOT_FOUND
    );
    // The assigned counselor with the permission: a reason first, then the page.
    let mut pia = english(&app, users::PROTECTED_ACCESS_COUNSELOR).await;
    let before = app.audit_count().await;
    let r = app.get(&mut pia, &path).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains(&format!("action=\"{path}/open\"")),
        "{}",
        r.body
    );
    let r = app
        .post(&mut pia, &format!("{path}/open"), &[("reason", " ")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"reason-error\""));
    assert_eq!(
        app.audit_count().await,
        before,
        "no audit row without a reason"
    );
    let r = app
        .post(
            &mut pia,
            &format!("{path}/open"),
            &[("reason", "Follow-up talk planned for tomorrow")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Feedback from Paula"));
    let rows = app.store.audit_rows(before, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].event.data_kind, DataKind::Feedback);
    assert_eq!(
        rows[0].event.reason.as_ref().map(|r| r.as_str()),
        Some("Follow-up talk planned for tomorrow")
    );
}
