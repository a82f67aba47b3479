//! The audit trail is append-only, and tampering by someone who gets around that (an attacker
//! with full database access who drops or disables the triggers) is detected by the chain.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::{AuditAction, DataKind};
use domain::ports::Store;
use domain::roles::Role;
use testkit::conformance::{event, fixture, new_client, verify_chain};

/// A client created (one row) and viewed three times: four rows.
async fn four_rows(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari", false, None).await;
    for _ in 0..3 {
        store
            .read_client(
                c,
                Some(event(
                    f.counselor_a,
                    Role::Counselor,
                    c,
                    DataKind::CaseOverview,
                    AuditAction::Viewed,
                )),
            )
            .await
            .unwrap();
    }
    assert_eq!(verify_chain(store).await, Ok(4));
}

/// Runs `sql` and returns the database's refusal message (panics if it was accepted).
macro_rules! refused {
    ($pool:expr, $sql:expr) => {
        sqlx::query($sql)
            .execute($pool)
            .await
            .err()
            .unwrap_or_else(|| panic!("must be refused: {}", $sql))
            .to_string()
    };
}

macro_rules! run {
    ($pool:expr, $sql:expr) => {
        sqlx::query($sql).execute($pool).await.unwrap()
    };
}

// ---------- SQLite ----------

#[tokio::test]
async fn sqlite_refuses_to_change_or_delete_audit_rows() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    four_rows(&store).await;
    let pool = store.pool();
    for sql in [
        "UPDATE audit_log SET actor_role = 'leader' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 2",
        "DELETE FROM audit_log",
    ] {
        let err = refused!(pool, sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    for sql in ["UPDATE audit_head SET seq = 2", "DELETE FROM audit_head"] {
        let err = refused!(pool, sql);
        assert!(err.contains("only moves forward"), "{sql}: {err}");
    }
    assert_eq!(verify_chain(&store).await, Ok(4), "nothing changed");
}

#[tokio::test]
async fn sqlite_detects_an_altered_row() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    four_rows(&store).await;
    let pool = store.pool();
    run!(pool, "DROP TRIGGER audit_log_no_update");
    run!(
        pool,
        "UPDATE audit_log SET actor_role = 'leader' WHERE seq = 2"
    );
    let err = verify_chain(&store)
        .await
        .expect_err("tampering must be detected");
    assert!(err.contains("row 2") && err.contains("altered"), "{err}");
}

#[tokio::test]
async fn sqlite_detects_deleted_rows_in_the_middle_and_at_the_end() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    four_rows(&store).await;
    let pool = store.pool();
    run!(pool, "DROP TRIGGER audit_log_no_delete");
    run!(pool, "DELETE FROM audit_log WHERE seq = 4");
    let err = verify_chain(&store).await.expect_err("head still says 4");
    assert!(err.contains("head"), "{err}");
    run!(pool, "DELETE FROM audit_log WHERE seq = 2");
    let err = verify_chain(&store).await.expect_err("a gap");
    assert!(err.contains("row 3"), "{err}");
}

// ---------- PostgreSQL ----------

#[tokio::test]
async fn postgres_refuses_to_change_or_delete_audit_rows() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    four_rows(&store).await;
    let pool = store.pool();
    for sql in [
        "UPDATE audit_log SET actor_role = 'leader' WHERE seq = 2",
        "DELETE FROM audit_log WHERE seq = 2",
        "TRUNCATE audit_log",
    ] {
        let err = refused!(pool, sql);
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    for sql in [
        "UPDATE audit_head SET seq = 2",
        "DELETE FROM audit_head",
        "TRUNCATE audit_head",
    ] {
        let err = refused!(pool, sql);
        assert!(err.contains("only moves forward"), "{sql}: {err}");
    }
    assert_eq!(verify_chain(&store).await, Ok(4), "nothing changed");
}

#[tokio::test]
async fn postgres_detects_an_altered_row() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    four_rows(&store).await;
    let pool = store.pool();
    run!(
        pool,
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update"
    );
    run!(
        pool,
        "UPDATE audit_log SET actor_role = 'leader' WHERE seq = 2"
    );
    let err = verify_chain(&store)
        .await
        .expect_err("tampering must be detected");
    assert!(err.contains("row 2") && err.contains("altered"), "{err}");
}

#[tokio::test]
async fn postgres_detects_deleted_rows_in_the_middle_and_at_the_end() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    four_rows(&store).await;
    let pool = store.pool();
    run!(
        pool,
        "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_delete"
    );
    run!(pool, "DELETE FROM audit_log WHERE seq = 4");
    let err = verify_chain(&store).await.expect_err("head still says 4");
    assert!(err.contains("head"), "{err}");
    run!(pool, "DELETE FROM audit_log WHERE seq = 2");
    let err = verify_chain(&store).await.expect_err("a gap");
    assert!(err.contains("row 3"), "{err}");
}
