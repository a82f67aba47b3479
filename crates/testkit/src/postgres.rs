//! A fresh PostgreSQL database per test, created on the server named by
//! `VENDEPUNKT_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`).
//!
//! When the server is unreachable the tests say so loudly and skip — except under `CI=true`,
//! where a missing PostgreSQL fails the test: it is never skipped silently.

use sqlx::Connection;
use store_postgres::PgStore;

pub const DEFAULT_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

fn server_url() -> String {
    std::env::var("VENDEPUNKT_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

fn in_ci() -> bool {
    std::env::var("CI").map(|v| v == "true").unwrap_or(false)
}

/// Replaces the database name (the last path segment) of a PostgreSQL URL.
pub fn with_database(url: &str, db: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map(|i| i + 3).unwrap_or(0);
    let base = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    match query {
        Some(q) => format!("{base}/{db}?{q}"),
        None => format!("{base}/{db}"),
    }
}

/// Creates a new, empty database and returns its URL; `None` (with a loud message) when
/// PostgreSQL is unreachable outside CI.
pub async fn fresh_database_url() -> Option<String> {
    fresh_database_on(&server_url(), in_ci()).await
}

async fn fresh_database_on(server: &str, in_ci: bool) -> Option<String> {
    let mut conn = match sqlx::PgConnection::connect(server).await {
        Ok(c) => c,
        Err(e) => {
            if in_ci {
                panic!(
                    "PostgreSQL is not reachable at VENDEPUNKT_TEST_POSTGRES_URL and CI=true: {e}"
                );
            }
            eprintln!("SKIPPED: PostgreSQL not reachable ({e}); set VENDEPUNKT_TEST_POSTGRES_URL");
            return None;
        }
    };
    let name = format!("vendepunkt_test_{}", uuid::Uuid::now_v7().simple());
    let sql = format!("CREATE DATABASE {name}");
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .execute(&mut conn)
        .await
        .unwrap_or_else(|e| panic!("cannot create test database: {e}"));
    let _ = conn.close().await;
    Some(with_database(server, &name))
}

/// A migrated store on a fresh database.
pub async fn fresh_store() -> Option<PgStore> {
    let url = fresh_database_url().await?;
    let store = PgStore::connect(&url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {url}: {e}"));
    store
        .migrate()
        .await
        .unwrap_or_else(|e| panic!("cannot migrate: {e}"));
    Some(store)
}

#[cfg(test)]
mod tests {
    use super::{fresh_database_on, with_database};

    /// Nothing listens on port 1.
    const UNREACHABLE: &str = "postgres://postgres@127.0.0.1:1/postgres?connect_timeout=2";

    #[tokio::test]
    async fn an_unreachable_server_skips_outside_ci() {
        assert_eq!(fresh_database_on(UNREACHABLE, false).await, None);
    }

    #[tokio::test]
    #[should_panic(expected = "CI=true")]
    async fn an_unreachable_server_fails_under_ci() {
        let _ = fresh_database_on(UNREACHABLE, true).await;
    }

    #[test]
    fn the_database_name_is_replaced() {
        assert_eq!(
            with_database("postgres://u@h:5432/postgres", "x"),
            "postgres://u@h:5432/x"
        );
        assert_eq!(
            with_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(with_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
