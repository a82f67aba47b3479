//! `vendepunkt-dev bench-send`: how long sending a message takes on a running server, with
//! several senders at once. Each send is a real answer in an existing thread —
//! `POST /clients/{id}/messages/{thread}` as the client or as their counselor, through the
//! use case that checks access, stores the message, its audit row and its live-event row (the
//! notice outbox reads those) in one transaction — timed at the client until the server's
//! `303` answer (an upper bound of the server's time).
//!
//! Sessions for a sample of clients with threads and their counselors are inserted through
//! the `Store` port and removed at the end.

use crate::bench::{Series, sample};
use crate::config::Config;
use crate::messages;
use crate::progress::{Progress, duration_text};
use crate::writer::db;
use crate::{Backend, Failure, OpenMode, fail, open, port};
use domain::accounts::store::SessionRecord;
use domain::ids::ClientId;
use domain::ports::Clock;
use domain::types::Secret;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};
use store_postgres::bulk as pg;
use store_sqlite::bulk as lite;

pub struct Options {
    pub base_url: String,
    pub samples: usize,
    pub sends: usize,
    pub concurrency: usize,
    /// Sends per second (open loop); 0: each sender sends again at once (closed loop).
    pub rate: f64,
    pub seed: u64,
    pub label: String,
}

struct Party {
    client: domain::ids::ClientId,
    threads: Vec<String>,
    client_token: Secret,
    counselor_token: Secret,
}

/// The client's most recently active threads (answers mostly go to those).
async fn recent_threads(backend: &Backend, client: ClientId) -> Result<Vec<String>, Failure> {
    let threads = match backend {
        Backend::Sqlite(s) => lite::recent_threads(s, client, 5).await,
        Backend::Postgres(p) => pg::recent_threads(p, client, 5).await,
    }
    .map_err(db("cannot read threads"))?;
    Ok(threads.iter().map(|t| t.to_string()).collect())
}

/// Messages in the database (-1 if they cannot be counted).
async fn messages_held(backend: &Backend) -> i64 {
    match backend {
        Backend::Sqlite(s) => lite::holdings(s).await.map(|h| h.messages).unwrap_or(-1),
        Backend::Postgres(p) => pg::holdings(p).await.map(|h| h.messages).unwrap_or(-1),
    }
}

pub async fn run(config: &Config, o: Options) -> Result<(), Failure> {
    let backend = open(config, OpenMode::Existing).await?;
    let store = backend.store();
    eprintln!("counting messages and sampling {} clients …", o.samples);
    let messages_before = messages_held(&backend).await;
    let (total_clients, sampled) = sample(&backend, o.samples, o.seed).await?;
    let now = web::SystemClock.now();
    let mut parties = vec![];
    for s in &sampled {
        let threads = recent_threads(&backend, s.client).await?;
        if threads.is_empty() {
            continue;
        }
        let client_token = domain::accounts::new_token();
        let counselor_token = domain::accounts::new_token();
        for (token, user) in [
            (&client_token, s.client_user),
            (&counselor_token, s.counselor),
        ] {
            store
                .create_session(SessionRecord {
                    token_hash: domain::accounts::token_hash(token),
                    user_id: user,
                    created_at: now,
                    last_seen_at: now,
                })
                .await
                .map_err(|e| port("cannot create a session", e))?;
        }
        parties.push(Party {
            client: s.client,
            threads,
            client_token,
            counselor_token,
        });
    }
    let parties = Arc::new(parties);
    let outcome = if parties.is_empty() {
        Err(fail(
            1,
            "no sampled client has a thread; run `vendepunkt-dev generate --messages N` first",
        ))
    } else {
        measure(config, &o, parties.clone()).await
    };
    let messages_after = messages_held(&backend).await;
    for p in parties.iter() {
        for token in [&p.client_token, &p.counselor_token] {
            let _ = store
                .delete_session(&domain::accounts::token_hash(token))
                .await;
        }
    }
    drop(store);
    backend.close().await;
    let series = outcome?;

    let label = if !o.label.is_empty() {
        o.label.as_str()
    } else if config.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    println!(
        "| database | clients | messages in db | senders | rate asked /s | sends | p50 ms | p95 ms | p99 ms | max ms | sends/s | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    let rate = if o.rate > 0.0 {
        format!("{:.0}", o.rate)
    } else {
        "as fast as answered".into()
    };
    println!(
        "| {label} | {total_clients} | {messages_before} | {} | {rate} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.0} | {} |",
        o.concurrency,
        series.latencies.len(),
        series.percentile(0.50),
        series.percentile(0.95),
        series.percentile(0.99),
        series.percentile(1.0),
        series.bytes as f64,
        series.errors.len(),
    );
    eprintln!(
        "{} sampled clients with threads; messages in the database: {messages_before} before, {messages_after} after",
        parties.len()
    );
    if let Some(e) = series.errors.first() {
        return Err(fail(
            1,
            format!("{} sends failed; the first: {e}", series.errors.len()),
        ));
    }
    Ok(())
}

/// Runs the warm-up and the measured sends; `Series::bytes` carries the sends per second.
async fn measure(
    config: &Config,
    o: &Options,
    parties: Arc<Vec<Party>>,
) -> Result<Series, Failure> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(o.concurrency.max(1) * 2)
        .build()
        .map_err(|e| fail(1, format!("cannot build the HTTP client: {e}")))?;
    let names = web::edge::context::cookie_names(config.secure_cookies());
    let base = o.base_url.trim_end_matches('/').to_string();
    let sender = Arc::new(Sender {
        http,
        base,
        session: names.session,
    });

    // Warm-up: code paths, pools, the top of the indexes (not recorded).
    let mut rng = StdRng::seed_from_u64(o.seed.wrapping_add(2));
    let mut scratch = Series::default();
    for _ in 0..20 {
        sender.send(&parties, &mut rng, None, &mut scratch).await;
    }
    if let Some(e) = scratch.errors.first() {
        return Err(fail(1, format!("warm-up failed: {e}")));
    }

    let started = Instant::now();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Result<Duration, String>>();
    let workers = o.concurrency.max(1);
    let mut tasks = vec![];
    // Open loop (`--rate`): send n is due at start + n / rate, whoever is free takes it, and
    // its time counts from when it was due (a send that had to wait for a free sender counts
    // the wait). Closed loop (no rate): each sender sends again as soon as it has its answer.
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let interval = (o.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / o.rate));
    for w in 0..workers {
        let sender = sender.clone();
        let parties = parties.clone();
        let tx = tx.clone();
        let next = next.clone();
        let total = o.sends;
        let mut rng = StdRng::seed_from_u64(o.seed.wrapping_mul(31).wrapping_add(w as u64 + 3));
        tasks.push(tokio::spawn(async move {
            loop {
                let n = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                if n >= total {
                    return;
                }
                let due = interval.map(|i| started + i * n as u32);
                if let Some(due) = due {
                    tokio::time::sleep_until(due.into()).await;
                }
                let mut one = Series::default();
                sender.send(&parties, &mut rng, due, &mut one).await;
                let r = match (one.latencies.first(), one.errors.first()) {
                    (Some(t), _) => Ok(*t),
                    (_, Some(e)) => Err(e.clone()),
                    _ => Err("no outcome".into()),
                };
                if tx.send(r).is_err() {
                    return;
                }
            }
        }));
    }
    drop(tx);
    let mut series = Series::default();
    let mut progress = Progress::new("sends", o.sends as u64, started);
    let mut done = 0u64;
    while let Some(r) = rx.recv().await {
        match r {
            Ok(t) => series.latencies.push(t),
            Err(e) => series.errors.push(e),
        }
        done += 1;
        progress.report(done);
    }
    for t in tasks {
        let _ = t.await;
    }
    let took = started.elapsed();
    series.bytes = (series.latencies.len() as f64 / took.as_secs_f64().max(1e-9)) as u64;
    eprintln!("{done} sends in {}", duration_text(took));
    Ok(series)
}

struct Sender {
    http: reqwest::Client,
    base: String,
    session: &'static str,
}

impl Sender {
    /// One answer in a random recent thread of a random sampled client, by the client or by
    /// their counselor (half each).
    /// The time counts from `due` when given (open loop), else from the start of the request.
    async fn send(
        &self,
        parties: &[Party],
        rng: &mut StdRng,
        due: Option<Instant>,
        series: &mut Series,
    ) {
        let p = &parties[rng.random_range(0..parties.len())];
        let thread = &p.threads[rng.random_range(0..p.threads.len())];
        let by_client = rng.random_bool(0.5);
        let (token, side) = if by_client {
            (&p.client_token, "client")
        } else {
            (&p.counselor_token, "counselor")
        };
        let body = messages::body(rng, side);
        let url = format!("{}/clients/{}/messages/{thread}", self.base, p.client);
        let cookie = format!("{}={}", self.session, token.expose());
        // The CSRF token of this session, as its pages carry it.
        let csrf = domain::accounts::session_csrf_token(token);
        let t0 = due.unwrap_or_else(Instant::now);
        let sent = self
            .http
            .post(&url)
            .header(reqwest::header::COOKIE, cookie)
            .form(&[("csrf_token", csrf.as_str()), ("body", body.as_str())])
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == reqwest::StatusCode::SEE_OTHER => {
                series.latencies.push(t0.elapsed());
            }
            Ok(r) => series.errors.push(format!("send: HTTP {}", r.status())),
            Err(e) => series.errors.push(format!("send: {e}")),
        }
    }
}
