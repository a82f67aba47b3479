//! Notices without content, through the real binary on SQLite and PostgreSQL: e-mail into the
//! development file transport and SMS to a loopback gateway fake; none with message content,
//! none during quiet hours, and each SMS delivered once even when the server is killed
//! (SIGKILL) while sending and restarted. Reminders of a meeting soon reach both parties
//! once; two instances on one PostgreSQL database deliver every notice exactly once.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_vendepunkt");
const SECRET_SUBJECT: &str = "SECRET-SUBJECT-4711";
const SECRET_BODY: &str = "SECRET-BODY-about-my-debts";

// ----- the loopback SMS gateway fake -----

#[derive(Default)]
struct Fake {
    /// Requests per idempotency key (duplicates included).
    requests: HashMap<String, usize>,
    /// Delivered messages: (idempotency key, JSON body), one per key.
    delivered: Vec<(String, serde_json::Value)>,
    /// How long to wait before answering.
    slow: Duration,
}

#[derive(Clone, Default)]
struct SmsFake(Arc<Mutex<Fake>>);

impl SmsFake {
    /// Starts the fake on a free loopback port; returns its URL.
    async fn start(&self) -> String {
        let app = axum::Router::new()
            .route("/sms", post(receive))
            .with_state(self.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        format!("http://{addr}/sms")
    }
    fn set_slow(&self, d: Duration) {
        self.0.lock().unwrap().slow = d;
    }
    fn delivered(&self) -> Vec<(String, serde_json::Value)> {
        self.0.lock().unwrap().delivered.clone()
    }
    fn requests_for(&self, key: &str) -> usize {
        self.0
            .lock()
            .unwrap()
            .requests
            .get(key)
            .copied()
            .unwrap_or(0)
    }
    fn total_requests(&self) -> usize {
        self.0.lock().unwrap().requests.values().sum()
    }
}

/// Records the message on receipt (a gateway that accepted it), then answers, slowly if told
/// to. A repeated Idempotency-Key answers 200 without a second delivery.
async fn receive(State(fake): State<SmsFake>, headers: HeaderMap, body: String) -> StatusCode {
    let Some(key) = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return StatusCode::BAD_REQUEST;
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let slow = {
        let mut f = fake.0.lock().unwrap();
        *f.requests.entry(key.clone()).or_default() += 1;
        if !f.delivered.iter().any(|(k, _)| *k == key) {
            f.delivered.push((key, json));
        }
        f.slow
    };
    tokio::time::sleep(slow).await;
    StatusCode::OK
}

// ----- the server -----

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database: &str, mail_dir: &Path, sms_url: &str) -> Server {
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
            .env(
                "VENDEPUNKT_NOTIFY_EMAIL",
                format!("file:{}", mail_dir.display()),
            )
            .env("VENDEPUNKT_NOTIFY_SMS_URL", sms_url)
            // The claim's lease is this plus 15 s: short enough that PostgreSQL (which does not
            // resume at start, another instance may hold the claim) retries within the test.
            .env("VENDEPUNKT_NOTIFY_SEND_TIMEOUT_SECONDS", "5")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start server");
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
        Server { child, base }
    }

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

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

fn field(html: &str, name: &str) -> String {
    html.split(&format!("name=\"{name}\" value=\""))
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_string()
}

async fn login(base: &str, username: &str) -> (reqwest::Client, String) {
    let c = http();
    let page = c
        .get(format!("{base}/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field(&page, "csrf_token");
    let r = c
        .post(format!("{base}/login"))
        .form(&[
            ("username", username),
            ("password", "vendepunkt-demo"),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "login as {username}");
    // Signed in, pages carry the session's own CSRF token (the one from before login is
    // dead now): take it from a page, as a browser does.
    let page = c
        .get(format!("{base}/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = field(&page, "csrf_token");
    assert!(!csrf.is_empty(), "a signed-in page carries a CSRF token");
    (c, csrf)
}

// ----- the database, from the test's side -----

enum Db {
    Lite(sqlx::SqlitePool),
    Pg(sqlx::PgPool),
}

impl Db {
    async fn open(url: &str) -> Db {
        if url.starts_with("postgres") {
            Db::Pg(sqlx::PgPool::connect(url).await.unwrap())
        } else {
            Db::Lite(sqlx::SqlitePool::connect(url).await.unwrap())
        }
    }
    fn pg(&self) -> bool {
        matches!(self, Db::Pg(_))
    }
    async fn exec(&self, q: String) {
        match self {
            Db::Lite(p) => {
                sqlx::query(sqlx::AssertSqlSafe(q))
                    .execute(p)
                    .await
                    .unwrap();
            }
            Db::Pg(p) => {
                sqlx::query(sqlx::AssertSqlSafe(q))
                    .execute(p)
                    .await
                    .unwrap();
            }
        }
    }
    async fn text(&self, q: String) -> String {
        match self {
            Db::Lite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                .fetch_one(p)
                .await
                .unwrap(),
            Db::Pg(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                .fetch_one(p)
                .await
                .unwrap(),
        }
    }
    async fn count(&self, q: String) -> i64 {
        match self {
            Db::Lite(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                .fetch_one(p)
                .await
                .unwrap(),
            Db::Pg(p) => sqlx::query_scalar(sqlx::AssertSqlSafe(q))
                .fetch_one(p)
                .await
                .unwrap(),
        }
    }
}

/// The demo client's case id, and sets up how they keep in touch (SMS and e-mail notices, no
/// quiet hours) and the counselor's own notice e-mail.
async fn agree(db: &Db) -> String {
    let client: String = db
        .text(format!(
            "SELECT c.id{} FROM clients c JOIN users u ON u.id = c.user_id WHERE u.username = 'demo-client'",
            if db.pg() { "::text" } else { "" }
        ))
        .await;
    let counselor: String = db
        .text(format!(
            "SELECT id{} FROM users WHERE username = 'demo-counselor'",
            if db.pg() { "::text" } else { "" }
        ))
        .await;
    let (t, yes, no, cast) = if db.pg() {
        ("now()", "TRUE", "FALSE", "::uuid")
    } else {
        ("0", "1", "0", "")
    };
    // The demo has its own agreement and hours; this test sets its own.
    db.exec(format!(
        "DELETE FROM contact_agreements WHERE client_id = '{client}'{cast}"
    ))
    .await;
    db.exec(format!(
        "DELETE FROM counselor_availability WHERE counselor_id = '{counselor}'{cast}"
    ))
    .await;
    db.exec(format!(
        "INSERT INTO contact_agreements (client_id, in_app, email_notices, sms_notices, phone_calls,
            email, phone, quiet_start, quiet_end, response_hours, language, proposed_by, confirmed_at,
            version, updated_at)
         VALUES ('{client}'{cast}, {yes}, {yes}, {yes}, {no}, 'kari@example.org', '+4799999999',
            NULL, NULL, 48, 'en', 'client', {t}, 1, {t})"
    ))
    .await;
    db.exec(format!(
        "INSERT INTO counselor_availability (counselor_id, contact_hours, channels, notice_email, updated_at)
         VALUES ('{counselor}'{cast}, 'Mon-Thu 9-15', 'messages,phone', 'counselor@example.org', {t})"
    ))
    .await;
    client
}

async fn set_quiet(db: &Db, client: &str, quiet: Option<(String, String)>) {
    let (s, e) = match quiet {
        Some((s, e)) => (format!("'{s}'"), format!("'{e}'")),
        None => ("NULL".into(), "NULL".into()),
    };
    let cast = if db.pg() { "::uuid" } else { "" };
    db.exec(format!(
        "UPDATE contact_agreements SET quiet_start = {s}, quiet_end = {e} WHERE client_id = '{client}'{cast}"
    ))
    .await;
}

/// Mail files addressed to `to`.
fn mails_to(dir: &Path, to: &str) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                .filter(|m| m.contains(&format!("To: {to}")))
                .collect()
        })
        .unwrap_or_default()
}

async fn wait_for(what: &str, mut ok: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ok() {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn start_thread(base: &str, c: &reqwest::Client, csrf: &str, client: &str, n: u32) -> String {
    let r = c
        .post(format!("{base}/clients/{client}/messages"))
        .form(&[
            ("subject", format!("{SECRET_SUBJECT} {n}").as_str()),
            ("body", SECRET_BODY),
            ("csrf_token", csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "thread started");
    let location = r.headers()["location"].to_str().unwrap().to_string();
    location
        .split("/messages/")
        .nth(1)
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_string()
}

fn assert_no_content(text: &str) {
    assert!(
        !text.contains("SECRET"),
        "content leaked into a notice: {text}"
    );
    assert!(text.contains("Vendepunkt"), "{text}");
}

/// Quiet hours in Oslo time covering now: from the hour before to two hours after.
fn quiet_hours_covering_now() -> (String, String) {
    let now = domain::oslo::to_local(testkit::clock::wall_now());
    let h = i32::from(now.hour());
    (
        format!("{:02}:00", (h + 23) % 24),
        format!("{:02}:00", (h + 2) % 24),
    )
}

async fn notices_reach_the_file_mail_and_the_sms_fake_once(db_url: &str) {
    let mail = tempfile::tempdir().unwrap();
    let fake = SmsFake::default();
    let sms_url = fake.start().await;
    let server = Server::start(db_url, mail.path(), &sms_url);
    let base = server.base.clone();
    let db = Db::open(db_url).await;
    let client = agree(&db).await;

    // 1. The client writes: the counselor gets an e-mail notice, without content.
    let (kari, kari_csrf) = login(&base, "demo-client").await;
    let (counselor, counselor_csrf) = login(&base, "demo-counselor").await;
    let thread = start_thread(&base, &kari, &kari_csrf, &client, 1).await;
    wait_for("the counselor's e-mail notice", || {
        !mails_to(mail.path(), "counselor@example.org").is_empty()
    })
    .await;
    for m in mails_to(mail.path(), "counselor@example.org") {
        assert_no_content(&m);
        assert!(m.contains("Message-ID: <vp-notice-"), "{m}");
    }

    // 2. The counselor answers: the client gets an SMS and an e-mail, without content.
    let r = counselor
        .post(format!("{base}/clients/{client}/messages/{thread}"))
        .form(&[("body", SECRET_BODY), ("csrf_token", &counselor_csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    wait_for("the client's SMS", || fake.delivered().len() == 1).await;
    wait_for("the client's e-mail", || {
        !mails_to(mail.path(), "kari@example.org").is_empty()
    })
    .await;
    let (_, sms) = &fake.delivered()[0];
    assert_eq!(sms["to"], "+4799999999");
    assert_no_content(sms["text"].as_str().unwrap());
    assert!(sms["text"].as_str().unwrap().contains(&base), "{sms}");
    for m in mails_to(mail.path(), "kari@example.org") {
        assert_no_content(&m);
    }

    // 3. Quiet hours cover now: a new message gives no notice now (it waits for the morning).
    set_quiet(&db, &client, Some(quiet_hours_covering_now())).await;
    start_thread(&base, &counselor, &counselor_csrf, &client, 2).await;
    let deferred = "SELECT COUNT(*) FROM notices WHERE channel = 'sms' AND state = 'pending' AND reason = 'quiet-hours'";
    let started = Instant::now();
    while db.count(deferred.into()).await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "no deferred notice"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(fake.delivered().len(), 1, "nothing during quiet hours");
    assert_eq!(mails_to(mail.path(), "kari@example.org").len(), 1);

    // 4. Killed while sending: the gateway is slow, the server dies mid-request, and after a
    //    restart the same notice is sent again with the same key: delivered once.
    set_quiet(&db, &client, None).await;
    fake.set_slow(Duration::from_secs(30));
    let before = fake.total_requests();
    start_thread(&base, &counselor, &counselor_csrf, &client, 3).await;
    wait_for("the SMS request in flight", || {
        fake.total_requests() > before
    })
    .await;
    let (key, _) = fake.delivered().last().unwrap().clone();
    assert_eq!(fake.delivered().len(), 2);
    server.kill9();
    fake.set_slow(Duration::ZERO);
    let server = Server::start(db_url, mail.path(), &sms_url);
    wait_for("the retry after the restart", || {
        fake.requests_for(&key) >= 2
    })
    .await;
    let sent =
        format!("SELECT COUNT(*) FROM notices WHERE idempotency_key = '{key}' AND state = 'sent'");
    let started = Instant::now();
    while db.count(sent.clone()).await == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "not marked sent"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        fake.delivered().iter().filter(|(k, _)| *k == key).count(),
        1,
        "delivered once"
    );
    assert_eq!(fake.delivered().len(), 2, "and nothing else came through");
    let attempts = db
        .count(format!(
            "SELECT COUNT(*) FROM notice_attempts a JOIN notices n ON n.id = a.notice_id WHERE n.idempotency_key = '{key}'"
        ))
        .await;
    assert!(attempts >= 1, "every finished attempt is recorded");
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_notices_without_content_quiet_hours_and_once_after_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vp.sqlite").display());
    notices_reach_the_file_mail_and_the_sms_fake_once(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_notices_without_content_quiet_hours_and_once_after_sigkill() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    notices_reach_the_file_mail_and_the_sms_fake_once(&url).await;
}

// ----- reminders and several instances (notices-reminders) -----

/// The demo's agreed meeting is moved to two hours from now: the worker reminds the client
/// (SMS and e-mail, as agreed) and the counselor (their notice e-mail) once, without content,
/// however many rounds it runs.
async fn a_meeting_soon_reminds_both_parties_once(db_url: &str) {
    let mail = tempfile::tempdir().unwrap();
    let fake = SmsFake::default();
    let sms_url = fake.start().await;
    let server = Server::start(db_url, mail.path(), &sms_url);
    let db = Db::open(db_url).await;
    agree(&db).await;
    let soon = if db.pg() {
        "now() + interval '2 hours'".to_string()
    } else {
        let at = testkit::clock::wall_now() + time::Duration::hours(2);
        (at.unix_timestamp_nanos() / 1000).to_string()
    };
    let now = if db.pg() {
        "now()".to_string()
    } else {
        (testkit::clock::wall_now().unix_timestamp_nanos() / 1000).to_string()
    };
    db.exec(format!(
        "UPDATE meetings SET starts_at = {soon} WHERE status = 'accepted' AND starts_at > {now}"
    ))
    .await;
    wait_for("the client's SMS reminder", || fake.delivered().len() == 1).await;
    wait_for("the e-mail reminders", || {
        mails_to(mail.path(), "kari@example.org").len() == 1
            && mails_to(mail.path(), "counselor@example.org").len() == 1
    })
    .await;
    let (_, sms) = &fake.delivered()[0];
    assert_eq!(sms["to"], "+4799999999");
    assert!(
        !sms["text"].as_str().unwrap().contains("SECRET"),
        "no content: {sms}"
    );
    for m in mails_to(mail.path(), "kari@example.org")
        .into_iter()
        .chain(mails_to(mail.path(), "counselor@example.org"))
    {
        assert!(m.contains("Vendepunkt"), "{m}");
        assert!(!m.to_lowercase().contains("meeting with"), "{m}");
    }
    // Several more rounds: no second reminder.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(fake.total_requests(), 1, "one SMS, once");
    assert_eq!(mails_to(mail.path(), "kari@example.org").len(), 1);
    assert_eq!(mails_to(mail.path(), "counselor@example.org").len(), 1);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM live_events WHERE kind = 'meeting-soon'".into())
            .await,
        2,
        "one reminder per party"
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_a_meeting_soon_reminds_both_parties_once() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vp.sqlite").display());
    a_meeting_soon_reminds_both_parties_once(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_a_meeting_soon_reminds_both_parties_once() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    a_meeting_soon_reminds_both_parties_once(&url).await;
}

/// Two instances on one PostgreSQL database, both with a notice worker, and a slow gateway so
/// that both are sending at the same time: every notice reaches the SMS fake exactly once (one
/// request per idempotency key, not merely one delivery) and the mail transport once.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_two_instances_deliver_every_notice_exactly_once() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    const N: i64 = 48;
    let mail = tempfile::tempdir().unwrap();
    let fake = SmsFake::default();
    let sms_url = fake.start().await;
    fake.set_slow(Duration::from_millis(300));
    let a = Server::start(&url, mail.path(), &sms_url);
    let b = Server::start(&url, mail.path(), &sms_url);
    let db = Db::open(&url).await;
    agree(&db).await;
    // N things happen for the client at once (each about something else, so none is
    // throttled): N SMS notices and N e-mail notices.
    db.exec(format!(
        "INSERT INTO live_events (recipient, kind, about, at)
         SELECT u.id, 'message', 'bulk-' || g, now()
         FROM users u, generate_series(1, {N}) g WHERE u.username = 'demo-client'"
    ))
    .await;
    wait_for("every SMS", || fake.delivered().len() as i64 == N).await;
    wait_for("every e-mail", || {
        mails_to(mail.path(), "kari@example.org").len() as i64 >= N
    })
    .await;
    let started = Instant::now();
    while db
        .count("SELECT COUNT(*) FROM notices WHERE state <> 'sent'".into())
        .await
        > 0
    {
        assert!(started.elapsed() < Duration::from_secs(60), "not all sent");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        fake.total_requests() as i64,
        N,
        "each SMS requested once: no notice was sent by both instances"
    );
    assert_eq!(mails_to(mail.path(), "kari@example.org").len() as i64, N);
    assert_eq!(
        db.count("SELECT COUNT(*) FROM notice_attempts".into())
            .await,
        2 * N,
        "one attempt per notice"
    );
    drop((a, b));
}
