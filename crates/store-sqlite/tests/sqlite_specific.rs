//! What only the SQLite store has: connection settings that make commits durable and writers
//! wait for each other, the forms of database URL it accepts, and online backups.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::cases::CasesStore;
use domain::ids::{OfficeId, OrganisationId};
use domain::organisation::OrganisationStore;
use domain::organisation::store::NewOffice;
use domain::types::UnitName;
use std::sync::Arc;
use store_sqlite::SqliteStore;
use testkit::conformance::{fixture, new_client, verify_chain};

#[tokio::test]
async fn every_connection_is_durable_waits_for_writers_and_checks_foreign_keys() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    // Hold several connections at once so the settings are seen on more than one.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(store.pool().acquire().await.unwrap());
    }
    for conn in &mut held {
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        let synchronous: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        let busy_ms: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&mut **conn)
            .await
            .unwrap();
        assert_eq!(
            (journal.as_str(), synchronous, foreign_keys, busy_ms),
            ("wal", 2, 1, 5000),
            "WAL, synchronous=FULL, foreign keys on, 5 s busy timeout"
        );
    }
    drop(held);
    let orphan = store
        .create_office(NewOffice {
            id: OfficeId::new(),
            organisation_id: OrganisationId::new(),
            name: UnitName::parse("Nowhere").unwrap(),
            created_at: time::OffsetDateTime::UNIX_EPOCH,
        })
        .await;
    assert!(
        orphan.is_err(),
        "an office of an unknown organisation is refused"
    );
}

#[tokio::test]
async fn opens_all_url_forms_and_creates_missing_directories() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().display().to_string();
    for (url, file) in [
        (format!("sqlite://{base}/a/one.db"), "a/one.db"),
        (format!("sqlite:{base}/b/two.db"), "b/two.db"),
        (format!("{base}/c/d/three.db"), "c/d/three.db"),
        (format!("sqlite://{base}/e/four.db?mode=rwc"), "e/four.db"),
    ] {
        let store = SqliteStore::open(&url)
            .await
            .unwrap_or_else(|e| panic!("{url}: {e}"));
        store.migrate().await.unwrap();
        store.migrate().await.unwrap(); // a second run is a no-op
        assert_eq!(store.organisation_count().await.unwrap(), 0);
        assert!(dir.path().join(file).is_file(), "{url} -> {file}");
    }
}

#[tokio::test]
async fn a_backup_is_a_complete_checked_copy_and_never_overwrites() {
    let (dir, store) = testkit::sqlite::temp_store().await;
    let f = fixture(&store).await;
    let kari = new_client(&store, &f, f.office_a, "Kari Nordmann", false, None).await;

    let dest = dir.path().join("backups").join("nightly.sqlite");
    let report = store.backup_to(&dest).await.unwrap();
    assert_eq!(report.path, dest);
    assert_eq!(report.bytes, std::fs::metadata(&dest).unwrap().len());
    assert!(report.pages > 0);

    let copy = SqliteStore::open(&dest.display().to_string())
        .await
        .unwrap();
    let record = copy
        .read_client(&testkit::access(kari, None))
        .await
        .unwrap()
        .expect("copied");
    assert_eq!(record.name, "Kari Nordmann");
    assert_eq!(
        verify_chain(&copy).await,
        Ok(1),
        "the audit chain came along"
    );
    copy.pool().close().await;

    let before = std::fs::read(&dest).unwrap();
    let err = store
        .backup_to(&dest)
        .await
        .expect_err("an existing file is not overwritten");
    assert!(err.to_string().contains("already exists"), "{err}");
    assert_eq!(
        std::fs::read(&dest).unwrap(),
        before,
        "the old backup is intact"
    );

    let leftovers: Vec<_> = std::fs::read_dir(dest.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
        .collect();
    assert_eq!(leftovers, ["nightly.sqlite"], "no temporary files are left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_people_work_is_consistent() {
    let (dir, store) = testkit::sqlite::temp_store().await;
    let store = Arc::new(store);
    let f = Arc::new(fixture(store.as_ref()).await);
    let writer = {
        let (store, f) = (store.clone(), f.clone());
        tokio::spawn(async move {
            for i in 0..60 {
                new_client(
                    store.as_ref(),
                    &f,
                    f.office_a,
                    &format!("Client {i}"),
                    false,
                    None,
                )
                .await;
            }
        })
    };
    let mut copies = Vec::new();
    for n in 0..3 {
        let dest = dir.path().join(format!("during-{n}.sqlite"));
        store.backup_to(&dest).await.unwrap();
        copies.push(dest);
    }
    writer.await.unwrap();
    for dest in copies {
        let copy = SqliteStore::open(&dest.display().to_string())
            .await
            .unwrap();
        // Every copy is one moment: its chain is whole and ends at its own head.
        let rows = verify_chain(&copy)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
        assert!(rows <= 60);
    }
}

/// `serve` copies commits from the WAL into the database file in the background, so no
/// request pays for a checkpoint: the file on its own (without its WAL) soon holds what was
/// committed, long before the WAL reaches the size at which a commit would checkpoint.
#[tokio::test]
async fn background_checkpoints_bring_commits_into_the_database_file() {
    let (dir, store) = testkit::sqlite::temp_store().await;
    let pages: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(pages, i64::from(store_sqlite::WAL_AUTOCHECKPOINT_PAGES));
    let org = OrganisationId::new();
    store
        .create_organisation(domain::organisation::store::NewOrganisation {
            id: org,
            name: UnitName::parse("Checkpoint kommune").unwrap(),
            created_at: testkit::clock::wall_now(),
        })
        .await
        .unwrap();
    let db_file = dir.path().join("test.sqlite");
    assert!(db_file.exists(), "{}", db_file.display());
    let in_file_alone = || async {
        let copy = tempfile::tempdir().unwrap();
        let path = copy.path().join("alone.db");
        std::fs::copy(&db_file, &path).unwrap();
        let alone = SqliteStore::open(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let found: Option<String> =
            sqlx::query_scalar("SELECT name FROM organisations WHERE id = ?")
                .bind(org.to_string())
                .fetch_optional(alone.pool())
                .await
                .unwrap_or(None);
        alone.pool().close().await;
        found
    };
    assert_eq!(in_file_alone().await, None, "still only in the WAL");

    let checkpoints = tokio::spawn({
        let store = store.clone();
        async move { store.run_wal_checkpoints().await }
    });
    let started = std::time::Instant::now();
    while in_file_alone().await.is_none() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "the commit never reached the database file"
        );
        tokio::time::sleep(store_sqlite::CHECKPOINT_EVERY).await;
    }
    assert_eq!(in_file_alone().await.as_deref(), Some("Checkpoint kommune"));
    checkpoints.abort();
}
