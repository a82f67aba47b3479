//! Configuration: defaults, then a TOML file, then `VENDEPUNKT_*` environment variables (with
//! `_FILE` variants for secrets), then command-line flags — each overriding the one before.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// `sqlite://path` (default `./data/vendepunkt.sqlite`) or `postgres://…`.
    pub database_url: String,
    /// Where `serve` listens.
    pub addr: String,
    /// The address people use, e.g. `https://vendepunkt.example.no` (https turns on secure cookies).
    pub public_url: Option<String>,
    /// Running behind a proxy that terminates TLS.
    pub behind_tls_proxy: bool,
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy you control).
    pub trust_forwarded_for: bool,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    /// Log filter, e.g. `info` or `vendepunkt=debug,info`.
    pub log: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            database_url: "sqlite://./data/vendepunkt.sqlite".into(),
            addr: "127.0.0.1:8080".into(),
            public_url: None,
            behind_tls_proxy: false,
            trust_forwarded_for: false,
            session_idle_minutes: 30,
            session_absolute_hours: 12,
            log: "info".into(),
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

fn env_value(env: &HashMap<String, String>, name: &str) -> Result<Option<String>, ConfigError> {
    if let Some(path) = env.get(&format!("{name}_FILE")) {
        let v = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("{name}_FILE: cannot read {path}: {e}")))?;
        return Ok(Some(v.trim().to_string()));
    }
    Ok(env.get(name).cloned())
}

fn parse_bool(name: &str, v: &str) -> Result<bool, ConfigError> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(ConfigError(format!(
            "{name}: expected true or false, got {v:?}"
        ))),
    }
}

fn parse_int(name: &str, v: &str) -> Result<i64, ConfigError> {
    v.trim()
        .parse()
        .map_err(|_| ConfigError(format!("{name}: expected a whole number, got {v:?}")))
}

impl Config {
    /// Loads the file (if any) and applies the environment.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut c = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("cannot read {}: {e}", p.display())))?;
                toml::from_str(&text).map_err(|e| ConfigError(format!("{}: {e}", p.display())))?
            }
            None => Config::default(),
        };
        if let Some(v) = env_value(env, "VENDEPUNKT_DATABASE_URL")? {
            c.database_url = v;
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_ADDR")? {
            c.addr = v;
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_PUBLIC_URL")? {
            c.public_url = Some(v);
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_BEHIND_TLS_PROXY")? {
            c.behind_tls_proxy = parse_bool("VENDEPUNKT_BEHIND_TLS_PROXY", &v)?;
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_TRUST_FORWARDED_FOR")? {
            c.trust_forwarded_for = parse_bool("VENDEPUNKT_TRUST_FORWARDED_FOR", &v)?;
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_SESSION_IDLE_MINUTES")? {
            c.session_idle_minutes = parse_int("VENDEPUNKT_SESSION_IDLE_MINUTES", &v)?;
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_SESSION_ABSOLUTE_HOURS")? {
            c.session_absolute_hours = parse_int("VENDEPUNKT_SESSION_ABSOLUTE_HOURS", &v)?;
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_LOG")? {
            c.log = v;
        }
        Ok(c)
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.is_postgres()
            || self.database_url.starts_with("sqlite:")
            || !self.database_url.contains("://"))
        {
            return Err(ConfigError(format!(
                "database_url: use sqlite://PATH or postgres://…, got a {} URL",
                self.database_url.split("://").next().unwrap_or("")
            )));
        }
        if self.addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError(format!(
                "addr: expected HOST:PORT such as 127.0.0.1:8080, got {:?}",
                self.addr
            )));
        }
        if !(1..=24 * 60).contains(&self.session_idle_minutes) {
            return Err(ConfigError(
                "session_idle_minutes: must be between 1 and 1440".into(),
            ));
        }
        if !(1..=24 * 7).contains(&self.session_absolute_hours) {
            return Err(ConfigError(
                "session_absolute_hours: must be between 1 and 168".into(),
            ));
        }
        if let Some(u) = &self.public_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(ConfigError(format!(
                "public_url: must start with https:// or http://, got {u:?}"
            )));
        }
        Ok(())
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://")
    }

    /// Cookies get `Secure` and the `__Host-` prefix when people reach us over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.behind_tls_proxy
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
    }

    /// The effective configuration as TOML, with secrets (the database password) redacted.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = redact_url(&self.database_url);
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

/// Replaces the password in `scheme://user:password@host/…` with `[redacted]`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let Some((userinfo, host)) = rest.split_once('@') else {
        return url.to_string();
    };
    match userinfo.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:[redacted]@{host}"),
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn environment_overrides_the_file_and_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.toml");
        std::fs::write(
            &file,
            "addr = \"0.0.0.0:9000\"\nsession_idle_minutes = 20\n",
        )
        .unwrap();
        let c = Config::load(
            Some(&file),
            &env(&[("VENDEPUNKT_SESSION_IDLE_MINUTES", "15")]),
        )
        .unwrap();
        assert_eq!(c.addr, "0.0.0.0:9000");
        assert_eq!(c.session_idle_minutes, 15);
        assert_eq!(c.session_absolute_hours, 12);
        assert!(c.validate().is_ok());
    }

    #[test]
    fn secrets_can_come_from_files_and_are_redacted_when_printed() {
        let dir = tempfile::tempdir().unwrap();
        let secret = dir.path().join("db");
        std::fs::write(&secret, "postgres://app:s3cret-pw@db.example/vp\n").unwrap();
        let c = Config::load(
            None,
            &env(&[("VENDEPUNKT_DATABASE_URL_FILE", secret.to_str().unwrap())]),
        )
        .unwrap();
        assert_eq!(c.database_url, "postgres://app:s3cret-pw@db.example/vp");
        let shown = c.redacted_toml();
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(shown.contains("app:[redacted]@db.example"));
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_named() {
        let e = Config::load(None, &env(&[("VENDEPUNKT_BEHIND_TLS_PROXY", "maybe")])).unwrap_err();
        assert!(e.0.contains("VENDEPUNKT_BEHIND_TLS_PROXY"));
        let c = Config::load(None, &env(&[("VENDEPUNKT_ADDR", "localhost")])).unwrap();
        assert!(c.validate().unwrap_err().0.starts_with("addr:"));
        let c = Config::load(None, &env(&[("VENDEPUNKT_DATABASE_URL", "mysql://x")])).unwrap();
        assert!(c.validate().is_err());
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.toml");
        std::fs::write(&file, "no_such_setting = 1\n").unwrap();
        assert!(
            Config::load(Some(&file), &env(&[])).is_err(),
            "unknown settings are errors, not silently ignored"
        );
    }

    #[test]
    fn https_public_urls_and_tls_proxies_turn_on_secure_cookies() {
        let mut c = Config::default();
        assert!(!c.secure_cookies());
        c.public_url = Some("https://vp.example".into());
        assert!(c.secure_cookies());
        c.public_url = None;
        c.behind_tls_proxy = true;
        assert!(c.secure_cookies());
    }
}
