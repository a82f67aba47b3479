//! The development helpers the leader's browser test uses (`e2e/insights.test.mjs`), through
//! the real binary on SQLite and PostgreSQL: `serve --clock-shift-days` is refused without
//! `--demo` and beyond ten years, and `vendepunkt-dev add-client` adds a client who can log in to an
//! office of the demo organisation, followed by a counselor of that office, with audit rows
//! that keep the chain intact, and refuses anything else.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{dev, product, run, store};

use domain::ports::PasswordHasher;
use domain::types::Username;
use std::process::{Command, Stdio};

/// Starts `serve` with `args` until it listens (or exits); returns what it printed.
fn serve_once(database: &str, args: &[&str]) -> String {
    use std::io::{BufRead, BufReader};
    let mut child = Command::new(product())
        .args(["serve", "--addr", "127.0.0.1:0", "--database", database])
        .args(args)
        .env("VENDEPUNKT_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    let mut seen = String::new();
    for line in BufReader::new(out).lines() {
        let line = line.unwrap();
        seen.push_str(&line);
        seen.push('\n');
        if line.contains("listening on") {
            break;
        }
    }
    let _ = child.kill();
    child.wait().unwrap();
    seen
}

async fn dev_tools(db: &str, dir: &std::path::Path) {
    // The clock is shifted only for demo data, and not absurdly far.
    let (code, _, err) = run(&["serve", "--database", db, "--clock-shift-days", "-80"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--demo"), "{err}");
    let (code, _, err) = run(&[
        "serve",
        "--demo",
        "--database",
        db,
        "--clock-shift-days",
        "-4000",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("clock-shift-days"), "{err}");

    let password = dir.join("password");
    std::fs::write(&password, "Testperson-passord-77\n").unwrap();
    let pw = password.to_str().unwrap();
    let add = |username: &str, office: &str, counselor: &str| {
        dev(&[
            "--database",
            db,
            "add-client",
            "--username",
            username,
            "--name",
            "Testperson Sørvik",
            "--office",
            office,
            "--counselor",
            counselor,
            "--password-file",
            pw,
        ])
    };

    // No demo organisation: refused.
    let (code, _, err) = run(&["--database", db, "migrate"]);
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = add("sorvik-client", "Sørvik kontor", "demo-counselor-3");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("demo organisation"), "{err}");

    // The demo, its clock shifted (printed loudly).
    let printed = serve_once(db, &["--demo", "--clock-shift-days", "-80"]);
    assert!(printed.contains("DEVELOPMENT CLOCK"), "{printed}");
    assert!(printed.contains("Demo data created"), "{printed}");

    // A counselor of another office, an unknown office: refused, nothing added.
    let (code, _, err) = add("sorvik-client", "Sørvik kontor", "demo-counselor");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a counselor at Sørvik kontor"), "{err}");
    let (code, _, err) = add("sorvik-client", "Nowhere", "demo-counselor-3");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no office"), "{err}");
    let s = store(db).await;
    let name = Username::parse("sorvik-client").unwrap();
    assert!(s.credentials_by_username(&name).await.unwrap().is_none());

    let (code, out, err) = add("sorvik-client", "Sørvik kontor", "demo-counselor-3");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("added client sorvik-client"), "{out}");
    let (code, _, err) = add("sorvik-client", "Sørvik kontor", "demo-counselor-3");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already taken"), "{err}");

    // A client who can log in, with a case at Sørvik followed by Hanne Holm.
    let creds = s.credentials_by_username(&name).await.unwrap().unwrap();
    let hash = creds.password_hash.expect("a password");
    assert!(
        web::Argon2Hasher::for_tests()
            .verify(
                &domain::types::Secret::new("Testperson-passord-77".to_string()),
                &hash
            )
            .await
    );
    let actor = s.actor(creds.user_id).await.unwrap().unwrap();
    assert!(actor.grants.is_empty());
    let case = actor.own_client.expect("a client's case");
    let scope = s.client_scope(case).await.unwrap().unwrap();
    let hanne = s
        .credentials_by_username(&Username::parse("demo-counselor-3").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(scope.assigned_counselor, Some(hanne.user_id));
    let offices = s.list_offices(scope.organisation_id).await.unwrap();
    let office = offices.iter().find(|o| o.id == scope.office_id).unwrap();
    assert_eq!(office.name, "Sørvik kontor");
    // The case's two audit rows (opened, assigned) by the counselor; the chain holds.
    let log = s.access_log(case, 10).await.unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    drop(s);
    let (code, out, err) = run(&["--database", db, "audit", "verify"]);
    assert_eq!(code, 0, "{out}{err}");
}

#[tokio::test]
async fn sqlite_dev_clock_and_add_client() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vp.sqlite").display());
    dev_tools(&url, dir.path()).await;
}

#[tokio::test]
async fn postgres_dev_clock_and_add_client() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    dev_tools(&url, dir.path()).await;
}
