//! The audit trail is append-only, and tampering by someone who gets around that is detected.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::{AuditAction, DataKind};
use domain::ports::Store;
use domain::roles::Role;
use testkit::conformance::{event, fixture, new_client, verify_chain};

async fn three_views(store: &dyn Store) {
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

#[tokio::test]
async fn sqlite_refuses_changes_and_detects_tampering() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    three_views(&store).await;
    let pool = store.pool();
    assert!(
        sqlx::query("UPDATE audit_log SET actor_role = 'leader' WHERE seq = 2")
            .execute(pool)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(pool)
            .await
            .is_err()
    );
    // An attacker with full access drops the trigger first.
    sqlx::query("DROP TRIGGER audit_log_no_update")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor_role = 'leader' WHERE seq = 2")
        .execute(pool)
        .await
        .unwrap();
    let err = verify_chain(&store)
        .await
        .expect_err("tampering must be detected");
    assert!(err.contains("row 2"), "{err}");
}

#[tokio::test]
async fn sqlite_detects_a_deleted_row() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    three_views(&store).await;
    sqlx::query("DROP TRIGGER audit_log_no_delete")
        .execute(store.pool())
        .await
        .unwrap();
    sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(store.pool())
        .await
        .unwrap();
    assert!(verify_chain(&store).await.is_err());
}

#[tokio::test]
async fn postgres_refuses_changes_and_detects_tampering() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    three_views(&store).await;
    let pool = store.pool();
    assert!(
        sqlx::query("UPDATE audit_log SET actor_role = 'leader' WHERE seq = 2")
            .execute(pool)
            .await
            .is_err()
    );
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(pool)
            .await
            .is_err()
    );
    sqlx::query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update")
        .execute(pool)
        .await
        .unwrap();
    sqlx::query("UPDATE audit_log SET actor_role = 'leader' WHERE seq = 2")
        .execute(pool)
        .await
        .unwrap();
    let err = verify_chain(&store)
        .await
        .expect_err("tampering must be detected");
    assert!(err.contains("row 2"), "{err}");
}
