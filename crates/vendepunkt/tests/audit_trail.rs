//! The real binary and its audit trail, on SQLite and PostgreSQL:
//! * on a trail with a row after the head, `audit verify` fails naming the row, and the server
//!   answers audited pages with the page that says the audit trail needs attention (no client
//!   data), logging one error line naming the row for the operator;
//! * killed with SIGKILL while many counselors open clients at once (their rows committed in
//!   groups by the audit appender), every page that was answered has its audit row after the
//!   restart, and the chain verifies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{BIN, run};

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// `serve --demo` with its standard error collected.
struct Server {
    child: Child,
    base: String,
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(database: &str) -> Server {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--demo",
                "--addr",
                "127.0.0.1:0",
                "--database",
                database,
            ])
            .env("VENDEPUNKT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start server");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let lines = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                lines.lock().unwrap().push(line);
            }
        });
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let started = Instant::now();
        let base = loop {
            let left = Duration::from_secs(60).saturating_sub(started.elapsed());
            let line = rx
                .recv_timeout(left)
                .expect("the server did not say where it listens");
            if let Some(addr) = line.strip_prefix("Vendepunkt is listening on ") {
                break addr.to_string();
            }
        };
        Server { child, base, log }
    }

    /// Stops the server (SIGTERM, bounded wait) and returns what it logged.
    fn stop(mut self) -> Vec<String> {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let sent = Instant::now();
        while self.child.try_wait().unwrap().is_none() {
            assert!(sent.elapsed() < Duration::from_secs(20), "ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
        // The reader thread sees end of file once the process is gone.
        std::thread::sleep(Duration::from_millis(200));
        self.log.lock().unwrap().clone()
    }
}

impl Server {
    fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn field(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

async fn login(base: &str, username: &str) -> reqwest::Client {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("username", username),
            ("password", "vendepunkt-demo"),
            ("csrf_token", &field(&page, "csrf_token")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login as {username}");
    c
}

async fn a_row_after_the_head(db: &str) {
    // The demo data, with its audit rows.
    Server::start(db).stop();
    // Fixture: a row after the head, as only someone with full database access can leave it
    // (testkit::tamper removes the head-moving trigger for that one insert and restores it).
    let forged = if db.starts_with("postgres") {
        let store = store_postgres::PgStore::connect(db).await.unwrap();
        let seq = testkit::tamper::postgres_row_after_head(store.pool()).await;
        store.pool().close().await;
        seq
    } else {
        let store = store_sqlite::SqliteStore::open(db).await.unwrap();
        let seq = testkit::tamper::sqlite_row_after_head(store.pool()).await;
        store.pool().close().await;
        seq
    };

    let (code, out, err) = run(&["audit", "verify", "--database", db]);
    assert_eq!(code, 1, "a row after the head must fail: {out}{err}");
    assert!(
        err.contains("audit trail BROKEN")
            && err.contains(&format!("row {forged}"))
            && err.contains("after the recorded head"),
        "{err}"
    );
    assert!(!out.contains("intact"), "{out}");

    let server = Server::start(db);
    let counselor = login(&server.base, "demo-counselor").await;
    let r = counselor
        .get(format!("{}/caseload", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let body = r.text().await.unwrap();
    assert!(body.contains("Tilgangsloggen må sjekkes"), "{body}");
    assert!(!body.contains("Kari Demo"), "no client data: {body}");
    let log = server.stop();
    let errors: Vec<_> = log.iter().filter(|l| l.contains("ERROR")).collect();
    assert_eq!(errors.len(), 1, "one error line for one request: {log:#?}");
    assert!(
        errors[0].contains("audit trail needs attention")
            && errors[0].contains(&format!("row {forged}")),
        "{}",
        errors[0]
    );
    assert!(
        !log.iter().any(|l| l.contains("Kari")),
        "no personal data: {log:#?}"
    );
}

#[tokio::test]
async fn sqlite_a_row_after_the_head_fails_verify_and_audited_pages_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vp.sqlite").display());
    a_row_after_the_head(&url).await;
}

#[tokio::test]
async fn postgres_a_row_after_the_head_fails_verify_and_audited_pages_say_so() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    a_row_after_the_head(&url).await;
}

/// Sixteen counselor sessions open clients' plans as fast as they can (each view's row goes
/// through the group-commit appender); the server is killed with SIGKILL mid-load. After a
/// restart, every page that came back 200 has an audit row with its request id, and `audit
/// verify` reports the chain intact: a crash loses only rows whose pages were never answered.
async fn every_answered_view_is_in_the_trail_after_sigkill(db: &str) {
    let server = Server::start(db);
    let base = server.base.clone();
    let counselor = login(&base, "demo-counselor").await;
    let caseload = counselor
        .get(format!("{base}/caseload"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let mut clients: Vec<String> = caseload
        .split("href=\"/clients/")
        .skip(1)
        .filter_map(|s| s.get(..36))
        .filter(|id| uuid::Uuid::parse_str(id).is_ok())
        .map(str::to_string)
        .collect();
    clients.dedup();
    assert!(!clients.is_empty(), "the demo counselor has clients");
    let answered = Arc::new(Mutex::new(Vec::<String>::new()));
    let unexpected = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut viewers = Vec::new();
    for v in 0..16 {
        let (counselor, base, clients, answered, unexpected) = (
            counselor.clone(),
            base.clone(),
            clients.clone(),
            answered.clone(),
            unexpected.clone(),
        );
        viewers.push(tokio::spawn(async move {
            for i in 0.. {
                if Instant::now() > deadline {
                    break;
                }
                let client = &clients[(v + i) % clients.len()];
                match counselor
                    .get(format!("{base}/clients/{client}"))
                    .send()
                    .await
                {
                    Ok(r) if r.status() == 200 => {
                        // Answered: the page's data left the server, so its row was durable.
                        let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
                        answered.lock().unwrap().push(id);
                        if r.bytes().await.is_err() {
                            break;
                        }
                    }
                    Ok(r) => {
                        unexpected.lock().unwrap().push(r.status().to_string());
                        break;
                    }
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    let start = Instant::now();
    while (start.elapsed() < Duration::from_secs(2) || answered.lock().unwrap().len() < 200)
        && start.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let in_flight = viewers.iter().filter(|v| !v.is_finished()).count();
    server.kill9();
    for v in viewers {
        v.await.unwrap();
    }
    let unexpected = unexpected.lock().unwrap().clone();
    assert!(
        unexpected.is_empty(),
        "answers other than 200: {unexpected:?}"
    );
    assert_eq!(in_flight, 16, "every viewer was still viewing at the kill");
    let answered = answered.lock().unwrap().clone();
    assert!(
        answered.len() >= 200,
        "only {} views before the kill",
        answered.len()
    );

    // Restart on the same database (recovery), then look for every answered view's row.
    drop(Server::start(db));
    let store = common::store(db).await;
    let mut logged = std::collections::HashSet::new();
    let mut after = 0;
    loop {
        let rows = store.audit_rows(after, 5_000).await.unwrap();
        let Some(last) = rows.last() else { break };
        after = last.seq;
        logged.extend(rows.iter().map(|r| r.event.request_id.to_string()));
    }
    let missing: Vec<_> = answered.iter().filter(|id| !logged.contains(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} of {} answered views have no audit row: {missing:?}",
        missing.len(),
        answered.len()
    );
    let (code, out, err) = run(&["audit", "verify", "--database", db]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("intact"), "{out}");
    eprintln!(
        "{}: {} answered views, all in the trail after SIGKILL",
        if db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        answered.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_every_answered_view_is_in_the_trail_after_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vp.sqlite").display());
    every_answered_view_is_in_the_trail_after_sigkill(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_every_answered_view_is_in_the_trail_after_sigkill() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    every_answered_view_is_in_the_trail_after_sigkill(&url).await;
}
