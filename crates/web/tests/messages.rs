//! Conversation through the real router and a real SQLite store: who waits for whom, worked
//! out from the messages; read receipts; need-to-know; escaping; and the live event stream
//! resuming from `Last-Event-ID`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use common::{Browser, TestApp};
use domain::ports::Clock;
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
    // Each event also names the one thread it is about, so only that thread's page refreshes.
    let named: std::collections::BTreeSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("event: message-"))
        .collect();
    assert_eq!(named.len(), 2, "one name per thread: {text}");
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

/// A small PNG with a text chunk that says where the photo was taken.
fn png_with_location() -> Vec<u8> {
    fn crc32(bytes: &[u8]) -> u32 {
        let mut crc = 0xFFFF_FFFFu32;
        for b in bytes {
            crc ^= u32::from(*b);
            for _ in 0..8 {
                crc = if crc & 1 == 1 {
                    (crc >> 1) ^ 0xEDB8_8320
                } else {
                    crc >> 1
                };
            }
        }
        !crc
    }
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(4, 3)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let text = b"tEXtLocation\x0059.91N 10.75E";
    let mut chunk = ((text.len() - 4) as u32).to_be_bytes().to_vec();
    chunk.extend_from_slice(text);
    chunk.extend_from_slice(&crc32(text).to_be_bytes());
    let ihdr_end = 8 + 12 + 13;
    [&png[..ihdr_end], &chunk, &png[ihdr_end..]].concat()
}

#[tokio::test]
async fn attachments_round_trip_cleaned_and_bad_files_are_refused() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let start_path = format!("/clients/{owner}/messages");

    // Refused, with a clear message, and nothing stored.
    let before = app.audit_count().await;
    for (name, bytes, message) in [
        (
            "invoice.pdf",
            b"MZ\x90\x00 an executable".to_vec(),
            "Only PDF, PNG and JPEG files",
        ),
        (
            "drawing.svg",
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>".to_vec(),
            "Only PDF, PNG and JPEG files",
        ),
        (
            "archive.pdf",
            b"PK\x03\x04 zipped".to_vec(),
            "Only PDF, PNG and JPEG files",
        ),
        (
            "../../etc/passwd.pdf",
            b"%PDF-1.4 %%EOF".to_vec(),
            "The file name is not allowed",
        ),
        (
            "big.pdf",
            [b"%PDF-1.4 ".as_slice(), &vec![b'x'; 5 * 1024 * 1024 + 1]].concat(),
            "The file is too large",
        ),
    ] {
        let r = app
            .post_files(
                &mut client,
                &start_path,
                &[("subject", "Papers"), ("body", "Here are my papers.")],
                &[(name, &bytes)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{name}");
        assert!(r.body.contains(message), "{name}: {}", r.body);
        assert!(
            r.body.contains("Here are my papers."),
            "{name}: the text is kept"
        );
    }
    assert_eq!(app.audit_count().await, before, "nothing was stored");
    let r = app.get(&mut client, &start_path).await;
    assert!(r.body.contains("No messages yet"));

    // A picture goes through without its location.
    let r = app
        .post_files(
            &mut client,
            &start_path,
            &[
                ("subject", "Photo of the letter"),
                ("body", "See the photo."),
            ],
            &[("letter.png", &png_with_location())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let thread = r.location().unwrap().split('#').next().unwrap().to_string();
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let page = app.get(&mut counselor, &thread).await;
    let link = page
        .body
        .split(&format!("/clients/{owner}/attachments/"))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    assert!(page.body.contains("letter.png"));
    let download = format!("/clients/{owner}/attachments/{link}");
    let before = app.audit_count().await;
    let r = app.get(&mut counselor, &download).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        app.audit_count().await,
        before + 1,
        "a staff download is audited"
    );
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/png");
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(
        r.headers[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .contains("sandbox")
    );
    assert!(r.body.starts_with("\u{FFFD}PNG"), "the picture itself");
    assert!(!r.body.contains("59.91N"), "the location was removed");

    // Out of reach for others.
    for who in [
        users::OTHER_CLIENT,
        users::OTHER_OFFICE_COUNSELOR,
        users::LEADER,
    ] {
        let mut b = english(&app, who).await;
        assert_eq!(
            app.get(&mut b, &download).await.status,
            StatusCode::NOT_FOUND,
            "{who}"
        );
    }
}

#[tokio::test]
async fn clients_who_go_quiet_are_listed_with_a_check_in_in_their_language() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = app
        .post(
            &mut counselor,
            &format!("/clients/{owner}/checkins"),
            &[("every_days", "7")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // The client prefers English.
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let r = app
        .post(
            &mut client,
            &format!("/clients/{owner}/preferences"),
            &[("language", "English")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&mut counselor, "/caseload").await;
    assert!(
        !r.body.contains("Not in touch for a while"),
        "in touch today"
    );

    // Eight days later, with nothing either way, the client is listed.
    app.clock.advance(time::Duration::days(8));
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = app.get(&mut counselor, "/caseload").await;
    assert!(r.body.contains("Not in touch for a while"));
    assert!(r.body.contains("no contact for 8 days"), "{}", r.body);
    let r = app
        .get(
            &mut counselor,
            &format!("/clients/{owner}/messages?checkin=1"),
        )
        .await;
    assert!(r.body.contains("value=\"How are things going?\""));

    // A message clears it.
    start(
        &app,
        &mut counselor,
        "How are things going?",
        "Hi! Just checking in.",
    )
    .await;
    let r = app.get(&mut counselor, "/caseload").await;
    assert!(!r.body.contains("Not in touch for a while"));

    // Only the assigned counselor sets the frequency.
    let mut colleague = english(&app, users::SAME_OFFICE_COUNSELOR).await;
    let r = app
        .post(
            &mut colleague,
            &format!("/clients/{owner}/checkins"),
            &[("every_days", "7")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_agreed_response_time_decides_when_an_answer_is_due() {
    use domain::contact::ContactAgreement;
    use domain::plan::Side;
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let agreement = |confirmed: bool| ContactAgreement {
        client_id: owner,
        in_app: true,
        email_notices: false,
        sms_notices: false,
        phone_calls: false,
        email: None,
        phone: None,
        quiet: None,
        response_hours: Some(4),
        language: "en".into(),
        proposed_by: Side::Counselor,
        confirmed_at: confirmed.then(|| app.clock.now()),
        version: 1,
        updated_at: app.clock.now(),
    };
    // Proposed but not confirmed: the default (two days) still holds.
    domain::contact::ContactStore::put_contact_agreement(
        app.store.as_ref(),
        agreement(false),
        None,
        None,
        vec![],
    )
    .await
    .unwrap();
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let thread = start(&app, &mut client, "A question", "When is the course?").await;
    app.clock.advance(time::Duration::hours(5));
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = app
        .get(&mut counselor, &format!("/clients/{owner}/messages"))
        .await;
    assert!(!r.body.contains("Overdue"), "two days have not passed");

    // Confirmed with four hours: five hours later the answer is overdue.
    let mut confirmed = agreement(true);
    confirmed.version = 2;
    domain::contact::ContactStore::put_contact_agreement(
        app.store.as_ref(),
        confirmed,
        Some(1),
        None,
        vec![],
    )
    .await
    .unwrap();
    let r = app
        .get(&mut counselor, &format!("/clients/{owner}/messages"))
        .await;
    assert!(r.body.contains("Overdue"), "{}", r.body);
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let r = app.get(&mut client, &thread).await;
    assert!(r.body.contains("You can expect an answer by"));
}
