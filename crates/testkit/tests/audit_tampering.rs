//! The audit trail is append-only, the database refuses every row that does not extend the
//! chain (migration 0014), and tampering by someone who gets around that (an attacker with full
//! database access who drops or disables the triggers) is detected by the chain.
//!
//! The tests named `…_refuses_…` use plain SQL with every trigger in place: they drop nothing.
//! Only fixtures for what `audit verify` and the store do with an already broken trail remove
//! a trigger (`testkit::tamper`), or build the trail on a database from before 0014.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use domain::audit::AuditStore;
use domain::audit::{AuditAction, DataKind, GENESIS_HASH, chain};
use domain::ids::ClientId;
use domain::ports::{PortError, Store};
use domain::roles::Role;
use std::path::Path;
use testkit::conformance::{event, fixture, new_client, verify_chain};

/// Appends one audit row through the port, as every audited request does (about a client
/// nobody needs to exist: audit rows have no foreign keys).
async fn audited_read(store: &dyn Store) -> Result<(), PortError> {
    let e = event(
        domain::ids::UserId::new(),
        Role::Counselor,
        ClientId::new(),
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    store.append_audit(vec![e]).await
}

/// Copies row 4's fields into new rows, one per `(seq, prev_hash, hash)`, in one INSERT;
/// `new_id` is an SQL expression giving a fresh id.
fn copies_of_row_4(rows: &[(i64, &str, &str)], new_id: &str) -> String {
    let selects: Vec<String> = rows
        .iter()
        .map(|(seq, prev, hash)| {
            format!(
                "SELECT {seq}, {new_id}, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, '{prev}', '{hash}'
                 FROM audit_log WHERE seq = 4"
            )
        })
        .collect();
    format!(
        "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
         {}",
        selects.join(" UNION ALL ")
    )
}

fn copy_of_row_4(seq: i64, prev: &str, hash: &str, new_id: &str) -> String {
    copies_of_row_4(&[(seq, prev, hash)], new_id)
}

/// Every INSERT that does not extend the chain and every UPDATE of the head that does not
/// follow it, as plain SQL with all triggers in place: each must be refused, naming the rule.
async fn refuses_rows_that_do_not_extend_the_chain<F, Fut>(
    store: &dyn Store,
    new_id: &str,
    refused: F,
) where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = Option<String>>,
{
    four_rows(store).await;
    let (seq, hash) = store.audit_head().await.unwrap();
    assert_eq!(seq, 4);
    let any = "f".repeat(64);
    let inserts = [
        // right after the head, but not linked to it (the review's forged row)
        copy_of_row_4(5, &any, &any, new_id),
        copy_of_row_4(5, GENESIS_HASH, &any, new_id),
        // linked to the head, but with a gap
        copy_of_row_4(6, &hash, &any, new_id),
        copy_of_row_4(1_000, &hash, &any, new_id),
        // before the start of the chain
        copy_of_row_4(0, GENESIS_HASH, &any, new_id),
        copy_of_row_4(-1, GENESIS_HASH, &any, new_id),
        // two rows in one statement, the second not linked to the first
        copies_of_row_4(&[(5, &hash, &any), (6, &"e".repeat(64), &any)], new_id),
        // two rows in one statement, linked, with a gap
        copies_of_row_4(&[(5, &hash, &any), (7, &any, &any)], new_id),
    ];
    for sql in inserts {
        let err = refused(sql.clone())
            .await
            .unwrap_or_else(|| panic!("must be refused: {sql}"));
        assert!(err.contains("must extend the chain"), "{sql}: {err}");
    }
    let head_updates = [
        // skipping forward to a row that does not exist
        format!("UPDATE audit_head SET seq = 5, hash = '{any}'"),
        "UPDATE audit_head SET seq = seq + 1".to_string(),
        "UPDATE audit_head SET seq = 1000".to_string(),
        // the same row, another hash
        format!("UPDATE audit_head SET hash = '{any}'"),
        // back to an earlier row (refused since 0002)
        "UPDATE audit_head SET seq = 3, hash = (SELECT hash FROM audit_log WHERE seq = 3)"
            .to_string(),
    ];
    for sql in head_updates {
        let err = refused(sql.clone())
            .await
            .unwrap_or_else(|| panic!("must be refused: {sql}"));
        assert!(err.contains("only moves forward"), "{sql}: {err}");
    }
    assert_eq!(store.audit_head().await.unwrap(), (seq, hash));
    assert_eq!(verify_chain(store).await, Ok(4), "nothing changed");
    audited_read(store).await.unwrap();
    assert_eq!(verify_chain(store).await, Ok(5), "the server still appends");
}

/// Rows that are linked to the head are taken as the next rows, and the head moves with them
/// in the same statement: the trail stays one chain, the server keeps appending after it, and
/// `audit verify` names the row if its hash does not match its content. (The database cannot
/// recompute SHA-256; see docs/SECURITY.md for what a keyed chain would add.)
async fn a_linked_row_moves_the_head_with_it<F, Fut>(store: &dyn Store, new_id: &str, run: F)
where
    F: Fn(String) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    four_rows(store).await;
    let (_, hash) = store.audit_head().await.unwrap();
    let bad = "b".repeat(64);
    let last = "c".repeat(64);
    // Two linked rows in one statement (the head follows them row by row or per statement).
    run(copies_of_row_4(
        &[(5, &hash, &bad), (6, &bad, &last)],
        new_id,
    ))
    .await;
    assert_eq!(
        store.audit_head().await.unwrap(),
        (6, last),
        "the head moved with the rows"
    );
    let err = verify_chain(store).await.expect_err("the hashes are wrong");
    assert!(err.contains("row 5") && err.contains("altered"), "{err}");
    audited_read(store).await.unwrap();
    assert_eq!(store.audit_head().await.unwrap().0, 7);
}

/// A trail with a row after the head (fixture: `testkit::tamper` removes the head-moving
/// trigger for that one insert and restores it): `audit verify` names the row, and an audited
/// read is refused with the typed error naming it, writing nothing.
async fn a_row_after_the_head_is_named(store: &dyn Store, forged: i64) {
    assert_eq!(forged, 5);
    assert_eq!(store.audit_head().await.unwrap().0, 4, "the head stayed");
    let err = verify_chain(store).await.expect_err("a row after the head");
    assert!(
        err.contains("row 5") && err.contains("after the recorded head"),
        "{err}"
    );
    let refused = audited_read(store).await.expect_err("the chain is broken");
    assert!(
        matches!(refused, PortError::AuditChainBroken { seq: 5 }),
        "{refused:?}"
    );
    assert_eq!(store.audit_head().await.unwrap().0, 4, "nothing appended");
}

/// A client created (one row) and viewed three times: four rows.
async fn four_rows(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari", false, None).await;
    for _ in 0..3 {
        store
            .read_client(&testkit::access(
                c,
                Some(event(
                    f.counselor_a,
                    Role::Counselor,
                    c,
                    DataKind::CaseOverview,
                    AuditAction::Viewed,
                )),
            ))
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

/// As `refused!`, for SQL built at run time.
async fn refused_dynamic<'e, E>(pool: E, sql: &str) -> String
where
    E: sqlx::Executor<'e>,
    for<'q> <E::Database as sqlx::Database>::Arguments: sqlx::IntoArguments<E::Database>,
{
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(pool)
        .await
        .err()
        .unwrap_or_else(|| panic!("must be refused: {sql}"))
        .to_string()
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

#[tokio::test]
async fn sqlite_refuses_rows_that_do_not_extend_the_chain_and_head_moves_that_skip() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    let pool = store.pool().clone();
    refuses_rows_that_do_not_extend_the_chain(&store, "lower(hex(randomblob(16)))", |sql| {
        let pool = pool.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .err()
                .map(|e| e.to_string())
        }
    })
    .await;
}

/// SQLite's REPLACE deletes the row it collides with without firing delete triggers: it must
/// not replace an audit row (by its id) or the head.
#[tokio::test]
async fn sqlite_refuses_to_replace_audit_rows_or_the_head() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    four_rows(&store).await;
    let pool = store.pool();
    let (_, hash) = store.audit_head().await.unwrap();
    let any = "f".repeat(64);
    for (sql, why) in [
        (
            format!(
                "INSERT OR REPLACE INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
                 SELECT 5, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, '{hash}', '{any}'
                 FROM audit_log WHERE seq = 2"
            ),
            "must extend the chain",
        ),
        (
            "INSERT OR REPLACE INTO audit_head (id, seq, hash) VALUES (1, 2, 'x')".to_string(),
            "only moves forward",
        ),
        (
            format!("REPLACE INTO audit_head (id, seq, hash) VALUES (1, 1000, '{any}')"),
            "only moves forward",
        ),
    ] {
        let err = refused_dynamic(pool, &sql).await;
        assert!(err.contains(why), "{sql}: {err}");
    }
    assert_eq!(verify_chain(&store).await, Ok(4), "nothing changed");
}

#[tokio::test]
async fn sqlite_a_linked_row_moves_the_head_with_it() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    let pool = store.pool().clone();
    a_linked_row_moves_the_head_with_it(&store, "lower(hex(randomblob(16)))", |sql| {
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
async fn sqlite_verify_and_the_store_name_a_row_after_the_head() {
    let (_dir, store) = testkit::sqlite::temp_store().await;
    four_rows(&store).await;
    let forged = testkit::tamper::sqlite_row_after_head(store.pool()).await;
    a_row_after_the_head_is_named(&store, forged).await;
}

// ---------- a database from before migration 0014 ----------

fn migrations(store: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../{store}/migrations"))
}

/// Appends `n` rows the way the stores did before migration 0014 (insert, then move the head).
async fn legacy_sqlite_rows(pool: &sqlx::SqlitePool, n: usize) {
    for _ in 0..n {
        let head = sqlx::query_as::<_, (i64, String)>("SELECT seq, hash FROM audit_head")
            .fetch_one(pool)
            .await
            .unwrap();
        let c = ClientId::new();
        let e = event(
            domain::ids::UserId::new(),
            Role::Counselor,
            c,
            DataKind::CaseOverview,
            AuditAction::Viewed,
        );
        let row = chain(head.0, &head.1, e);
        let e = &row.event;
        sqlx::query(
            "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?)",
        )
        .bind(row.seq)
        .bind(e.id.to_string())
        .bind((e.at.unix_timestamp_nanos() / 1_000) as i64)
        .bind(e.actor_id.to_string())
        .bind(e.actor_role.as_str())
        .bind(e.client_id.to_string())
        .bind(e.data_kind.as_str())
        .bind(e.action.as_str())
        .bind(e.request_id.to_string())
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query("UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1")
            .bind(row.seq)
            .bind(&row.hash)
            .execute(pool)
            .await
            .unwrap();
    }
}

async fn sqlite_before_0014() -> (tempfile::TempDir, store_sqlite::SqliteStore) {
    let (dir, url) = testkit::sqlite::temp_url();
    let store = store_sqlite::SqliteStore::open(&url).await.unwrap();
    sqlx::migrate::Migrator::new(migrations("store-sqlite"))
        .await
        .unwrap()
        .run_to(13, store.pool())
        .await
        .unwrap();
    legacy_sqlite_rows(store.pool(), 3).await;
    (dir, store)
}

#[tokio::test]
async fn sqlite_a_trail_from_before_0014_verifies_and_grows_after_the_upgrade() {
    let (_dir, store) = sqlite_before_0014().await;
    store.migrate().await.unwrap();
    assert_eq!(verify_chain(&store).await, Ok(3));
    audited_read(&store).await.unwrap();
    audited_read(&store).await.unwrap();
    assert_eq!(verify_chain(&store).await, Ok(5));
}

/// The review's forged row, inserted while nothing stopped it (before 0014; no trigger is
/// touched), is named after the upgrade.
#[tokio::test]
async fn sqlite_a_row_forged_before_0014_is_named_after_the_upgrade() {
    let (_dir, store) = sqlite_before_0014().await;
    let any = "f".repeat(64);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
         SELECT 4, '0190a3c4-0000-7000-8000-000000000001', at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, '{any}', '{any}'
         FROM audit_log WHERE seq = 3"
    )))
    .execute(store.pool())
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let err = verify_chain(&store)
        .await
        .expect_err("a row after the head");
    assert!(
        err.contains("row 4") && err.contains("after the recorded head"),
        "{err}"
    );
    let refused = audited_read(&store).await.expect_err("the chain is broken");
    assert!(
        matches!(refused, PortError::AuditChainBroken { seq: 4 }),
        "{refused:?}"
    );
}

// ---------- PostgreSQL ----------

#[tokio::test]
async fn postgres_refuses_rows_that_do_not_extend_the_chain_and_head_moves_that_skip() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    let pool = store.pool().clone();
    refuses_rows_that_do_not_extend_the_chain(&store, "gen_random_uuid()", |sql| {
        let pool = pool.clone();
        async move {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&pool)
                .await
                .err()
                .map(|e| e.to_string())
        }
    })
    .await;
}

#[tokio::test]
async fn postgres_refuses_to_move_the_head_by_upsert() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    four_rows(&store).await;
    let pool = store.pool();
    let any = "f".repeat(64);
    let sql = format!(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, 1000, '{any}')
         ON CONFLICT (id) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash"
    );
    let err = refused_dynamic(pool, &sql).await;
    assert!(err.contains("only moves forward"), "{sql}: {err}");
    assert_eq!(verify_chain(&store).await, Ok(4), "nothing changed");
}

#[tokio::test]
async fn postgres_a_linked_row_moves_the_head_with_it() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    let pool = store.pool().clone();
    a_linked_row_moves_the_head_with_it(&store, "gen_random_uuid()", |sql| {
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
async fn postgres_verify_and_the_store_name_a_row_after_the_head() {
    let Some(store) = testkit::postgres::fresh_store().await else {
        return;
    };
    four_rows(&store).await;
    let forged = testkit::tamper::postgres_row_after_head(store.pool()).await;
    a_row_after_the_head_is_named(&store, forged).await;
}

async fn legacy_postgres_rows(pool: &sqlx::PgPool, n: usize) {
    for _ in 0..n {
        let head = sqlx::query_as::<_, (i64, String)>("SELECT seq, hash FROM audit_head")
            .fetch_one(pool)
            .await
            .unwrap();
        let c = ClientId::new();
        let e = event(
            domain::ids::UserId::new(),
            Role::Counselor,
            c,
            DataKind::CaseOverview,
            AuditAction::Viewed,
        );
        let row = chain(head.0, &head.1, e);
        let e = &row.event;
        sqlx::query(
            "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, NULL, $10, $11)",
        )
        .bind(row.seq)
        .bind(e.id.as_uuid())
        .bind(e.at)
        .bind(e.actor_id.as_uuid())
        .bind(e.actor_role.as_str())
        .bind(e.client_id.as_uuid())
        .bind(e.data_kind.as_str())
        .bind(e.action.as_str())
        .bind(e.request_id.as_uuid())
        .bind(&row.prev_hash)
        .bind(&row.hash)
        .execute(pool)
        .await
        .unwrap();
        sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(row.seq)
            .bind(&row.hash)
            .execute(pool)
            .await
            .unwrap();
    }
}

async fn postgres_before_0014() -> Option<store_postgres::PgStore> {
    let url = testkit::postgres::fresh_database_url().await?;
    let store = store_postgres::PgStore::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(migrations("store-postgres"))
        .await
        .unwrap()
        .run_to(13, store.pool())
        .await
        .unwrap();
    legacy_postgres_rows(store.pool(), 3).await;
    Some(store)
}

#[tokio::test]
async fn postgres_a_trail_from_before_0014_verifies_and_grows_after_the_upgrade() {
    let Some(store) = postgres_before_0014().await else {
        return;
    };
    store.migrate().await.unwrap();
    assert_eq!(verify_chain(&store).await, Ok(3));
    audited_read(&store).await.unwrap();
    audited_read(&store).await.unwrap();
    assert_eq!(verify_chain(&store).await, Ok(5));
}

#[tokio::test]
async fn postgres_a_row_forged_before_0014_is_named_after_the_upgrade() {
    let Some(store) = postgres_before_0014().await else {
        return;
    };
    let any = "f".repeat(64);
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
         SELECT 4, gen_random_uuid(), at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, '{any}', '{any}'
         FROM audit_log WHERE seq = 3"
    )))
    .execute(store.pool())
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let err = verify_chain(&store)
        .await
        .expect_err("a row after the head");
    assert!(
        err.contains("row 4") && err.contains("after the recorded head"),
        "{err}"
    );
    let refused = audited_read(&store).await.expect_err("the chain is broken");
    assert!(
        matches!(refused, PortError::AuditChainBroken { seq: 4 }),
        "{refused:?}"
    );
}

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
