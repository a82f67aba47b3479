//! The real binary, on SQLite and PostgreSQL: serving, audit verification and tampering,
//! durability under SIGKILL, backups, configuration and account creation.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{BIN, run};

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
    /// Lines the server prints after the listening line.
    later_lines: std::sync::mpsc::Receiver<String>,
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
        Server {
            child,
            base,
            later_lines: rx,
        }
    }

    fn kill9(mut self) {
        self.child.kill().unwrap(); // SIGKILL on Unix
        self.child.wait().unwrap();
    }

    /// Sends SIGTERM and waits for the process to end. The bound is a hang guard, not a
    /// timing assertion: it only turns a server that never stops into a failed test instead
    /// of a hung run, so it is far above the ten seconds the server gives open connections.
    fn terminate(mut self) -> (std::process::ExitStatus, Vec<String>) {
        let sent = Instant::now();
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(120),
                "hang guard: the server did not stop within two minutes of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        };
        let lines = self.later_lines.try_iter().collect();
        (status, lines)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client() -> reqwest::Client {
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
    let c = client();
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

async fn sqlite_url() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vp.sqlite").display());
    (dir, url)
}

async fn serves_health_login_and_css(db: &str) {
    let server = Server::start(db);
    let c = client();
    let health = c
        .get(format!("{}/healthz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap().trim(), "ok");
    let ready = c
        .get(format!("{}/readyz", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200);
    let login = c
        .get(format!("{}/login", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(login.contains("<html lang=\"nb\"") && login.contains("Logg inn"));
    let css = login
        .split("rel=\"stylesheet\" href=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap();
    let r = c.get(format!("{}{css}", server.base)).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/css; charset=utf-8");
    // Metrics have a listener of their own (metrics_addr; tests/proxy_metrics.rs).
    let metrics = c
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(metrics.status(), 404);
}

#[tokio::test]
async fn sqlite_serves_health_login_and_css() {
    let (_dir, url) = sqlite_url().await;
    serves_health_login_and_css(&url).await;
}

#[tokio::test]
async fn postgres_serves_health_login_and_css() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    serves_health_login_and_css(&url).await;
}

/// Opens the demo client as demo-counselor so the audit trail holds a view.
async fn counselor_opens_demo_client(base: &str) {
    let (c, _) = login(base, "demo-counselor").await;
    let list = c
        .get(format!("{base}/caseload"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = list
        .split("href=\"/clients/")
        .find(|s| s.contains(">Kari Demo<"))
        .and_then(|s| s.split('"').next())
        .unwrap();
    let page = c
        .get(format!("{base}/clients/{link}"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
}

async fn audit_verify_detects_tampering(db: &str, tamper: &[&str]) {
    let server = Server::start(db);
    // Right after seeding, while the server runs (verification only reads).
    let (code, out, err) = run(&["audit", "verify", "--database", db]);
    assert_eq!(code, 0, "{out}{err}");
    let seeded_head = out.split("head hash ").nth(1).unwrap().trim().to_string();
    assert_eq!(seeded_head.len(), 64, "{out}");
    counselor_opens_demo_client(&server.base).await;
    drop(server);
    let (code, out, err) = run(&["audit", "verify", "--database", db]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("audit trail intact"), "{out}");
    assert!(
        !out.contains(&seeded_head),
        "the view moved the head on: {out}"
    );
    for sql in tamper {
        if db.starts_with("postgres") {
            let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(db)
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut conn)
                .await
                .unwrap();
        } else {
            let mut conn = <sqlx::SqliteConnection as sqlx::Connection>::connect(db)
                .await
                .unwrap();
            sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
                .execute(&mut conn)
                .await
                .unwrap();
        }
    }
    let (code, out, err) = run(&["audit", "verify", "--database", db]);
    assert_eq!(code, 1, "tampering must fail verification: {out}{err}");
    assert!(
        err.contains("audit trail BROKEN") && err.contains("row 3"),
        "{err}"
    );
}

#[tokio::test]
async fn sqlite_audit_verify_passes_then_fails_after_a_row_is_altered() {
    let (_dir, url) = sqlite_url().await;
    audit_verify_detects_tampering(
        &url,
        &[
            "DROP TRIGGER audit_log_no_update",
            "UPDATE audit_log SET actor_role = 'leader' WHERE seq = 3",
        ],
    )
    .await;
}

#[tokio::test]
async fn postgres_audit_verify_passes_then_fails_after_a_row_is_altered() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    audit_verify_detects_tampering(
        &url,
        &[
            "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update",
            "UPDATE audit_log SET request_id = gen_random_uuid() WHERE seq = 3",
        ],
    )
    .await;
}

/// Twenty clients create accounts as fast as they can; the server is killed with SIGKILL in the
/// middle; after a restart every account whose creation was answered with success exists.
async fn no_acknowledged_write_is_lost_under_sigkill(db: &str) {
    let server = Server::start(db);
    let base = server.base.clone();
    let (admin, csrf) = login(&base, "demo-admin").await;
    let form = admin
        .get(format!("{base}/admin/people"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let office = form
        .split("<option value=\"")
        .filter_map(|s| s.split('"').next())
        .find(|v| v.len() == 36)
        .unwrap()
        .to_string();
    let acknowledged = Arc::new(Mutex::new(Vec::<String>::new()));
    let unexpected = Arc::new(Mutex::new(Vec::<String>::new()));
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut writers = Vec::new();
    for w in 0..20 {
        let (admin, csrf, office, base, acknowledged, unexpected) = (
            admin.clone(),
            csrf.clone(),
            office.clone(),
            base.clone(),
            acknowledged.clone(),
            unexpected.clone(),
        );
        writers.push(tokio::spawn(async move {
            for i in 0..10_000 {
                if Instant::now() > deadline {
                    break;
                }
                let username = format!("writer-{w}-{i}");
                // No password: each production Argon2 hash costs ~19 MiB and tens of
                // milliseconds, which would leave few writes in flight when the kill comes.
                // What is tested is the database write, the same with or without a hash.
                let r = admin
                    .post(format!("{base}/admin/people"))
                    .form(&[
                        ("username", username.as_str()),
                        ("display_name", "Durability Test"),
                        ("password", ""),
                        ("role", "counselor"),
                        ("office_id", office.as_str()),
                        ("csrf_token", csrf.as_str()),
                    ])
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status() == 303 => acknowledged.lock().unwrap().push(username),
                    Ok(r) => {
                        unexpected
                            .lock()
                            .unwrap()
                            .push(format!("{username}: {}", r.status()));
                        break;
                    }
                    Err(_) => break, // the server is gone
                }
            }
        }));
    }
    // Let the writers get going for a couple of seconds, then pull the plug mid-load.
    let start = Instant::now();
    while (start.elapsed() < Duration::from_secs(2) || acknowledged.lock().unwrap().len() < 100)
        && start.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let in_flight = writers.iter().filter(|w| !w.is_finished()).count();
    server.kill9();
    for w in writers {
        w.await.unwrap();
    }
    let unexpected = unexpected.lock().unwrap().clone();
    assert!(
        unexpected.is_empty(),
        "answers other than 303: {unexpected:?}"
    );
    assert_eq!(
        in_flight, 20,
        "every writer was still writing when the server was killed"
    );
    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() >= 100,
        "only {} writes before the kill",
        acknowledged.len()
    );

    // Restart on the same database (runs recovery), then check every acknowledged write.
    let restarted = Server::start(db);
    assert_eq!(
        client()
            .get(format!("{}/healthz", restarted.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    drop(restarted);
    let store: Box<dyn domain::ports::Store> = if db.starts_with("postgres") {
        Box::new(store_postgres::PgStore::connect(db).await.unwrap())
    } else {
        Box::new(store_sqlite::SqliteStore::open(db).await.unwrap())
    };
    let mut missing = Vec::new();
    for u in &acknowledged {
        let name = domain::types::Username::parse(u).unwrap();
        if store
            .credentials_by_username(&name)
            .await
            .unwrap()
            .is_none()
        {
            missing.push(u.clone());
        }
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged writes lost: {missing:?}",
        missing.len(),
        acknowledged.len()
    );
    eprintln!(
        "{}: {} acknowledged writes, all present after SIGKILL",
        if db.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        },
        acknowledged.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_loses_no_acknowledged_write_under_sigkill() {
    let (_dir, url) = sqlite_url().await;
    no_acknowledged_write_is_lost_under_sigkill(&url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_loses_no_acknowledged_write_under_sigkill() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    no_acknowledged_write_is_lost_under_sigkill(&url).await;
}

#[tokio::test]
async fn backup_of_a_live_sqlite_database_is_complete_and_checked() {
    let (dir, url) = sqlite_url().await;
    let server = Server::start(&url);
    let dest = dir.path().join("backups/copy.sqlite");
    let (code, out, err) = run(&["backup", dest.to_str().unwrap(), "--database", &url]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("integrity ok"), "{out}");
    drop(server);
    let copy = store_sqlite::SqliteStore::open(&format!("sqlite://{}", dest.display()))
        .await
        .unwrap();
    let user = domain::types::Username::parse("demo-client").unwrap();
    assert!(
        domain::accounts::AccountsStore::credentials_by_username(&copy, &user)
            .await
            .unwrap()
            .is_some()
    );
    let (code, _, err) = run(&["backup", dest.to_str().unwrap(), "--database", &url]);
    assert_ne!(code, 0, "an existing backup is never overwritten");
    assert!(err.contains("already exists"), "{err}");
}

#[test]
fn backup_on_postgres_explains_pg_dump_and_fails() {
    let (code, _, err) = run(&[
        "backup",
        "/tmp/x.dump",
        "--database",
        "postgres://postgres@127.0.0.1:5432/postgres",
    ]);
    assert_eq!(code, 3);
    assert!(err.contains("pg_dump") && err.contains("WAL"), "{err}");
}

#[test]
fn check_config_redacts_secrets_and_names_bad_settings() {
    let dir = tempfile::tempdir().unwrap();
    let secret = dir.path().join("db-url");
    std::fs::write(&secret, "postgres://app:very-secret-pw@db.example/vp\n").unwrap();
    let out = Command::new(BIN)
        .args(["check-config", "--print"])
        .env("VENDEPUNKT_DATABASE_URL_FILE", &secret)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("app:[redacted]@db.example") && !text.contains("very-secret-pw"),
        "{text}"
    );
    let out = Command::new(BIN)
        .args(["check-config"])
        .env("VENDEPUNKT_SESSION_IDLE_MINUTES", "soon")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("VENDEPUNKT_SESSION_IDLE_MINUTES"));
}

#[tokio::test]
async fn admin_create_user_makes_an_account_that_can_log_in() {
    let (dir, url) = sqlite_url().await;
    drop(Server::start(&url)); // demo organisation
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "password1234\n").unwrap();
    let (code, _, err) = run(&[
        "admin",
        "create-user",
        "--username",
        "new-counselor",
        "--name",
        "Nina Ny",
        "--role",
        "counselor",
        "--office",
        "Nordby kontor",
        "--password-file",
        pw.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("too common"), "{err}");
    std::fs::write(&pw, "a long and unusual passphrase\n").unwrap();
    let (code, out, err) = run(&[
        "admin",
        "create-user",
        "--username",
        "new-counselor",
        "--name",
        "Nina Ny",
        "--role",
        "counselor",
        "--office",
        "Nordby kontor",
        "--password-file",
        pw.to_str().unwrap(),
        "--database",
        &url,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    let server = Server::start(&url);
    let c = client();
    let page = c
        .get(format!("{}/login", server.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = c
        .post(format!("{}/login", server.base))
        .form(&[
            ("username", "new-counselor"),
            ("password", "a long and unusual passphrase"),
            ("csrf_token", &field(&page, "csrf_token")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
}

#[tokio::test]
async fn an_empty_database_prints_a_one_time_setup_code_and_has_no_accounts() {
    let (_dir, url) = sqlite_url().await;
    let mut child = Command::new(BIN)
        .args(["serve", "--addr", "127.0.0.1:0", "--database", &url])
        .env("VENDEPUNKT_LOG", "warn")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let code = lines.next().unwrap().unwrap().trim().to_string();
    let listening = lines.next().unwrap().unwrap();
    assert!(first.contains("/setup"), "{first}");
    assert_eq!(code.len(), 64);
    let base = listening
        .strip_prefix("Vendepunkt is listening on ")
        .unwrap()
        .to_string();
    let c = client();
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
            ("username", "demo-admin"),
            ("password", "vendepunkt-demo"),
            ("csrf_token", &field(&page, "csrf_token")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "no demo accounts outside --demo");
    let setup = c
        .get(format!("{base}/setup"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = c
        .post(format!("{base}/setup"))
        .form(&[
            ("token", code.as_str()),
            ("organisation_name", "Testby kommune"),
            ("office_name", "Testby kontor"),
            ("username", "first-admin"),
            ("display_name", "Første Admin"),
            ("password", "the very first admin passphrase"),
            ("csrf_token", &field(&setup, "csrf_token")),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        c.get(format!("{base}/setup"))
            .send()
            .await
            .unwrap()
            .status(),
        404,
        "setup works once"
    );
    let _ = child.kill();
    let _ = child.wait();
}

async fn migrate_reports_what_it_applied(db: &str) {
    let (code, out, err) = run(&["migrate", "--database", db]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("applied migration 0001"), "{out}");
    assert!(out.contains("applied now)"), "{out}");
    let (code, again, err) = run(&["migrate", "--database", db]);
    assert_eq!(code, 0, "{again}{err}");
    assert!(
        !again.contains("applied migration") && again.contains(", 0 applied now"),
        "a second run has nothing to do: {again}"
    );
}

#[tokio::test]
async fn sqlite_migrate_creates_the_database_and_reports_what_it_applied() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("new/vp.sqlite").display());
    migrate_reports_what_it_applied(&url).await;
}

#[tokio::test]
async fn postgres_migrate_reports_what_it_applied() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    migrate_reports_what_it_applied(&url).await;
}

#[test]
fn read_only_commands_do_not_create_a_database_that_is_not_there() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.sqlite");
    let url = format!("sqlite://{}", path.display());
    for args in [
        vec!["audit", "verify", "--database", &url],
        vec!["backup", "/tmp/never-written.sqlite", "--database", &url],
    ] {
        let (code, out, err) = run(&args);
        assert_eq!(code, 1, "{args:?}: {out}{err}");
        assert!(err.contains("no database at"), "{err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
    assert!(
        !path.exists(),
        "a mistyped path must not become an empty database"
    );
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully() {
    let (_dir, url) = sqlite_url().await;
    let server = Server::start(&url);
    let (c, _) = login(&server.base, "demo-counselor").await;
    assert_eq!(
        c.get(format!("{}/caseload", server.base))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let (status, lines) = server.terminate();
    assert!(status.success(), "{status:?}");
    assert!(
        lines.iter().any(|l| l == "Vendepunkt stopped."),
        "{lines:?}"
    );
    // The database is closed cleanly and still consistent.
    let (code, out, err) = run(&["audit", "verify", "--database", &url]);
    assert_eq!(code, 0, "{out}{err}");
}

#[test]
fn flags_override_the_environment_which_overrides_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("vendepunkt.toml");
    std::fs::write(
        &file,
        "database_url = \"sqlite://from-file.sqlite\"\nsession_idle_minutes = 20\naddr = \"0.0.0.0:9000\"\n",
    )
    .unwrap();
    let out = Command::new(BIN)
        .args(["check-config", "--print", "--config"])
        .arg(&file)
        .env("VENDEPUNKT_DATABASE_URL", "sqlite://from-env.sqlite")
        .env("VENDEPUNKT_SESSION_IDLE_MINUTES", "15")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("database_url = \"sqlite://from-env.sqlite\""),
        "{text}"
    );
    assert!(text.contains("session_idle_minutes = 15"), "{text}");
    assert!(text.contains("addr = \"0.0.0.0:9000\""), "{text}");
    let out = Command::new(BIN)
        .args([
            "check-config",
            "--print",
            "--database",
            "sqlite://from-flag.sqlite",
        ])
        .env("VENDEPUNKT_CONFIG", &file)
        .env("VENDEPUNKT_DATABASE_URL", "sqlite://from-env.sqlite")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("database_url = \"sqlite://from-flag.sqlite\""),
        "{text}"
    );
    assert!(
        text.contains("session_idle_minutes = 20"),
        "VENDEPUNKT_CONFIG is read: {text}"
    );

    // A typo in the file: exit 2, one line naming the file, the line and the setting.
    std::fs::write(&file, "adress = \"0.0.0.0:9000\"\n").unwrap();
    let out = Command::new(BIN)
        .args(["check-config", "--config"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(
        err.contains("configuration error") && err.contains("line 1") && err.contains("adress"),
        "{err}"
    );
    // A configuration file that was asked for but is not there is an error, not a default.
    let out = Command::new(BIN)
        .args(["check-config", "--config", "/nonexistent/vendepunkt.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[tokio::test]
async fn admin_create_user_refuses_bad_input_with_the_flag_named() {
    let (dir, url) = sqlite_url().await;
    drop(Server::start(&url));
    let pw = dir.path().join("pw");
    std::fs::write(&pw, "a long and unusual passphrase\n").unwrap();
    let pw = pw.to_str().unwrap();
    let base = [
        "admin",
        "create-user",
        "--username",
        "someone-new",
        "--name",
        "Nina Ny",
        "--password-file",
        pw,
        "--database",
        &url,
    ];
    let cases: [(&[&str], &str); 4] = [
        (&["--role", "client"], "role:"),
        (
            &["--role", "counselor", "--office", "No Such Office"],
            "office:",
        ),
        (
            &["--role", "administrator", "--office", "Nordby kontor"],
            "office:",
        ),
        (
            &["--role", "leader", "--organisation", "Some Other Kommune"],
            "organisation:",
        ),
    ];
    for (extra, expected) in cases {
        let args: Vec<&str> = base.iter().chain(extra.iter()).copied().collect();
        let (code, out, err) = run(&args);
        assert_eq!(code, 2, "{extra:?}: {out}{err}");
        assert!(err.contains(expected), "{extra:?}: {err}");
    }
    let taken = [
        "admin",
        "create-user",
        "--username",
        "demo-counselor",
        "--name",
        "Nina Ny",
        "--role",
        "administrator",
        "--password-file",
        pw,
        "--database",
        &url,
    ];
    let (code, _, err) = run(&taken);
    assert_eq!(code, 2);
    assert!(err.contains("already taken"), "{err}");
}

/// Two instances share one PostgreSQL database: a message sent through one reaches a page
/// with an open event stream on the other (LISTEN/NOTIFY wakes it).
#[tokio::test]
async fn postgres_live_events_reach_pages_open_on_another_instance() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    let a = Server::start(&url);
    let b = Server::start(&url);
    let (counselor, _) = login(&b.base, "demo-counselor").await;
    let mut stream = counselor
        .get(format!("{}/events", b.base))
        .timeout(Duration::from_secs(60))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);

    let (client, csrf) = login(&a.base, "demo-client").await;
    let home = client
        .get(format!("{}/me", a.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let messages = home
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.ends_with("/messages"))
        .unwrap()
        .to_string();
    let sent = client
        .post(format!("{}{messages}", a.base))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("subject", "Across instances"),
            ("body", "Sent through instance A."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 303);

    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while !seen.contains("event: message") {
        let left = deadline.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no event reached instance B: {seen:?}");
        if let Ok(Ok(Some(chunk))) = tokio::time::timeout(left, stream.chunk()).await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
        }
    }
    assert!(
        !seen.contains("Across instances"),
        "events carry no content"
    );
}
