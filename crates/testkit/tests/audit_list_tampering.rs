//! A list view's audit row and the clients it lists (migration 0017, issue 13): the side table
//! is append-only and takes clients only for a `client-list` row, and whatever someone with
//! full database access does to who was listed (a client added, removed, changed, attached to
//! another row or moved to another listing) `audit verify` names the row, because the row's
//! hash covers the clients it listed.
//!
//! The tests named `…_refuses_…` use plain SQL with every trigger in place. The others remove
//! one trigger for one statement (`testkit::tamper`) to leave the database as an attacker
//! could.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::{AuditAction, DataKind, LISTED_CLIENTS};
use domain::ports::Store;
use domain::roles::Role;
use testkit::conformance::{event, fixture, new_client, verify_chain};

/// A client who was never listed (and does not exist: side rows have no foreign keys).
const STRANGER: &str = "0190a3c4-0000-7000-8000-0000000000ff";

/// Three clients created (rows 1–3), one of them opened (row 4), the three listed (row 5),
/// another opening (row 6).
async fn a_listing(store: &dyn Store) {
    let f = fixture(store).await;
    let mut clients = Vec::new();
    for name in ["Kari A", "Ola B", "Siri C"] {
        clients.push(new_client(store, &f, f.office_a, name, false, None).await);
    }
    let opening = || {
        event(
            f.counselor_a,
            Role::Counselor,
            clients[0],
            DataKind::CaseOverview,
            AuditAction::Viewed,
        )
    };
    let mut list = event(
        f.counselor_a,
        Role::Counselor,
        LISTED_CLIENTS,
        DataKind::ClientList,
        AuditAction::Viewed,
    );
    list.listed = clients.clone();
    store
        .append_audit(vec![opening(), list, opening()])
        .await
        .unwrap();
    assert_eq!(verify_chain(store).await, Ok(6));
    assert_eq!(
        store.audit_rows(4, 1).await.unwrap()[0].event.listed.len(),
        3
    );
}

/// Every change to the side table that plain SQL could make with the triggers in place:
/// refused, naming the rule, and the trail is as it was.
async fn refuses_to_change_who_was_listed<F, Fut>(store: &dyn Store, refused: F, truncate: bool)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Option<String>>,
{
    a_listing(store).await;
    let mut append_only = vec![
        "UPDATE audit_list_entries SET seq = 6 WHERE seq = 5".to_string(),
        format!("UPDATE audit_list_entries SET client_id = '{STRANGER}'"),
        "DELETE FROM audit_list_entries WHERE seq = 5".to_string(),
        "DELETE FROM audit_list_entries".to_string(),
    ];
    if truncate {
        append_only.push("TRUNCATE audit_list_entries".to_string());
    }
    for sql in append_only {
        let err = refused(sql.clone())
            .await
            .unwrap_or_else(|| panic!("must be refused: {sql}"));
        assert!(err.contains("append-only"), "{sql}: {err}");
    }
    for seq in [4, 6, 1_000, 0] {
        let sql =
            format!("INSERT INTO audit_list_entries (client_id, seq) VALUES ('{STRANGER}', {seq})");
        let err = refused(sql.clone())
            .await
            .unwrap_or_else(|| panic!("must be refused: {sql}"));
        assert!(err.contains("belongs to a client-list row"), "{sql}: {err}");
    }
    assert_eq!(verify_chain(store).await, Ok(6), "nothing changed");
}

/// A client added to an earlier listing is accepted by the database (a side row may join any
/// list row), but the listing no longer matches its hash.
async fn a_client_added_to_a_listing_is_named<F, Fut>(store: &dyn Store, run: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    a_listing(store).await;
    run(format!(
        "INSERT INTO audit_list_entries (client_id, seq) VALUES ('{STRANGER}', 5)"
    ))
    .await;
    let err = verify_chain(store).await.expect_err("a client was added");
    assert!(err.contains("row 5") && err.contains("altered"), "{err}");
}

/// With one trigger removed, each change to who was listed, and which row it names.
fn tamperings() -> Vec<(&'static str, String, &'static str)> {
    vec![
        (
            "audit_list_entries_no_delete",
            "DELETE FROM audit_list_entries WHERE client_id IN (SELECT client_id FROM audit_list_entries ORDER BY client_id LIMIT 1)"
                .to_string(),
            "row 5",
        ),
        (
            "audit_list_entries_no_update",
            format!(
                "UPDATE audit_list_entries SET client_id = '{STRANGER}'
                 WHERE client_id IN (SELECT client_id FROM audit_list_entries ORDER BY client_id LIMIT 1)"
            ),
            "row 5",
        ),
        (
            "audit_list_entries_belong_to_a_list",
            format!("INSERT INTO audit_list_entries (client_id, seq) VALUES ('{STRANGER}', 4)"),
            "row 4",
        ),
        (
            "audit_list_entries_no_update",
            "UPDATE audit_list_entries SET seq = 6 WHERE seq = 5".to_string(),
            "row 5",
        ),
        (
            "audit_list_entries_no_delete",
            "DELETE FROM audit_list_entries".to_string(),
            "row 5",
        ),
    ]
}

// ---------- SQLite ----------

#[tokio::test]
async fn sqlite_refuses_to_change_who_was_listed() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    let pool = store.pool().clone();
    refuses_to_change_who_was_listed(
        &store,
        |sql| {
            let pool = pool.clone();
            async move {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .err()
                    .map(|e| e.to_string())
            }
        },
        false,
    )
    .await;
}

#[tokio::test]
async fn sqlite_a_client_added_to_a_listing_is_named() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    let pool = store.pool().clone();
    a_client_added_to_a_listing_is_named(&store, |sql| {
        let pool = pool.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn sqlite_verify_names_a_listing_whose_clients_were_removed_changed_attached_or_moved() {
    for (trigger, sql, row) in tamperings() {
        let (_dir, store) = testkit::sqlite::temp_store().await;
        a_listing(&store).await;
        testkit::tamper::sqlite_without_trigger(store.pool(), trigger, &sql).await;
        let err = verify_chain(&store).await.expect_err(&sql);
        assert!(err.contains(row) && err.contains("altered"), "{sql}: {err}");
    }
}

// ---------- PostgreSQL ----------

#[tokio::test]
async fn postgres_refuses_to_change_who_was_listed() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    let pool = store.pool().clone();
    refuses_to_change_who_was_listed(
        &store,
        |sql| {
            let pool = pool.clone();
            async move {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .execute(&pool)
                    .await
                    .err()
                    .map(|e| e.to_string())
            }
        },
        true,
    )
    .await;
}

#[tokio::test]
async fn postgres_a_client_added_to_a_listing_is_named() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    let pool = store.pool().clone();
    a_client_added_to_a_listing_is_named(&store, |sql| {
        let pool = pool.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .unwrap();
        }
    })
    .await;
}

#[tokio::test]
async fn postgres_verify_names_a_listing_whose_clients_were_removed_changed_attached_or_moved() {
    for (trigger, sql, row) in tamperings() {
        let Some(store) = testkit::postgres::fresh_store().await else {
            return;
        };
        a_listing(&store).await;
        testkit::tamper::postgres_without_trigger(
            store.pool(),
            "audit_list_entries",
            trigger,
            &sql,
        )
        .await;
        let err = verify_chain(&store).await.expect_err(&sql);
        assert!(err.contains(row) && err.contains("altered"), "{sql}: {err}");
    }
}
