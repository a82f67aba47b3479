//! How many SQL statements a plan page sends to PostgreSQL (issue 13: at most 6), counted
//! on the wire, through the real router on a real PostgreSQL test database.
//!
//! How it counts: the store connects to PostgreSQL through a small TCP relay in this test
//! that reads the client's side of the wire protocol. Every statement the server runs is
//! either a simple query (`Q`: sqlx sends `BEGIN` so, and a `ROLLBACK` queued when a
//! transaction is dropped) or an `Execute` (`E`) of a prepared statement (every `query`,
//! and `COMMIT`); the relay records one statement for each, with its SQL (from the `Q`, or
//! from the `Parse` of the statement the last `Bind` named). Nothing else is counted: the
//! pool's connection check is a bare `Sync`. The app runs in-process (`Router::oneshot`, no
//! background tasks), the setup's statements are sent before recording starts, and this
//! test binary holds only this test, so every statement recorded is one the page sent.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::body::Body;
use domain::accounts::{LoginAttempt, ThrottlePolicy};
use domain::types::Secret;
use http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use testkit::clock::ManualClock;
use testkit::world::{PASSWORD, World, users};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tower::ServiceExt;
use web::{AppState, Argon2Hasher, WebSettings};

/// The page budget of issue 13.
const MAX_STATEMENTS: usize = 6;

/// The statements seen while recording (`None`: not recording).
static RECORDED: Mutex<Option<Vec<String>>> = Mutex::new(None);

fn record(sql: &str) {
    if let Some(seen) = RECORDED.lock().unwrap().as_mut() {
        let sql = sql.split_whitespace().collect::<Vec<_>>().join(" ");
        // Enough to tell the statements apart.
        let short: String = sql.chars().take(100).collect();
        seen.push(if short.len() < sql.len() {
            format!("{short} …")
        } else {
            sql
        });
    }
}

/// The first C string of `bytes` and the rest after it.
fn cstr(bytes: &[u8]) -> (String, &[u8]) {
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    let rest = bytes.get(end + 1..).unwrap_or_default();
    (String::from_utf8_lossy(&bytes[..end]).into_owned(), rest)
}

/// Reads the frontend messages of one connection as they pass.
#[derive(Default)]
struct Frontend {
    buf: Vec<u8>,
    started: bool,
    /// Prepared statement name → its SQL.
    prepared: HashMap<String, String>,
    /// The statement the last `Bind` named.
    bound: String,
}

impl Frontend {
    fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        loop {
            if !self.started {
                // The startup message has no type byte: length, then the protocol version.
                let Some(len) = self
                    .buf
                    .get(..4)
                    .map(|b| u32::from_be_bytes(b.try_into().unwrap()))
                else {
                    return;
                };
                if self.buf.len() < len as usize {
                    return;
                }
                self.buf.drain(..len as usize);
                self.started = true;
                continue;
            }
            let Some(len) = self
                .buf
                .get(1..5)
                .map(|b| u32::from_be_bytes(b.try_into().unwrap()))
            else {
                return;
            };
            let total = 1 + len as usize;
            if self.buf.len() < total {
                return;
            }
            let message: Vec<u8> = self.buf.drain(..total).collect();
            let body = &message[5..];
            match message[0] {
                b'Q' => record(&cstr(body).0),
                b'P' => {
                    let (name, rest) = cstr(body);
                    let (sql, _) = cstr(rest);
                    self.prepared.insert(name, sql);
                }
                b'B' => {
                    let (_portal, rest) = cstr(body);
                    self.bound = cstr(rest).0;
                }
                b'E' => {
                    let sql = self.prepared.get(&self.bound).cloned().unwrap_or_default();
                    record(&sql);
                }
                _ => {}
            }
        }
    }
}

/// Relays connections from a local port to `upstream`, reading what the store sends.
async fn relay(upstream: String) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let server = TcpStream::connect(&upstream).await.unwrap();
            let (mut client_read, mut client_write) = client.into_split();
            let (mut server_read, mut server_write) = server.into_split();
            tokio::spawn(async move {
                let mut frontend = Frontend::default();
                let mut buf = vec![0u8; 64 * 1024];
                while let Ok(n) = client_read.read(&mut buf).await {
                    if n == 0 {
                        break;
                    }
                    frontend.feed(&buf[..n]);
                    if server_write.write_all(&buf[..n]).await.is_err() {
                        break;
                    }
                }
            });
            tokio::spawn(async move {
                let _ = tokio::io::copy(&mut server_read, &mut client_write).await;
            });
        }
    });
    port
}

/// `postgres://user@host:port/db` → (`host:port`, the same URL through `127.0.0.1:relay`,
/// without TLS so that the relay can read it).
fn through_relay(url: &str, relay_port: u16) -> (String, String) {
    let (scheme, rest) = url.split_once("://").unwrap();
    let (authority, path) = rest.split_once('/').unwrap();
    let (user, host) = match authority.rsplit_once('@') {
        Some((u, h)) => (format!("{u}@"), h),
        None => (String::new(), authority),
    };
    let host = if host.contains(':') {
        host.to_string()
    } else {
        format!("{host}:5432")
    };
    let sep = if path.contains('?') { '&' } else { '?' };
    (
        host,
        format!("{scheme}://{user}127.0.0.1:{relay_port}/{path}{sep}sslmode=disable"),
    )
}

/// The statements one GET of `path` sends, with the session cookie `session`.
async fn statements_of(app: &axum::Router, session: &str, path: &str) -> (StatusCode, Vec<String>) {
    let req = Request::get(path)
        .header(header::COOKIE, format!("vp_session={session}"))
        .body(Body::empty())
        .unwrap();
    *RECORDED.lock().unwrap() = Some(Vec::new());
    let res = app.clone().oneshot(req).await.expect("infallible");
    let status = res.status();
    // The whole body, so that nothing the page sends is left out.
    res.into_body().collect().await.expect("body");
    // The relay records a message before it passes it on, so every statement the page
    // waited for is recorded by now.
    let seen = RECORDED.lock().unwrap().take().unwrap_or_default();
    (status, seen)
}

async fn session_of(
    store: &dyn domain::ports::Store,
    clock: &ManualClock,
    hasher: &Argon2Hasher,
    username: &str,
) -> String {
    let ok = domain::accounts::login(
        store,
        clock,
        hasher,
        ThrottlePolicy::default(),
        LoginAttempt {
            username: username.to_string(),
            password: Secret::new(PASSWORD),
            source: "192.0.2.1".to_string(),
            device: None,
        },
    )
    .await
    .unwrap();
    ok.session_token.expose().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_page_sends_at_most_six_statements_to_postgresql() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    let (upstream, _) = through_relay(&url, 0);
    let port = relay(upstream).await;
    let (_, relayed) = through_relay(&url, port);
    let store = store_postgres::PgStore::connect(&relayed).await.unwrap();
    store.migrate().await.unwrap();
    let store = Arc::new(store);
    let clock = ManualClock::at_2026();
    let hasher = Argon2Hasher::for_tests();
    let world = World::build(store.as_ref(), &hasher, &clock).await;
    let counselor = session_of(store.as_ref(), &clock, &hasher, users::ASSIGNED_COUNSELOR).await;
    let client = session_of(store.as_ref(), &clock, &hasher, users::OWNER_CLIENT).await;
    let app = web::app(AppState::new(
        store.clone(),
        Arc::new(clock.clone()),
        Arc::new(hasher),
        WebSettings::default(),
    ));

    let mut seen_by_page = Vec::new();
    for (page, session, path) in [
        (
            "a counselor's /clients/{id}",
            &counselor,
            format!("/clients/{}", world.owner_client),
        ),
        ("the client's /me", &client, "/me".to_string()),
    ] {
        // Twice, and the second is the page as it is usually served: the first audited view
        // after the server starts also reads the audit chain's head for the appender (once
        // per process), and the client's first visit of a month also stores that month's
        // feedback invitation (once a month). The first rounds are printed, not held to the
        // budget.
        for round in ["first", "again"] {
            let (status, seen) = statements_of(&app, session, &path).await;
            assert_eq!(status, StatusCode::OK, "{page} ({round})");
            eprintln!("{page} ({round}): {} statements", seen.len());
            for s in &seen {
                eprintln!("    {s}");
            }
            seen_by_page.push((page, round, seen));
        }
    }
    for (page, round, seen) in &seen_by_page {
        assert!(
            !seen.is_empty(),
            "{page} ({round}): no statements recorded, so the counting does not work"
        );
        if *round == "first" {
            continue;
        }
        assert!(
            seen.len() <= MAX_STATEMENTS,
            "{page} ({round}) sent {} statements, more than {MAX_STATEMENTS}: {seen:#?}",
            seen.len()
        );
    }
}
