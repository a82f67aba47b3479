//! Conversation through the real router and a real SQLite store: who waits for whom, worked
//! out from the messages; read receipts; need-to-know; escaping; and the live event stream
//! resuming from `Last-Event-ID`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use common::{Browser, TestApp};
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use testkit::world::users;
use tower::ServiceExt;

async fn english(app: &TestApp, who: &str) -> Browser {
    let mut b = app.login(who).await;
    b.accept_language = Some("en".into());
    b
}

/// Starts a thread as `b`; returns the thread's path.
async fn start(app: &TestApp, b: &mut Browser, subject: &str, body: &str) -> String {
    let owner = app.world.owner_client;
    let r = app
        .post(
            b,
            &format!("/clients/{owner}/messages"),
            &[("subject", subject), ("body", body)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    r.location().unwrap().split('#').next().unwrap().to_string()
}

#[tokio::test]
async fn waiting_and_read_receipts_come_from_the_messages_themselves() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let thread = start(
        &app,
        &mut client,
        "Moving our meeting",
        "Can we meet on Friday instead?",
    )
    .await;

    // The client is told when to expect an answer; the message is not read yet.
    let r = app.get(&mut client, &thread).await;
    assert!(r.body.contains("You can expect an answer by"), "{}", r.body);
    assert!(r.body.contains("Not read yet"));

    // Three days later (new sessions: the old ones timed out) the counselor sees the thread
    // as overdue.
    app.clock.advance(time::Duration::days(3));
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = app
        .get(&mut counselor, &format!("/clients/{owner}/messages"))
        .await;
    assert!(r.body.contains("Overdue"));
    assert!(r.body.contains("1 unread"));

    // Opening it is a read receipt the client sees.
    let before = app.audit_count().await;
    let r = app.get(&mut counselor, &thread).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.audit_count().await,
        before + 1,
        "a staff view writes one audit row"
    );
    let r = app.get(&mut client, &thread).await;
    assert!(
        r.body.contains("Read 20"),
        "the client sees when it was read"
    );

    // The counselor answers: now the thread waits for the client, without a deadline.
    let r = app
        .post(&mut counselor, &thread, &[("body", "Friday at ten works.")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&mut client, &thread).await;
    assert!(r.body.contains("You can answer when it suits you"));
    assert!(r.body.contains("Friday at ten works."));

    // An empty answer is refused with the message next to the field and nothing stored.
    let before = app.audit_count().await;
    let r = app.post(&mut client, &thread, &[("body", "   ")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("id=\"body-error\""));
    assert_eq!(app.audit_count().await, before);
}

#[tokio::test]
async fn messages_are_need_to_know_and_escaped() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let thread = start(
        &app,
        &mut client,
        "<img src=x onerror=alert(1)>",
        "<script>alert(2)</script>",
    )
    .await;
    let r = app.get(&mut client, &thread).await;
    assert!(!r.body.contains("<script>alert(2)"));
    assert!(!r.body.contains("<img src=x"));
    assert!(r.body.contains("&#60;script&#62;alert(2)&#60;/script&#62;"));

    for who in [
        users::OTHER_CLIENT,
        users::OTHER_OFFICE_COUNSELOR,
        users::LEADER,
        users::ADMINISTRATOR,
    ] {
        let mut b = english(&app, who).await;
        let before = app.audit_count().await;
        assert_eq!(
            app.get(&mut b, &thread).await.status,
            StatusCode::NOT_FOUND,
            "{who}"
        );
        let r = app.post(&mut b, &thread, &[("body", "hello")]).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        let r = app
            .post(
                &mut b,
                &format!("/clients/{owner}/messages"),
                &[("subject", "s"), ("body", "b")],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        assert_eq!(
            app.audit_count().await,
            before,
            "{who}: refusals leave no trace"
        );
    }

    // A colleague at the same office may read (audited) but not write, and gives no receipt.
    let mut colleague = english(&app, users::SAME_OFFICE_COUNSELOR).await;
    let r = app.get(&mut colleague, &thread).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        !r.body.contains("name=\"body\""),
        "no reply form for a colleague"
    );
    assert_eq!(
        app.post(&mut colleague, &thread, &[("body", "x")])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let r = app.get(&mut client, &thread).await;
    assert!(
        r.body.contains("Not read yet"),
        "a colleague reading along is not a read receipt"
    );
}

/// Reads the first `expected` events of the stream (the stream itself never ends).
async fn first_events(
    app: &TestApp,
    browser: &Browser,
    last_event_id: Option<&str>,
    expected: usize,
) -> String {
    let cookies = browser
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut req = Request::get("/events").header(header::COOKIE, cookies);
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id);
    }
    let res = app
        .app
        .clone()
        .oneshot(req.body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[header::CONTENT_TYPE], "text/event-stream");
    let mut body = res.into_body();
    let mut text = String::new();
    // Each event is its own frame; collect until `expected` events have arrived.
    while text.matches("id: ").count() < expected {
        let frame = tokio::time::timeout(std::time::Duration::from_secs(10), body.frame())
            .await
            .expect("an event arrives")
            .unwrap()
            .unwrap();
        if let Ok(data) = frame.into_data() {
            text.push_str(std::str::from_utf8(&data).unwrap());
        }
    }
    // Nothing more is waiting.
    let more = tokio::time::timeout(std::time::Duration::from_millis(300), body.frame()).await;
    assert!(more.is_err(), "no further events: {text}");
    text
}

#[tokio::test]
async fn the_event_stream_resumes_after_the_last_event_id_and_carries_no_content() {
    let app = TestApp::new().await;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    start(&app, &mut client, "A secret subject", "A secret body").await;
    start(&app, &mut client, "Another", "Another body").await;

    // A page that saw nothing yet gets both events, in order, with their ids.
    let text = first_events(&app, &counselor, Some("0"), 2).await;
    assert!(text.contains("event: message"), "{text}");
    assert!(!text.contains("secret"), "events carry no content");
    let ids: Vec<i64> = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .map(|n| n.parse().unwrap())
        .collect();
    assert_eq!(ids.len(), 2, "{text}");
    assert!(ids[0] < ids[1]);

    // Resuming after the first gives the second only.
    let text = first_events(&app, &counselor, Some(&ids[0].to_string()), 1).await;
    let resumed: Vec<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("id: "))
        .collect();
    assert_eq!(resumed, vec![ids[1].to_string()]);

    // Anonymous: no stream.
    let res = app
        .app
        .clone()
        .oneshot(Request::get("/events").body(Body::empty()).unwrap())
        .await
        .unwrap();
    assert_ne!(res.status(), StatusCode::OK);
}
