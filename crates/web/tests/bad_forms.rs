//! Requests no page of ours sends — a field twice, a number too large, the wrong content
//! type, a query given twice, a path that is not text — are answered like every other
//! refusal: a page in the user's language, nothing changed, never the framework's English.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use common::{Browser, Reply, TestApp};
use domain::audit::AuditStore;
use domain::contact::ContactStore;
use http::{Request, StatusCode, header};
use testkit::world::users;

/// Posts `body` as it is (with the browser's cookies, CSRF token and `content_type`).
async fn post_body(
    app: &TestApp,
    b: &mut Browser,
    path: &str,
    body: &str,
    content_type: &str,
) -> Reply {
    let token = app.csrf_token(b).await;
    let cookies = b
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut req = Request::post(path)
        .header(header::COOKIE, cookies)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::HOST, "localhost");
    if let Some(l) = &b.accept_language {
        req = req.header(header::ACCEPT_LANGUAGE, l);
    }
    let req = req
        .body(Body::from(format!("{body}&csrf_token={token}")))
        .unwrap();
    app.send(b, req).await
}

const FORM: &str = "application/x-www-form-urlencoded";

/// A page in bokmål that says the form could not be read, and none of axum's English.
fn assert_localized_refusal(r: &Reply, what: &str) {
    assert!(
        r.status == StatusCode::BAD_REQUEST || r.status == StatusCode::UNPROCESSABLE_ENTITY,
        "{what}: {} {}",
        r.status,
        r.body
    );
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/html"),
        "{what}: a page, not text"
    );
    assert!(r.body.contains("<html lang=\"nb\""), "{what}: {}", r.body);
    assert!(
        r.body.contains("Skjemaet kunne ikke leses"),
        "{what}: {}",
        r.body
    );
    for english in [
        "Failed to deserialize",
        "Expected request",
        "Content-Type",
        "Invalid URL",
    ] {
        assert!(
            !r.body.contains(english),
            "{what}: {english:?} in {}",
            r.body
        );
    }
}

#[tokio::test]
async fn a_duplicated_field_gets_a_page_in_the_users_language() {
    let app = TestApp::new().await;
    let mut anon = Browser::default();
    let r = post_body(
        &app,
        &mut anon,
        "/login",
        &format!("username={0}&username={0}&password={1}", users::LEADER, "x"),
        FORM,
    )
    .await;
    assert_localized_refusal(&r, "login with username twice");
    assert!(!anon.cookies.contains_key("vp_session"));

    let mut client = app.login(users::OWNER_CLIENT).await;
    let cid = app.world.owner_client;
    let before = app.audit_count().await;
    let r = post_body(
        &app,
        &mut client,
        &format!("/clients/{cid}/contact/confirm"),
        "version=1&version=2",
        FORM,
    )
    .await;
    assert_localized_refusal(&r, "version twice");
    assert_eq!(app.audit_count().await, before, "nothing happened");
}

#[tokio::test]
async fn a_number_too_large_gets_a_page_in_the_users_language() {
    let app = TestApp::new().await;
    let mut client = app.login(users::OWNER_CLIENT).await;
    let cid = app.world.owner_client;
    let before = app.audit_count().await;
    let r = post_body(
        &app,
        &mut client,
        &format!("/clients/{cid}/contact/confirm"),
        "version=99999999999999999999",
        FORM,
    )
    .await;
    assert_localized_refusal(&r, "version overflow");
    assert_eq!(app.audit_count().await, before, "nothing happened");
}

#[tokio::test]
async fn a_form_in_another_format_or_a_doubled_query_gets_a_page_too() {
    let app = TestApp::new().await;
    let mut anon = Browser::default();
    let r = post_body(&app, &mut anon, "/language", "lang=en", "text/plain").await;
    assert_localized_refusal(&r, "text/plain body");

    let mut leader = app.login(users::LEADER).await;
    let r = app
        .get(&mut leader, "/insights?quarter=2025-Q1&quarter=2025-Q2")
        .await;
    assert_localized_refusal(&r, "quarter twice");
}

#[tokio::test]
async fn a_path_that_is_not_text_is_not_found_like_any_other() {
    let app = TestApp::new().await;
    let mut counselor = app.login(users::ASSIGNED_COUNSELOR).await;
    let r = app.get(&mut counselor, "/clients/%FF%FE").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(r.body.contains("Vi fant ikke siden"), "{}", r.body);
    assert!(!r.body.contains("Invalid URL"));
}

#[tokio::test]
async fn a_bad_check_in_interval_is_shown_next_to_the_field_and_changes_nothing() {
    let app = TestApp::new().await;
    let mut counselor = app.login(users::ASSIGNED_COUNSELOR).await;
    let cid = app.world.owner_client;
    let path = format!("/clients/{cid}/checkins");
    let r = app
        .post(&mut counselor, &path, &[("every_days", "14")])
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let status = |store: std::sync::Arc<store_sqlite::SqliteStore>| async move {
        store.contact_status(&[cid]).await.unwrap()[0].every_days
    };
    assert_eq!(status(app.store.clone()).await, Some(14));
    for bad in ["5", "abc", "99999999999999999999", "-7"] {
        let before = app.audit_count().await;
        let r = app
            .post(&mut counselor, &path, &[("every_days", bad)])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        assert!(
            r.body.contains("id=\"every_days-error\"")
                && r.body.contains("Velg ett av alternativene."),
            "{bad}: the message is next to the field: {}",
            r.body
        );
        assert!(
            r.body.contains("aria-describedby=\"every_days-error\""),
            "{bad}: the field points to it"
        );
        assert!(
            r.body.contains("href=\"#every_days\""),
            "{bad}: in the summary"
        );
        assert_eq!(
            status(app.store.clone()).await,
            Some(14),
            "{bad}: unchanged"
        );
        // The page shown again is a view of the client's messages (audited as such); no
        // change was recorded.
        let rows = app.store.audit_rows(before, 10).await.unwrap();
        assert!(
            rows.iter()
                .all(|r| r.event.action == domain::audit::AuditAction::Viewed),
            "{bad}: no change recorded: {:?}",
            rows.iter().map(|r| r.event.action).collect::<Vec<_>>()
        );
    }
}
