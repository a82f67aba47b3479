//! `vendepunkt`: the thin binary. It reads configuration, opens the store, and wires the
//! domain, the store and the web crate together. It holds no rules of its own.

mod config;

use clap::{Parser, Subcommand};
use config::Config;
use domain::ports::{Clock, PasswordHasher, Store};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
#[command(
    name = "vendepunkt",
    version,
    about = "Vendepunkt: a follow-up platform for welfare services"
)]
struct Cli {
    /// Configuration file (TOML). Default: ./vendepunkt.toml if it exists.
    #[arg(long, global = true, env = "VENDEPUNKT_CONFIG")]
    config: Option<PathBuf>,
    /// Database URL (sqlite://PATH or postgres://…); overrides the file and environment.
    #[arg(long, global = true)]
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
        /// Listen on HOST:PORT.
        #[arg(long)]
        addr: Option<String>,
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
    /// Check the hash chain: fails if any row was edited, inserted or deleted.
    Verify,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an account.
    CreateUser {
        #[arg(long)]
        username: String,
        #[arg(long)]
        name: String,
        /// counselor, leader, moderator, partner or administrator.
        #[arg(long)]
        role: String,
        /// Office name or id (not for administrators). Default: the only office.
        #[arg(long)]
        office: Option<String>,
        /// Read the password from this file.
        #[arg(long, conflicts_with = "password_stdin")]
        password_file: Option<PathBuf>,
        /// Read the password from standard input.
        #[arg(long)]
        password_stdin: bool,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let env: std::collections::HashMap<String, String> = std::env::vars().collect();
    let file = cli.config.clone().or_else(|| {
        let default = PathBuf::from("vendepunkt.toml");
        default.exists().then_some(default)
    });
    let mut config = match Config::load(file.as_deref(), &env) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vendepunkt: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(db) = &cli.database {
        config.database_url = db.clone();
    }
    if let Command::Serve { addr: Some(a), .. } = &cli.command {
        config.addr = a.clone();
    }
    if let Err(e) = config.validate() {
        eprintln!("vendepunkt: configuration error: {e}");
        return ExitCode::from(2);
    }
    let filter = tracing_subscriber::EnvFilter::try_new(&config.log)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();

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
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("vendepunkt: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

/// The opened store, and the SQLite store when that is what it is (for backups).
struct Opened {
    store: Arc<dyn Store>,
    sqlite: Option<store_sqlite::SqliteStore>,
}

async fn open(config: &Config) -> Result<Opened, Failure> {
    if config.is_postgres() {
        let pg = store_postgres::PgStore::connect(&config.database_url)
            .await
            .map_err(|e| fail(1, format!("cannot connect to PostgreSQL: {e}")))?;
        pg.migrate()
            .await
            .map_err(|e| fail(1, format!("migration failed: {e}")))?;
        Ok(Opened {
            store: Arc::new(pg),
            sqlite: None,
        })
    } else {
        let lite = store_sqlite::SqliteStore::open(&config.database_url)
            .await
            .map_err(|e| fail(1, format!("cannot open the SQLite database: {e}")))?;
        lite.migrate()
            .await
            .map_err(|e| fail(1, format!("migration failed: {e}")))?;
        Ok(Opened {
            store: Arc::new(lite.clone()),
            sqlite: Some(lite),
        })
    }
}

async fn run(command: Command, config: Config) -> Result<(), Failure> {
    match command {
        Command::CheckConfig { print } => {
            if print {
                print!("{}", config.redacted_toml());
            }
            println!("# configuration is valid");
            Ok(())
        }
        Command::Migrate => {
            open(&config).await?;
            println!("migrations applied: the database is up to date");
            Ok(())
        }
        Command::Serve { demo, .. } => serve(config, demo).await,
        Command::Backup { file } => backup(config, file).await,
        Command::Audit {
            command: AuditCommand::Verify,
        } => audit_verify(config).await,
        Command::Admin { command } => admin(config, command).await,
    }
}

async fn serve(config: Config, demo: bool) -> Result<(), Failure> {
    let opened = open(&config).await?;
    let store = opened.store;
    let clock: Arc<dyn Clock> = Arc::new(web::SystemClock);
    let hasher: Arc<dyn PasswordHasher> = Arc::new(web::Argon2Hasher::production());
    let addr: std::net::SocketAddr = config
        .addr
        .parse()
        .map_err(|_| fail(2, format!("cannot parse address {}", config.addr)))?;
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| fail(1, format!("cannot listen on {addr}: {e}")))?;
    let local = listener.local_addr().map_err(|e| fail(1, e.to_string()))?;
    let base = config
        .public_url
        .clone()
        .unwrap_or_else(|| format!("http://{local}"));

    if demo {
        match domain::demo::seed(store.as_ref(), clock.as_ref(), hasher.as_ref()).await {
            Ok(true) => println!(
                "Demo data created. Log in as demo-client, demo-counselor, demo-leader or demo-admin; password {}.",
                domain::demo::DEMO_PASSWORD
            ),
            Ok(false) => println!("The database already holds data; demo data was not added."),
            Err(e) => return Err(fail(1, format!("cannot create demo data: {e}"))),
        }
    } else {
        match domain::auth::issue_setup_token_if_empty(store.as_ref(), clock.as_ref()).await {
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
        session: domain::auth::SessionPolicy {
            idle: time::Duration::minutes(config.session_idle_minutes),
            absolute: time::Duration::hours(config.session_absolute_hours),
        },
        throttle: domain::auth::ThrottlePolicy::default(),
        secure_cookies: config.secure_cookies(),
        trust_forwarded_for: config.trust_forwarded_for,
        demo,
    };
    let state = web::AppState::new(store.clone(), clock.clone(), hasher, settings);
    let app = web::app(state);

    // Expired sessions are removed in the background every ten minutes.
    let sweeper_store = store.clone();
    let sweeper_clock = clock.clone();
    let policy = settings.session;
    tokio::spawn(async move {
        loop {
            let now = sweeper_clock.now();
            if let Err(e) = sweeper_store
                .delete_expired_sessions(now - policy.idle, now - policy.absolute)
                .await
            {
                tracing::warn!(error = %e, "could not remove expired sessions");
            }
            tokio::time::sleep(Duration::from_secs(600)).await;
        }
    });

    println!("Vendepunkt is listening on http://{local}");
    let _ = std::io::stdout().flush();
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown_signal().await;
        let _ = stop_tx.send(true);
    });
    let mut stop_rx2 = stop_rx.clone();
    tokio::select! {
        r = server => r.map_err(|e| fail(1, format!("server error: {e}")))?,
        _ = async {
            // Bound the graceful shutdown: open connections get ten seconds to finish.
            let _ = stop_rx2.wait_for(|s| *s).await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        } => { eprintln!("vendepunkt: shutdown took too long; stopping now"); }
    }
    drop(stop_rx);
    println!("Vendepunkt stopped.");
    Ok(())
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

async fn backup(config: Config, file: PathBuf) -> Result<(), Failure> {
    if config.is_postgres() {
        return Err(fail(
            3,
            "backup works on SQLite only. For PostgreSQL use its own tools:\n  \
             - logical backups: pg_dump --format=custom --file=vendepunkt.dump DATABASE\n  \
             - point-in-time recovery: continuous WAL archiving (archive_mode, archive_command) plus base backups (pg_basebackup)\n\
             See docs/OPERATIONS.md.",
        ));
    }
    let opened = open(&config).await?;
    let Some(lite) = opened.sqlite else {
        return Err(fail(1, "not a SQLite database"));
    };
    eprintln!("backing up to {} …", file.display());
    let started = Instant::now();
    let report = lite
        .backup_to(&file)
        .await
        .map_err(|e| fail(1, format!("backup failed: {e}")))?;
    println!(
        "backup written: {} ({} bytes, integrity ok, fsynced) in {:.1} s",
        report.path.display(),
        report.bytes,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

async fn audit_verify(config: Config) -> Result<(), Failure> {
    let opened = open(&config).await?;
    let store = opened.store;
    let (head_seq, head_hash) = store
        .audit_head()
        .await
        .map_err(|e| fail(1, e.to_string()))?;
    let mut verifier = domain::audit::ChainVerifier::default();
    let started = Instant::now();
    let mut last_report = Instant::now();
    let mut after = 0;
    loop {
        let rows = store
            .audit_rows(after, 10_000)
            .await
            .map_err(|e| fail(1, e.to_string()))?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            verifier
                .check(row)
                .map_err(|e| fail(1, format!("audit trail BROKEN: {e}")))?;
            after = row.seq;
        }
        if last_report.elapsed() > Duration::from_secs(2) && head_seq > 0 {
            let done = after as f64 / head_seq as f64;
            let eta = started.elapsed().as_secs_f64() * (1.0 - done) / done.max(1e-9);
            eprintln!(
                "checked {after} of {head_seq} rows ({:.0} %), about {eta:.0} s left",
                done * 100.0
            );
            last_report = Instant::now();
        }
    }
    let n = verifier
        .finish(head_seq, &head_hash)
        .map_err(|e| fail(1, format!("audit trail BROKEN: {e}")))?;
    println!("audit trail intact: {n} rows; head hash {head_hash}");
    Ok(())
}

async fn admin(config: Config, command: AdminCommand) -> Result<(), Failure> {
    let AdminCommand::CreateUser {
        username,
        name,
        role,
        office,
        password_file,
        password_stdin,
    } = command;
    let role = domain::roles::Role::parse(&role)
        .filter(|r| *r != domain::roles::Role::Client)
        .ok_or_else(|| fail(2, format!("unknown role {role:?}: use counselor, leader, moderator, partner or administrator")))?;
    let password = if let Some(p) = password_file {
        std::fs::read_to_string(&p)
            .map_err(|e| fail(2, format!("cannot read {}: {e}", p.display())))?
    } else if password_stdin {
        let mut s = String::new();
        std::io::stdin()
            .read_line(&mut s)
            .map_err(|e| fail(2, e.to_string()))?;
        s
    } else {
        String::new()
    };
    let password = password.trim_end_matches(['\n', '\r']).to_string();
    let opened = open(&config).await?;
    let store = opened.store;
    let clock = web::SystemClock;
    let hasher = web::Argon2Hasher::production();
    // The command line acts with the organisation's authority: there must be exactly one.
    let orgs = store
        .organisation_count()
        .await
        .map_err(|e| fail(1, e.to_string()))?;
    if orgs != 1 {
        return Err(fail(
            1,
            format!(
                "expected exactly one organisation, found {orgs}; run `serve` and complete /setup first"
            ),
        ));
    }
    let admins = find_organisation(store.as_ref()).await?;
    let offices = store
        .list_offices(admins)
        .await
        .map_err(|e| fail(1, e.to_string()))?;
    let office_id = if role == domain::roles::Role::Administrator {
        None
    } else {
        let found = match &office {
            Some(o) => offices
                .iter()
                .find(|x| x.name == *o || x.id.to_string() == *o),
            None if offices.len() == 1 => offices.first(),
            None => None,
        };
        Some(found.map(|o| o.id).ok_or_else(|| {
            fail(
                2,
                format!(
                    "office not found; choose one of: {}",
                    offices
                        .iter()
                        .map(|o| o.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )
        })?)
    };
    let input = domain::org::NewPersonInput {
        username,
        display_name: name,
        password: domain::types::Secret::new(password),
        grants: vec![domain::roles::RoleGrant { role, office_id }],
        protected_access: vec![],
    };
    let user = domain::org::parse_new_person(&hasher, admins, &input, clock.now())
        .await
        .map_err(|e| match e {
            domain::DomainError::Invalid(list) => fail(
                2,
                list.iter()
                    .map(|(f, e)| format!("{f}: {}", describe(*e)))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            other => fail(1, other.to_string()),
        })?;
    let id = user.id;
    store.create_user(user).await.map_err(|e| match e {
        domain::ports::PortError::Conflict(_) => fail(2, "username: already taken"),
        other => fail(1, other.to_string()),
    })?;
    println!("created user {id}");
    Ok(())
}

fn describe(e: domain::types::FieldError) -> &'static str {
    use domain::types::FieldError::*;
    match e {
        Required => "required",
        TooLong => "too long",
        TooShort => "too short",
        InvalidCharacters => "has characters that are not allowed",
        PasswordTooShort => "the password needs at least 12 characters",
        PasswordTooLong => "the password can have at most 256 characters",
        PasswordTooCommon => "this password is too common; choose another",
        PasswordContainsUsername => "the password cannot contain the username",
    }
}

async fn find_organisation(store: &dyn Store) -> Result<domain::ids::OrganisationId, Failure> {
    store
        .organisation_ids()
        .await
        .map_err(|e| fail(1, e.to_string()))?
        .first()
        .copied()
        .ok_or_else(|| fail(1, "no organisation found"))
}
