//! `vendepunkt`: the thin binary. It reads configuration, opens the store, and wires the
//! domain, the store and the web crate together. It holds no rules of its own.
//!
//! Exit codes: 0 success; 1 failure (including a broken audit trail); 2 bad configuration or
//! input; 3 not supported on this database (backup on PostgreSQL); 130 interrupted.

mod admin_cli;
mod config;
mod feedback_cli;
mod worker;
// The summary of settled feedback quarters (issue 5 at scale).
mod summary;

use admin_cli::choose_organisation;
use clap::{Parser, Subcommand};
use config::{Config, Overrides};
use domain::ports::{Clock, PasswordHasher, PortError, Store};
use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

// ----- the HTTP server: an HTTP/1.1 accept loop and the allocator (see docs/BENCHMARKS.md,
// "Live updates") -----
mod http;

/// jemalloc instead of glibc's malloc: with thousands of open live-update connections the
/// server's resident memory per connection drops from about 18 to about 11 KiB (glibc leaves
/// the small per-connection allocations spread over partly used pages).
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[derive(Parser)]
#[command(
    name = "vendepunkt",
    version,
    about = "Vendepunkt: a follow-up platform for welfare services",
    after_help = "Settings come from defaults, then the configuration file, then VENDEPUNKT_* \
                  environment variables (VENDEPUNKT_X_FILE reads a secret from a file), then \
                  flags. `vendepunkt check-config --print` shows the result."
)]
struct Cli {
    /// Configuration file (TOML). Default: ./vendepunkt.toml if it exists.
    #[arg(long, global = true, env = "VENDEPUNKT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL (sqlite://PATH or postgres://…); overrides the file and environment.
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (applies migrations first).
    Serve {
        /// Fill an empty database with invented demo data and demo accounts.
        #[arg(long)]
        demo: bool,
        /// Listen on HOST:PORT (port 0 picks a free port).
        #[arg(long, value_name = "HOST:PORT")]
        addr: Option<String>,
        /// Developers and browser tests only, with --demo: run the server's clock DAYS off
        /// the real time (negative: in the past). Printed loudly at start. See docs/TESTING.md.
        #[arg(
            long,
            requires = "demo",
            allow_negative_numbers = true,
            value_name = "DAYS"
        )]
        clock_shift_days: Option<i64>,
    },
    /// Apply database migrations.
    Migrate,
    /// Write a consistent, checked copy of a live SQLite database to FILE.
    Backup { file: PathBuf },
    /// The audit trail.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Validate the configuration; with --print, show it with secrets redacted.
    CheckConfig {
        #[arg(long)]
        print: bool,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain: fails if any row was edited, inserted or deleted. Read-only.
    Verify,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create a staff account.
    CreateUser {
        #[arg(long)]
        username: String,
        /// Full name as colleagues see it.
        #[arg(long)]
        name: String,
        /// counselor, leader, moderator, partner or administrator.
        #[arg(long)]
        role: String,
        /// Office name or id (not for administrators). Default: the only office.
        #[arg(long)]
        office: Option<String>,
        /// Organisation name or id. Default: the only organisation.
        #[arg(long)]
        organisation: Option<String>,
        /// Read the password from this file (first line).
        #[arg(long, value_name = "FILE", conflicts_with = "password_stdin")]
        password_file: Option<PathBuf>,
        /// Read the password from standard input (first line).
        #[arg(long)]
        password_stdin: bool,
    },
    // ----- client feedback (issue 5) -----
    /// Add a feedback instrument from a JSON definition (validated; a known id gets the next
    /// version). See docs/FEEDBACK.md.
    AddInstrument {
        file: PathBuf,
        /// Organisation name or id. Default: the only organisation.
        #[arg(long)]
        organisation: Option<String>,
    },
    /// Ask with this instrument from now on (its latest version).
    UseInstrument {
        id: String,
        /// Organisation name or id. Default: the only organisation.
        #[arg(long)]
        organisation: Option<String>,
    },
    /// Delete a client's feedback (responses, invitations, sharing choice, talk notes).
    DeleteFeedback {
        /// The client's case id.
        #[arg(long)]
        client: String,
    },
}

/// An error for the person at the terminal: one line, and an exit code.
struct Failure {
    message: String,
    code: u8,
}

fn fail(code: u8, message: impl Into<String>) -> Failure {
    Failure {
        message: message.into(),
        code,
    }
}

/// A store error as one line, without the adapter's prefix.
fn port(context: &str, e: PortError) -> Failure {
    match e {
        PortError::Failure(m) => fail(1, format!("{context}: {m}")),
        PortError::Conflict(what) => fail(1, format!("{context}: conflict ({what})")),
        e @ PortError::AuditChainBroken { .. } => fail(1, format!("{context}: {e}")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // vars_os: one non-UTF-8 variable elsewhere in the environment must not abort us.
    let env: HashMap<String, String> = std::env::vars_os()
        .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
        .collect();
    let file = cli.config.clone().or_else(|| {
        let default = PathBuf::from("vendepunkt.toml");
        default.exists().then_some(default)
    });
    let overrides = Overrides {
        database_url: cli.database.clone(),
        addr: match &cli.command {
            Command::Serve { addr, .. } => addr.clone(),
            _ => None,
        },
    };
    let config = match Config::resolve(file.as_deref(), &env, &overrides) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vendepunkt: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    // Validated above, so the filter parses. Logs go to stderr; stdout is for results.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(&config.log))
        .with_writer(std::io::stderr)
        .try_init();

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vendepunkt: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(cli.command, config, file));
    // Do not wait for stray blocking tasks (a password hash, a stuck connection) on the way out.
    runtime.shutdown_timeout(Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("vendepunkt: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// The concrete store behind the port, for what only one kind can do (backups, migration lists).
#[derive(Clone)]
enum Backend {
    Sqlite(store_sqlite::SqliteStore),
    Postgres(store_postgres::PgStore),
}

impl Backend {
    fn store(&self) -> Arc<dyn Store> {
        match self {
            Backend::Sqlite(s) => Arc::new(s.clone()),
            Backend::Postgres(p) => Arc::new(p.clone()),
        }
    }

    async fn migrate(&self) -> Result<(), PortError> {
        match self {
            Backend::Sqlite(s) => s.migrate().await,
            Backend::Postgres(p) => p.migrate().await,
        }
    }

    /// Migrations recorded as applied: `(version, description)`. Empty for a new database.
    async fn applied_migrations(&self) -> Vec<(i64, String)> {
        const SQL: &str =
            "SELECT version, description FROM _sqlx_migrations WHERE success ORDER BY version";
        let rows = match self {
            Backend::Sqlite(s) => sqlx::query_as(SQL).fetch_all(s.pool()).await,
            Backend::Postgres(p) => sqlx::query_as(SQL).fetch_all(p.pool()).await,
        };
        rows.unwrap_or_default()
    }

    /// Organisations as `(id, name)`; the port has ids only, names are for the command line.
    async fn organisations(&self) -> Result<Vec<(String, String)>, Failure> {
        let rows = match self {
            Backend::Sqlite(s) => {
                sqlx::query_as("SELECT id, name FROM organisations ORDER BY created_at, id")
                    .fetch_all(s.pool())
                    .await
            }
            Backend::Postgres(p) => {
                sqlx::query_as("SELECT id::text, name FROM organisations ORDER BY created_at, id")
                    .fetch_all(p.pool())
                    .await
            }
        };
        rows.map_err(|e| fail(1, format!("cannot list organisations: {e}")))
    }

    /// Waits for the audit appender to commit what it was given, then lets SQLite checkpoint
    /// its WAL and PostgreSQL end sessions cleanly.
    async fn close(&self) {
        match self {
            Backend::Sqlite(s) => s.close().await,
            Backend::Postgres(p) => p.close().await,
        }
    }
}

#[derive(PartialEq, Eq)]
enum OpenMode {
    /// Create the database if needed and bring the schema up to date.
    Migrate,
    /// Create the database if needed; leave the schema alone.
    Create,
    /// Use an existing database as it is (read-only commands must not change it).
    Existing,
}

async fn open(config: &Config, mode: OpenMode) -> Result<Backend, Failure> {
    let backend = if config.is_postgres() {
        let pg = store_postgres::PgStore::connect(&config.database_url)
            .await
            .map_err(|e| {
                port(
                    &format!(
                        "cannot connect to PostgreSQL at {}",
                        config::redact_url(&config.database_url)
                    ),
                    e,
                )
            })?;
        Backend::Postgres(pg)
    } else {
        let path = store_sqlite::database_path(&config.database_url);
        if mode == OpenMode::Existing && !path.exists() {
            return Err(fail(
                1,
                format!(
                    "no database at {}; check database_url (`vendepunkt migrate` creates a new one)",
                    path.display()
                ),
            ));
        }
        let lite = store_sqlite::SqliteStore::open(&config.database_url)
            .await
            .map_err(|e| {
                port(
                    &format!("cannot open the SQLite database {}", path.display()),
                    e,
                )
            })?;
        Backend::Sqlite(lite)
    };
    if mode == OpenMode::Migrate {
        backend
            .migrate()
            .await
            .map_err(|e| port("migration failed", e))?;
    }
    Ok(backend)
}

async fn run(command: Command, config: Config, file: Option<PathBuf>) -> Result<(), Failure> {
    match command {
        Command::CheckConfig { print } => {
            if print {
                print!("{}", config.redacted_toml());
            }
            // Valid but probably wrong: said on stderr, the exit code stays 0.
            for w in config.warnings() {
                eprintln!("vendepunkt: warning: {w}");
            }
            match file {
                Some(f) => println!("# configuration is valid (file {})", f.display()),
                None => println!("# configuration is valid (no file; defaults and environment)"),
            }
            Ok(())
        }
        Command::Migrate => migrate(config).await,
        Command::Serve {
            demo,
            clock_shift_days,
            ..
        } => serve(config, demo, clock_shift_days).await,
        Command::Backup { file } => backup(config, file).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(config).await,
        Command::Admin { command } => admin_cli::run(config, command).await,
    }
}

async fn migrate(config: Config) -> Result<(), Failure> {
    let backend = open(&config, OpenMode::Create).await?;
    let before = backend.applied_migrations().await;
    backend
        .migrate()
        .await
        .map_err(|e| port("migration failed", e))?;
    domain::feedback::responses::ensure_builtin(backend.store().as_ref(), &web::SystemClock)
        .await
        .map_err(|e| fail(1, format!("cannot store the feedback instrument: {e}")))?;
    let after = backend.applied_migrations().await;
    let new: Vec<_> = after.iter().filter(|m| !before.contains(m)).collect();
    for (version, description) in &new {
        println!("applied migration {version:04} {description}");
    }
    println!(
        "{}: the database schema is up to date ({} migrations, {} applied now)",
        config::redact_url(&config.database_url),
        after.len(),
        new.len()
    );
    backend.close().await;
    Ok(())
}

async fn serve(config: Config, demo: bool, clock_shift_days: Option<i64>) -> Result<(), Failure> {
    // A shifted clock only for demo data (clap refuses --clock-shift-days without --demo).
    let clock: Arc<dyn Clock> = match clock_shift_days.filter(|_| demo) {
        None | Some(0) => Arc::new(web::SystemClock),
        Some(days) => {
            let shifted = demo::ShiftedClock::days(Arc::new(web::SystemClock), days)
                .map_err(|e| fail(2, e))?;
            let message = format!(
                "WARNING: DEVELOPMENT CLOCK: this server's clock runs {days} days off the real time (it is now {} here). For browser tests with demo data only.",
                shifted.now()
            );
            println!("{message}");
            tracing::warn!(days, "{message}");
            Arc::new(shifted)
        }
    };
    let backend = open(&config, OpenMode::Migrate).await?;
    let store = backend.store();
    // The built-in feedback instrument, stored once (idempotent; see docs/FEEDBACK.md).
    domain::feedback::responses::ensure_builtin(store.as_ref(), clock.as_ref())
        .await
        .map_err(|e| fail(1, format!("cannot store the feedback instrument: {e}")))?;
    let hasher: Arc<dyn PasswordHasher> = Arc::new(web::Argon2Hasher::production());
    let addr: SocketAddr = config
        .addr
        .parse()
        .map_err(|_| fail(2, format!("addr: cannot parse {:?}", config.addr)))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| fail(1, format!("cannot listen on {addr}: {e}")))?;
    let local = listener
        .local_addr()
        .map_err(|e| fail(1, format!("cannot read the listening address: {e}")))?;
    // Where a person should point a browser (0.0.0.0 is not an address one can visit).
    let base = match &config.public_url {
        Some(u) => u.trim_end_matches('/').to_string(),
        None if local.ip().is_unspecified() => format!("http://localhost:{}", local.port()),
        None => format!("http://{local}"),
    };

    if demo {
        match demo::seed(
            store.as_ref(),
            clock.as_ref(),
            hasher.as_ref(),
            &web::FileRewriter::new(),
        )
        .await
        {
            Ok(true) => println!(
                "Demo data created. Log in as demo-client, demo-counselor, demo-leader or demo-admin; password {}.",
                demo::DEMO_PASSWORD
            ),
            Ok(false) => println!("The database already holds data; demo data was not added."),
            Err(e) => return Err(fail(1, format!("cannot create demo data: {e}"))),
        }
    } else {
        match domain::accounts::issue_setup_token_if_empty(store.as_ref(), clock.as_ref()).await {
            Ok(Some(token)) => {
                println!(
                    "This database is empty. Open {base}/setup and enter this one-time code to create the first administrator:"
                );
                println!("  {}", token.expose());
            }
            Ok(None) => {}
            Err(e) => return Err(fail(1, format!("cannot prepare setup: {e}"))),
        }
    }

    let settings = web::WebSettings {
        session: domain::accounts::SessionPolicy {
            idle: time::Duration::minutes(config.session_idle_minutes),
            absolute: time::Duration::hours(config.session_absolute_hours),
        },
        throttle: domain::accounts::ThrottlePolicy::default(),
        secure_cookies: config.secure_cookies(),
        trust_forwarded_for: config.trust_forwarded_for,
        demo,
        public_url: config.public_url.clone(),
    };
    for w in config.warnings() {
        tracing::warn!("{w}");
    }
    if config.secure_cookies() && base.starts_with("http://") {
        tracing::warn!(
            "cookies are marked Secure (behind_tls_proxy), so logging in over plain http will not work"
        );
    }
    let mut state = web::AppState::new(store.clone(), clock.clone(), hasher, settings.clone());
    // Several instances may share a PostgreSQL database: live wake-ups go through it.
    if let Backend::Postgres(pg) = &backend {
        let hub = Arc::new(web::live::LiveHub::with_relay(Arc::new(
            store_postgres::live::PgNotifier::new(pg.clone()),
        )));
        let waker = hub.clone();
        tokio::spawn(store_postgres::live::listen(pg.clone(), move |u| {
            waker.wake(u)
        }));
        state.live = hub;
    }
    let app = web::app(state);
    // The metrics, apart from the pages, when configured (see docs/OPERATIONS.md).
    let metrics_listener = match &config.metrics_addr {
        Some(m) => {
            let m: SocketAddr = m
                .parse()
                .map_err(|_| fail(2, format!("metrics_addr: cannot parse {m:?}")))?;
            let l = tokio::net::TcpListener::bind(m)
                .await
                .map_err(|e| fail(1, format!("cannot listen on {m} (metrics_addr): {e}")))?;
            let at = l
                .local_addr()
                .map_err(|e| fail(1, format!("cannot read the metrics address: {e}")))?;
            Some((l, at))
        }
        None => None,
    };
    // SQLite: WAL checkpoints in the background, so no request pays for one.
    let checkpoints = match &backend {
        Backend::Sqlite(lite) => {
            let lite = lite.clone();
            Some(tokio::spawn(
                async move { lite.run_wal_checkpoints().await },
            ))
        }
        Backend::Postgres(_) => None,
    };
    let sweeper = tokio::spawn(sweep_expired_sessions(
        store.clone(),
        clock.clone(),
        settings.session,
    ));
    // Notices without content: a background task over the outbox (never inside a request).
    let mut notices =
        worker::Worker::from_config(store.clone(), clock.clone(), &config.notify, base.clone())
            .map_err(|e| fail(2, e))?;
    notices.sole_instance = !config.is_postgres();
    let notices = tokio::spawn(notices.run());
    // The summary of settled feedback quarters (issue 5 at scale): filled in the background.
    let summaries = tokio::spawn(summary::run(store.clone(), clock.clone()));

    tracing::info!(%local, demo, secure_cookies = settings.secure_cookies, "serving");
    let (stop_tx, mut stop_rx) = tokio::sync::watch::channel(false);
    let metrics_server = metrics_listener.map(|(listener, at)| {
        println!(
            "Metrics are served on http://{at}/metrics{}",
            if config.metrics_token.is_some() {
                " (bearer token required)"
            } else {
                ""
            }
        );
        let app = web::metrics_web::metrics_app(
            store.clone(),
            config.metrics_token.clone().map(domain::types::Secret::new),
        );
        let mut stop = stop_rx.clone();
        tokio::spawn(http::serve(listener, app, async move {
            let _ = stop.wait_for(|stopping| *stopping).await;
        }))
    });
    println!("Vendepunkt is listening on http://{local}");
    let _ = std::io::stdout().flush();

    let server = http::serve(listener, app, async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let outcome = tokio::select! {
        r = server => r.map_err(|e| fail(1, format!("server error: {e}"))),
        _ = async {
            // Bound the graceful shutdown: open requests get ten seconds to finish.
            let _ = stop_rx.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => {
            eprintln!("vendepunkt: requests still open after {} s; stopping anyway", SHUTDOWN_GRACE.as_secs());
            Ok(())
        }
    };
    sweeper.abort();
    if let Some(m) = metrics_server {
        m.abort();
    }
    if let Some(c) = checkpoints {
        c.abort();
    }
    notices.abort();
    summaries.abort();
    drop(store);
    backend.close().await;
    outcome?;
    println!("Vendepunkt stopped.");
    Ok(())
}

const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Removes expired sessions now and then, so stolen-but-expired tokens do not linger on disk.
async fn sweep_expired_sessions(
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    policy: domain::accounts::SessionPolicy,
) {
    let mut every = tokio::time::interval(Duration::from_secs(600));
    every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        every.tick().await;
        let now = clock.now();
        match store
            .delete_expired_sessions(now - policy.idle, now - policy.absolute)
            .await
        {
            Ok(0) => {}
            Ok(n) => tracing::debug!(removed = n, "expired sessions removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
    eprintln!("vendepunkt: shutting down");
}

const POSTGRES_BACKUP_HELP: &str = "\
backup copies SQLite databases only. For PostgreSQL use its own tools:
  - logical backups: pg_dump --format=custom --file=vendepunkt.dump DATABASE_URL
    (restore with pg_restore; test the restore regularly)
  - point-in-time recovery: continuous WAL archiving (archive_mode = on, archive_command)
    plus base backups with pg_basebackup, or a tool such as pgBackRest or Barman
See docs/OPERATIONS.md.";

async fn backup(config: Config, file: PathBuf) -> Result<(), Failure> {
    if config.is_postgres() {
        return Err(fail(3, POSTGRES_BACKUP_HELP));
    }
    let backend = open(&config, OpenMode::Existing).await?;
    let Backend::Sqlite(lite) = &backend else {
        return Err(fail(3, POSTGRES_BACKUP_HELP));
    };
    eprintln!(
        "backing up {} to {} …",
        store_sqlite::database_path(&config.database_url).display(),
        file.display()
    );
    let started = Instant::now();
    let report = lite
        .backup_to(&file)
        .await
        .map_err(|e| port("backup failed", e))?;
    println!(
        "backup written: {} ({} bytes, {} pages, integrity ok, fsynced) in {:.1} s",
        report.path.display(),
        report.bytes,
        report.pages,
        started.elapsed().as_secs_f64()
    );
    backend.close().await;
    Ok(())
}

/// Rows fetched per page: bounded memory for audit logs of any size.
const AUDIT_PAGE: i64 = 10_000;

async fn audit_verify(config: Config) -> Result<(), Failure> {
    let backend = open(&config, OpenMode::Existing).await?;
    let store = backend.store();
    let checked = Arc::new(std::sync::atomic::AtomicI64::new(0));
    // Read-only, so stopping half-way is harmless; say so instead of dying silently.
    let outcome = tokio::select! {
        r = verify_chain(store.as_ref(), checked.clone()) => r,
        _ = tokio::signal::ctrl_c() => Err(fail(
            130,
            format!(
                "interrupted after checking {} rows; nothing was changed",
                checked.load(std::sync::atomic::Ordering::Relaxed)
            ),
        )),
    };
    drop(store);
    backend.close().await;
    let (rows, head_hash) = outcome?;
    // The head hash is printed so operators can keep it outside the database: it exposes even
    // a consistent rewrite of the whole chain by someone with write access to the database.
    println!("audit trail intact: {rows} rows; head hash {head_hash}");
    Ok(())
}

async fn verify_chain(
    store: &dyn Store,
    checked: Arc<std::sync::atomic::AtomicI64>,
) -> Result<(i64, String), Failure> {
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut reported = false;
    // Every row of the table is checked, also any after the head (domain::audit::verify_trail).
    let outcome = domain::audit::verify_trail(store, AUDIT_PAGE, &mut |done, total| {
        checked.store(done, std::sync::atomic::Ordering::Relaxed);
        if last_report.elapsed() >= Duration::from_secs(2) {
            eprintln!("{}", progress(done, total, started.elapsed()));
            last_report = Instant::now();
            reported = true;
        }
    })
    .await;
    let verified = outcome.map_err(|e| match e {
        domain::audit::VerifyError::Broken(b) => fail(1, format!("audit trail BROKEN: {b}")),
        domain::audit::VerifyError::Port(p) => port("cannot read the audit trail", p),
    })?;
    if reported {
        eprintln!(
            "checked {} rows in {:.0} s",
            verified.rows,
            started.elapsed().as_secs_f64()
        );
    }
    Ok((verified.rows, verified.head_hash))
}

/// "checked 120000 of 1000000 rows (12 %), about 1 min 30 s left"
fn progress(done: i64, total: i64, elapsed: Duration) -> String {
    let fraction = if total > 0 {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    } else {
        1.0
    };
    let left = if fraction > 0.0 {
        elapsed.as_secs_f64() * (1.0 - fraction) / fraction
    } else {
        0.0
    };
    let left = left.round() as u64;
    let left = if left >= 60 {
        format!("{} min {} s", left / 60, left % 60)
    } else {
        format!("{left} s")
    };
    format!(
        "checked {done} of {total} rows ({:.0} %), about {left} left",
        fraction * 100.0
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_estimates_the_time_left_from_the_rate_so_far() {
        assert_eq!(
            progress(250_000, 1_000_000, Duration::from_secs(30)),
            "checked 250000 of 1000000 rows (25 %), about 1 min 30 s left"
        );
        assert_eq!(
            progress(10, 10, Duration::from_secs(3)),
            "checked 10 of 10 rows (100 %), about 0 s left"
        );
    }
}
