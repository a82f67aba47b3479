//! `vendepunkt-dev bench-insights`: the leader dashboard on a large feedback dataset.
//!
//! 1. **Generate** (unless the database already holds exactly this dataset): one
//!    organisation with `offices` offices, 4 teams, 10 counselors and a leader each, 600
//!    clients per office, and about `responses` feedback responses spread over the 8
//!    published quarters (about 70 % of client-quarters answer, 3–5 times; every
//!    client-quarter has an invitation; 10 % of items skipped; 70 % shared), written in bulk:
//!    through [`crate::writer`] (multi-row `INSERT`s with `synchronous=OFF` on SQLite,
//!    `COPY` on PostgreSQL, the SQL in the store crates' `bulk` modules), a few
//!    offices per transaction. Progress shows the rate and the time left; Ctrl-C stops after
//!    the current batch (whole offices only; the measurement then refuses to run).
//!    No audit rows and no client accounts are written: this is benchmark data only.
//! 2. **Measure**: the real application is served on a loopback port in this process, with
//!    the configured store; sessions for the leaders (and one counselor per office) are
//!    stored through the `Store` port. With the summary of settled quarters emptied, every
//!    leader's first view (it builds the office's summary); then the worker's part fills the
//!    summary from empty (timed); then, after a warm-up, `requests` requests `GET /insights`
//!    to random leaders and `requests` requests `GET /caseload/feedback` to random
//!    counselors, one at a time. p50/p95/p99/max are printed as Markdown table rows.

use crate::config::Config;
use crate::progress::{duration_text, progress_line};
use crate::writer::{self, Tables, Writer, db};
use crate::{Backend, Failure, OpenMode, fail, open, port};
use domain::accounts::store::SessionRecord;
use domain::feedback::Quarter;
use domain::ids::UserId;
use domain::insights::published_quarters;
use domain::ports::{Clock, Store};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use store_postgres::bulk as pg;
use store_sqlite::bulk as lite;
use uuid::Uuid;

pub struct Options {
    pub offices: u64,
    pub responses: u64,
    pub requests: usize,
    pub seed: u64,
    pub label: String,
    pub header: bool,
}

const TEAMS: usize = 4;
const COUNSELORS: usize = 10;
const CLIENTS: usize = 600;
const ORGANISATION: &str = "Insight benchmark (invented)";
/// Office-quarters per round of the summary worker, as `vendepunkt serve` runs it
/// (`crates/vendepunkt/src/summary.rs`).
const SUMMARY_BATCH: u64 = 8;

/// A value for either database.
#[derive(Clone)]
enum V {
    Id(Uuid),
    Text(String),
    Int(i64),
    Bool(bool),
    /// Microseconds since the epoch.
    Time(i64),
    Null,
}

struct Table {
    name: &'static str,
    columns: &'static [&'static str],
    rows: Vec<Vec<V>>,
}

impl Table {
    fn new(name: &'static str, columns: &'static [&'static str]) -> Table {
        Table {
            name,
            columns,
            rows: Vec::new(),
        }
    }
}

/// The insights tables as the generators' neutral rows (times as microseconds here).
fn neutral(tables: &[Table]) -> Tables<'_> {
    Tables(
        tables
            .iter()
            .filter(|t| !t.rows.is_empty())
            .map(|t| writer::Table {
                name: t.name,
                columns: t.columns.to_vec(),
                values: t
                    .rows
                    .iter()
                    .flatten()
                    .map(|v| match v {
                        V::Id(u) => writer::V::U(*u),
                        V::Text(s) => writer::V::S(s),
                        V::Int(i) => writer::V::I(*i),
                        V::Bool(b) => writer::V::B(*b),
                        V::Time(micros) => writer::V::T(
                            time::OffsetDateTime::from_unix_timestamp_nanos(
                                i128::from(*micros) * 1_000,
                            )
                            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH),
                        ),
                        V::Null => writer::V::N,
                    })
                    .collect(),
            })
            .collect(),
    )
}

/// Feedback responses and benchmark offices (one leader each) already in the database.
async fn held(backend: &Backend) -> Result<(i64, i64), Failure> {
    const LEADERS: &str = "insight-leader-%";
    match backend {
        Backend::Sqlite(s) => Ok((
            lite::holdings(s)
                .await
                .map_err(db("cannot count rows"))?
                .feedback_responses,
            lite::count_users_like(s, LEADERS)
                .await
                .map_err(db("cannot count rows"))?,
        )),
        Backend::Postgres(p) => Ok((
            pg::holdings(p)
                .await
                .map_err(db("cannot count rows"))?
                .feedback_responses,
            pg::count_users_like(p, LEADERS)
                .await
                .map_err(db("cannot count rows"))?,
        )),
    }
}

pub async fn run(config: &Config, o: Options) -> Result<(), Failure> {
    if o.offices == 0 || o.responses == 0 {
        return Err(fail(2, "offices and responses: give at least 1"));
    }
    let backend = open(config, OpenMode::Migrate).await?;
    let (responses, offices) = held(&backend).await?;
    if responses == 0 && offices == 0 {
        backend.close().await;
        let complete = generate(config, &o).await?;
        if !complete {
            return Err(fail(
                130,
                "interrupted: whole offices were written, but the dataset is incomplete; \
                 delete the database and run again to measure",
            ));
        }
    } else if offices as u64 != o.offices {
        return Err(fail(
            2,
            format!(
                "the database already holds {responses} feedback responses and {offices} \
                 benchmark offices, not the {} asked for; use an empty database",
                o.offices
            ),
        ));
    } else {
        eprintln!("reusing {responses} responses in {offices} offices");
        backend.close().await;
    }
    measure(config, &o).await
}

/// Writes the dataset; `false` when interrupted.
async fn generate(config: &Config, o: &Options) -> Result<bool, Failure> {
    let started = Instant::now();
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = {
        let stop = stop.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                stop.store(true, Ordering::SeqCst);
                eprintln!("stopping after the current batch …");
            }
        })
    };
    let now = web::SystemClock.now();
    let micros = (now.unix_timestamp_nanos() / 1_000) as i64;
    let quarters: Vec<Quarter> = published_quarters(now);
    let mut rng = StdRng::seed_from_u64(o.seed);
    let mut conn = Writer::open(config).await?;

    let org = Uuid::now_v7();
    let instrument = "insight-benchmark";
    let mut head = vec![
        Table::new("organisations", &["id", "name", "created_at"]),
        Table::new(
            "feedback_instruments",
            &[
                "id",
                "version",
                "organisation_id",
                "definition",
                "created_at",
            ],
        ),
    ];
    head[0].rows.push(vec![
        V::Id(org),
        V::Text(ORGANISATION.into()),
        V::Time(micros),
    ]);
    head[1].rows.push(vec![
        V::Text(instrument.into()),
        V::Int(1),
        V::Id(org),
        V::Text("{}".into()),
        V::Time(micros),
    ]);
    conn.write(neutral(&head))
        .await
        .map_err(db("cannot write the organisation"))?;

    // Responses per office, spread over about 70 % of the client-quarters.
    let per_office = o.responses / o.offices;
    let extra = o.responses % o.offices;
    let batch_offices = 4u64;
    let mut written: u64 = 0;
    let mut office_no: u64 = 0;
    let mut last_report = Instant::now();
    while office_no < o.offices {
        if stop.load(Ordering::SeqCst) {
            break;
        }
        let mut t = [
            Table::new("offices", &["id", "organisation_id", "name", "created_at"]),
            Table::new("teams", &["id", "office_id", "name", "created_at"]),
            Table::new(
                "users",
                &[
                    "id",
                    "organisation_id",
                    "username",
                    "display_name",
                    "password_hash",
                    "disabled",
                    "created_at",
                ],
            ),
            Table::new("role_grants", &["user_id", "role", "office_id"]),
            Table::new(
                "clients",
                &[
                    "id",
                    "office_id",
                    "user_id",
                    "name",
                    "protected",
                    "assigned_counselor",
                    "created_at",
                ],
            ),
            Table::new(
                "feedback_responses",
                &[
                    "id",
                    "client_id",
                    "author_id",
                    "office_id",
                    "team_id",
                    "counselor_id",
                    "instrument_id",
                    "instrument_version",
                    "meeting_id",
                    "quarter",
                    "answered_at",
                    "changeable_until",
                    "shared_with_counselor",
                    "theme_relation",
                    "theme_reciprocity",
                    "theme_choices",
                    "theme_time",
                    "theme_knowledge",
                    "theme_knowledge_sharing",
                    "answers",
                ],
            ),
            Table::new(
                "feedback_invitations",
                &[
                    "id",
                    "client_id",
                    "office_id",
                    "team_id",
                    "counselor_id",
                    "quarter",
                    "reason",
                    "meeting_id",
                    "invited_at",
                    "state",
                    "closed_at",
                ],
            ),
        ];
        let end = (office_no + batch_offices).min(o.offices);
        for n in office_no..end {
            let office = Uuid::now_v7();
            t[0].rows.push(vec![
                V::Id(office),
                V::Id(org),
                V::Text(format!("Kontor {:03}", n + 1)),
                V::Time(micros),
            ]);
            let teams: Vec<Uuid> = (0..TEAMS).map(|_| Uuid::now_v7()).collect();
            for (i, team) in teams.iter().enumerate() {
                t[1].rows.push(vec![
                    V::Id(*team),
                    V::Id(office),
                    V::Text(format!("Team {}", i + 1)),
                    V::Time(micros),
                ]);
            }
            let mut person = |username: String, role: &str| {
                let id = Uuid::now_v7();
                t[2].rows.push(vec![
                    V::Id(id),
                    V::Id(org),
                    V::Text(username.clone()),
                    V::Text(format!("Person {username}")),
                    V::Null,
                    V::Bool(false),
                    V::Time(micros),
                ]);
                t[3].rows
                    .push(vec![V::Id(id), V::Text(role.into()), V::Id(office)]);
                id
            };
            let counselors: Vec<Uuid> = (0..COUNSELORS)
                .map(|i| person(format!("insight-counselor-{}-{i}", n + 1), "counselor"))
                .collect();
            person(format!("insight-leader-{}", n + 1), "leader");
            let target = per_office + u64::from(n < extra);
            // How many responses each answering client-quarter gets, on average.
            let answering = (CLIENTS * quarters.len()) as f64 * 0.7;
            let per_answer = target as f64 / answering;
            let mut office_responses = 0u64;
            for c in 0..CLIENTS {
                let client = Uuid::now_v7();
                let counselor = counselors[c % COUNSELORS];
                let team = teams[(c / 7) % TEAMS];
                let level: i64 = rng.random_range(3..=9);
                t[4].rows.push(vec![
                    V::Id(client),
                    V::Id(office),
                    V::Null,
                    V::Text(format!("Klient {}-{c}", n + 1)),
                    V::Bool(false),
                    V::Id(counselor),
                    V::Time(micros),
                ]);
                for q in &quarters {
                    let quarter = V::Text(q.to_string());
                    // Now and then a client moves team or counselor within a quarter.
                    let moved = rng.random_bool(0.05);
                    let (team_now, counselor_now) = if moved {
                        (
                            teams[rng.random_range(0..TEAMS)],
                            counselors[rng.random_range(0..COUNSELORS)],
                        )
                    } else {
                        (team, counselor)
                    };
                    t[6].rows.push(vec![
                        V::Id(Uuid::now_v7()),
                        V::Id(client),
                        V::Id(office),
                        V::Id(team),
                        V::Id(counselor),
                        quarter.clone(),
                        V::Text("monthly".into()),
                        V::Null,
                        V::Time(micros),
                        V::Text("answered".into()),
                        V::Null,
                    ]);
                    if !rng.random_bool(0.7) {
                        continue;
                    }
                    let k = (per_answer + rng.random_range(-1.0..1.0)).round().max(1.0) as u64;
                    let k = k.min(target.saturating_sub(office_responses));
                    for i in 0..k {
                        let (tm, co) = if i == 0 {
                            (team, counselor)
                        } else {
                            (team_now, counselor_now)
                        };
                        let mut row = vec![
                            V::Id(Uuid::now_v7()),
                            V::Id(client),
                            V::Id(counselor),
                            V::Id(office),
                            V::Id(tm),
                            V::Id(co),
                            V::Text(instrument.into()),
                            V::Int(1),
                            V::Null,
                            quarter.clone(),
                            V::Time(micros),
                            V::Time(micros),
                            V::Bool(rng.random_bool(0.7)),
                        ];
                        for _ in 0..6 {
                            row.push(if rng.random_bool(0.1) {
                                V::Null
                            } else {
                                V::Int((level + rng.random_range(-2..=2)).clamp(0, 10))
                            });
                        }
                        row.push(V::Text("{}".into()));
                        t[5].rows.push(row);
                    }
                    office_responses += k;
                }
            }
            written += office_responses;
        }
        conn.write(neutral(&t))
            .await
            .map_err(db("cannot write a batch"))?;
        office_no = end;
        if last_report.elapsed() > Duration::from_secs(5) || office_no == o.offices {
            eprintln!(
                "{} (offices {office_no} of {})",
                progress_line("responses", written, o.responses, started.elapsed()),
                o.offices
            );
            last_report = Instant::now();
        }
    }
    watcher.abort();
    let complete = office_no == o.offices;
    if complete {
        eprintln!("finishing (SQLite: ANALYZE and checkpoint; PostgreSQL: VACUUM ANALYZE) …");
        conn.finish(true, &[]).await?;
    } else {
        conn.close().await;
    }
    eprintln!(
        "{written} responses in {office_no} offices written in {}",
        duration_text(started.elapsed())
    );
    Ok(complete)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1_000.0)
}

/// Empties the summary of settled quarters (the measurement builds it).
async fn clear_summaries(backend: &Backend) -> Result<(), Failure> {
    match backend {
        Backend::Sqlite(s) => lite::clear_quarter_summaries(s).await,
        Backend::Postgres(p) => pg::clear_quarter_summaries(p).await,
    }
    .map_err(db("cannot empty the summary of settled quarters"))
}

/// Benchmark users by username pattern.
async fn users_like(backend: &Backend, pattern: &'static str) -> Result<Vec<UserId>, Failure> {
    match backend {
        Backend::Sqlite(s) => lite::users_like(s, pattern).await,
        Backend::Postgres(p) => pg::users_like(p, pattern).await,
    }
    .map_err(db("cannot list benchmark users"))
}

/// Latencies of one kind of request, as a Markdown table row.
fn row(label: &str, responses: i64, offices: usize, page: &str, times: &mut [Duration]) -> String {
    times.sort();
    format!(
        "| {label} | {responses} | {offices} | {page} | {} | {} | {} | {} | {} |",
        times.len(),
        ms(percentile(times, 0.50)),
        ms(percentile(times, 0.95)),
        ms(percentile(times, 0.99)),
        ms(percentile(times, 1.0)),
    )
}

/// Measures, in this order: every leader's first view with no summary stored (each office's
/// 8 quarters are grouped and stored during the request), the worker filling the summary from
/// empty, then `requests` warm leader views and `requests` counselor views
/// (`/caseload/feedback`, one counselor per office).
async fn measure(config: &Config, o: &Options) -> Result<(), Failure> {
    let backend = open(config, OpenMode::Existing).await?;
    let leaders = users_like(&backend, "insight-leader-%").await?;
    let counselors = users_like(&backend, "insight-counselor-%-0").await?;
    let (responses, _) = held(&backend).await?;
    let store: Arc<dyn Store> = match &backend {
        Backend::Sqlite(s) => Arc::new(s.clone()),
        Backend::Postgres(p) => Arc::new(p.clone()),
    };
    let clock: Arc<dyn Clock> = Arc::new(web::SystemClock);
    let now = clock.now();
    let mut rng = StdRng::seed_from_u64(o.seed);
    let mut all = Vec::with_capacity(leaders.len() + counselors.len());
    for u in leaders.iter().chain(counselors.iter()) {
        let token = domain::accounts::new_token();
        store
            .create_session(SessionRecord {
                token_hash: domain::accounts::token_hash(&token),
                user_id: *u,
                created_at: now,
                last_seen_at: now,
            })
            .await
            .map_err(|e| port("cannot create a session", e))?;
        all.push(token);
    }
    let counselor_tokens = all.split_off(leaders.len());
    let tokens = all;
    let state = web::AppState::new(
        store.clone(),
        clock.clone(),
        Arc::new(web::Argon2Hasher::for_tests()),
        web::WebSettings::default(),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(|e| fail(1, format!("cannot listen: {e}")))?;
    let addr = listener
        .local_addr()
        .map_err(|e| fail(1, format!("cannot listen: {e}")))?;
    let server = tokio::spawn(async move {
        let _ = axum::serve(
            listener,
            web::app(state).into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .await;
    });
    let http = reqwest::Client::new();
    let leader_url = format!("http://{addr}/insights");
    let counselor_url = format!("http://{addr}/caseload/feedback");
    // One timed request; fails unless it answers 200 with the whole page read.
    let timed = |url: &str, token: &domain::types::Secret| {
        let req = http
            .get(url)
            .header("cookie", format!("vp_session={}", token.expose()));
        let url = url.to_string();
        async move {
            let t = Instant::now();
            let r = req
                .send()
                .await
                .map_err(|e| fail(1, format!("request failed: {e}")))?;
            let status = r.status();
            let _ = r.bytes().await;
            let took = t.elapsed();
            if status != reqwest::StatusCode::OK {
                return Err(fail(1, format!("GET {url} answered {status}")));
            }
            Ok::<Duration, Failure>(took)
        }
    };

    // 1. First views with no summary: every leader once, in random order.
    clear_summaries(&backend).await?;
    let mut order: Vec<usize> = (0..tokens.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, rng.random_range(0..=i));
    }
    let mut cold = Vec::with_capacity(order.len());
    for &i in &order {
        cold.push(timed(&leader_url, &tokens[i]).await?);
    }

    // 2. The worker's part, from an empty summary, as `serve` runs it.
    clear_summaries(&backend).await?;
    let started = Instant::now();
    let mut built = 0u64;
    loop {
        let done = domain::insights::summarise_settled(store.as_ref(), clock.now(), SUMMARY_BATCH)
            .await
            .map_err(|e| fail(1, format!("summarising failed: {e:?}")))?;
        built += done.built;
        if !done.more {
            break;
        }
    }
    let worker = started.elapsed();
    eprintln!(
        "summary of settled quarters: {built} office-quarters in {} ({:.1} ms each)",
        duration_text(worker),
        worker.as_secs_f64() * 1_000.0 / built.max(1) as f64
    );

    // 3. Warm leader views (the summary stored, as in production after the worker has run).
    for token in tokens.iter().take(50) {
        timed(&leader_url, token).await?;
    }
    let mut warm = Vec::with_capacity(o.requests);
    let started = Instant::now();
    for n in 0..o.requests {
        let i = rng.random_range(0..tokens.len());
        warm.push(timed(&leader_url, &tokens[i]).await?);
        if (n + 1) % 500 == 0 {
            eprintln!(
                "{}",
                progress_line(
                    "requests",
                    n as u64 + 1,
                    o.requests as u64,
                    started.elapsed()
                )
            );
        }
    }

    // 4. Counselors' own figures against the office, warm.
    let mut own = Vec::with_capacity(o.requests);
    let started = Instant::now();
    if !counselor_tokens.is_empty() {
        for n in 0..o.requests {
            let i = rng.random_range(0..counselor_tokens.len());
            own.push(timed(&counselor_url, &counselor_tokens[i]).await?);
            if (n + 1) % 500 == 0 {
                eprintln!(
                    "{}",
                    progress_line(
                        "counselor requests",
                        n as u64 + 1,
                        o.requests as u64,
                        started.elapsed()
                    )
                );
            }
        }
    }
    server.abort();
    for l in tokens.iter().chain(counselor_tokens.iter()) {
        let _ = store.delete_session(&domain::accounts::token_hash(l)).await;
    }
    if o.header {
        println!(
            "| database | responses | offices | page | requests | p50 ms | p95 ms | p99 ms | max ms |"
        );
        println!("|---|---|---|---|---|---|---|---|---|");
    }
    let n = leaders.len();
    println!(
        "{}",
        row(&o.label, responses, n, "GET /insights (leader)", &mut warm)
    );
    println!(
        "{}",
        row(
            &o.label,
            responses,
            n,
            "GET /insights (leader), first view, no summary",
            &mut cold
        )
    );
    println!(
        "{}",
        row(
            &o.label,
            responses,
            n,
            "GET /caseload/feedback (counselor)",
            &mut own
        )
    );
    backend.close().await;
    Ok(())
}
