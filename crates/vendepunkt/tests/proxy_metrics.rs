//! The real binary at its edges: the warning when a proxy in front of the server is not
//! trusted for the client address (from `check-config`, at start and while serving), and
//! the metrics, which only a separate listener serves.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::BIN;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::{Duration, Instant};

/// `vendepunkt serve --demo` on a fresh SQLite file, with extra environment; both output
/// streams are read line by line.
struct Server {
    child: Child,
    base: String,
    /// Every line of stdout and stderr, in the order read (per stream).
    lines: Receiver<String>,
    seen: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Server {
    fn start(env: &[(&str, &str)]) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let db = format!("sqlite://{}", dir.path().join("vp.sqlite").display());
        let mut cmd = Command::new(BIN);
        cmd.args([
            "serve",
            "--demo",
            "--addr",
            "127.0.0.1:0",
            "--database",
            &db,
        ])
        .current_dir(dir.path())
        .env("VENDEPUNKT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("start server");
        let (tx, rx) = channel();
        let out = child.stdout.take().unwrap();
        let err = child.stderr.take().unwrap();
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                let _ = tx2.send(line);
            }
        });
        let mut server = Server {
            child,
            base: String::new(),
            lines: rx,
            seen: vec![],
            _dir: dir,
        };
        let line = server.wait_for("Vendepunkt is listening on ");
        server.base = line
            .split("Vendepunkt is listening on ")
            .nth(1)
            .unwrap()
            .trim()
            .to_string();
        server
    }

    /// The first line (seen so far or arriving within 30 s) that contains `needle`.
    fn wait_for(&mut self, needle: &str) -> String {
        if let Some(l) = self.seen.iter().find(|l| l.contains(needle)) {
            return l.clone();
        }
        let started = Instant::now();
        loop {
            let left = Duration::from_secs(30).saturating_sub(started.elapsed());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if line.contains(needle) {
                        return line;
                    }
                }
                Err(_) => panic!(
                    "no line with {needle:?}; the server said:\n{}",
                    self.seen.join("\n")
                ),
            }
        }
    }

    /// Stops the server and returns everything it printed.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // The pipes are closed now: the readers end, and every line written is here.
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            self.seen.push(line);
        }
        self.seen.join("\n")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn check_config(env: &[(&str, &str)]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(BIN);
    cmd.arg("check-config").current_dir(dir.path());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn check_config_warns_when_a_proxy_in_front_is_not_trusted_for_the_client_address() {
    for proxy in [
        ("VENDEPUNKT_BEHIND_TLS_PROXY", "true"),
        ("VENDEPUNKT_PUBLIC_URL", "https://vendepunkt.example.no"),
    ] {
        let (code, err) = check_config(&[proxy]);
        assert_eq!(code, 0, "a warning, not an error: {err}");
        assert!(
            err.contains("warning: trust_forwarded_for is false")
                && err.contains("X-Forwarded-For"),
            "{proxy:?}: {err}"
        );
        let (code, err) = check_config(&[proxy, ("VENDEPUNKT_TRUST_FORWARDED_FOR", "true")]);
        assert_eq!(code, 0);
        assert!(!err.contains("warning"), "set up as advised: {err}");
    }
    let (_, err) = check_config(&[]);
    assert!(!err.contains("warning"), "the defaults: {err}");
}

#[tokio::test]
async fn the_server_warns_at_start_and_when_it_sees_everyone_through_one_untrusted_proxy() {
    let mut server = Server::start(&[("VENDEPUNKT_PUBLIC_URL", "https://vendepunkt.example.no")]);
    server.wait_for("trust_forwarded_for is false");

    // Plain defaults: nothing at start, but a proxy on this machine forwarding requests with
    // X-Forwarded-For shows itself after a while.
    let mut server = Server::start(&[]);
    let c = reqwest::Client::new();
    for i in 0..proxy_requests() {
        let r = c
            .get(format!("{}/login", server.base))
            .header("x-forwarded-for", format!("198.51.100.{}", i % 200))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let line = server.wait_for("requests in a row came from 127.0.0.1");
    assert!(line.contains("trust_forwarded_for"), "{line}");
    let out = server.stop();
    assert!(
        !out.contains("198.51.100."),
        "the forwarded (client) addresses are not logged: {out}"
    );
}

#[tokio::test]
async fn no_proxy_warning_for_direct_requests() {
    let server = Server::start(&[]);
    let c = reqwest::Client::new();
    for _ in 0..proxy_requests() {
        let r = c
            .get(format!("{}/login", server.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let out = server.stop();
    assert!(!out.contains("requests in a row"), "{out}");
}

/// A few more than the number the server waits for.
fn proxy_requests() -> u32 {
    web::edge::proxy::REQUESTS_IN_A_ROW + 5
}

#[tokio::test]
async fn metrics_are_served_only_on_their_own_listener_and_only_with_the_token() {
    let token = "a-long-metrics-token-0123456789";
    let mut server = Server::start(&[
        ("VENDEPUNKT_METRICS_ADDR", "127.0.0.1:0"),
        ("VENDEPUNKT_METRICS_TOKEN", token),
    ]);
    let line = server.wait_for("Metrics are served on ");
    let url = line
        .split("Metrics are served on ")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string();
    assert!(!url.starts_with(&server.base), "another listener: {url}");
    let c = reqwest::Client::new();
    let page = c
        .get(format!("{}/login", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let main = c
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(main.status(), 404, "the pages' listener has no metrics");
    assert!(!main.text().await.unwrap().contains("http_requests_total"));
    let anonymous = c.get(&url).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let wrong = c.get(&url).bearer_auth("guess").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let scraped = c.get(&url).bearer_auth(token).send().await.unwrap();
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.unwrap();
    assert!(
        text.contains("http_requests_total{route=\"/login\"")
            && text.contains("db_pool_connections"),
        "{text}"
    );
    let out = server.stop();
    assert!(!out.contains(token), "the token is never printed: {out}");
}

#[tokio::test]
async fn without_metrics_addr_no_listener_serves_metrics() {
    let server = Server::start(&[]);
    let r = reqwest::Client::new()
        .get(format!("{}/metrics", server.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let out = server.stop();
    assert!(!out.contains("Metrics are served"), "{out}");
}
