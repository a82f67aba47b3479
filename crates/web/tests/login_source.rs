//! Which address login throttling counts against: the peer, or behind a trusted proxy the
//! address the proxy appended to `X-Forwarded-For`, never an address the client made up.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use axum::body::Body;
use common::{Browser, TestApp};
use domain::accounts::ThrottlePolicy;
use http::{Request, StatusCode, header};
use testkit::world::{PASSWORD, users};
use web::WebSettings;

const PER_IP_LIMIT: i64 = 3;

async fn app(trust_forwarded_for: bool) -> TestApp {
    TestApp::with_settings(WebSettings {
        throttle: ThrottlePolicy {
            per_ip_limit: PER_IP_LIMIT,
            per_user_limit: 100,
            ..ThrottlePolicy::default()
        },
        trust_forwarded_for,
        ..WebSettings::default()
    })
    .await
}

/// One login attempt from a fresh browser, with the given `X-Forwarded-For`.
async fn attempt(app: &TestApp, username: &str, password: &str, forwarded_for: &str) -> StatusCode {
    let mut b = Browser::default();
    app.get(&mut b, "/login").await;
    let token = b.cookies["vp_csrf"].clone();
    let body = common::form_encode(&[
        ("username", username),
        ("password", password),
        ("csrf_token", &token),
    ]);
    let req = Request::post("/login")
        .header(header::COOKIE, format!("vp_csrf={token}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", forwarded_for)
        .body(Body::from(body))
        .unwrap();
    app.send(&mut b, req).await.status
}

#[tokio::test]
async fn without_a_trusted_proxy_a_made_up_forwarded_for_does_not_dodge_the_limit() {
    let app = app(false).await;
    for i in 0..PER_IP_LIMIT {
        let status = attempt(
            &app,
            &format!("guess-{i}"),
            "wrong",
            &format!("203.0.113.{i}"),
        )
        .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = attempt(&app, users::LEADER, PASSWORD, "198.51.100.77").await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the header is ignored: all attempts came from the same peer"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_only_the_address_the_proxy_added_counts() {
    let app = app(true).await;
    let proxy_saw = "203.0.113.9";
    for i in 0..PER_IP_LIMIT {
        let spoofed = format!("10.0.0.{i}, {proxy_saw}");
        let status = attempt(&app, &format!("guess-{i}"), "wrong", &spoofed).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let status = attempt(
        &app,
        users::LEADER,
        PASSWORD,
        &format!("198.51.100.1, {proxy_saw}"),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "a client-supplied first entry does not give the attacker a fresh address"
    );
    let status = attempt(&app, users::LEADER, PASSWORD, "203.0.113.10").await;
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "another real address is not affected"
    );
}

/// One login attempt from `browser` (its cookies, so a known device counts), with no
/// `X-Forwarded-For`: in-process every request has the same source, like behind a proxy that
/// the server does not trust.
async fn attempt_in(
    app: &TestApp,
    browser: &mut Browser,
    username: &str,
    password: &str,
) -> common::Reply {
    app.post(
        browser,
        "/login",
        &[("username", username), ("password", password)],
    )
    .await
}

#[tokio::test]
async fn guesses_from_a_shared_address_do_not_lock_a_known_browser_out() {
    let app = app(false).await;
    // The real user has logged in from her own browser before.
    let mut known = app.login(users::LEADER).await;
    app.post(&mut known, "/logout", &[]).await;
    // From the same address (an office, a phone network, or the proxy), someone tries invented
    // usernames until the address limit is reached.
    for i in 0..PER_IP_LIMIT {
        let status = attempt(&app, &format!("invented-{i}"), "wrong", "").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let mut fresh = Browser::default();
    let r = attempt_in(&app, &mut fresh, users::LEADER, PASSWORD).await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a browser never used for this account is held back by the address limit"
    );
    let r = attempt_in(&app, &mut known, users::LEADER, "not her password").await;
    assert_eq!(
        r.status,
        StatusCode::UNAUTHORIZED,
        "her own browser is told the password is wrong, not to wait"
    );
    let r = attempt_in(&app, &mut known, users::LEADER, PASSWORD).await;
    assert_eq!(
        (r.status, r.location()),
        (StatusCode::SEE_OTHER, Some("/")),
        "her own browser with the right password gets in: {}",
        r.body
    );
}

#[tokio::test]
async fn a_throttled_login_says_what_to_do_in_the_users_language() {
    let app = app(false).await;
    for i in 0..PER_IP_LIMIT {
        attempt(&app, &format!("invented-{i}"), "wrong", "").await;
    }
    for (lang, wait, known_browser, ask) in [
        (
            "nb",
            "Vent 15 minutter",
            "nettleser du har logget inn fra før",
            "den som har ansvar for kontoen",
        ),
        (
            "nn",
            "Vent 15 minutt",
            "nettlesar du har logga inn frå før",
            "den som har ansvaret for kontoen",
        ),
        (
            "en",
            "Wait 15 minutes",
            "a browser you have logged in from before",
            "whoever manages your account",
        ),
    ] {
        let mut b = Browser {
            accept_language: Some(lang.into()),
            ..Default::default()
        };
        let r = attempt_in(&app, &mut b, users::LEADER, PASSWORD).await;
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{lang}");
        for part in [wait, known_browser, ask] {
            assert!(
                r.body.contains(part),
                "{lang}: {part:?} missing in {}",
                r.body
            );
        }
    }
}
