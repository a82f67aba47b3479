//! What operators and first-time users meet: health and readiness, metrics without ids in
//! labels, the one-time setup page, the demo banner, and the body limit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, Reply, TestApp};
use domain::organisation::OrganisationStore;
use http::StatusCode;
use http_body_util::BodyExt;
use std::sync::Arc;
use testkit::clock::ManualClock;
use testkit::world::users;
use tower::ServiceExt;
use web::{AppState, Argon2Hasher, WebSettings};

#[tokio::test]
async fn health_and_readiness_answer_in_plain_text() {
    let app = TestApp::new().await;
    let mut b = Browser::default();
    let health = app.get(&mut b, "/healthz").await;
    assert_eq!(health.status, StatusCode::OK);
    assert_eq!(health.body.trim(), "ok");
    assert!(
        health.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let ready = app.get(&mut b, "/readyz").await;
    assert_eq!(ready.status, StatusCode::OK);
    assert_eq!(ready.body.trim(), "ready");
}

/// Scrapes the metrics listener's router (`web::metrics_app`) with an optional bearer token.
async fn scrape(app: &axum::Router, bearer: Option<&str>) -> Reply {
    let mut req = http::Request::get("/metrics");
    if let Some(t) = bearer {
        req = req.header(http::header::AUTHORIZATION, format!("Bearer {t}"));
    }
    let res = app
        .clone()
        .oneshot(req.body(axum::body::Body::empty()).unwrap())
        .await
        .unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    Reply {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).to_string(),
    }
}

#[tokio::test]
async fn the_main_listener_does_not_serve_metrics() {
    let app = TestApp::new().await;
    let mut anyone = Browser::default();
    let m = app.get(&mut anyone, "/metrics").await;
    assert_eq!(m.status, StatusCode::NOT_FOUND, "{}", m.body);
    assert!(!m.body.contains("http_requests_total"));
    let mut admin = app.login(users::ADMINISTRATOR).await;
    let m = app.get(&mut admin, "/metrics").await;
    assert_eq!(m.status, StatusCode::NOT_FOUND, "not even for staff");
}

#[tokio::test]
async fn the_metrics_listener_wants_the_configured_token() {
    let app = TestApp::new().await;
    let metrics = web::metrics_web::metrics_app(
        app.store.clone(),
        Some(domain::types::Secret::new(
            "a-long-metrics-token-0123456789",
        )),
    );
    for wrong in [None, Some("guess"), Some("a-long-metrics-token-012345678")] {
        let r = scrape(&metrics, wrong).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{wrong:?}");
        assert!(!r.body.contains("http_requests_total"));
        assert_eq!(r.headers["www-authenticate"], "Bearer");
    }
    let r = scrape(&metrics, Some("a-long-metrics-token-0123456789")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("db_pool_connections"), "{}", r.body);
    let other = metrics
        .clone()
        .oneshot(
            http::Request::get("/login")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        StatusCode::NOT_FOUND,
        "only /metrics is there"
    );
}

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_never_by_raw_path() {
    let app = TestApp::new().await;
    let mut counselor = app.login(users::ASSIGNED_COUNSELOR).await;
    let client = app.world.owner_client.to_string();
    let page = app.get(&mut counselor, &format!("/clients/{client}")).await;
    assert_eq!(page.status, StatusCode::OK);

    // Without a token configured, the metrics listener answers anyone who reaches it.
    let m = scrape(
        &web::metrics_web::metrics_app(app.store.clone(), None),
        None,
    )
    .await;
    assert_eq!(m.status, StatusCode::OK);
    assert!(
        m.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let counted = m.body.lines().any(|l| {
        l.starts_with("http_requests_total{")
            && l.contains("route=\"/clients/{id}\"")
            && l.contains("method=\"GET\"")
            && l.contains("status=\"200\"")
    });
    assert!(
        counted,
        "the client page is counted by its pattern:\n{}",
        m.body
    );
    assert!(
        m.body
            .lines()
            .any(|l| l.starts_with("http_request_duration_seconds_bucket{")),
        "latency is a histogram"
    );
    assert!(
        !m.body.contains(&client),
        "no id ever appears in a metric label"
    );
    for gauge in ["db_pool_connections", "db_pool_idle_connections"] {
        assert!(
            m.body.lines().any(|l| l.starts_with(gauge)),
            "{gauge} is missing"
        );
    }
}

/// A browser talking to an app without the test world (the world would end setup mode).
struct Bare {
    app: axum::Router,
}

impl Bare {
    async fn send(&self, b: &mut Browser, req: http::request::Builder, body: String) -> Reply {
        let cookies = b
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let req = req
            .header(http::header::COOKIE, cookies)
            .header(http::header::HOST, "localhost")
            .body(axum::body::Body::from(body))
            .unwrap();
        let res = self.app.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        let reply = Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).to_string(),
        };
        for c in reply.set_cookies() {
            let first = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = first.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    b.cookies.remove(k);
                } else {
                    b.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        reply
    }

    async fn get(&self, b: &mut Browser, path: &str) -> Reply {
        self.send(b, http::Request::get(path), String::new()).await
    }

    async fn post(&self, b: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
        if !b.cookies.contains_key("vp_csrf") {
            self.get(b, "/login").await;
        }
        let token = b.cookies.get("vp_csrf").cloned().unwrap_or_default();
        let mut all = fields.to_vec();
        all.push(("csrf_token", &token));
        let req = http::Request::post(path).header(
            http::header::CONTENT_TYPE,
            "application/x-www-form-urlencoded",
        );
        self.send(b, req, common::form_encode(&all)).await
    }
}

/// An app on an empty database, as on the first start of a new installation.
async fn empty_app() -> (
    tempfile::TempDir,
    Arc<store_sqlite::SqliteStore>,
    axum::Router,
) {
    let (dir, store) = testkit::sqlite::temp_store().await;
    let store = Arc::new(store);
    let state = AppState::new(
        store.clone(),
        Arc::new(ManualClock::at_2026()),
        Arc::new(Argon2Hasher::for_tests()),
        WebSettings::default(),
    );
    (dir, store, web::app(state))
}

#[tokio::test]
async fn first_run_setup_needs_the_printed_code_and_closes_once_done() {
    let (_dir, store, router) = empty_app().await;
    let app = Bare { app: router };
    let clock = ManualClock::at_2026();
    let token = domain::accounts::issue_setup_token_if_empty(store.as_ref(), &clock)
        .await
        .unwrap()
        .expect("an empty database gets a setup code");
    let mut b = Browser::default();

    let form = app.get(&mut b, "/setup").await;
    assert_eq!(form.status, StatusCode::OK);
    for field in [
        "token",
        "organisation_name",
        "office_name",
        "username",
        "display_name",
        "password",
    ] {
        assert!(
            form.body.contains(&format!("name=\"{field}\"")),
            "field {field}"
        );
        assert!(
            form.body.contains(&format!("for=\"{field}\"")),
            "label for {field}"
        );
    }

    let mut fields = vec![
        ("token", "wrong code"),
        ("organisation_name", "Testby kommune"),
        ("office_name", "Testby kontor"),
        ("username", "first-admin"),
        ("display_name", "Frida Første"),
        ("password", "a long and fine passphrase"),
    ];
    let wrong = app.post(&mut b, "/setup", &fields).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        wrong.body.contains("Engangskoden er feil"),
        "{}",
        wrong.body
    );
    assert_eq!(store.organisation_count().await.unwrap(), 0);

    fields[0].1 = token.expose();
    let done = app.post(&mut b, "/setup", &fields).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), Some("/login"));
    assert_eq!(store.organisation_count().await.unwrap(), 1);

    assert_eq!(
        app.get(&mut b, "/setup").await.status,
        StatusCode::NOT_FOUND,
        "setup is gone once an organisation exists"
    );
    let again = app.post(&mut b, "/setup", &fields).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(store.organisation_count().await.unwrap(), 1);

    let login = app
        .post(
            &mut b,
            "/login",
            &[
                ("username", "first-admin"),
                ("password", "a long and fine passphrase"),
            ],
        )
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    let home = app.get(&mut b, "/").await;
    assert_eq!(home.location(), Some("/admin"));
    assert_eq!(app.get(&mut b, "/admin").await.status, StatusCode::OK);
}

#[tokio::test]
async fn demo_mode_shows_the_banner_on_every_page() {
    let app = TestApp::with_settings(WebSettings {
        demo: true,
        ..WebSettings::default()
    })
    .await;
    let mut anon = Browser::default();
    for path in ["/login", "/no-such-page"] {
        let r = app.get(&mut anon, path).await;
        assert!(r.body.contains("class=\"demo-banner\""), "{path}");
    }
    for (who, path) in [
        (users::OWNER_CLIENT, "/me"),
        (users::OWNER_CLIENT, "/me/access-log"),
        (users::ASSIGNED_COUNSELOR, "/caseload"),
        (users::LEADER, "/insights"),
        (users::ADMINISTRATOR, "/admin/people"),
        (users::ADMINISTRATOR, "/account/password"),
    ] {
        let mut b = app.login(who).await;
        let r = app.get(&mut b, path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        assert!(r.body.contains("class=\"demo-banner\""), "{path} as {who}");
    }

    let plain = TestApp::new().await;
    let r = plain.get(&mut Browser::default(), "/login").await;
    assert!(
        !r.body.contains("demo-banner"),
        "no banner outside demo mode"
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_a_page() {
    let app = TestApp::new().await;
    let mut b = Browser::default();
    let huge = "x".repeat(web::routes::BODY_LIMIT_BYTES + 1);
    let r = app
        .post(&mut b, "/login", &[("username", &huge), ("password", "x")])
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.body.contains("<h1"), "a page, not a bare status");
    assert!(r.headers.contains_key("content-security-policy"));
}

#[tokio::test]
async fn the_role_home_follows_the_role() {
    let app = TestApp::new().await;
    assert_eq!(
        app.get(&mut Browser::default(), "/").await.location(),
        Some("/login")
    );
    for (who, home) in [
        (users::OWNER_CLIENT, "/me"),
        (users::ASSIGNED_COUNSELOR, "/caseload"),
        (users::LEADER, "/insights"),
        (users::ADMINISTRATOR, "/admin"),
    ] {
        let mut b = app.login(who).await;
        let r = app.get(&mut b, "/").await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), Some(home), "{who}");
    }
}
