//! `vendepunkt-dev bench`: page latency of a running server, measured at the client over
//! loopback (an upper bound of the server's time), one request at a time.
//!
//! Sessions for a sample of clients and their assigned counselors are inserted through the
//! `Store` port (as a login would create them) and removed at the end. After a warm-up, each
//! sampled client's two pages are visited once ("first visit"), then `requests` requests per
//! page go to randomly chosen sampled clients: `GET /me` as the client and
//! `GET /clients/{id}` as their counselor (which writes an audit row, as in real use).

use crate::config::Config;
use crate::progress::{Progress, duration_text};
use crate::writer::db;
use crate::{Backend, Failure, OpenMode, fail, open, port};
use domain::accounts::store::SessionRecord;
use domain::ids::{ClientId, UserId};
use domain::ports::Clock;
use domain::types::Secret;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use std::time::{Duration, Instant};
use store_postgres::bulk as pg;
use store_sqlite::bulk as lite;

pub struct Options {
    pub base_url: String,
    pub samples: usize,
    pub requests: usize,
    pub seed: u64,
    pub label: String,
    pub header: bool,
}

pub(super) struct Sampled {
    pub(super) client: ClientId,
    pub(super) client_user: UserId,
    pub(super) counselor: UserId,
}

struct Visitor {
    client: ClientId,
    client_token: Secret,
    counselor_token: Secret,
}

/// Unprotected clients with an account and an assigned counselor, chosen at random (the
/// same ones for the same seed and data). Protected clients are left out: their page asks
/// the counselor for a reason first.
pub(super) async fn sample(
    backend: &Backend,
    n: usize,
    seed: u64,
) -> Result<(i64, Vec<Sampled>), Failure> {
    let mut rng = StdRng::seed_from_u64(seed);
    let (total, rows) = match backend {
        Backend::Sqlite(s) => lite::sample_clients(s, n, &mut |max| rng.random_range(1..=max))
            .await
            .map_err(db("cannot sample clients"))?,
        Backend::Postgres(p) => {
            let (total, mut rows) = pg::sample_clients(p, n, seed)
                .await
                .map_err(db("cannot sample clients"))?;
            rows.shuffle(&mut rng);
            rows.truncate(n);
            (total, rows)
        }
    };
    let sampled = rows
        .into_iter()
        .map(|(client, client_user, counselor)| Sampled {
            client,
            client_user,
            counselor,
        })
        .collect();
    Ok((total, sampled))
}

#[derive(Default)]
pub(super) struct Series {
    pub(super) latencies: Vec<Duration>,
    pub(super) bytes: u64,
    pub(super) errors: Vec<String>,
}

impl Series {
    pub(super) fn percentile(&self, p: f64) -> f64 {
        let mut v = self.latencies.clone();
        v.sort();
        if v.is_empty() {
            return f64::NAN;
        }
        let rank = ((p * v.len() as f64).ceil() as usize).clamp(1, v.len());
        v[rank - 1].as_secs_f64() * 1_000.0
    }
}

async fn get(
    http: &reqwest::Client,
    url: &str,
    cookie: &str,
    series: &mut Series,
) -> Result<(), String> {
    let started = Instant::now();
    let result = async {
        let r = http
            .get(url)
            .header(reqwest::header::COOKIE, cookie)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        let status = r.status();
        let body = r.bytes().await.map_err(|e| e.to_string())?;
        if status != reqwest::StatusCode::OK {
            return Err(format!("{url}: HTTP {status}"));
        }
        Ok(body.len())
    }
    .await;
    let took = started.elapsed();
    match result {
        Ok(len) => {
            series.latencies.push(took);
            series.bytes += len as u64;
            Ok(())
        }
        Err(e) => {
            series.errors.push(e.clone());
            Err(e)
        }
    }
}

pub async fn run(config: &Config, o: Options) -> Result<(), Failure> {
    let backend = open(config, OpenMode::Existing).await?;
    let store = backend.store();
    eprintln!("sampling {} clients …", o.samples);
    let (total_clients, sampled) = sample(&backend, o.samples, o.seed).await?;
    if sampled.is_empty() {
        return Err(fail(
            1,
            "no client with an account and a counselor to sample; run `vendepunkt-dev generate` first",
        ));
    }
    let now = web::SystemClock.now();
    let mut visitors = vec![];
    for s in &sampled {
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
        visitors.push(Visitor {
            client: s.client,
            client_token,
            counselor_token,
        });
    }
    let outcome = measure(config, &o, &visitors).await;
    for v in &visitors {
        for token in [&v.client_token, &v.counselor_token] {
            let _ = store
                .delete_session(&domain::accounts::token_hash(token))
                .await;
        }
    }
    drop(store);
    backend.close().await;
    let (me, case, first_me, first_case) = outcome?;

    let kind = if config.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let label = if o.label.is_empty() { kind } else { &o.label };
    if o.header {
        println!(
            "| database | clients | page | requests | p50 ms | p95 ms | p99 ms | max ms | first visit p50 ms | first visit max ms | KB | errors |"
        );
        println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    }
    for (page, s, first) in [
        ("/me (client)", &me, &first_me),
        ("/clients/{id} (counselor)", &case, &first_case),
    ] {
        println!(
            "| {label} | {total_clients} | {page} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.1} | {} |",
            s.latencies.len(),
            s.percentile(0.50),
            s.percentile(0.95),
            s.percentile(0.99),
            s.percentile(1.0),
            first.percentile(0.50),
            first.percentile(1.0),
            s.bytes as f64 / s.latencies.len().max(1) as f64 / 1024.0,
            s.errors.len() + first.errors.len(),
        );
    }
    let errors: Vec<&String> = [&me, &case, &first_me, &first_case]
        .iter()
        .flat_map(|s| s.errors.iter())
        .collect();
    if !errors.is_empty() {
        for e in errors.iter().take(5) {
            eprintln!("error: {e}");
        }
        return Err(fail(
            1,
            format!("{} requests failed (first ones above)", errors.len()),
        ));
    }
    Ok(())
}

async fn measure(
    config: &Config,
    o: &Options,
    visitors: &[Visitor],
) -> Result<(Series, Series, Series, Series), Failure> {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| fail(1, format!("cannot build the HTTP client: {e}")))?;
    let names = web::edge::context::cookie_names(config.secure_cookies());
    let base = o.base_url.trim_end_matches('/');
    let me_url = format!("{base}/me");
    let cookie = |t: &Secret| format!("{}={}", names.session, t.expose());
    let case_url = |v: &Visitor| format!("{base}/clients/{}", v.client);

    // Warm-up: the server's code paths, pools and the top of the indexes (not recorded).
    let mut scratch = Series::default();
    if let Some(v) = visitors.first() {
        for _ in 0..20 {
            get(&http, &me_url, &cookie(&v.client_token), &mut scratch)
                .await
                .map_err(|e| fail(1, format!("warm-up failed: {e}")))?;
            get(
                &http,
                &case_url(v),
                &cookie(&v.counselor_token),
                &mut scratch,
            )
            .await
            .map_err(|e| fail(1, format!("warm-up failed: {e}")))?;
        }
    }

    let total = (visitors.len() + o.requests) as u64 * 2;
    let started = Instant::now();
    let mut done = 0u64;
    let mut progress = Progress::new("requests", total, started);
    let mut report = |done: u64| progress.report(done);

    // First visit of each sampled client's pages (colder: their rows may not be cached).
    let (mut first_me, mut first_case) = (Series::default(), Series::default());
    for v in visitors {
        let _ = get(&http, &me_url, &cookie(&v.client_token), &mut first_me).await;
        let _ = get(
            &http,
            &case_url(v),
            &cookie(&v.counselor_token),
            &mut first_case,
        )
        .await;
        done += 2;
        report(done);
    }

    let mut rng = StdRng::seed_from_u64(o.seed.wrapping_add(1));
    let (mut me, mut case) = (Series::default(), Series::default());
    for _ in 0..o.requests {
        let a = &visitors[rng.random_range(0..visitors.len())];
        let b = &visitors[rng.random_range(0..visitors.len())];
        let _ = get(&http, &me_url, &cookie(&a.client_token), &mut me).await;
        let _ = get(&http, &case_url(b), &cookie(&b.counselor_token), &mut case).await;
        done += 2;
        report(done);
    }
    eprintln!("{} requests in {}", done, duration_text(started.elapsed()));
    Ok((me, case, first_me, first_case))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let s = Series {
            latencies: (1..=100).map(Duration::from_millis).collect(),
            ..Series::default()
        };
        assert_eq!(s.percentile(0.5), 50.0);
        assert_eq!(s.percentile(0.99), 99.0);
        assert_eq!(s.percentile(1.0), 100.0);
    }
}
