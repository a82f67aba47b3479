//! `vendepunkt-dev bench-sse`: live updates under load. Opens one event stream
//! (`GET /events`) for each of `connections` sampled clients, then, one at a time, has a
//! counselor send a message to a randomly chosen one of those clients and measures how long
//! it takes from the start of the send (the POST, with its audit, live-event and history
//! rows) until the event arrives on the client's open stream. Reports the server's resident
//! memory before and after the streams were opened (`--server-pid`).

use crate::bench::{Series, sample};
use crate::config::Config;
use crate::progress::{duration_text, progress_line};
use crate::{Failure, OpenMode, fail, open, port};
use domain::accounts::store::SessionRecord;
use domain::ports::Clock;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::mpsc;

pub struct Options {
    pub base_url: String,
    pub connections: usize,
    pub messages: usize,
    pub seed: u64,
    pub server_pid: Option<u32>,
    pub label: String,
}

/// Resident memory of a process in MiB (Linux).
fn rss_mib(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

pub async fn run(config: &Config, o: Options) -> Result<(), Failure> {
    let backend = open(config, OpenMode::Existing).await?;
    let store = backend.store();
    eprintln!("sampling {} clients …", o.connections);
    let (total_clients, sampled) = sample(&backend, o.connections, o.seed).await?;
    if sampled.len() < o.connections {
        return Err(fail(
            1,
            format!(
                "only {} clients with an account and a counselor to sample; generate more data",
                sampled.len()
            ),
        ));
    }
    let now = web::SystemClock.now();
    let mut client_cookies = vec![];
    let mut counselor_cookies = vec![];
    // Each counselor posts with the CSRF token of their own session.
    let mut counselor_csrf = vec![];
    for s in &sampled {
        let mut pair = vec![];
        for user in [s.client_user, s.counselor] {
            let token = domain::accounts::new_token();
            store
                .create_session(SessionRecord {
                    token_hash: domain::accounts::token_hash(&token),
                    user_id: user,
                    created_at: now,
                    last_seen_at: now,
                })
                .await
                .map_err(|e| port("cannot create a session", e))?;
            pair.push(format!("vp_session={}", token.expose()));
            if user == s.counselor {
                counselor_csrf.push(domain::accounts::session_csrf_token(&token));
            }
        }
        counselor_cookies.push(pair.pop().unwrap_or_default());
        client_cookies.push(pair.pop().unwrap_or_default());
    }

    let rss_before = o.server_pid.and_then(rss_mib);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| fail(1, format!("http client: {e}")))?;

    // Open the streams, in waves, each feeding arrivals into one channel.
    let (arrived_tx, mut arrived_rx) = mpsc::unbounded_channel::<(usize, Instant)>();
    let started = Instant::now();
    let mut streams = vec![];
    let open_errors = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    for (i, cookie) in client_cookies.iter().enumerate() {
        let http = http.clone();
        let url = format!("{}/events", o.base_url);
        let cookie = cookie.clone();
        let tx = arrived_tx.clone();
        let errors = open_errors.clone();
        let (ready_tx, ready_rx) = tokio::sync::oneshot::channel::<()>();
        streams.push(tokio::spawn(async move {
            let res = http
                .get(url)
                .header(reqwest::header::COOKIE, cookie)
                .send()
                .await;
            let mut res = match res {
                Ok(r) if r.status() == reqwest::StatusCode::OK => r,
                _ => {
                    errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let _ = ready_tx.send(());
                    return;
                }
            };
            let _ = ready_tx.send(());
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = res.chunk().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find("\n\n") {
                    let event: String = buffer.drain(..end + 2).collect();
                    if event.contains("event: message") {
                        let _ = tx.send((i, Instant::now()));
                    }
                }
            }
        }));
        let _ = ready_rx.await;
        if (i + 1) % 1000 == 0 || i + 1 == client_cookies.len() {
            eprintln!(
                "{}",
                progress_line(
                    "streams open",
                    i as u64 + 1,
                    client_cookies.len() as u64,
                    started.elapsed()
                )
            );
        }
    }
    let failed_streams = open_errors.load(std::sync::atomic::Ordering::Relaxed);
    // Let the server settle, then read its memory with every stream open.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = o.server_pid.and_then(rss_mib);

    let mut rng = StdRng::seed_from_u64(o.seed);
    let mut series = Series::default();
    // The send itself: the POST until its answer (message, audit, live-event rows committed).
    let mut sends = Series::default();
    let sending = Instant::now();
    for n in 0..o.messages {
        let i = rng.random_range(0..sampled.len());
        let client = sampled[i].client;
        let t0 = Instant::now();
        let sent = http
            .post(format!("{}/clients/{client}/messages", o.base_url))
            .header(reqwest::header::COOKIE, &counselor_cookies[i])
            .form(&[
                ("csrf_token", counselor_csrf[i].as_str()),
                ("subject", "Benchmark"),
                ("body", "A message sent by the live-update benchmark."),
            ])
            .send()
            .await;
        match sent {
            Ok(r) if r.status() == reqwest::StatusCode::SEE_OTHER => {
                sends.latencies.push(t0.elapsed());
            }
            Ok(r) => {
                series.errors.push(format!("send: HTTP {}", r.status()));
                continue;
            }
            Err(e) => {
                series.errors.push(format!("send: {e}"));
                continue;
            }
        }
        // Wait for this client's event (others' late events are ignored).
        let deadline = t0 + Duration::from_secs(5);
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, arrived_rx.recv()).await {
                Ok(Some((who, at))) if who == i && at >= t0 => {
                    series.latencies.push(at - t0);
                    break;
                }
                Ok(Some(_)) => {}
                _ => {
                    series
                        .errors
                        .push(format!("message {n}: no event within 5 s"));
                    break;
                }
            }
        }
        if (n + 1) % 100 == 0 || n + 1 == o.messages {
            eprintln!(
                "{}",
                progress_line(
                    "messages",
                    n as u64 + 1,
                    o.messages as u64,
                    sending.elapsed()
                )
            );
        }
    }
    for s in &streams {
        s.abort();
    }
    let messages_in_db: i64 = match &backend {
        crate::Backend::Sqlite(s) => store_sqlite::bulk::holdings(s).await.map(|h| h.messages),
        crate::Backend::Postgres(p) => store_postgres::bulk::holdings(p).await.map(|h| h.messages),
    }
    .unwrap_or(-1);
    for cookie in client_cookies.iter().chain(counselor_cookies.iter()) {
        if let Some(token) = cookie
            .strip_prefix("vp_session=")
            .and_then(|c| c.split(';').next())
        {
            let hash = domain::accounts::token_hash(&domain::types::Secret::new(token));
            let _ = store.delete_session(&hash).await;
        }
    }
    drop(store);
    backend.close().await;

    let label = if o.label.is_empty() {
        if config.is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
    } else {
        &o.label
    };
    let mib = |v: Option<f64>| v.map(|m| format!("{m:.0}")).unwrap_or_else(|| "–".into());
    println!(
        "| database | clients | messages in db | open streams | failed to open | messages | send p50 ms | send p99 ms | arrival p50 ms | arrival p95 ms | arrival p99 ms | arrival max ms | server RSS before MiB | with streams MiB | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    println!(
        "| {label} | {total_clients} | {messages_in_db} | {} | {failed_streams} | {} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} | {} |",
        o.connections - failed_streams,
        series.latencies.len(),
        sends.percentile(0.50),
        sends.percentile(0.99),
        series.percentile(0.50),
        series.percentile(0.95),
        series.percentile(0.99),
        series.percentile(1.0),
        mib(rss_before),
        mib(rss_after),
        series.errors.len(),
    );
    eprintln!("done in {}", duration_text(started.elapsed()));
    if let Some(e) = series.errors.first() {
        return Err(fail(
            1,
            format!("{} sends failed; the first: {e}", series.errors.len()),
        ));
    }
    Ok(())
}
