//! An in-process app on a real SQLite file, with a browser-like cookie jar.
#![allow(dead_code)]

use axum::body::Body;
use domain::audit::AuditStore;
use http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::sync::Arc;
use testkit::clock::ManualClock;
use testkit::world::World;
use tower::ServiceExt;
use web::{AppState, Argon2Hasher, WebSettings};

pub struct TestApp {
    pub app: axum::Router,
    pub store: Arc<store_sqlite::SqliteStore>,
    pub clock: ManualClock,
    pub world: World,
    _dir: tempfile::TempDir,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: http::HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn location(&self) -> Option<&str> {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
    }
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_string))
            .collect()
    }
}

/// A browser: a cookie jar and the CSRF token of the last page.
#[derive(Default, Clone)]
pub struct Browser {
    pub cookies: HashMap<String, String>,
    pub accept_language: Option<String>,
    /// The `csrf_token` of the last page that had a form, with the session cookie the
    /// browser held then (the token belongs to that session).
    pub page_token: Option<(Option<String>, String)>,
}

impl Browser {
    /// The session cookie, under either name.
    pub fn session(&self) -> Option<String> {
        self.cookies
            .get("vp_session")
            .or_else(|| self.cookies.get("__Host-vp_session"))
            .cloned()
    }
}

/// The value of the first `csrf_token` field in a page.
pub fn page_csrf_token(html: &str) -> Option<String> {
    html.split("name=\"csrf_token\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .map(str::to_string)
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_settings(WebSettings::default()).await
    }

    pub async fn with_settings(settings: WebSettings) -> Self {
        let (dir, store) = testkit::sqlite::temp_store().await;
        let store = Arc::new(store);
        let clock = ManualClock::at_2026();
        let hasher = Argon2Hasher::for_tests();
        let world = World::build(store.as_ref(), &hasher, &clock).await;
        let state = AppState::new(
            store.clone(),
            Arc::new(clock.clone()),
            Arc::new(hasher),
            settings,
        );
        Self {
            app: web::app(state),
            store,
            clock,
            world,
            _dir: dir,
        }
    }

    pub async fn send(&self, browser: &mut Browser, req: Request<Body>) -> Reply {
        let res: Response<Body> = self.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        let reply = Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).to_string(),
        };
        for c in reply.set_cookies() {
            let first = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = first.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    browser.cookies.remove(k);
                } else {
                    browser.cookies.insert(k.to_string(), v.to_string());
                }
            }
        }
        if let Some(token) = page_csrf_token(&reply.body) {
            browser.page_token = Some((browser.session(), token));
        }
        reply
    }

    fn cookie_header(browser: &Browser) -> String {
        browser
            .cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&self, browser: &mut Browser, path: &str) -> Reply {
        let mut req = Request::get(path).header(header::COOKIE, Self::cookie_header(browser));
        if let Some(l) = &browser.accept_language {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        self.send(browser, req.body(Body::empty()).unwrap()).await
    }

    /// The CSRF token a page would give this browser now: the last page's, if it belongs to
    /// the browser's current session; otherwise one from a page loaded for it (a signed-in
    /// page, or the login page without a live session), as a person would reload.
    pub async fn csrf_token(&self, browser: &mut Browser) -> String {
        if let Some((session, token)) = &browser.page_token
            && *session == browser.session()
        {
            return token.clone();
        }
        browser.page_token = None;
        if browser.session().is_some() {
            self.get(browser, "/account/password").await;
        }
        if browser.page_token.is_none() {
            self.get(browser, "/login").await;
        }
        browser
            .page_token
            .as_ref()
            .map(|(_, t)| t.clone())
            .unwrap_or_default()
    }

    /// Posts a form, adding the browser's CSRF token.
    pub async fn post(&self, browser: &mut Browser, path: &str, fields: &[(&str, &str)]) -> Reply {
        let token = self.csrf_token(browser).await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf_token", &token));
        self.post_raw(browser, path, &all, None).await
    }

    pub async fn post_raw(
        &self,
        browser: &mut Browser,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Reply {
        let body = form_encode(fields);
        let mut req = Request::post(path)
            .header(header::COOKIE, Self::cookie_header(browser))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "localhost");
        if let Some(o) = origin {
            req = req.header(header::ORIGIN, o);
        }
        if let Some(l) = &browser.accept_language {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        self.send(browser, req.body(Body::from(body)).unwrap())
            .await
    }

    /// A browser logged in as `username` (with the world's password).
    pub async fn login(&self, username: &str) -> Browser {
        let mut b = Browser::default();
        let r = self
            .post(
                &mut b,
                "/login",
                &[
                    ("username", username),
                    ("password", testkit::world::PASSWORD),
                ],
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::SEE_OTHER,
            "login as {username} failed: {}",
            r.body
        );
        b
    }

    /// Posts a multipart form with files in the field `attachment` (the CSRF token first, as
    /// the page's forms do).
    pub async fn post_files(
        &self,
        browser: &mut Browser,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &[u8])],
    ) -> Reply {
        let token = self.csrf_token(browser).await;
        let boundary = "----vendepunkt-test-boundary";
        let mut body: Vec<u8> = Vec::new();
        let mut text = |name: &str, value: &str| {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
                )
                .as_bytes(),
            );
        };
        text("csrf_token", &token);
        for (k, v) in fields {
            text(k, v);
        }
        for (name, bytes) in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"attachment\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend_from_slice(bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let mut req = Request::post(path)
            .header(header::COOKIE, Self::cookie_header(browser))
            .header(header::HOST, "localhost")
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            );
        if let Some(l) = &browser.accept_language {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        self.send(browser, req.body(Body::from(body)).unwrap())
            .await
    }

    /// The status, headers and exact bytes of a GET (a download).
    pub async fn get_bytes(
        &self,
        browser: &mut Browser,
        path: &str,
    ) -> (StatusCode, http::HeaderMap, Vec<u8>) {
        let req = Request::get(path)
            .header(header::COOKIE, Self::cookie_header(browser))
            .body(Body::empty())
            .unwrap();
        let res: Response<Body> = self.app.clone().oneshot(req).await.expect("infallible");
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (status, headers, bytes.to_vec())
    }

    pub async fn audit_count(&self) -> i64 {
        self.store.audit_head().await.unwrap().0
    }
}

pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
