//! The generators' bulk writer: rows built here, written by the store crates' `bulk` modules
//! (`store_sqlite::bulk`, `store_postgres::bulk`), which hold the SQL next to the schema.
//!
//! * SQLite: multi-row `INSERT`s on the tools' own connection with `PRAGMA synchronous=OFF`
//!   (a power cut during generation can damage the file; the server keeps
//!   `synchronous=FULL` on its own connections).
//! * PostgreSQL: `COPY … FROM STDIN` with `synchronous_commit=off` for this session.

use crate::config::Config;
use crate::{Failure, fail};
use store_postgres::bulk as pg;
use store_sqlite::bulk as lite;
use time::OffsetDateTime;
use uuid::Uuid;

/// A value for either database.
#[derive(Clone, Copy)]
pub enum V<'a> {
    S(&'a str),
    U(Uuid),
    T(OffsetDateTime),
    I(i64),
    B(bool),
    /// Bytes (BLOB, BYTEA).
    X(&'a [u8]),
    N,
}

pub fn opt(s: Option<&str>) -> V<'_> {
    s.map(V::S).unwrap_or(V::N)
}

impl<'a> V<'a> {
    fn sqlite(self) -> lite::Value<'a> {
        match self {
            V::S(s) => lite::Value::Text(s),
            V::U(u) => lite::Value::Id(u),
            V::T(t) => lite::Value::Time(t),
            V::I(i) => lite::Value::Int(i),
            V::B(b) => lite::Value::Bool(b),
            V::X(x) => lite::Value::Bytes(x),
            V::N => lite::Value::Null,
        }
    }

    fn postgres(self) -> pg::Value<'a> {
        match self {
            V::S(s) => pg::Value::Text(s),
            V::U(u) => pg::Value::Id(u),
            V::T(t) => pg::Value::Time(t),
            V::I(i) => pg::Value::Int(i),
            V::B(b) => pg::Value::Bool(b),
            V::X(x) => pg::Value::Bytes(x),
            V::N => pg::Value::Null,
        }
    }
}

/// One table's rows, flattened: `values.len() == rows * columns.len()`.
pub struct Table<'a> {
    pub name: &'static str,
    pub columns: Vec<&'static str>,
    pub values: Vec<V<'a>>,
}

/// Tables written in one transaction, in order (foreign keys point backwards).
#[derive(Default)]
pub struct Tables<'a>(pub Vec<Table<'a>>);

impl<'a> Tables<'a> {
    pub fn add<const N: usize>(
        &mut self,
        name: &'static str,
        columns: [&'static str; N],
        rows: impl IntoIterator<Item = [V<'a>; N]>,
    ) {
        let mut values = Vec::new();
        for row in rows {
            values.extend_from_slice(&row);
        }
        if !values.is_empty() {
            self.0.push(Table {
                name,
                columns: columns.to_vec(),
                values,
            });
        }
    }
}

/// An error as one line of text.
pub fn text(e: impl std::fmt::Display) -> String {
    e.to_string()
}

pub fn db<E: std::fmt::Display>(context: &str) -> impl Fn(E) -> Failure + '_ {
    move |e| fail(1, format!("{context}: {e}"))
}

pub enum Writer {
    Sqlite(lite::BulkWriter),
    Postgres(pg::BulkWriter),
}

impl Writer {
    pub async fn open(config: &Config) -> Result<Writer, Failure> {
        if config.is_postgres() {
            pg::BulkWriter::open(&config.database_url)
                .await
                .map(Writer::Postgres)
                .map_err(db("cannot connect to PostgreSQL"))
        } else {
            lite::BulkWriter::open(&config.database_url)
                .await
                .map(Writer::Sqlite)
                .map_err(db("cannot open the SQLite database"))
        }
    }

    /// Generated rows point only at rows that exist (the clients just read, their accounts
    /// and counselors); checking each reference row by row would make 60 million messages
    /// take hours. SQLite: `PRAGMA foreign_keys = OFF` on this connection; PostgreSQL:
    /// `session_replication_role = replica` for this session (needs a superuser, otherwise
    /// the references are checked).
    pub async fn without_foreign_keys(&mut self) -> Result<(), Failure> {
        match self {
            Writer::Sqlite(w) => w
                .without_foreign_keys()
                .await
                .map_err(db("cannot configure the connection")),
            Writer::Postgres(w) => {
                if let Err(e) = w.without_foreign_keys().await {
                    eprintln!("references are checked row by row (slower): {e}");
                }
                Ok(())
            }
        }
    }

    /// Writes all tables in one transaction, in order.
    pub async fn write(&mut self, tables: Tables<'_>) -> Result<(), String> {
        match self {
            Writer::Sqlite(w) => {
                let t: Vec<lite::Table<'_>> = tables
                    .0
                    .iter()
                    .map(|t| lite::Table {
                        name: t.name,
                        columns: &t.columns,
                        values: t.values.iter().map(|v| v.sqlite()).collect(),
                    })
                    .collect();
                w.write(&t).await.map_err(|e| e.to_string())
            }
            Writer::Postgres(w) => {
                let t: Vec<pg::Table<'_>> = tables
                    .0
                    .iter()
                    .map(|t| pg::Table {
                        name: t.name,
                        columns: &t.columns,
                        values: t.values.iter().map(|v| v.postgres()).collect(),
                    })
                    .collect();
                w.write(&t).await.map_err(|e| e.to_string())
            }
        }
    }

    /// Ends a run. SQLite: `ANALYZE` when asked, then a WAL checkpoint; PostgreSQL:
    /// `VACUUM (ANALYZE)` of `pg_tables` (all tables when empty), so the benchmark does not
    /// race autovacuum.
    pub async fn finish(
        self,
        sqlite_analyze: bool,
        pg_tables: &[&'static str],
    ) -> Result<(), Failure> {
        match self {
            Writer::Sqlite(w) => w
                .finish(sqlite_analyze)
                .await
                .map_err(db("checkpoint failed")),
            Writer::Postgres(w) => w
                .finish(pg_tables)
                .await
                .map_err(db("VACUUM ANALYZE failed")),
        }
    }

    /// Closes the connection without finishing (an interrupted run).
    pub async fn close(self) {
        match self {
            Writer::Sqlite(w) => w.close().await,
            Writer::Postgres(w) => w.close().await,
        }
    }
}
