//! Login, sessions, throttling, CSRF, headers and language, through the real router.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use http::StatusCode;
use testkit::world::{PASSWORD, users};
use time::Duration;

#[tokio::test]
async fn login_sets_a_hardened_session_cookie_and_rotates_it() {
    let app = TestApp::new().await;
    let mut b = Browser::default();
    let r = app
        .post(
            &mut b,
            "/login",
            &[
                ("username", users::ASSIGNED_COUNSELOR),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, Some("/")));
    let session = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("vp_session="))
        .expect("session cookie");
    assert!(
        session.contains("HttpOnly")
            && session.contains("SameSite=Lax")
            && session.contains("Path=/"),
        "{session}"
    );
    let first = b.cookies["vp_session"].clone();
    assert_eq!(first.len(), 64, "256 random bits");
    let home = app.get(&mut b, "/").await;
    assert_eq!(home.location(), Some("/caseload"));
    let again = app
        .post(
            &mut b,
            "/login",
            &[
                ("username", users::ASSIGNED_COUNSELOR),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_ne!(
        b.cookies["vp_session"], first,
        "every login issues a new session token"
    );
}

#[tokio::test]
async fn secure_deployments_use_host_prefixed_secure_cookies_and_hsts() {
    let settings = web::WebSettings {
        secure_cookies: true,
        ..Default::default()
    };
    let app = TestApp::with_settings(settings).await;
    let mut b = Browser::default();
    let page = app.get(&mut b, "/login").await;
    assert!(page.headers.get("strict-transport-security").is_some());
    let csrf = b
        .cookies
        .get("__Host-vp_csrf")
        .cloned()
        .expect("__Host- csrf cookie");
    let r = app
        .post_raw(
            &mut b,
            "/login",
            &[
                ("username", users::LEADER),
                ("password", PASSWORD),
                ("csrf_token", &csrf),
            ],
            None,
        )
        .await;
    let session = r
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("__Host-vp_session="))
        .expect("secure session cookie");
    assert!(session.contains("Secure") && session.contains("HttpOnly"));
}

#[tokio::test]
async fn unknown_users_and_wrong_passwords_get_the_same_answer() {
    let app = TestApp::new().await;
    let mut a = Browser::default();
    let mut b = Browser::default();
    let wrong = app
        .post(
            &mut a,
            "/login",
            &[
                ("username", users::LEADER),
                ("password", "not the password at all"),
            ],
        )
        .await;
    let unknown = app
        .post(
            &mut b,
            "/login",
            &[
                ("username", "nobody-here"),
                ("password", "not the password at all"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, wrong.status);
    let msg = |body: &str| {
        body.split("role=\"alert\"")
            .nth(1)
            .map(|s| s.chars().take(120).collect::<String>())
    };
    assert_eq!(msg(&wrong.body), msg(&unknown.body));
    assert!(wrong.body.contains("Brukernavnet eller passordet er feil."));
    assert!(!a.cookies.contains_key("vp_session"));
}

#[tokio::test]
async fn an_attacker_is_slowed_but_cannot_lock_the_user_out_of_a_known_browser() {
    let app = TestApp::new().await;
    // The real user has logged in before from their own browser.
    let mut user = app.login(users::SAME_OFFICE_COUNSELOR).await;
    app.post(&mut user, "/logout", &[]).await;
    assert!(user.cookies.contains_key("vp_device"));

    let mut attacker = Browser::default();
    for _ in 0..5 {
        let r = app
            .post(
                &mut attacker,
                "/login",
                &[
                    ("username", users::SAME_OFFICE_COUNSELOR),
                    ("password", "guess guess guess"),
                ],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    }
    let r = app
        .post(
            &mut attacker,
            "/login",
            &[
                ("username", users::SAME_OFFICE_COUNSELOR),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::TOO_MANY_REQUESTS,
        "even the right password is refused to a new browser now"
    );
    assert!(r.body.contains("For mange forsøk"));

    let r = app
        .post(
            &mut user,
            "/login",
            &[
                ("username", users::SAME_OFFICE_COUNSELOR),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "the user's own browser still gets in"
    );

    app.clock.advance(Duration::minutes(16));
    let r = app
        .post(
            &mut attacker,
            "/login",
            &[
                ("username", users::SAME_OFFICE_COUNSELOR),
                ("password", "guess again please"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED, "the window passes");
}

#[tokio::test]
async fn forms_without_the_right_csrf_token_or_from_another_origin_are_refused() {
    let app = TestApp::new().await;
    let mut b = Browser::default();
    app.get(&mut b, "/login").await;
    let token = b.cookies["vp_csrf"].clone();
    let fields = [("username", users::LEADER), ("password", PASSWORD)];
    let r = app.post_raw(&mut b, "/login", &fields, None).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no token");
    let r = app
        .post_raw(
            &mut b,
            "/login",
            &[fields[0], fields[1], ("csrf_token", "forged")],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "wrong token");
    let r = app
        .post_raw(
            &mut b,
            "/login",
            &[fields[0], fields[1], ("csrf_token", &token)],
            Some("https://evil.example"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "another origin");
    assert!(r.body.contains("request-id") || r.body.contains("Feilkode"));
    assert!(!b.cookies.contains_key("vp_session"));
}

#[tokio::test]
async fn logout_password_change_and_idle_time_end_sessions() {
    let app = TestApp::new().await;
    let mut b = app.login(users::OWNER_CLIENT).await;
    assert_eq!(app.get(&mut b, "/me").await.status, StatusCode::OK);
    let stolen = b.clone();
    app.post(&mut b, "/logout", &[]).await;
    let mut thief = stolen.clone();
    assert_eq!(
        app.get(&mut thief, "/me").await.location(),
        Some("/login"),
        "a logged-out token is dead"
    );

    let mut phone = app.login(users::OWNER_CLIENT).await;
    let mut laptop = app.login(users::OWNER_CLIENT).await;
    let r = app
        .post(
            &mut laptop,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new long passphrase"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        app.get(&mut laptop, "/me").await.status,
        StatusCode::OK,
        "this browser continues"
    );
    assert_eq!(
        app.get(&mut phone, "/me").await.location(),
        Some("/login"),
        "other browsers are logged out"
    );

    let weak = app
        .post(
            &mut laptop,
            "/account/password",
            &[
                ("current_password", "a brand new long passphrase"),
                ("new_password", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("for vanlig"));

    app.clock.advance(Duration::minutes(31));
    assert_eq!(
        app.get(&mut laptop, "/me").await.location(),
        Some("/login"),
        "idle timeout"
    );
}

#[tokio::test]
async fn the_absolute_timeout_ends_even_an_active_session() {
    let app = TestApp::new().await;
    let mut b = app.login(users::LEADER).await;
    for _ in 0..25 {
        app.clock.advance(Duration::minutes(29));
        let r = app.get(&mut b, "/insights").await;
        if r.status != StatusCode::OK {
            assert_eq!(r.location(), Some("/login"));
            return;
        }
    }
    panic!("the session outlived its 12-hour absolute timeout");
}

#[tokio::test]
async fn security_headers_are_on_pages_and_error_pages() {
    let app = TestApp::new().await;
    let mut b = Browser::default();
    for path in ["/login", "/no-such-page", "/healthz"] {
        let r = app.get(&mut b, path).await;
        let h = |n: &str| {
            r.headers
                .get(n)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string()
        };
        assert!(
            h("content-security-policy").contains("frame-ancestors 'none'"),
            "{path}"
        );
        assert!(
            !h("content-security-policy").contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(h("x-content-type-options"), "nosniff", "{path}");
        assert_eq!(h("referrer-policy"), "same-origin", "{path}");
        assert_eq!(h("cache-control"), "no-store", "{path}");
        assert!(!h("x-request-id").is_empty(), "{path}");
    }
    let missing = app.get(&mut b, "/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing
            .body
            .contains(missing.headers["x-request-id"].to_str().unwrap()),
        "the error page shows the request id"
    );
}

#[tokio::test]
async fn assets_are_served_with_their_type_under_hashed_urls() {
    let app = TestApp::new().await;
    let mut b = Browser::default();
    let page = app.get(&mut b, "/login").await;
    let href = page
        .body
        .split("href=\"/assets/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("stylesheet link");
    let css = app.get(&mut b, &format!("/assets/{href}")).await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.headers["content-type"], "text/css; charset=utf-8");
    assert!(
        css.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let wrong = app.get(&mut b, "/assets/0000000000000000/app.css").await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn pages_speak_the_users_language() {
    let app = TestApp::new().await;
    let mut b = Browser {
        accept_language: Some("en-GB,en;q=0.9".into()),
        ..Default::default()
    };
    let en = app.get(&mut b, "/login").await;
    assert!(en.body.contains("<html lang=\"en\"") && en.body.contains("Log in"));
    let r = app.post(&mut b, "/language", &[("lang", "nn")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let nn = app.get(&mut b, "/login").await;
    assert!(
        nn.body.contains("<html lang=\"nn\"") && nn.body.contains("Skriv brukarnamn og passord."),
        "the user's choice wins"
    );
    let mut plain = Browser::default();
    assert!(
        app.get(&mut plain, "/login")
            .await
            .body
            .contains("<html lang=\"nb\""),
        "bokmål by default"
    );
}

#[tokio::test]
async fn markup_in_names_is_shown_as_text() {
    let app = TestApp::new().await;
    let mut admin = app.login(users::ADMINISTRATOR).await;
    let office = app.world.office_a.to_string();
    let r = app
        .post(
            &mut admin,
            "/admin/people",
            &[
                ("username", "script-kid"),
                ("display_name", "<script>alert(1)</script>"),
                ("password", "a perfectly fine passphrase"),
                ("role", "counselor"),
                ("office_id", &office),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let list = app.get(&mut admin, "/admin/people").await;
    assert!(
        list.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            || list.body.contains("&#60;script&#62;")
    );
    assert!(!list.body.contains("<script>alert(1)</script>"));
}

#[tokio::test]
async fn bad_input_gets_a_message_and_changes_nothing() {
    let app = TestApp::new().await;
    let mut admin = app.login(users::ADMINISTRATOR).await;
    let before = app
        .get(&mut admin, "/admin/people")
        .await
        .body
        .matches("<tr>")
        .count();
    let office = app.world.office_a.to_string();
    let r = app
        .post(
            &mut admin,
            "/admin/people",
            &[
                ("username", "x"),
                ("display_name", "Kari"),
                ("password", "short"),
                ("role", "counselor"),
                ("office_id", &office),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("Teksten er for kort.") && r.body.contains("minst 12 tegn"),
        "{}",
        r.body
    );
    assert!(
        r.body.contains("value=\"Kari\""),
        "the user's input is kept"
    );
    let after = app
        .get(&mut admin, "/admin/people")
        .await
        .body
        .matches("<tr>")
        .count();
    assert_eq!(before, after);
}
