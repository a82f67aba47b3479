//! `serve` fills the summary of settled feedback quarters in the background (the real binary,
//! on SQLite and PostgreSQL): after `serve --demo` (a year of invented feedback) has run for a
//! while, every office-quarter with feedback among the published quarters is summarised, and
//! the log says so.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::insights::published_quarters;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_vendepunkt");

/// (office-quarters summarised, office-quarters with feedback among the published quarters).
async fn counts(db: &str) -> (i64, i64) {
    let published: Vec<String> = published_quarters(testkit::clock::wall_now())
        .iter()
        .map(|q| q.to_string())
        .collect();
    let list = published
        .iter()
        .map(|q| format!("'{q}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let summarised = "SELECT COUNT(*) FROM feedback_quarter_summaries".to_string();
    let wanted = format!(
        "SELECT COUNT(*) FROM (SELECT office_id, quarter FROM feedback_responses
                               UNION SELECT office_id, quarter FROM feedback_invitations) x
         WHERE quarter IN ({list})"
    );
    if db.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(db).await.unwrap();
        let a = sqlx::query_scalar(sqlx::AssertSqlSafe(summarised))
            .fetch_one(&pool)
            .await
            .unwrap();
        let b = sqlx::query_scalar(sqlx::AssertSqlSafe(wanted))
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        (a, b)
    } else {
        let pool = sqlx::SqlitePool::connect(db).await.unwrap();
        let a = sqlx::query_scalar(sqlx::AssertSqlSafe(summarised))
            .fetch_one(&pool)
            .await
            .unwrap();
        let b = sqlx::query_scalar(sqlx::AssertSqlSafe(wanted))
            .fetch_one(&pool)
            .await
            .unwrap();
        pool.close().await;
        (a, b)
    }
}

async fn serve_fills_the_summary(db: &str) {
    let mut child = Command::new(BIN)
        .args(["serve", "--demo", "--addr", "127.0.0.1:0", "--database", db])
        .env("VENDEPUNKT_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().unwrap();
    let sink = log.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut l = sink.lock().unwrap();
            l.push_str(&line);
            l.push('\n');
        }
    });
    let out = child.stdout.take().unwrap();
    for line in BufReader::new(out).lines() {
        if line.unwrap().contains("listening on") {
            break;
        }
    }
    // Generous: the task's first round starts at once and the demo has one office.
    let mut done = false;
    for _ in 0..300 {
        let text = log.lock().unwrap().clone();
        if text.contains("feedback summary: settled quarters up to date") {
            done = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let text = log.lock().unwrap().clone();
    assert!(done, "{text}");
    assert!(
        text.contains("feedback summary: office-quarters summarised"),
        "{text}"
    );
    let (summarised, wanted) = counts(db).await;
    assert!(wanted >= 2, "the demo has feedback in settled quarters");
    assert_eq!(summarised, wanted);
}

#[tokio::test]
async fn sqlite_serve_summarises_settled_quarters() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vp.sqlite").display());
    serve_fills_the_summary(&url).await;
}

#[tokio::test]
async fn postgres_serve_summarises_settled_quarters() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    serve_fills_the_summary(&url).await;
}
