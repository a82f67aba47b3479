//! The feedback commands of the real binary, on SQLite and PostgreSQL: a licensed instrument
//! is added from a JSON file (validated; the same id gets the next version) and chosen, and a
//! client's feedback is deleted for retention without touching anyone else's.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
use common::{BIN, run, store};

use domain::ids::ClientId;
use std::process::{Command, Stdio};

/// Seeds the demo (and the built-in instrument) by starting `serve --demo` until it listens.
fn seed_demo(database: &str) {
    use std::io::{BufRead, BufReader};
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
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let out = child.stdout.take().unwrap();
    for line in BufReader::new(out).lines() {
        if line.unwrap().contains("listening on") {
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// Clients with feedback, most responses first.
async fn clients_with_feedback(db: &str) -> Vec<ClientId> {
    let sql = "SELECT client_id FROM feedback_responses GROUP BY client_id ORDER BY COUNT(*) DESC, client_id";
    if db.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(db).await.unwrap();
        let ids: Vec<uuid::Uuid> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
        ids.into_iter().map(ClientId::from).collect()
    } else {
        let pool = sqlx::SqlitePool::connect(db).await.unwrap();
        let ids: Vec<String> = sqlx::query_scalar(sql).fetch_all(&pool).await.unwrap();
        ids.iter().map(|s| s.parse().unwrap()).collect()
    }
}

const LICENSED: &str = r#"{
  "id": "session-rating",
  "name": {"nb": "Timen i dag", "nn": "Timen i dag", "en": "Today's session"},
  "items": [{"id": "goals", "theme": "reciprocity", "min": 0, "max": 10,
    "text": {"nb": "Vi snakket om det jeg ville", "nn": "Vi snakka om det eg ville", "en": "We talked about what I wanted"},
    "low": {"nb": "Ikke i det hele tatt", "nn": "Ikkje i det heile", "en": "Not at all"},
    "high": {"nb": "Ja, helt", "nn": "Ja, heilt", "en": "Yes, fully"}}]
}"#;

async fn instruments_and_retention(db: &str) {
    seed_demo(db);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("instrument.json");

    // Invalid: refused with the problems named, nothing stored.
    std::fs::write(&file, LICENSED.replace("\"max\": 10", "\"max\": 30")).unwrap();
    let (code, _, err) = run(&[
        "admin",
        "add-instrument",
        file.to_str().unwrap(),
        "--database",
        db,
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("2 to 11 steps"), "{err}");
    let (code, _, err) = run(&[
        "admin",
        "use-instrument",
        "session-rating",
        "--database",
        db,
    ]);
    assert_eq!(code, 2, "{err}");

    // Valid: version 1, then the same id again is version 2; choosing it works.
    std::fs::write(&file, LICENSED).unwrap();
    for version in ["version 1", "version 2"] {
        let (code, out, err) = run(&[
            "admin",
            "add-instrument",
            file.to_str().unwrap(),
            "--database",
            db,
        ]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains(&format!("session-rating {version}")), "{out}");
    }
    let (code, out, err) = run(&[
        "admin",
        "use-instrument",
        "session-rating",
        "--database",
        db,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("now 2"), "{out}");
    let s = store(db).await;
    let orgs = testkit::db::Db::connect(db).await.organisation_ids().await;
    assert_eq!(
        s.chosen_instrument(orgs[0]).await.unwrap().as_deref(),
        Some("session-rating")
    );
    assert!(
        s.instrument("vendepunkt-six-themes", Some(1))
            .await
            .unwrap()
            .is_some()
    );

    // Retention: one client's feedback goes, everyone else's stays.
    let clients = clients_with_feedback(db).await;
    assert!(clients.len() >= 10, "the demo has a year of feedback");
    let (gone, kept) = (clients[0], clients[1]);
    let kept_before = s
        .feedback_responses(&testkit::access(kept, None), false)
        .await
        .unwrap()
        .len();
    let (code, out, err) = run(&[
        "admin",
        "delete-feedback",
        "--client",
        &gone.to_string(),
        "--database",
        db,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("deleted "), "{out}");
    assert!(
        s.feedback_responses(&testkit::access(gone, None), false)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(s.feedback_invitations(gone, 100).await.unwrap().is_empty());
    assert_eq!(s.feedback_preference(gone).await.unwrap(), None);
    assert_eq!(
        s.feedback_responses(&testkit::access(kept, None), false)
            .await
            .unwrap()
            .len(),
        kept_before
    );
    assert!(!clients_with_feedback(db).await.contains(&gone));
    let (code, _, err) = run(&[
        "admin",
        "delete-feedback",
        "--client",
        "nonsense",
        "--database",
        db,
    ]);
    assert_eq!(code, 2, "{err}");
    let (code, _, err) = run(&[
        "admin",
        "delete-feedback",
        "--client",
        &ClientId::new().to_string(),
        "--database",
        db,
    ]);
    assert_eq!(code, 2, "{err}");
}

#[tokio::test]
async fn sqlite_instruments_are_data_and_retention_deletes_one_clients_feedback() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("vp.sqlite").display());
    instruments_and_retention(&url).await;
}

#[tokio::test]
async fn postgres_instruments_are_data_and_retention_deletes_one_clients_feedback() {
    let Some(url) = testkit::postgres::fresh_database_url().await else {
        return;
    };
    instruments_and_retention(&url).await;
}
