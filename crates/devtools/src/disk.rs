//! How much disk a generated dataset needs, and whether the disk has it, said before the
//! generator writes anything.

use crate::config::Config;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Bytes one generated client takes, measured on the 1,000,000-client datasets
/// (docs/BENCHMARKS.md, "Dataset"): the whole database divided by the clients.
pub const SQLITE_BYTES_PER_CLIENT: u64 = 17_400;
pub const POSTGRES_BYTES_PER_CLIENT: u64 = 17_500;
/// Bytes per generated message with its thread and indexes (docs/BENCHMARKS.md, 60 million
/// messages: 31.0 GB on SQLite, 23 GB on PostgreSQL).
pub const BYTES_PER_MESSAGE: u64 = 520;
/// Kept free beyond the estimate: the estimate's own error, PostgreSQL's WAL and SQLite's
/// WAL file during the run.
const MARGIN: f64 = 0.15;
const MIN_MARGIN: u64 = 2 << 30;

/// The bytes of disk a run that adds `clients` clients and `messages` messages needs.
pub fn estimate(config: &Config, clients: u64, messages: u64) -> u64 {
    let per_client = if config.is_postgres() {
        POSTGRES_BYTES_PER_CLIENT
    } else {
        SQLITE_BYTES_PER_CLIENT
    };
    let data = clients * per_client + messages * BYTES_PER_MESSAGE;
    let margin = ((data as f64 * MARGIN) as u64).max(MIN_MARGIN);
    data + margin
}

/// Free bytes on the filesystem holding `path` (POSIX `df`), if it can be found.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let out = Command::new("df").arg("-Pk").arg(path).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let line = text.lines().nth(1)?;
    let kib: u64 = line.split_whitespace().nth(3)?.parse().ok()?;
    Some(kib * 1024)
}

/// The folder of a SQLite database file (`sqlite://PATH`), which may not exist yet.
pub fn sqlite_folder(url: &str) -> PathBuf {
    let path = url
        .trim_start_matches("sqlite://")
        .trim_start_matches("sqlite:")
        .split('?')
        .next()
        .unwrap_or_default();
    let folder = Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    folder.to_path_buf()
}

pub fn gigabytes(bytes: u64) -> String {
    format!("{:.1} GB", bytes as f64 / 1e9)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_folder_of_a_sqlite_file() {
        assert_eq!(
            sqlite_folder("sqlite:///data/x/plan.db"),
            Path::new("/data/x")
        );
        assert_eq!(sqlite_folder("sqlite://plan.db?mode=rwc"), Path::new("."));
        assert_eq!(sqlite_folder("sqlite:rel/plan.db"), Path::new("rel"));
    }

    #[test]
    fn free_space_of_the_current_folder_is_known() {
        assert!(free_bytes(Path::new(".")).is_some_and(|b| b > 0));
    }
}
