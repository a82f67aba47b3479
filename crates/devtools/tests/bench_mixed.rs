//! `vendepunkt-dev mixed-sessions` (the sessions of `scripts/bench-mixed`), through the real
//! binaries, on SQLite and PostgreSQL: every line of the file it writes signs in a sampled
//! client and their counselor for each request of the mix, the file is readable by its owner
//! only, and `--remove` signs them all out again.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{dev, product, run};

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(database: &str) -> Server {
        let mut child = Command::new(product())
            .args(["serve", "--addr", "127.0.0.1:0", "--database", database])
            .env("VENDEPUNKT_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
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
            let line = rx.recv_timeout(left).expect("the server did not start");
            if let Some(addr) = line.strip_prefix("Vendepunkt is listening on ") {
                break addr.to_string();
            }
        };
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Line {
    client: String,
    thread: String,
    client_cookie: String,
    client_csrf: String,
    counselor_cookie: String,
    counselor_csrf: String,
}

fn read_lines(text: &str) -> Vec<Line> {
    let mut rows = text.lines();
    let header: Vec<&str> = rows.next().unwrap().split('\t').collect();
    let col = |name: &str| header.iter().position(|c| *c == name).unwrap();
    rows.map(|r| {
        let f: Vec<&str> = r.split('\t').collect();
        let cookie = |c: &str| format!("{}={}", f[col("cookie_name")], f[col(c)]);
        Line {
            client: f[col("client")].to_string(),
            thread: f[col("thread")].to_string(),
            client_cookie: cookie("client_cookie"),
            client_csrf: f[col("client_csrf")].to_string(),
            counselor_cookie: cookie("counselor_cookie"),
            counselor_csrf: f[col("counselor_csrf")].to_string(),
        }
    })
    .collect()
}

async fn sessions_sign_in_and_out(db: &str, dir: &std::path::Path) {
    let (code, out, err) = dev(&["generate", "--clients", "60", "--database", db]);
    assert_eq!(code, 0, "{out}{err}");
    let server = Server::start(db);
    let file = dir.join("sessions.tsv");
    let file_arg = file.display().to_string();
    let args = [
        "mixed-sessions",
        "--base-url",
        &server.base,
        "--samples",
        "5",
        "--out",
        &file_arg,
        "--database",
        db,
    ];
    let (code, out, err) = dev(&args);
    assert_eq!(code, 0, "{out}{err}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o077, 0, "the sessions file is for its owner only");
    }
    let lines = read_lines(&std::fs::read_to_string(&file).unwrap());
    assert_eq!(lines.len(), 5);

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let get = |path: String, cookie: String| {
        let http = http.clone();
        let url = format!("{}{path}", server.base);
        async move {
            http.get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    for l in &lines {
        let case = format!("/clients/{}", l.client);
        assert_eq!(get(case, l.counselor_cookie.clone()).await, 200);
        assert_eq!(
            get("/caseload".into(), l.counselor_cookie.clone()).await,
            200
        );
        assert_eq!(get("/me".into(), l.client_cookie.clone()).await, 200);
        for (cookie, csrf) in [
            (&l.client_cookie, &l.client_csrf),
            (&l.counselor_cookie, &l.counselor_csrf),
        ] {
            let sent = http
                .post(format!(
                    "{}/clients/{}/messages/{}",
                    server.base, l.client, l.thread
                ))
                .header("cookie", cookie.as_str())
                .form(&[
                    ("csrf_token", csrf.as_str()),
                    ("body", "Hei, takk for sist."),
                ])
                .send()
                .await
                .unwrap();
            assert_eq!(sent.status().as_u16(), 303, "a message in the thread");
            let to = sent.headers()["location"].to_str().unwrap().to_string();
            assert!(to.contains(&l.thread), "{to}");
        }
    }

    let (code, out, err) = dev(&["mixed-sessions", "--remove", &file_arg, "--database", db]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!file.exists(), "the file with the tokens is gone");
    for l in &lines {
        let me = get("/me".into(), l.client_cookie.clone()).await;
        assert_ne!(me, 200, "a removed session no longer signs the client in");
        let case = get(format!("/clients/{}", l.client), l.counselor_cookie.clone()).await;
        assert_ne!(
            case, 200,
            "a removed session no longer signs the counselor in"
        );
    }
    drop(server);
    // The threads it started and the pages it opened kept the audit chain intact.
    let (code, out, err) = run(&["audit", "verify", "--database", db]);
    assert_eq!(code, 0, "audit verify: {out}{err}");
}

#[tokio::test]
async fn sqlite_mixed_sessions_sign_in_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("mixed.sqlite").display());
    sessions_sign_in_and_out(&db, dir.path()).await;
}

#[tokio::test]
async fn postgres_mixed_sessions_sign_in_and_out() {
    let Some(db) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    sessions_sign_in_and_out(&db, dir.path()).await;
}
