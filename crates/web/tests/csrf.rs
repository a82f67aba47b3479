//! CSRF tokens belong to one session and change at login and logout; a form's `Origin` must
//! be this server's own, scheme, host and port alike.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, Reply, TestApp, page_csrf_token};
use http::StatusCode;
use testkit::world::{PASSWORD, users};
use web::WebSettings;

/// The `csrf_token` of a page the browser loads now.
async fn token_of_page(app: &TestApp, b: &mut Browser, path: &str) -> String {
    let page = app.get(b, path).await;
    page_csrf_token(&page.body).unwrap_or_else(|| panic!("{path} has no form: {}", page.body))
}

/// Logs out with exactly this token; the answer and whether the browser is still signed in.
async fn logout_with(app: &TestApp, b: &mut Browser, token: &str) -> (Reply, bool) {
    let r = app
        .post_raw(b, "/logout", &[("csrf_token", token)], None)
        .await;
    let still_in = app.get(b, "/account/password").await.status == StatusCode::OK;
    (r, still_in)
}

#[tokio::test]
async fn a_token_from_one_session_is_refused_in_another() {
    let app = TestApp::new().await;
    // One browser, two people one after the other (a shared computer).
    let mut b = app.login(users::LEADER).await;
    let leaders = token_of_page(&app, &mut b, "/account/password").await;
    app.post(&mut b, "/logout", &[]).await;
    let mut b2 = b.clone();
    let r = app
        .post(
            &mut b2,
            "/login",
            &[
                ("username", users::ASSIGNED_COUNSELOR),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let (r, still_in) = logout_with(&app, &mut b2, &leaders).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the leader's token does not work in the counselor's session"
    );
    assert!(still_in, "nothing happened");

    // Two browsers at once: even with the other browser's token cookie planted, its page
    // token is refused.
    let mut one = app.login(users::LEADER).await;
    let mut two = app.login(users::LEADER).await;
    let token_one = token_of_page(&app, &mut one, "/account/password").await;
    for (name, value) in one.cookies.iter().filter(|(k, _)| k.contains("csrf")) {
        two.cookies.insert(name.clone(), value.clone());
    }
    let (r, still_in) = logout_with(&app, &mut two, &token_one).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "another session's token");
    assert!(still_in);
    let own = token_of_page(&app, &mut two, "/account/password").await;
    assert_ne!(own, token_one, "each session has its own token");
    let (r, still_in) = logout_with(&app, &mut two, &own).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "its own token works");
    assert!(!still_in);
}

#[tokio::test]
async fn the_token_changes_at_login_and_at_logout() {
    let app = TestApp::new().await;
    let mut b = Browser::default();
    let before_login = token_of_page(&app, &mut b, "/login").await;
    let r = app
        .post_raw(
            &mut b,
            "/login",
            &[
                ("username", users::LEADER),
                ("password", PASSWORD),
                ("csrf_token", &before_login),
            ],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let (r, still_in) = logout_with(&app, &mut b, &before_login).await;
    assert_eq!(
        r.status,
        StatusCode::FORBIDDEN,
        "the token from before login is refused after it"
    );
    assert!(still_in);

    let signed_in = token_of_page(&app, &mut b, "/account/password").await;
    assert_ne!(signed_in, before_login);
    let (r, still_in) = logout_with(&app, &mut b, &signed_in).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(!still_in);

    let after_logout = token_of_page(&app, &mut b, "/login").await;
    assert_ne!(after_logout, before_login, "logout gives a fresh token");
    assert_ne!(after_logout, signed_in);
    for dead in [&before_login, &signed_in] {
        let r = app
            .post_raw(
                &mut b,
                "/language",
                &[("lang", "en"), ("csrf_token", dead)],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "an old token after logout");
    }
    let r = app
        .post_raw(
            &mut b,
            "/language",
            &[("lang", "en"), ("csrf_token", &after_logout)],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "the fresh one works");
}

#[tokio::test]
async fn a_form_posted_after_the_session_ended_goes_to_the_login_page() {
    let app = TestApp::new().await;
    let mut b = app.login(users::LEADER).await;
    let token = token_of_page(&app, &mut b, "/account/password").await;
    app.clock.advance(time::Duration::minutes(31));
    let r = app
        .post_raw(
            &mut b,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new long passphrase"),
                ("csrf_token", &token),
            ],
            None,
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, Some("/login")),
        "the session timed out: log in again (nothing changed)"
    );
    app.login(users::LEADER).await;
}

/// Posts the language form with the browser's token and `origin`.
async fn post_from(app: &TestApp, origin: &str) -> StatusCode {
    let mut b = Browser::default();
    let token = app.csrf_token(&mut b).await;
    app.post_raw(
        &mut b,
        "/language",
        &[("lang", "en"), ("csrf_token", &token)],
        Some(origin),
    )
    .await
    .status
}

#[tokio::test]
async fn the_origin_must_match_in_scheme_host_and_port() {
    // Plain HTTP, no public_url: the origin is http:// and the Host header (`localhost`).
    let app = TestApp::new().await;
    assert_eq!(
        post_from(&app, "http://localhost").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post_from(&app, "http://localhost:80").await,
        StatusCode::SEE_OTHER
    );
    for other in [
        "https://localhost",
        "http://localhost:8081",
        "http://evil.example",
        "http://localhost.evil.example",
        "null",
    ] {
        assert_eq!(
            post_from(&app, other).await,
            StatusCode::FORBIDDEN,
            "{other}"
        );
    }

    // Served over TLS: an http:// origin is another origin.
    let tls = TestApp::with_settings(WebSettings {
        secure_cookies: true,
        ..WebSettings::default()
    })
    .await;
    assert_eq!(
        post_from(&tls, "https://localhost").await,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        post_from(&tls, "https://localhost:443").await,
        StatusCode::SEE_OTHER
    );
    for other in ["http://localhost", "https://localhost:8443"] {
        assert_eq!(
            post_from(&tls, other).await,
            StatusCode::FORBIDDEN,
            "{other}"
        );
    }

    // With public_url, that is the origin, whatever the Host header says.
    let public = TestApp::with_settings(WebSettings {
        secure_cookies: true,
        public_url: Some("https://vendepunkt.example.no".into()),
        ..WebSettings::default()
    })
    .await;
    assert_eq!(
        post_from(&public, "https://vendepunkt.example.no").await,
        StatusCode::SEE_OTHER
    );
    for other in ["https://localhost", "http://vendepunkt.example.no"] {
        assert_eq!(
            post_from(&public, other).await,
            StatusCode::FORBIDDEN,
            "{other}"
        );
    }
}
