//! `vendepunkt-dev bench-insights` through the real binary, small, on SQLite and PostgreSQL:
//! the dataset has the promised shape, the dashboard is measured (every request answered 200),
//! a second run reuses the dataset, and a dataset of another size is refused.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::process::Command;

const DEV: &str = env!("CARGO_BIN_EXE_vendepunkt-dev");

fn run(database: &str, offices: &str) -> (i32, String, String) {
    let out = Command::new(DEV)
        .args([
            "--database",
            database,
            "bench-insights",
            "--offices",
            offices,
            "--responses",
            "6000",
            "--requests",
            "20",
            "--label",
            "test",
        ])
        .env("VENDEPUNKT_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

fn check_runs(database: &str) {
    let (code, out, err) = run(database, "3");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("responses in 3 offices written"), "{err}");
    let row = out
        .lines()
        .find(|l| l.starts_with("| test |"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(row.contains("| 3 | GET /insights (leader) | 20 |"), "{row}");
    // The summary of settled quarters: every leader's first view without it, the worker
    // filling it (3 offices × 8 quarters), and the counselors' page.
    assert!(
        out.contains("| 3 | GET /insights (leader), first view, no summary | 3 |"),
        "{out}"
    );
    assert!(
        out.contains("| 3 | GET /caseload/feedback (counselor) | 20 |"),
        "{out}"
    );
    assert!(
        err.contains("summary of settled quarters: 24 office-quarters"),
        "{err}"
    );
    let (code, out, err) = run(database, "3");
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(err.contains("reusing"), "{err}");
    let (code, _, err) = run(database, "4");
    assert_eq!(code, 2, "{err}");
}

#[tokio::test]
async fn the_insight_benchmark_runs_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("b.sqlite").display());
    check_runs(&url);
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let (responses, invitations, clients): (i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM feedback_responses),
                (SELECT COUNT(*) FROM feedback_invitations), (SELECT COUNT(*) FROM clients)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!((5_000..=6_000).contains(&responses), "{responses}");
    assert_eq!(invitations, 3 * 600 * 8);
    assert_eq!(clients, 3 * 600);
    let audit: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(audit, 0, "benchmark data writes no audit rows");
}

#[tokio::test]
async fn the_insight_benchmark_runs_on_postgres() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    check_runs(&url);
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let (responses, invitations): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM feedback_responses), (SELECT COUNT(*) FROM feedback_invitations)",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!((5_000..=6_000).contains(&responses), "{responses}");
    assert_eq!(invitations, 3 * 600 * 8);
}
