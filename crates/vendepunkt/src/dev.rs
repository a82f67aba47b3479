//! `vendepunkt dev …`: tools for developers and benchmarks, never for production data.
//!
//! * `dev generate` fills a database with an invented national-scale dataset. It writes rows
//!   directly (bypassing the use cases, so it writes **no audit rows**; the audit tables are
//!   not touched and the chain stays verifiable) and is meant for benchmarks only.
//! * `dev bench` measures page latency against a running server on such a dataset;
//!   `dev bench-sse` live updates and memory with many open streams; `dev bench-send` sending
//!   messages (with `dev generate --messages` for the threads).
//! * `dev bench-insights` fills a database with invented feedback and measures the leader
//!   dashboard (see `docs/BENCHMARKS.md`).
//! * `dev add-client` adds one client with an account to the demo organisation (for browser
//!   tests; see `docs/TESTING.md`).

mod add_client;
mod bench;
mod data;
mod generate;
mod insights;
mod message_texts;
mod messages;
mod send;
mod sse;
mod texts;

use crate::Failure;
use crate::config::Config;
use clap::Subcommand;
use std::time::{Duration, Instant};

#[derive(Subcommand)]
pub enum DevCommand {
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
    },
    /// Measure page latency of a running server (`serve`) on the configured database.
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
    /// organisation, followed by one of its counselors. Demo databases only: the product has
    /// no page for opening client cases yet, and browser tests need clients who log in.
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

pub async fn run(config: Config, command: DevCommand) -> Result<(), Failure> {
    match command {
        DevCommand::AddClient {
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
        DevCommand::Generate {
            clients,
            seed,
            append,
            reuse,
            batch,
            messages,
            message_batch,
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
                },
            )
            .await
        }
        DevCommand::Bench {
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
        DevCommand::BenchSend {
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
        DevCommand::BenchSse {
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
        DevCommand::BenchInsights {
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

/// "1 min 33 s", "12 s", "2 h 5 min".
pub fn duration_text(d: Duration) -> String {
    let s = d.as_secs_f64().round() as u64;
    if s >= 3_600 {
        format!("{} h {} min", s / 3_600, (s % 3_600) / 60)
    } else if s >= 60 {
        format!("{} min {} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

/// Prints a [`progress_line`] to stderr at most every few seconds, so that a long run shows it
/// is alive and how long it has left without flooding the terminal.
pub struct Progress {
    what: &'static str,
    total: u64,
    started: Instant,
    last: Instant,
}

impl Progress {
    const EVERY: Duration = Duration::from_secs(3);

    /// `started` is when the work being counted began (the rate is measured from there).
    pub fn new(what: &'static str, total: u64, started: Instant) -> Progress {
        Progress {
            what,
            total,
            started,
            last: Instant::now(),
        }
    }

    pub fn report(&mut self, done: u64) {
        if self.last.elapsed() >= Self::EVERY {
            eprintln!(
                "{}",
                progress_line(self.what, done, self.total, self.started.elapsed())
            );
            let _ = std::io::Write::flush(&mut std::io::stderr());
            self.last = Instant::now();
        }
    }
}

/// "clients 120000 of 1000000 (12 %), 9500 clients/s, about 1 min 33 s left"
pub fn progress_line(what: &str, done: u64, total: u64, elapsed: Duration) -> String {
    let secs = elapsed.as_secs_f64().max(1e-9);
    let rate = done as f64 / secs;
    let left = if rate > 0.0 {
        Duration::from_secs_f64(total.saturating_sub(done) as f64 / rate)
    } else {
        Duration::ZERO
    };
    let pct = if total > 0 {
        done as f64 * 100.0 / total as f64
    } else {
        100.0
    };
    format!(
        "{what} {done} of {total} ({pct:.0} %), {rate:.0} {what}/s, about {} left",
        duration_text(left)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_rate_and_time_left() {
        assert_eq!(
            progress_line("clients", 120_000, 1_000_000, Duration::from_secs(12)),
            "clients 120000 of 1000000 (12 %), 10000 clients/s, about 1 min 28 s left"
        );
        assert_eq!(duration_text(Duration::from_secs(7_500)), "2 h 5 min");
        assert_eq!(duration_text(Duration::from_secs(9)), "9 s");
    }
}
