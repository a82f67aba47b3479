//! `vendepunkt-dev generate --messages` and `bench-send`, through the real binary, on
//! SQLite and PostgreSQL: exactly the asked number of messages in threads whose counters
//! match their messages, every reference pointing at the right rows, every thread readable
//! through the `Store` port, a rerun tops up instead of repeating, Ctrl-C leaves only
//! complete threads, and answers can be sent into generated threads through the server.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{DEV, dev, product, run, store};

use domain::ids::{ClientId, ThreadId};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Each of these must be zero on a consistent dataset (same SQL on both databases).
const BROKEN: [(&str, &str); 9] = [
    (
        "threads whose counter differs from their messages",
        "SELECT COUNT(*) FROM threads t WHERE t.messages <>
           (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id)",
    ),
    (
        "threads whose last message time or side is wrong",
        "SELECT COUNT(*) FROM threads t WHERE NOT EXISTS (SELECT 1 FROM messages m
           WHERE m.thread_id = t.id AND m.sent_at = t.last_message_at
             AND m.author_side = t.last_author_side)
           OR t.last_message_at < (SELECT MAX(m.sent_at) FROM messages m WHERE m.thread_id = t.id)",
    ),
    (
        "messages without their thread",
        "SELECT COUNT(*) FROM messages m WHERE NOT EXISTS
           (SELECT 1 FROM threads t WHERE t.id = m.thread_id AND t.client_id = m.client_id)",
    ),
    (
        "threads of unknown clients",
        "SELECT COUNT(*) FROM threads t WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.id = t.client_id)",
    ),
    (
        "messages by someone other than the client or their counselor",
        "SELECT COUNT(*) FROM messages m JOIN clients c ON c.id = m.client_id
         WHERE NOT ((m.author_side = 'client' AND m.author_id = c.user_id)
                 OR (m.author_side = 'counselor' AND m.author_id = c.assigned_counselor))",
    ),
    (
        "messages before their thread or the client's case",
        "SELECT COUNT(*) FROM messages m JOIN threads t ON t.id = m.thread_id
           JOIN clients c ON c.id = m.client_id
         WHERE m.sent_at < t.created_at OR t.created_at < c.created_at",
    ),
    (
        "read before sent",
        "SELECT COUNT(*) FROM messages WHERE read_at < sent_at",
    ),
    (
        "empty bodies",
        "SELECT COUNT(*) FROM messages WHERE LENGTH(body) = 0",
    ),
    ("audit rows", "SELECT COUNT(*) FROM audit_log"),
];

struct Counts {
    messages: i64,
    threads: i64,
    unread: i64,
    broken: Vec<(&'static str, i64)>,
}

async fn counts(db: &str) -> Counts {
    let mut n = vec![];
    let mut broken = vec![];
    if db.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(db).await.unwrap();
        for q in [
            "SELECT COUNT(*) FROM messages",
            "SELECT COUNT(*) FROM threads",
            "SELECT COUNT(*) FROM messages WHERE read_at IS NULL",
        ] {
            n.push(sqlx::query_scalar(q).fetch_one(&pool).await.unwrap());
        }
        for (what, q) in BROKEN {
            broken.push((what, sqlx::query_scalar(q).fetch_one(&pool).await.unwrap()));
        }
        pool.close().await;
    } else {
        let pool = sqlx::SqlitePool::connect(db).await.unwrap();
        for q in [
            "SELECT COUNT(*) FROM messages",
            "SELECT COUNT(*) FROM threads",
            "SELECT COUNT(*) FROM messages WHERE read_at IS NULL",
        ] {
            n.push(sqlx::query_scalar(q).fetch_one(&pool).await.unwrap());
        }
        for (what, q) in BROKEN {
            broken.push((what, sqlx::query_scalar(q).fetch_one(&pool).await.unwrap()));
        }
        pool.close().await;
    }
    Counts {
        messages: n[0],
        threads: n[1],
        unread: n[2],
        broken,
    }
}

fn assert_consistent(c: &Counts) {
    for (what, n) in &c.broken {
        assert_eq!(*n, 0, "{what}: {n}");
    }
}

/// Every thread of every client decodes through the port, and its messages are the ones
/// the thread row counts, in time order.
async fn every_thread_decodes(db: &str, expected_messages: i64) {
    let store = store(db).await;
    let clients: Vec<String> = if db.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(db).await.unwrap();
        let v = sqlx::query_scalar("SELECT DISTINCT client_id::text FROM threads")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        v
    } else {
        let pool = sqlx::SqlitePool::connect(db).await.unwrap();
        let v = sqlx::query_scalar("SELECT DISTINCT client_id FROM threads")
            .fetch_all(&pool)
            .await
            .unwrap();
        pool.close().await;
        v
    };
    let now = testkit::clock::wall_now();
    let mut seen = 0i64;
    for c in clients {
        let client = ClientId(c.parse().unwrap());
        let threads = store
            .list_threads(&testkit::access(client, None))
            .await
            .unwrap();
        assert!(!threads.is_empty());
        for t in threads {
            let id: ThreadId = t.id;
            let record = store
                .read_thread(id, &testkit::access(client, None), None, now, vec![])
                .await
                .unwrap()
                .expect("the thread is there");
            assert_eq!(record.messages.len() as i64, t.messages);
            assert!(
                record
                    .messages
                    .windows(2)
                    .all(|w| w[0].sent_at <= w[1].sent_at)
            );
            seen += t.messages;
        }
    }
    assert_eq!(seen, expected_messages);
}

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

async fn generates_threads_then_sends(db: &str) {
    let (code, out, err) = dev(&[
        "generate",
        "--clients",
        "60",
        "--messages",
        "3000",
        "--message-batch",
        "700",
        "--database",
        db,
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("generated 3000 messages in"), "{out}");
    let c = counts(db).await;
    assert_eq!(c.messages, 3000);
    assert!(
        (3000 / 20..3000 / 3).contains(&c.threads),
        "about 7 messages per thread: {} threads",
        c.threads
    );
    assert!(
        c.unread > 0 && c.unread < c.messages / 2,
        "some unread: {}",
        c.unread
    );
    assert_consistent(&c);
    every_thread_decodes(db, 3000).await;

    // The same command again changes nothing; a larger number tops up.
    let args = |m: &'static str| {
        [
            "generate",
            "--clients",
            "60",
            "--reuse",
            "--messages",
            m,
            "--database",
        ]
    };
    let (code, out, err) = dev(&[&args("3000")[..], &[db]].concat());
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("reusing: the database already holds 3000 messages"),
        "{out}"
    );
    let (code, out, err) = dev(&[&args("4000")[..], &[db]].concat());
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("generated 1000 messages"), "{out}");
    let c = counts(db).await;
    assert_eq!(c.messages, 4000);
    assert_consistent(&c);

    // Answers through the server into generated threads (the benchmark fails on any
    // answer other than 303); each one writes its audit row, and the chain verifies.
    let server = Server::start(db);
    let (code, out, err) = dev(&[
        "bench-send",
        "--base-url",
        &server.base,
        "--samples",
        "20",
        "--sends",
        "40",
        "--concurrency",
        "3",
        "--rate",
        "50",
        "--database",
        db,
    ]);
    drop(server);
    assert_eq!(code, 0, "bench-send: {out}{err}");
    assert!(out.contains("| 60 | 4000 | 3 | 50 | 40 |"), "{out}");
    let c = counts(db).await;
    assert_eq!(
        c.messages,
        4000 + 20 + 40,
        "warm-up and measured sends are stored"
    );
    let audit = c.broken.iter().find(|(w, _)| *w == "audit rows").unwrap().1;
    assert_eq!(audit, 60, "one audit row per message sent");
    let (code, out, err) = run(&["audit", "verify", "--database", db]);
    assert_eq!(code, 0, "audit verify: {out}{err}");
}

#[tokio::test]
async fn sqlite_messages_then_send() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("gen.sqlite").display());
    generates_threads_then_sends(&db).await;
}

#[tokio::test]
async fn postgres_messages_then_send() {
    let Some(db) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    generates_threads_then_sends(&db).await;
}

#[tokio::test]
async fn ctrl_c_leaves_complete_threads() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("gen.sqlite").display());
    let mut child = Command::new(DEV)
        .args([
            "generate",
            "--clients",
            "50",
            "--messages",
            "1000000000",
            "--message-batch",
            "1000",
            // A billion messages would not fit: the run is interrupted long before, so the
            // disk check the generator makes first is turned off.
            "--no-disk-check",
            "--database",
            &db,
        ])
        .env("VENDEPUNKT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the first progress line of the messages (some batches are in), then interrupt.
    let stderr = child.stderr.take().unwrap();
    let mut lines = BufReader::new(stderr).lines();
    loop {
        let line = lines.next().expect("generator ended early").unwrap();
        if line.starts_with("messages ") {
            assert!(
                line.contains("left"),
                "an estimate of the time left: {line}"
            );
            break;
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("interrupted:") && l.contains("complete threads")),
        "{rest:?}"
    );
    let c = counts(&db).await;
    assert!(
        c.messages > 0 && c.messages % 1000 == 0,
        "whole batches only: {}",
        c.messages
    );
    assert_consistent(&c);
    // A rerun with a smaller target sees the dataset as done; the data stays usable.
    let (code, out, err) = dev(&[
        "generate",
        "--clients",
        "50",
        "--reuse",
        "--messages",
        "1000",
        "--database",
        &db,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("reusing"), "{out}");
}
