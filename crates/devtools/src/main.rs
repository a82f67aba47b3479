//! `vendepunkt-dev`: tools for developers and benchmarks, never for production data. The
//! product binary (`vendepunkt`) has none of this; the bulk SQL these tools need lives in the
//! store crates' `bulk` modules (cargo feature `bulk`, enabled only here).
//!
//! * `generate` fills a database with an invented national-scale dataset. It writes rows
//!   directly (bypassing the use cases, so it writes **no audit rows**; the audit tables are
//!   not touched and the chain stays verifiable) and is meant for benchmarks only.
//! * `bench` measures page latency against a running server (`vendepunkt serve`) on such a
//!   dataset; `bench-sse` live updates and memory with many open streams; `bench-send`
//!   sending messages (with `generate --messages` for the threads).
//! * `mixed-sessions` writes the sessions file of `scripts/bench-mixed` (a mixed load driven
//!   by `wrk`, with its raw-SQL replay); `--remove` deletes them. `replay-sqlite` is that
//!   script's raw-SQL limit on SQLite.
//! * `bench-insights` fills a database with invented feedback and measures the leader
//!   dashboard (see `docs/BENCHMARKS.md`).
//! * `add-client` adds one client with an account to the demo organisation (for browser
//!   tests; see `docs/TESTING.md`).
//!
//! Exit codes: 0 success; 1 failure; 2 bad configuration or input.

mod add_client;
mod backend;
mod bench;
mod config;
mod data;
mod disk;
mod generate;
mod insights;
mod message_texts;
mod messages;
mod mixed;
mod progress;
mod replay;
mod send;
mod sse;
mod texts;
mod writer;

use backend::{Backend, Failure, OpenMode, cli_field, describe, fail, open, port, read_password};
use clap::{Parser, Subcommand};
use config::Config;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "vendepunkt-dev",
    version,
    about = "Vendepunkt's development tools: invented datasets, benchmarks, demo helpers (never on real data)",
    after_help = "The database comes from --database, else VENDEPUNKT_DATABASE_URL (or \
                  VENDEPUNKT_DATABASE_URL_FILE), else the configuration file's database_url, \
                  else the product's default, as for `vendepunkt`."
)]
struct Cli {
    /// Configuration file (TOML), as for `vendepunkt`; only database_url, public_url,
    /// behind_tls_proxy and log are read. Default: ./vendepunkt.toml if it exists.
    #[arg(long, global = true, env = "VENDEPUNKT_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    /// Database URL (sqlite://PATH or postgres://…); overrides the file and environment.
    #[arg(long, global = true, value_name = "URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let file = cli.config.clone().or_else(|| {
        let default = PathBuf::from("vendepunkt.toml");
        default.exists().then_some(default)
    });
    let config = match Config::resolve(file.as_deref(), cli.database.as_deref()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("vendepunkt-dev: configuration error: {e}");
            return ExitCode::from(2);
        }
    };
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_new(&config.log)
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .try_init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("vendepunkt-dev: cannot start the runtime: {e}");
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(run(config, cli.command));
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => {
            eprintln!("vendepunkt-dev: {}", f.message);
            ExitCode::from(f.code)
        }
    }
}

#[derive(Subcommand)]
enum Command {
    /// Fill the database with an invented dataset for benchmarks (no audit rows; never on
    /// real data). Refuses a database that already holds clients or accounts unless --append.
    Generate {
        /// How many clients (each with an account, a counselor and a plan of ~29 items).
        #[arg(long)]
        clients: u64,
        /// Seed for the invented content (same seed, same texts and shapes).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Add to a database that already holds data (new offices and counselors).
        #[arg(long, conflicts_with = "reuse")]
        append: bool,
        /// Do nothing if the database already holds exactly this many clients (for scripts).
        #[arg(long)]
        reuse: bool,
        /// Clients per transaction.
        #[arg(long, default_value_t = 1_000)]
        batch: u64,
        /// Messages the dataset should hold (threads between the clients and their
        /// counselors), added after the clients; a later run with a larger number adds more.
        #[arg(long, default_value_t = 0)]
        messages: u64,
        /// Messages per transaction (complete threads).
        #[arg(long, default_value_t = 50_000)]
        message_batch: u64,
        /// Start even when the disk seems to lack the space the dataset needs (the generator
        /// says how much it needs before it starts, and otherwise refuses).
        #[arg(long)]
        no_disk_check: bool,
    },
    /// Measure page latency of a running server (`vendepunkt serve`) on the configured database.
    Bench {
        /// The server's address, e.g. http://127.0.0.1:8080
        #[arg(long)]
        base_url: String,
        /// How many clients (and their counselors) to sample.
        #[arg(long, default_value_t = 200)]
        samples: usize,
        /// Measured requests per page.
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
        /// Seed for the sample and the request order.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// First column of the result rows (for example "sqlite").
        #[arg(long, default_value = "")]
        label: String,
        /// Leave out the table header (when appending rows to an earlier table).
        #[arg(long)]
        no_header: bool,
    },
    /// Measure sending messages on a running server: answers in existing threads by clients
    /// and counselors, several at once, each through the real use case.
    BenchSend {
        /// The server's address, e.g. http://127.0.0.1:8080
        #[arg(long)]
        base_url: String,
        /// How many clients (and their counselors) to sample; those without threads are
        /// left out.
        #[arg(long, default_value_t = 200)]
        samples: usize,
        /// Measured sends.
        #[arg(long, default_value_t = 2_000)]
        sends: usize,
        /// Senders at once (the most sends in flight).
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// Sends per second, evenly spaced, each timed from when it was due (open loop);
        /// 0: every sender sends again as soon as it has its answer (closed loop).
        #[arg(long, default_value_t = 0.0)]
        rate: f64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Measure live updates of a running server: open event streams, send messages, time
    /// their arrival, and read the server's memory.
    BenchSse {
        /// The server's address, e.g. http://127.0.0.1:8080
        #[arg(long)]
        base_url: String,
        /// Open event streams (one per sampled client).
        #[arg(long, default_value_t = 10_000)]
        connections: usize,
        /// Messages sent, one at a time.
        #[arg(long, default_value_t = 500)]
        messages: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The server's process id, to read its memory.
        #[arg(long)]
        server_pid: Option<u32>,
        #[arg(long, default_value = "")]
        label: String,
    },
    /// Sessions for `scripts/bench-mixed`: samples clients, creates a session for each and
    /// for their counselor (through the Store port), makes sure each has a message thread
    /// (starting one through the running server if not), and writes a tab-separated file
    /// (mode 0600: it holds session tokens). With --remove, deletes a file's sessions.
    MixedSessions {
        /// The server's address (to start threads), e.g. http://127.0.0.1:8080
        #[arg(long, required_unless_present = "remove")]
        base_url: Option<String>,
        /// How many clients (and their counselors) to sample.
        #[arg(long, default_value_t = 2_000)]
        samples: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Where to write the sessions.
        #[arg(long, value_name = "FILE", required_unless_present = "remove")]
        out: Option<PathBuf>,
        /// Delete the sessions listed in this file, then the file.
        #[arg(long, value_name = "FILE", conflicts_with = "out")]
        remove: Option<PathBuf>,
    },
    /// The raw-SQL limit of `scripts/bench-mixed` on SQLite: replays the captured statements
    /// of each kind of request (files from `scripts/bench-mixed.d/capture.py build`) in the
    /// mix, through the store's own pool, without the web stack; prints requests per second.
    ReplaySqlite {
        /// The folder with me.sql, case.sql, caseload.sql, send.sql and actors.
        #[arg(long, value_name = "DIR")]
        dir: PathBuf,
        /// The sessions file of `mixed-sessions` (the visitors).
        #[arg(long, value_name = "FILE")]
        sessions: PathBuf,
        /// Requests in flight at once (they share the store's 8 connections, as in the server).
        #[arg(long, default_value_t = 16)]
        concurrency: usize,
        #[arg(long, default_value_t = 30)]
        seconds: u64,
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
    // ----- feedback insights (issue 5) -----
    /// Fill an empty database with invented feedback (offices, teams, counselors, leaders,
    /// clients, responses and invitations over the published quarters; no audit rows), then
    /// measure the leader dashboard served in this process. Reuses a dataset of the same size.
    BenchInsights {
        #[arg(long, default_value_t = 400)]
        offices: u64,
        #[arg(long, default_value_t = 5_000_000)]
        responses: u64,
        /// Measured requests.
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// First column of the result row (for example "sqlite").
        #[arg(long, default_value = "")]
        label: String,
        /// Leave out the table header.
        #[arg(long)]
        no_header: bool,
    },
    // ----- browser test of the leader's insight (issue 5) -----
    /// Add a client with an account (password from a file) to an office of the demo
    /// organisation, followed by one of its counselors. Demo databases only: in the product a
    /// counselor opens a case on /caseload/new; this sets one up from a script for browser
    /// tests, whose clients log in.
    AddClient {
        /// The client's login name.
        #[arg(long)]
        username: String,
        /// The client's full name.
        #[arg(long)]
        name: String,
        /// Office name.
        #[arg(long)]
        office: String,
        /// The login name of the counselor who follows the client (a counselor at the office).
        #[arg(long)]
        counselor: String,
        /// Read the password from this file (first line).
        #[arg(long, value_name = "FILE")]
        password_file: std::path::PathBuf,
    },
}

async fn run(config: Config, command: Command) -> Result<(), Failure> {
    match command {
        Command::AddClient {
            username,
            name,
            office,
            counselor,
            password_file,
        } => {
            add_client::run(
                &config,
                add_client::Options {
                    username,
                    name,
                    office,
                    counselor,
                    password_file,
                },
            )
            .await
        }
        Command::Generate {
            clients,
            seed,
            append,
            reuse,
            batch,
            messages,
            message_batch,
            no_disk_check,
        } => {
            generate::run(
                &config,
                generate::Options {
                    clients,
                    seed,
                    append,
                    reuse,
                    batch: batch.max(1),
                    messages,
                    message_batch: message_batch.max(1),
                    no_disk_check,
                },
            )
            .await
        }
        Command::Bench {
            base_url,
            samples,
            requests,
            seed,
            label,
            no_header,
        } => {
            bench::run(
                &config,
                bench::Options {
                    base_url,
                    samples: samples.max(1),
                    requests: requests.max(1),
                    seed,
                    label,
                    header: !no_header,
                },
            )
            .await
        }
        Command::BenchSend {
            base_url,
            samples,
            sends,
            concurrency,
            rate,
            seed,
            label,
        } => {
            send::run(
                &config,
                send::Options {
                    base_url,
                    samples: samples.max(1),
                    sends: sends.max(1),
                    concurrency: concurrency.max(1),
                    rate: rate.max(0.0),
                    seed,
                    label,
                },
            )
            .await
        }
        Command::BenchSse {
            base_url,
            connections,
            messages,
            seed,
            server_pid,
            label,
        } => {
            sse::run(
                &config,
                sse::Options {
                    base_url,
                    connections: connections.max(1),
                    messages: messages.max(1),
                    seed,
                    server_pid,
                    label,
                },
            )
            .await
        }
        Command::MixedSessions {
            base_url,
            samples,
            seed,
            out,
            remove,
        } => match (remove, out) {
            (Some(file), _) => mixed::remove(&config, file).await,
            (None, out) => {
                mixed::run(
                    &config,
                    mixed::Options {
                        base_url: base_url.unwrap_or_default(),
                        samples: samples.max(1),
                        seed,
                        out: out.unwrap_or_default(),
                    },
                )
                .await
            }
        },
        Command::ReplaySqlite {
            dir,
            sessions,
            concurrency,
            seconds,
            seed,
        } => {
            replay::run(
                &config,
                replay::Options {
                    dir,
                    sessions,
                    concurrency: concurrency.max(1),
                    seconds: seconds.max(1),
                    seed,
                },
            )
            .await
        }
        Command::BenchInsights {
            offices,
            responses,
            requests,
            seed,
            label,
            no_header,
        } => {
            insights::run(
                &config,
                insights::Options {
                    offices,
                    responses,
                    requests: requests.max(1),
                    seed,
                    label,
                    header: !no_header,
                },
            )
            .await
        }
    }
}
