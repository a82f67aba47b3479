//! `vendepunkt-dev mixed-sessions`: the sessions of `scripts/bench-mixed` (a closed-loop mixed
//! load driven by `wrk`, and its raw-SQL replay).
//!
//! It samples clients as `vendepunkt-dev bench` does (unprotected, with an account and an
//! assigned counselor), creates a session for each client and each client's counselor
//! through the `Store` port (the SHA-256 of a fresh token, what a login stores), makes sure
//! each sampled client has a message thread to answer in (it starts one through the running
//! server, as the counselor, for a client who has none: the page's real use case, with its
//! audit row), and writes one tab-separated line per sampled client to `--out`. The file holds
//! session tokens: it is written with mode 0600 and `--remove FILE` deletes its sessions and
//! the file.

use crate::bench::sample;
use crate::config::Config;
use crate::progress::Progress;
use crate::writer::db;
use crate::{Backend, Failure, OpenMode, fail, open, port};
use domain::accounts::store::SessionRecord;
use domain::ids::ClientId;
use domain::ports::Clock;
use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};
use store_postgres::bulk as pg;
use store_sqlite::bulk as lite;

pub struct Options {
    pub base_url: String,
    pub samples: usize,
    pub seed: u64,
    pub out: PathBuf,
}

/// The columns of the sessions file, in order (its first line).
pub const COLUMNS: [&str; 11] = [
    "client",
    "client_user",
    "counselor",
    "thread",
    "client_cookie",
    "client_csrf",
    "client_token_hash",
    "counselor_cookie",
    "counselor_csrf",
    "counselor_token_hash",
    "cookie_name",
];

async fn first_thread(backend: &Backend, client: ClientId) -> Result<Option<String>, Failure> {
    let threads = match backend {
        Backend::Sqlite(s) => lite::recent_threads(s, client, 1).await,
        Backend::Postgres(p) => pg::recent_threads(p, client, 1).await,
    }
    .map_err(db("cannot read threads"))?;
    Ok(threads.first().map(|t| t.to_string()))
}

/// Starts a thread for `client` through the server, as the counselor; returns its id (from
/// the redirect to `/clients/{client}/messages/{thread}`).
async fn start_thread(
    http: &reqwest::Client,
    base: &str,
    client: ClientId,
    cookie: &str,
    csrf: &str,
) -> Result<String, Failure> {
    let r = http
        .post(format!("{base}/clients/{client}/messages"))
        .header(reqwest::header::COOKIE, cookie)
        .form(&[
            ("csrf_token", csrf),
            ("subject", "Oppfølging"),
            ("body", "Hei! Her kan vi skrive sammen om planen din."),
        ])
        .send()
        .await
        .map_err(|e| fail(1, format!("cannot start a thread: {e}")))?;
    let location = r
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let prefix = format!("/clients/{client}/messages/");
    match location.strip_prefix(&prefix) {
        Some(rest) if r.status() == reqwest::StatusCode::SEE_OTHER => Ok(rest
            .split(['#', '?', '/'])
            .next()
            .unwrap_or(rest)
            .to_string()),
        _ => Err(fail(
            1,
            format!(
                "starting a thread answered HTTP {} (location {location:?})",
                r.status()
            ),
        )),
    }
}

pub async fn run(config: &Config, o: Options) -> Result<(), Failure> {
    let backend = open(config, OpenMode::Existing).await?;
    let store = backend.store();
    eprintln!("sampling {} clients …", o.samples);
    let (total, sampled) = sample(&backend, o.samples, o.seed).await?;
    if sampled.is_empty() {
        return Err(fail(
            1,
            "no client with an account and a counselor to sample; run `vendepunkt-dev generate` first",
        ));
    }
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| fail(1, format!("cannot build the HTTP client: {e}")))?;
    let base = o.base_url.trim_end_matches('/');
    let cookie_name = web::edge::context::cookie_names(config.secure_cookies()).session;
    let now = web::SystemClock.now();
    let mut lines = vec![COLUMNS.join("\t")];
    let started = Instant::now();
    let mut progress = Progress::new("sessions", sampled.len() as u64, started);
    let mut started_threads = 0;
    for (i, s) in sampled.iter().enumerate() {
        let mut fields = vec![
            s.client.to_string(),
            s.client_user.to_string(),
            s.counselor.to_string(),
            String::new(),
        ];
        let mut counselor = (String::new(), String::new());
        for user in [s.client_user, s.counselor] {
            let token = domain::accounts::new_token();
            let hash = domain::accounts::token_hash(&token);
            store
                .create_session(SessionRecord {
                    token_hash: hash.clone(),
                    user_id: user,
                    created_at: now,
                    last_seen_at: now,
                })
                .await
                .map_err(|e| port("cannot create a session", e))?;
            let csrf = domain::accounts::session_csrf_token(&token);
            if user == s.counselor {
                counselor = (format!("{cookie_name}={}", token.expose()), csrf.clone());
            }
            fields.extend([token.expose().to_string(), csrf, hash]);
        }
        fields.push(cookie_name.to_string());
        fields[3] = match first_thread(&backend, s.client).await? {
            Some(t) => t,
            None => {
                started_threads += 1;
                start_thread(&http, base, s.client, &counselor.0, &counselor.1).await?
            }
        };
        lines.push(fields.join("\t"));
        progress.report(i as u64 + 1);
    }
    let mut file = std::fs::OpenOptions::new();
    file.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut file, 0o600);
    let mut file = file
        .open(&o.out)
        .map_err(|e| fail(1, format!("cannot write {}: {e}", o.out.display())))?;
    file.write_all((lines.join("\n") + "\n").as_bytes())
        .map_err(|e| fail(1, format!("cannot write {}: {e}", o.out.display())))?;
    eprintln!(
        "{} sessions pairs for {} sampled clients (of {total}); {started_threads} threads started; written to {}",
        sampled.len(),
        sampled.len(),
        o.out.display()
    );
    drop(store);
    backend.close().await;
    Ok(())
}

/// Deletes the sessions listed in a sessions file, then the file.
pub async fn remove(config: &Config, file: PathBuf) -> Result<(), Failure> {
    let text = match std::fs::read_to_string(&file) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(fail(1, format!("cannot read {}: {e}", file.display()))),
    };
    let backend = open(config, OpenMode::Existing).await?;
    let store = backend.store();
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap_or(0);
    let (a, b) = (col("client_token_hash"), col("counselor_token_hash"));
    let mut removed = 0;
    for line in text.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        for i in [a, b] {
            if let Some(hash) = fields.get(i) {
                store
                    .delete_session(hash)
                    .await
                    .map_err(|e| port("cannot delete a session", e))?;
                removed += 1;
            }
        }
    }
    drop(store);
    backend.close().await;
    std::fs::remove_file(&file)
        .map_err(|e| fail(1, format!("cannot remove {}: {e}", file.display())))?;
    eprintln!("{removed} sessions removed; {} deleted", file.display());
    Ok(())
}
