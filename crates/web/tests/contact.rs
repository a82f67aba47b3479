//! How we keep in touch, through the real router and a real SQLite store: either side proposes,
//! the other confirms, both see it; field errors; staff views are audited; out of reach is 404;
//! a counselor publishes contact hours that the client then sees.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use http::StatusCode;
use testkit::world::users;

async fn english(app: &TestApp, who: &str) -> Browser {
    let mut b = app.login(who).await;
    b.accept_language = Some("en".into());
    b
}

#[tokio::test]
async fn one_side_proposes_the_other_confirms_and_both_see_it() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let page = format!("/clients/{owner}/contact");
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;

    let r = app.get(&mut client, &page).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Nothing is agreed yet."), "{}", r.body);

    // Field errors name the field; nothing is stored.
    let r = app
        .post(
            &mut client,
            &page,
            &[
                ("sms_notices", "on"),
                ("phone", "12"),
                ("quiet_start", "22:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Mobile number: "), "{}", r.body);
    assert!(r.body.contains("Quiet until: "), "{}", r.body);

    let r = app
        .post(
            &mut client,
            &page,
            &[
                ("sms_notices", "on"),
                ("phone", "999 99 999"),
                ("quiet_start", "22:00"),
                ("quiet_end", "07:00"),
                ("language", "en"),
                ("version", "0"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The counselor has an agreement to confirm (a live event, and so a notice).
    let counselor_id = app.world.assigned_counselor_id;
    let events =
        domain::live::LiveStore::live_events_after(app.store.as_ref(), counselor_id, 0, 50)
            .await
            .unwrap();
    assert!(events.iter().any(|e| e.kind == "agreement"), "{events:?}");
    // The counselor sees the proposal (an audited view) and confirms it.
    let before = app.audit_count().await;
    let r = app.get(&mut counselor, &page).await;
    assert!(r.body.contains("+4799999999"), "{}", r.body);
    assert!(r.body.contains("22:00–07:00"));
    assert!(r.body.contains("Waiting for the counselor to confirm"));
    assert_eq!(app.audit_count().await, before + 1, "staff view audited");
    let r = app
        .post(
            &mut counselor,
            &format!("{page}/confirm"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.get(&mut client, &page).await;
    assert!(r.body.contains("Agreed by both of you."), "{}", r.body);
    assert!(!r.body.contains("Confirm the agreement"));

    // The plan links here.
    let r = app.get(&mut client, "/me").await;
    assert!(r.body.contains(&page), "{}", r.body);
}

#[tokio::test]
async fn out_of_reach_is_404_and_contact_hours_are_published_by_the_counselor() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let page = format!("/clients/{owner}/contact");
    for who in [
        users::OTHER_CLIENT,
        users::OTHER_OFFICE_COUNSELOR,
        users::LEADER,
    ] {
        let mut b = english(&app, who).await;
        assert_eq!(
            app.get(&mut b, &page).await.status,
            StatusCode::NOT_FOUND,
            "{who}"
        );
        let r = app.post(&mut b, &page, &[("sms_notices", "on")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
    }
    let mut client = english(&app, users::OWNER_CLIENT).await;
    assert_eq!(
        app.get(&mut client, "/account/availability").await.status,
        StatusCode::NOT_FOUND
    );

    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = app.get(&mut counselor, "/account/availability").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = app
        .post(
            &mut counselor,
            "/account/availability",
            &[("contact_hours", ""), ("notice_email", "nope")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post(
            &mut counselor,
            "/account/availability",
            &[
                ("contact_hours", "Mondays to Thursdays <b>9-15</b>"),
                ("messages", "on"),
                ("phone", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.get(&mut client, &page).await;
    assert!(
        r.body
            .contains("Mondays to Thursdays &#60;b&#62;9-15&#60;/b&#62;"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("Messages in Vendepunkt, Phone"),
        "{}",
        r.body
    );
}
