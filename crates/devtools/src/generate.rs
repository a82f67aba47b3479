//! `vendepunkt-dev generate`: writes an invented dataset in large transactions.
//!
//! Rows are built on a separate thread (see [`crate::data`]) while the previous batch is
//! written. Each batch of clients is one transaction: a client is either complete (account,
//! case, plan items and their history) or absent. Ctrl-C stops after the current batch.
//!
//! The rows go through [`crate::writer`] into the store crates' `bulk` modules (multi-row
//! `INSERT`s with `synchronous=OFF` on SQLite, `COPY` on PostgreSQL); at the end PostgreSQL
//! gets `VACUUM (ANALYZE)` so the benchmark does not race autovacuum.

use crate::config::Config;
use crate::data::{self, Batch, Setup, World};
use crate::disk;
use crate::messages;
use crate::progress::{Progress, duration_text};
use crate::writer::{Tables, V, Writer, db, opt, text};
use crate::{Backend, Failure, OpenMode, fail, open};
use domain::ids::OrganisationId;
use domain::ports::{Clock, PasswordHasher};
use domain::types::Secret;
use rand::SeedableRng;
use rand::rngs::StdRng;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;
use store_postgres::bulk as pg;
use store_sqlite::bulk as lite;
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
    /// Go on even when the disk seems to lack the space the dataset needs.
    pub no_disk_check: bool,
}

struct Existing {
    clients: i64,
    users: i64,
    offices: i64,
    gen_clients: i64,
    gen_counselors: i64,
    organisation: Option<OrganisationId>,
}

async fn existing(backend: &Backend) -> Result<Existing, String> {
    const CLIENTS: &str = "gen-client-%";
    const COUNSELORS: &str = "gen-counselor-%";
    let (held, gen_clients, gen_counselors, organisation) = match backend {
        Backend::Sqlite(s) => (
            lite::holdings(s)
                .await
                .map(|h| (h.clients, h.users, h.offices))
                .map_err(text)?,
            lite::count_users_like(s, CLIENTS).await.map_err(text)?,
            lite::count_users_like(s, COUNSELORS).await.map_err(text)?,
            lite::organisation_named(s, crate::texts::ORGANISATION)
                .await
                .map_err(text)?,
        ),
        Backend::Postgres(p) => (
            pg::holdings(p)
                .await
                .map(|h| (h.clients, h.users, h.offices))
                .map_err(text)?,
            pg::count_users_like(p, CLIENTS).await.map_err(text)?,
            pg::count_users_like(p, COUNSELORS).await.map_err(text)?,
            pg::organisation_named(p, crate::texts::ORGANISATION)
                .await
                .map_err(text)?,
        ),
    };
    Ok(Existing {
        clients: held.0,
        users: held.1,
        offices: held.2,
        gen_clients,
        gen_counselors,
        organisation,
    })
}

pub async fn run(config: &Config, o: Options) -> Result<(), Failure> {
    if o.clients == 0 {
        return Err(fail(2, "clients: give at least 1"));
    }
    let backend = open(config, OpenMode::Migrate).await?;
    let found = existing(&backend)
        .await
        .map_err(db("cannot count what the database holds"))?;
    let data_on = match &backend {
        Backend::Sqlite(_) => Some(disk::sqlite_folder(&config.database_url)),
        Backend::Postgres(p) => pg::data_directory(p)
            .await
            .ok()
            .map(std::path::PathBuf::from),
    };
    backend.close().await;
    let reusing = o.reuse && found.clients == o.clients as i64;
    if !reusing {
        check_disk(config, &o, data_on.as_deref())?;
    }
    if reusing {
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

/// Says how much disk the run needs and how much is free, and refuses to start (unless
/// `--no-disk-check`) when the free space is less.
fn check_disk(config: &Config, o: &Options, on: Option<&std::path::Path>) -> Result<(), Failure> {
    let need = disk::estimate(config, o.clients, o.messages);
    let free = on.and_then(disk::free_bytes);
    let what = format!(
        "{} clients need about {} of disk ({} bytes per client as measured at 1,000,000, plus a margin)",
        o.clients,
        disk::gigabytes(need),
        if config.is_postgres() {
            disk::POSTGRES_BYTES_PER_CLIENT
        } else {
            disk::SQLITE_BYTES_PER_CLIENT
        }
    );
    match (free, on) {
        (Some(free), Some(on)) if free < need && !o.no_disk_check => Err(fail(
            2,
            format!(
                "{what}, but only {} are free on {}; free some space, or pass --no-disk-check \
                 to go on anyway",
                disk::gigabytes(free),
                on.display()
            ),
        )),
        (Some(free), Some(on)) => {
            eprintln!("{what}; {} free on {}", disk::gigabytes(free), on.display());
            Ok(())
        }
        _ => {
            eprintln!("{what}; the free space on the database server is not known here");
            Ok(())
        }
    }
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
    // Every generated row points at rows of its own batch or of the setup, written before it
    // in the same or an earlier transaction.
    writer.without_foreign_keys().await?;
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
    // A document that cannot be compressed is stored as its JSON text, which the stores read
    // as well.
    let encode: Encoders = if config.is_postgres() {
        (
            |json| pg::encode_plan_document(json).unwrap_or_else(|_| json.as_bytes().to_vec()),
            |json, newer| {
                pg::encode_replaced_plan_document(json, newer)
                    .unwrap_or_else(|_| json.as_bytes().to_vec())
            },
        )
    } else {
        (
            |json| lite::encode_plan_document(json).unwrap_or_else(|_| json.as_bytes().to_vec()),
            |json, newer| {
                lite::encode_replaced_plan_document(json, newer)
                    .unwrap_or_else(|_| json.as_bytes().to_vec())
            },
        )
    };
    let producer =
        std::thread::spawn(move || produce(world, rng, first_client, total, batch, encode, tx));

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
        writer.finish(false, &[]).await?;
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
async fn parties(backend: &Backend) -> Result<(i64, Vec<messages::Party>), String> {
    let (count, parties) = match backend {
        Backend::Sqlite(s) => (
            lite::holdings(s).await.map_err(text)?.messages,
            lite::conversation_parties(s)
                .await
                .map_err(text)?
                .into_iter()
                .map(|p| messages::Party {
                    client: p.client.as_uuid(),
                    user: p.user.as_uuid(),
                    counselor: p.counselor.as_uuid(),
                    since: p.since,
                })
                .collect(),
        ),
        Backend::Postgres(p) => (
            pg::holdings(p).await.map_err(text)?.messages,
            pg::conversation_parties(p)
                .await
                .map_err(text)?
                .into_iter()
                .map(|p| messages::Party {
                    client: p.client.as_uuid(),
                    user: p.user.as_uuid(),
                    counselor: p.counselor.as_uuid(),
                    since: p.since,
                })
                .collect(),
        ),
    };
    Ok((count, parties))
}

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
        writer.finish(false, &["threads", "messages"]).await?;
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

/// The store's encoders of current and earlier plan documents.
type Encoders = (fn(&str) -> Vec<u8>, fn(&str, &str) -> Vec<u8>);

fn produce(
    world: World,
    mut rng: StdRng,
    first: u64,
    total: u64,
    batch: u64,
    encode: Encoders,
    tx: tokio::sync::mpsc::Sender<Batch>,
) {
    let mut done = 0;
    while done < total {
        let count = batch.min(total - done);
        let mut b = world.batch(&mut rng, first + done, count);
        b.encode(encode.0, encode.1);
        if tx.blocking_send(b).is_err() {
            return;
        }
        done += count;
    }
}

// ----- writing -----

impl Writer {
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
                "due",
            ],
            b.items.iter().map(|i| {
                [
                    V::U(i.id.as_uuid()),
                    V::U(i.client_id.as_uuid()),
                    V::S(i.kind),
                    V::I(i.version),
                    V::T(i.created_at),
                    V::T(i.updated_at),
                    V::X(&i.stored),
                    opt(i.due.as_deref()),
                ]
            }),
        );
        tables.add(
            "plan_history",
            [
                "item_id",
                "version",
                "at",
                "actor_id",
                "actor_role",
                "change",
                "before",
            ],
            b.history.iter().map(|h| {
                [
                    V::U(h.item_id.as_uuid()),
                    V::I(h.version),
                    V::T(h.at),
                    V::U(h.actor_id.as_uuid()),
                    V::S(h.actor_role),
                    V::S(h.change),
                    h.stored_before.as_deref().map(V::X).unwrap_or(V::N),
                ]
            }),
        );
        self.write(tables).await.map_err(db("cannot write a batch"))
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
