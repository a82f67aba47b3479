//! `vendepunkt dev generate`: writes an invented dataset in large transactions.
//!
//! Rows are built on a separate thread (see [`crate::data`]) while the previous batch is
//! written. Each batch of clients is one transaction: a client is either complete (account,
//! case, plan items and their history) or absent. Ctrl-C stops after the current batch.
//!
//! * SQLite: multi-row `INSERT`s on the generator's own connection with
//!   `PRAGMA synchronous=OFF` (a power cut during generation can damage the file; the server
//!   keeps `synchronous=FULL` on its own connections).
//! * PostgreSQL: `COPY … FROM STDIN` with `synchronous_commit=off` for this session; at the
//!   end `VACUUM (ANALYZE)` so the benchmark does not race autovacuum.

use crate::config::Config;
use crate::data::{self, Batch, Setup, World};
use crate::messages;
use crate::progress::{Progress, duration_text};
use crate::{Backend, Failure, OpenMode, fail, open};
use domain::ids::OrganisationId;
use domain::ports::{Clock, PasswordHasher};
use domain::types::Secret;
use rand::SeedableRng;
use rand::rngs::StdRng;
use sqlx::{Connection, PgConnection, SqliteConnection};
use std::collections::HashMap;
use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use time::OffsetDateTime;
use uuid::Uuid;

/// The password of every generated account.
pub const PASSWORD: &str = "generated-password-1";

pub struct Options {
    pub clients: u64,
    /// Messages the dataset should hold in the end (0: none generated).
    pub messages: u64,
    /// Messages per transaction.
    pub message_batch: u64,
    pub seed: u64,
    pub append: bool,
    pub reuse: bool,
    pub batch: u64,
}

struct Existing {
    clients: i64,
    users: i64,
    offices: i64,
    gen_clients: i64,
    gen_counselors: i64,
    organisation: Option<OrganisationId>,
}

async fn existing(backend: &Backend) -> Result<Existing, sqlx::Error> {
    const COUNTS: &str = "SELECT
        (SELECT COUNT(*) FROM clients),
        (SELECT COUNT(*) FROM users),
        (SELECT COUNT(*) FROM offices),
        (SELECT COUNT(*) FROM users WHERE username LIKE 'gen-client-%'),
        (SELECT COUNT(*) FROM users WHERE username LIKE 'gen-counselor-%')";
    let (counts, org): ((i64, i64, i64, i64, i64), Option<String>) = match backend {
        Backend::Sqlite(s) => (
            sqlx::query_as(COUNTS).fetch_one(s.pool()).await?,
            sqlx::query_scalar("SELECT id FROM organisations WHERE name = ? ORDER BY created_at")
                .bind(crate::texts::ORGANISATION)
                .fetch_optional(s.pool())
                .await?,
        ),
        Backend::Postgres(p) => (
            sqlx::query_as(COUNTS).fetch_one(p.pool()).await?,
            sqlx::query_scalar(
                "SELECT id::text FROM organisations WHERE name = $1 ORDER BY created_at",
            )
            .bind(crate::texts::ORGANISATION)
            .fetch_optional(p.pool())
            .await?,
        ),
    };
    Ok(Existing {
        clients: counts.0,
        users: counts.1,
        offices: counts.2,
        gen_clients: counts.3,
        gen_counselors: counts.4,
        organisation: org.and_then(|o| o.parse().ok()),
    })
}

fn db(context: &str) -> impl Fn(sqlx::Error) -> Failure + '_ {
    move |e| fail(1, format!("{context}: {e}"))
}

pub async fn run(config: &Config, o: Options) -> Result<(), Failure> {
    if o.clients == 0 {
        return Err(fail(2, "clients: give at least 1"));
    }
    let backend = open(config, OpenMode::Migrate).await?;
    let found = existing(&backend)
        .await
        .map_err(db("cannot count what the database holds"))?;
    backend.close().await;
    if o.reuse && found.clients == o.clients as i64 {
        println!(
            "reusing: the database already holds {} clients; no clients generated",
            found.clients
        );
    } else {
        clients_phase(config, &o, &found).await?;
    }
    if o.messages > 0 {
        conversation_phase(config, &o).await?;
    }
    Ok(())
}

/// Generates `o.clients` clients with their plans (refusing a database that holds data,
/// unless `--append`).
async fn clients_phase(config: &Config, o: &Options, found: &Existing) -> Result<(), Failure> {
    if (found.clients > 0 || found.users > 0) && !o.append {
        return Err(fail(
            2,
            format!(
                "the database already holds {} clients and {} accounts; refusing to mix \
                 generated data into it. Use an empty database, or --append if you really mean it",
                found.clients, found.users
            ),
        ));
    }

    let started = Instant::now();
    let hash = web::Argon2Hasher::production()
        .hash(&Secret::new(PASSWORD))
        .await
        .map_err(|e| fail(1, format!("cannot hash the password: {e}")))?;
    let first_client = found.gen_clients as u64 + 1;
    // Appending with the same seed would repeat the same texts; shift it.
    let mut rng = StdRng::seed_from_u64(o.seed ^ first_client.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let (setup, world) = data::setup(
        &mut rng,
        o.clients,
        found.organisation,
        found.offices as u64,
        found.gen_counselors as u64 + 1,
        web::SystemClock.now(),
    );
    let mut writer = Writer::open(config).await?;
    writer.setup(&setup, &hash).await?;
    eprintln!(
        "{} offices, {} counselors and {} catalogue measures written; generating {} clients …",
        setup.offices.len(),
        setup.counselors.len(),
        setup.measures.len(),
        o.clients
    );

    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch_ctrl_c(stop.clone()));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Batch>(1);
    let (batch, total) = (o.batch, o.clients);
    let producer = std::thread::spawn(move || produce(world, rng, first_client, total, batch, tx));

    let mut progress = Progress::new("clients", total, Instant::now());
    let (mut clients, mut items, mut history) = (0u64, 0u64, 0u64);
    let mut outcome = Ok(());
    while let Some(b) = rx.recv().await {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let Err(e) = writer.batch(&b, &hash, setup.organisation_id).await {
            outcome = Err(e);
            break;
        }
        clients += b.clients.len() as u64;
        items += b.items.len() as u64;
        history += b.history.len() as u64;
        progress.report(clients);
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    drop(rx);
    let _ = producer.join();
    watcher.abort();
    let interrupted = stop.load(Ordering::SeqCst);
    if let Err(e) = outcome {
        return Err(fail(
            e.code,
            format!(
                "{} ({clients} of {total} clients were written before, each complete)",
                e.message
            ),
        ));
    }
    let generated_in = started.elapsed();
    if !interrupted {
        let t = Instant::now();
        eprintln!("finishing (SQLite: checkpoint; PostgreSQL: VACUUM ANALYZE) …");
        writer.finish().await?;
        eprintln!("finished in {}", duration_text(t.elapsed()));
    } else {
        writer.close().await;
    }
    println!(
        "generated {clients} clients ({items} plan items, {history} history rows), {} offices, \
         {} counselors, {} catalogue measures in {} ({:.0} clients/s)",
        setup.offices.len(),
        setup.counselors.len(),
        setup.measures.len(),
        duration_text(generated_in),
        clients as f64 / generated_in.as_secs_f64().max(1e-9)
    );
    println!(
        "accounts gen-client-{first_client}… and gen-counselor-…, password {PASSWORD}; \
         no audit rows were written (generated data bypasses the use cases)"
    );
    if interrupted {
        return Err(fail(
            130,
            format!(
                "interrupted: {clients} of {total} clients written, each complete; \
                 the rest was not generated"
            ),
        ));
    }
    Ok(())
}

/// The clients who can hold a conversation (an account and an assigned counselor), and how
/// many messages the database holds already.
async fn parties(backend: &Backend) -> Result<(i64, Vec<messages::Party>), sqlx::Error> {
    let (count, rows): (i64, Vec<(String, String, String, i64)>) = match backend {
        Backend::Sqlite(s) => (
            sqlx::query_scalar("SELECT COUNT(*) FROM messages")
                .fetch_one(s.pool())
                .await?,
            sqlx::query_as(
                "SELECT id, user_id, assigned_counselor, created_at FROM clients
                 WHERE user_id IS NOT NULL AND assigned_counselor IS NOT NULL ORDER BY rowid",
            )
            .fetch_all(s.pool())
            .await?,
        ),
        Backend::Postgres(p) => (
            sqlx::query_scalar("SELECT COUNT(*) FROM messages")
                .fetch_one(p.pool())
                .await?,
            sqlx::query_as(
                "SELECT id::text, user_id::text, assigned_counselor::text,
                        (EXTRACT(EPOCH FROM created_at) * 1000000)::bigint FROM clients
                 WHERE user_id IS NOT NULL AND assigned_counselor IS NOT NULL ORDER BY id",
            )
            .fetch_all(p.pool())
            .await?,
        ),
    };
    let parties = rows
        .into_iter()
        .filter_map(|(c, u, k, at)| {
            Some(messages::Party {
                client: c.parse().ok()?,
                user: u.parse().ok()?,
                counselor: k.parse().ok()?,
                since: OffsetDateTime::from_unix_timestamp_nanos(at as i128 * 1_000).ok()?,
            })
        })
        .collect();
    Ok((count, parties))
}

/// Adds threads and messages between the clients already there and their counselors until the
/// database holds `o.messages` messages. Each batch of complete threads is one transaction;
/// Ctrl-C stops after the current batch, and a later run continues from there.
async fn conversation_phase(config: &Config, o: &Options) -> Result<(), Failure> {
    let backend = open(config, OpenMode::Existing).await?;
    let (existing, mut parties) = parties(&backend)
        .await
        .map_err(db("cannot read the clients"))?;
    backend.close().await;
    let target = o.messages as i64;
    if existing >= target {
        println!("reusing: the database already holds {existing} messages; no messages generated");
        return Ok(());
    }
    if parties.is_empty() {
        return Err(fail(
            2,
            "no client with an account and a counselor to write messages for; generate clients first",
        ));
    }
    let total = (target - existing) as u64;
    let mut rng = StdRng::seed_from_u64(
        o.seed ^ (existing as u64).wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0x6d65_7373,
    );
    messages::shuffle(&mut rng, &mut parties);
    eprintln!(
        "{existing} messages in the database; generating {total} more for {} clients …",
        parties.len()
    );
    let mut writer = Writer::open(config).await?;
    writer.without_foreign_keys().await?;
    let started = Instant::now();
    let now = web::SystemClock.now();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(watch_ctrl_c(stop.clone()));
    let (tx, mut rx) = tokio::sync::mpsc::channel::<messages::ConversationBatch>(1);
    let per_batch = o.message_batch;
    let producer = std::thread::spawn(move || {
        let mut done = 0;
        while done < total {
            let count = per_batch.min(total - done);
            let b = messages::batch(&mut rng, &parties, now, count);
            if tx.blocking_send(b).is_err() {
                return;
            }
            done += count;
        }
    });
    let mut progress = Progress::new("messages", total, started);
    let (mut written, mut threads, mut bytes) = (0u64, 0u64, 0u64);
    let mut outcome = Ok(());
    while let Some(b) = rx.recv().await {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        if let Err(e) = writer.conversation(&b).await {
            outcome = Err(e);
            break;
        }
        written += b.messages.len() as u64;
        threads += b.threads.len() as u64;
        bytes += b.messages.iter().map(|m| m.body.len() as u64).sum::<u64>();
        progress.report(written);
        if stop.load(Ordering::SeqCst) {
            break;
        }
    }
    drop(rx);
    let _ = producer.join();
    watcher.abort();
    let interrupted = stop.load(Ordering::SeqCst);
    if let Err(e) = outcome {
        return Err(fail(
            e.code,
            format!(
                "{} ({written} of {total} messages were written before, in complete threads)",
                e.message
            ),
        ));
    }
    let generated_in = started.elapsed();
    if !interrupted {
        let t = Instant::now();
        eprintln!("finishing (SQLite: checkpoint; PostgreSQL: VACUUM ANALYZE) …");
        writer.finish_conversation().await?;
        eprintln!("finished in {}", duration_text(t.elapsed()));
    } else {
        writer.close().await;
    }
    println!(
        "generated {written} messages in {threads} threads ({:.0} bytes of text per message on \
         average) in {} ({:.0} messages/s); the database holds {} messages",
        bytes as f64 / written.max(1) as f64,
        duration_text(generated_in),
        written as f64 / generated_in.as_secs_f64().max(1e-9),
        existing as u64 + written
    );
    if interrupted {
        return Err(fail(
            130,
            format!(
                "interrupted: {written} of {total} messages written, in complete threads; \
                 run the same command again to continue"
            ),
        ));
    }
    Ok(())
}

async fn watch_ctrl_c(stop: Arc<AtomicBool>) {
    if tokio::signal::ctrl_c().await.is_ok() {
        stop.store(true, Ordering::SeqCst);
        eprintln!(
            "stopping after the current batch … (Ctrl-C again stops at once; the unfinished \
             batch is then rolled back)"
        );
        if tokio::signal::ctrl_c().await.is_ok() {
            eprintln!("stopped; the unfinished batch was not committed");
            std::process::exit(130);
        }
    }
}

fn produce(
    world: World,
    mut rng: StdRng,
    first: u64,
    total: u64,
    batch: u64,
    tx: tokio::sync::mpsc::Sender<Batch>,
) {
    let mut done = 0;
    while done < total {
        let count = batch.min(total - done);
        let b = world.batch(&mut rng, first + done, count);
        if tx.blocking_send(b).is_err() {
            return;
        }
        done += count;
    }
}

// ----- writing -----

/// A value for either database.
#[derive(Clone, Copy)]
enum V<'a> {
    S(&'a str),
    U(Uuid),
    T(OffsetDateTime),
    I(i64),
    B(bool),
    N,
}

fn opt(s: Option<&str>) -> V<'_> {
    s.map(V::S).unwrap_or(V::N)
}

enum Writer {
    Sqlite {
        conn: SqliteConnection,
        sql: HashMap<(&'static str, usize), String>,
    },
    Postgres(PgConnection),
}

/// SQLite's limit is 32766 variables per statement; stay well below it.
const SQLITE_VARIABLES: usize = 6_000;

impl Writer {
    async fn open(config: &Config) -> Result<Writer, Failure> {
        if config.is_postgres() {
            let mut conn = PgConnection::connect(&config.database_url)
                .await
                .map_err(db("cannot connect to PostgreSQL"))?;
            sqlx::query("SET synchronous_commit = off")
                .execute(&mut conn)
                .await
                .map_err(db("cannot configure the session"))?;
            Ok(Writer::Postgres(conn))
        } else {
            let path = store_sqlite::database_path(&config.database_url);
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Off)
                .foreign_keys(true)
                .busy_timeout(store_sqlite::BUSY_TIMEOUT)
                .pragma("cache_size", "-1000000")
                .pragma("temp_store", "memory");
            let conn = sqlx::ConnectOptions::connect(&options)
                .await
                .map_err(db("cannot open the SQLite database"))?;
            Ok(Writer::Sqlite {
                conn,
                sql: HashMap::new(),
            })
        }
    }

    async fn setup(&mut self, s: &Setup, hash: &str) -> Result<(), Failure> {
        let org = s.organisation_id.as_uuid();
        let mut tables = Tables::default();
        if let Some(name) = &s.new_organisation {
            tables.add(
                "organisations",
                ["id", "name", "created_at"],
                [[V::U(org), V::S(name), V::T(s.now)]],
            );
        }
        tables.add(
            "offices",
            ["id", "organisation_id", "name", "created_at"],
            s.offices.iter().map(|o| {
                [
                    V::U(o.id.as_uuid()),
                    V::U(org),
                    V::S(&o.name),
                    V::T(o.created_at),
                ]
            }),
        );
        tables.add(
            USERS.0,
            USERS.1,
            s.counselors.iter().map(|p| user(p, org, hash)),
        );
        tables.add(
            "role_grants",
            ["user_id", "role", "office_id"],
            s.grants
                .iter()
                .map(|(u, o)| [V::U(u.as_uuid()), V::S("counselor"), V::U(o.as_uuid())]),
        );
        tables.add(
            "protected_access",
            ["user_id", "office_id"],
            s.protected_access
                .iter()
                .map(|(u, o)| [V::U(u.as_uuid()), V::U(o.as_uuid())]),
        );
        tables.add(
            "measures",
            ["id", "office_id", "version", "updated_at", "data"],
            s.measures.iter().map(|m| {
                [
                    V::U(m.id.as_uuid()),
                    V::U(m.office_id.as_uuid()),
                    V::I(1),
                    V::T(m.updated_at),
                    V::S(&m.data),
                ]
            }),
        );
        self.write(tables)
            .await
            .map_err(db("cannot write offices and counselors"))
    }

    async fn batch(&mut self, b: &Batch, hash: &str, org: OrganisationId) -> Result<(), Failure> {
        let org = org.as_uuid();
        let mut tables = Tables::default();
        tables.add(USERS.0, USERS.1, b.users.iter().map(|p| user(p, org, hash)));
        tables.add(
            "clients",
            [
                "id",
                "office_id",
                "user_id",
                "name",
                "protected",
                "assigned_counselor",
                "created_at",
            ],
            b.clients.iter().map(|c| {
                [
                    V::U(c.id.as_uuid()),
                    V::U(c.office_id.as_uuid()),
                    V::U(c.user_id.as_uuid()),
                    V::S(&c.name),
                    V::B(c.protected),
                    V::U(c.counselor.as_uuid()),
                    V::T(c.created_at),
                ]
            }),
        );
        tables.add(
            "plan_items",
            [
                "id",
                "client_id",
                "kind",
                "version",
                "created_at",
                "updated_at",
                "data",
            ],
            b.items.iter().map(|i| {
                [
                    V::U(i.id.as_uuid()),
                    V::U(i.client_id.as_uuid()),
                    V::S(i.kind),
                    V::I(i.version),
                    V::T(i.created_at),
                    V::T(i.updated_at),
                    V::S(&i.data),
                ]
            }),
        );
        tables.add(
            "plan_history",
            [
                "id",
                "client_id",
                "item_id",
                "item_kind",
                "version",
                "at",
                "actor_id",
                "actor_role",
                "change",
                "before",
                "after",
            ],
            b.history.iter().map(|h| {
                [
                    V::U(h.id.as_uuid()),
                    V::U(h.client_id.as_uuid()),
                    V::U(h.item_id.as_uuid()),
                    V::S(h.item_kind),
                    V::I(h.version),
                    V::T(h.at),
                    V::U(h.actor_id.as_uuid()),
                    V::S(h.actor_role),
                    V::S(h.change),
                    opt(h.before.as_deref()),
                    V::S(&h.after),
                ]
            }),
        );
        self.write(tables).await.map_err(db("cannot write a batch"))
    }

    /// Generated threads and messages point only at rows that exist (the clients just read,
    /// their accounts and counselors); checking each reference row by row would make 60
    /// million messages take hours. SQLite: `PRAGMA foreign_keys = OFF` on this connection;
    /// PostgreSQL: `session_replication_role = replica` for this session (needs a superuser,
    /// otherwise the references are checked).
    async fn without_foreign_keys(&mut self) -> Result<(), Failure> {
        match self {
            Writer::Sqlite { conn, .. } => {
                sqlx::query("PRAGMA foreign_keys = OFF")
                    .execute(&mut *conn)
                    .await
                    .map_err(db("cannot configure the connection"))?;
            }
            Writer::Postgres(conn) => {
                if let Err(e) = sqlx::query("SET session_replication_role = replica")
                    .execute(&mut *conn)
                    .await
                {
                    eprintln!("references are checked row by row (slower): {e}");
                }
            }
        }
        Ok(())
    }

    async fn conversation(&mut self, b: &messages::ConversationBatch) -> Result<(), Failure> {
        let mut tables = Tables::default();
        tables.add(
            "threads",
            [
                "id",
                "client_id",
                "subject",
                "created_at",
                "last_message_at",
                "last_author_side",
                "no_answer_needed",
                "messages",
            ],
            b.threads.iter().map(|t| {
                [
                    V::U(t.id),
                    V::U(t.client),
                    V::S(t.subject),
                    V::T(t.created_at),
                    V::T(t.last_message_at),
                    V::S(t.last_side),
                    V::B(t.no_answer_needed),
                    V::I(t.messages),
                ]
            }),
        );
        tables.add(
            "messages",
            [
                "id",
                "thread_id",
                "client_id",
                "author_id",
                "author_side",
                "body",
                "sent_at",
                "read_at",
            ],
            b.messages.iter().map(|m| {
                [
                    V::U(m.id),
                    V::U(m.thread),
                    V::U(m.client),
                    V::U(m.author),
                    V::S(m.side),
                    V::S(&m.body),
                    V::T(m.sent_at),
                    m.read_at.map(V::T).unwrap_or(V::N),
                ]
            }),
        );
        self.write(tables)
            .await
            .map_err(db("cannot write a batch of messages"))
    }

    async fn finish_conversation(self) -> Result<(), Failure> {
        match self {
            Writer::Sqlite { .. } => self.finish().await,
            Writer::Postgres(mut conn) => {
                sqlx::query("VACUUM (ANALYZE) threads, messages")
                    .execute(&mut conn)
                    .await
                    .map_err(db("VACUUM ANALYZE failed"))?;
                let _ = conn.close().await;
                Ok(())
            }
        }
    }

    /// Writes all tables in one transaction, in order (foreign keys point backwards).
    async fn write(&mut self, tables: Tables<'_>) -> Result<(), sqlx::Error> {
        match self {
            Writer::Sqlite { conn, sql } => {
                let mut tx = conn.begin_with("BEGIN IMMEDIATE").await?;
                for t in &tables.0 {
                    sqlite_insert(&mut tx, sql, t).await?;
                }
                tx.commit().await
            }
            Writer::Postgres(conn) => {
                let mut tx = conn.begin().await?;
                for t in &tables.0 {
                    pg_copy(&mut tx, t).await?;
                }
                tx.commit().await
            }
        }
    }

    async fn finish(self) -> Result<(), Failure> {
        match self {
            Writer::Sqlite { mut conn, .. } => {
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(&mut conn)
                    .await
                    .map_err(db("checkpoint failed"))?;
                let _ = conn.close().await;
            }
            Writer::Postgres(mut conn) => {
                sqlx::query("VACUUM (ANALYZE)")
                    .execute(&mut conn)
                    .await
                    .map_err(db("VACUUM ANALYZE failed"))?;
                let _ = conn.close().await;
            }
        }
        Ok(())
    }

    async fn close(self) {
        match self {
            Writer::Sqlite { conn, .. } => {
                let _ = conn.close().await;
            }
            Writer::Postgres(conn) => {
                let _ = conn.close().await;
            }
        }
    }
}

const USERS: (&str, [&str; 7]) = (
    "users",
    [
        "id",
        "organisation_id",
        "username",
        "display_name",
        "password_hash",
        "disabled",
        "created_at",
    ],
);

fn user<'a>(p: &'a data::Person, org: Uuid, hash: &'a str) -> [V<'a>; 7] {
    [
        V::U(p.id.as_uuid()),
        V::U(org),
        V::S(&p.username),
        V::S(&p.display_name),
        V::S(hash),
        V::B(false),
        V::T(p.created_at),
    ]
}

/// One table's rows, flattened: `values.len() == rows * columns.len()`.
struct Table<'a> {
    name: &'static str,
    columns: Vec<&'static str>,
    values: Vec<V<'a>>,
}

#[derive(Default)]
struct Tables<'a>(Vec<Table<'a>>);

impl<'a> Tables<'a> {
    fn add<const N: usize>(
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

async fn sqlite_insert(
    conn: &mut SqliteConnection,
    cache: &mut HashMap<(&'static str, usize), String>,
    t: &Table<'_>,
) -> Result<(), sqlx::Error> {
    let n = t.columns.len();
    let per_statement = (SQLITE_VARIABLES / n).max(1);
    for chunk in t.values.chunks(per_statement * n) {
        let rows = chunk.len() / n;
        let sql = cache
            .entry((t.name, rows))
            .or_insert_with(|| {
                let one = format!("({})", vec!["?"; n].join(","));
                format!(
                    "INSERT INTO {} ({}) VALUES {}",
                    t.name,
                    t.columns.join(", "),
                    vec![one; rows].join(",")
                )
            })
            .clone();
        let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
        for v in chunk {
            q = match *v {
                V::S(s) => q.bind(s),
                V::U(u) => q.bind(u.hyphenated().to_string()),
                V::T(t) => q.bind((t.unix_timestamp_nanos() / 1_000) as i64),
                V::I(i) => q.bind(i),
                V::B(b) => q.bind(b as i64),
                V::N => q.bind(None::<String>),
            };
        }
        q.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Sends a table with `COPY … FROM STDIN` (text format), a few megabytes at a time.
async fn pg_copy(conn: &mut PgConnection, t: &Table<'_>) -> Result<(), sqlx::Error> {
    const FLUSH: usize = 4 << 20;
    let n = t.columns.len();
    let statement = format!("COPY {} ({}) FROM STDIN", t.name, t.columns.join(", "));
    let mut copy = conn.copy_in_raw(&statement).await?;
    let mut buf: Vec<u8> = Vec::with_capacity(FLUSH + (1 << 16));
    for row in t.values.chunks(n) {
        for (i, v) in row.iter().enumerate() {
            if i > 0 {
                buf.push(b'\t');
            }
            copy_value(&mut buf, v);
        }
        buf.push(b'\n');
        if buf.len() >= FLUSH {
            copy.send(std::mem::take(&mut buf)).await?;
            buf.reserve(FLUSH + (1 << 16));
        }
    }
    if !buf.is_empty() {
        copy.send(buf).await?;
    }
    copy.finish().await?;
    Ok(())
}

fn copy_value(buf: &mut Vec<u8>, v: &V<'_>) {
    match *v {
        V::S(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => buf.extend_from_slice(b"\\\\"),
                    b'\n' => buf.extend_from_slice(b"\\n"),
                    b'\r' => buf.extend_from_slice(b"\\r"),
                    b'\t' => buf.extend_from_slice(b"\\t"),
                    other => buf.push(other),
                }
            }
        }
        V::U(u) => {
            let mut tmp = Uuid::encode_buffer();
            buf.extend_from_slice(u.hyphenated().encode_lower(&mut tmp).as_bytes());
        }
        V::T(t) => {
            let t = t.to_offset(time::UtcOffset::UTC);
            let _ = write!(
                buf,
                "{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:06}+00",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.microsecond()
            );
        }
        V::I(i) => {
            let _ = write!(buf, "{i}");
        }
        V::B(b) => buf.push(if b { b't' } else { b'f' }),
        V::N => buf.extend_from_slice(b"\\N"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_and_formats() {
        let mut buf = vec![];
        copy_value(&mut buf, &V::S("a\tb\\c\nd"));
        assert_eq!(buf, b"a\\tb\\\\c\\nd");
        let mut buf = vec![];
        let t = time::macros::datetime!(2026-01-02 03:04:05.000007 UTC);
        copy_value(&mut buf, &V::T(t));
        assert_eq!(buf, b"2026-01-02 03:04:05.000007+00");
        let mut buf = vec![];
        copy_value(&mut buf, &V::N);
        assert_eq!(buf, b"\\N");
    }
}
