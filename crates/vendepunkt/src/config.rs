//! Configuration: defaults, then a TOML file, then `VENDEPUNKT_*` environment variables (with
//! `_FILE` variants for secrets), then command-line flags — each overriding the one before.
//!
//! Everything here is pure (the environment is passed in as a map) so the precedence rules can
//! be tested without touching the process environment.

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
    /// Where the metrics listener serves `/metrics` (`HOST:PORT`); none: no metrics served.
    pub metrics_addr: Option<String>,
    /// A bearer token the metrics listener requires (`Authorization: Bearer …`).
    pub metrics_token: Option<String>,
    /// Notices without content (`[notify]` in the file).
    pub notify: NotifyConfig,
}

/// Where notices go. Nothing set: no notices are sent (they stay queued in the outbox).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotifyConfig {
    /// `smtp://user:password@host:587` (STARTTLS), `smtps://…` (TLS), or `file:/dir` (each
    /// e-mail written to a file, for development and tests).
    pub email: Option<String>,
    /// The sender of notice e-mails.
    pub mail_from: String,
    /// The SMS gateway's URL (HTTP POST, JSON; see docs/NOTIFICATIONS.md).
    pub sms_url: Option<String>,
    /// How long one send may take before it counts as failed (1–120 seconds).
    pub send_timeout_seconds: i64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        Self {
            email: None,
            mail_from: "Vendepunkt <noreply@localhost>".into(),
            sms_url: None,
            send_timeout_seconds: 10,
        }
    }
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
            metrics_addr: None,
            metrics_token: None,
            notify: NotifyConfig::default(),
        }
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Overrides {
    pub database_url: Option<String>,
    pub addr: Option<String>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Reads `NAME`, or the file named by `NAME_FILE` (trimmed), so secrets can come from mounted
/// files (Docker/Kubernetes secrets) instead of the environment.
fn env_value(env: &HashMap<String, String>, name: &str) -> Result<Option<String>, ConfigError> {
    let file_var = format!("{name}_FILE");
    match (env.get(name), env.get(&file_var)) {
        (Some(_), Some(_)) => Err(ConfigError(format!(
            "{name} and {file_var} are both set; set only one of them"
        ))),
        (None, Some(path)) => {
            let v = std::fs::read_to_string(path)
                .map_err(|e| ConfigError(format!("{file_var}: cannot read {path}: {e}")))?;
            let v = v.trim();
            if v.is_empty() {
                return Err(ConfigError(format!("{file_var}: {path} is empty")));
            }
            Ok(Some(v.to_string()))
        }
        (v, None) => Ok(v.cloned()),
    }
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
    /// The effective configuration: defaults < file < environment < command line, validated.
    pub fn resolve(
        file: Option<&Path>,
        env: &HashMap<String, String>,
        overrides: &Overrides,
    ) -> Result<Self, ConfigError> {
        let mut c = Self::load(file, env)?;
        if let Some(v) = &overrides.database_url {
            c.database_url = v.clone();
        }
        if let Some(v) = &overrides.addr {
            c.addr = v.clone();
        }
        c.validate()?;
        Ok(c)
    }

    /// Loads the file (if any) and applies the environment.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let mut c = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| ConfigError(format!("cannot read {}: {e}", p.display())))?;
                toml::from_str(&text).map_err(|e| {
                    // toml's message spans several lines (with a caret); keep it on one.
                    let msg = e.message().trim().to_string();
                    let at = e
                        .span()
                        .map(|s| format!(" (line {})", line_of(&text, s.start)))
                        .unwrap_or_default();
                    ConfigError(format!("{}{at}: {msg}", p.display()))
                })?
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
        if let Some(v) = env_value(env, "VENDEPUNKT_METRICS_ADDR")? {
            c.metrics_addr = Some(v);
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_METRICS_TOKEN")? {
            c.metrics_token = Some(v);
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_NOTIFY_EMAIL")? {
            c.notify.email = Some(v);
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_NOTIFY_MAIL_FROM")? {
            c.notify.mail_from = v;
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_NOTIFY_SMS_URL")? {
            c.notify.sms_url = Some(v);
        }
        if let Some(v) = env_value(env, "VENDEPUNKT_NOTIFY_SEND_TIMEOUT_SECONDS")? {
            c.notify.send_timeout_seconds =
                parse_int("VENDEPUNKT_NOTIFY_SEND_TIMEOUT_SECONDS", &v)?;
        }
        Ok(c)
    }

    /// Checks values that parse but make no sense.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let url = self.database_url.trim();
        if url.is_empty() {
            return Err(ConfigError("database_url: must not be empty".into()));
        }
        if !(self.is_postgres() || url.starts_with("sqlite:") || !url.contains("://")) {
            return Err(ConfigError(format!(
                "database_url: use sqlite://PATH or postgres://…, got a {}:// URL",
                url.split("://").next().unwrap_or("")
            )));
        }
        if self.addr.parse::<std::net::SocketAddr>().is_err() {
            return Err(ConfigError(format!(
                "addr: expected IP:PORT such as 127.0.0.1:8080 or 0.0.0.0:8080, got {:?}",
                self.addr
            )));
        }
        if !(1..=24 * 60).contains(&self.session_idle_minutes) {
            return Err(ConfigError(format!(
                "session_idle_minutes: must be between 1 and 1440, got {}",
                self.session_idle_minutes
            )));
        }
        if !(1..=24 * 7).contains(&self.session_absolute_hours) {
            return Err(ConfigError(format!(
                "session_absolute_hours: must be between 1 and 168, got {}",
                self.session_absolute_hours
            )));
        }
        if self.session_idle_minutes > self.session_absolute_hours * 60 {
            return Err(ConfigError(
                "session_idle_minutes: longer than session_absolute_hours, so it would never apply"
                    .into(),
            ));
        }
        if let Some(u) = &self.public_url {
            let rest = u
                .strip_prefix("https://")
                .or_else(|| u.strip_prefix("http://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains(['?', '#', ' ', '@'])) {
                return Err(ConfigError(format!(
                    "public_url: expected https://HOST[/PATH] (or http:// for local testing), got {u:?}"
                )));
            }
        }
        if let Some(m) = &self.metrics_addr {
            let Ok(m) = m.parse::<std::net::SocketAddr>() else {
                return Err(ConfigError(format!(
                    "metrics_addr: expected IP:PORT such as 127.0.0.1:9090, got {m:?}"
                )));
            };
            if m.port() != 0 && self.addr.parse::<std::net::SocketAddr>().ok() == Some(m) {
                return Err(ConfigError(
                    "metrics_addr: must differ from addr (the pages' listener has no /metrics)"
                        .into(),
                ));
            }
        }
        if let Some(t) = &self.metrics_token
            && t.trim().chars().count() < 16
        {
            return Err(ConfigError(
                "metrics_token: use at least 16 random characters".into(),
            ));
        }
        if let Some(e) = &self.notify.email
            && !(e.starts_with("smtp://") || e.starts_with("smtps://") || e.starts_with("file:"))
        {
            return Err(ConfigError(
                "notify.email: expected smtp://HOST, smtps://HOST or file:/DIR".into(),
            ));
        }
        if let Some(u) = &self.notify.sms_url
            && !(u.starts_with("https://") || u.starts_with("http://"))
        {
            return Err(ConfigError(
                "notify.sms_url: expected an https:// (or http:// for testing) URL".into(),
            ));
        }
        if !(1..=120).contains(&self.notify.send_timeout_seconds) {
            return Err(ConfigError(format!(
                "notify.send_timeout_seconds: must be between 1 and 120, got {}",
                self.notify.send_timeout_seconds
            )));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&self.log) {
            return Err(ConfigError(format!(
                "log: not a valid filter such as \"info\" or \"vendepunkt=debug,info\" ({e})"
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

    /// Settings that are valid but probably wrong, one sentence each: `check-config` prints
    /// them and `serve` logs them at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.trust_forwarded_for
            && let Some(why) = self.proxy_in_front()
        {
            out.push(format!(
                "trust_forwarded_for is false, but {why}: behind a proxy every request comes from the proxy's address, so the login limit per address (30 failures in 15 minutes) is shared by everyone and anyone can hold back every browser that has not logged in before. If the proxy is the only way to reach this server, let it append the client's address to X-Forwarded-For and set trust_forwarded_for = true (docs/OPERATIONS.md)"
            ));
        }
        if self.metrics_token.is_none()
            && let Some(m) = &self.metrics_addr
            && m.parse::<std::net::SocketAddr>()
                .is_ok_and(|a| !a.ip().is_loopback())
        {
            out.push(format!(
                "metrics_addr {m} is not a loopback address and metrics_token is not set: anyone who can reach it can read how often each page is used (protected-case openings, failed logins). Set metrics_token, or firewall the port so that only the monitoring system reaches it"
            ));
        }
        out
    }

    /// Why a reverse proxy is probably in front of this server, if it is.
    fn proxy_in_front(&self) -> Option<&'static str> {
        if self.behind_tls_proxy {
            return Some("behind_tls_proxy is true");
        }
        let public = self.public_url.as_deref()?;
        // The server speaks plain HTTP only, so an https address is served by something else.
        if public.starts_with("https://") {
            return Some("public_url is an https:// address and this server speaks plain HTTP");
        }
        let authority = public
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or("");
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.split(':').next().unwrap_or(""),
        };
        let listens_on_loopback = self
            .addr
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| a.ip().is_loopback());
        let local_name = host.eq_ignore_ascii_case("localhost")
            || host.to_ascii_lowercase().ends_with(".localhost")
            || host
                .parse::<std::net::IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        (listens_on_loopback && !local_name)
            .then_some("public_url names another host while addr is a loopback address")
    }

    /// The effective configuration as TOML, with secrets (the database password) redacted.
    pub fn redacted_toml(&self) -> String {
        let mut shown = self.clone();
        shown.database_url = redact_url(&self.database_url);
        shown.metrics_token = self.metrics_token.as_ref().map(|_| REDACTED.to_string());
        shown.notify.email = self.notify.email.as_deref().map(redact_url);
        shown.notify.sms_url = self.notify.sms_url.as_deref().map(redact_url);
        toml::to_string_pretty(&shown).unwrap_or_default()
    }
}

fn line_of(text: &str, byte: usize) -> usize {
    text.get(..byte).map_or(0, |t| t.matches('\n').count()) + 1
}

const REDACTED: &str = "[redacted]";

/// Hides the password in `scheme://user:password@host/…` and in `password=` / `sslpassword=`
/// query parameters, so the URL can be printed or logged.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    // The last '@' ends the user info: an unencoded '@' or '/' in a password must not leak.
    let mut out = format!("{scheme}://");
    match before_query.rsplit_once('@') {
        Some((userinfo, host)) => {
            match userinfo.split_once(':') {
                Some((user, _)) => out.push_str(&format!("{user}:{REDACTED}")),
                None => out.push_str(userinfo),
            }
            out.push('@');
            out.push_str(host);
        }
        None => out.push_str(before_query),
    }
    if let Some(q) = query {
        let params: Vec<String> = q
            .split('&')
            .map(|p| match p.split_once('=') {
                Some((k, _)) if k.to_ascii_lowercase().contains("password") => {
                    format!("{k}={REDACTED}")
                }
                _ => p.to_string(),
            })
            .collect();
        out.push('?');
        out.push_str(&params.join("&"));
    }
    out
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
    fn defaults_are_valid_and_use_a_local_sqlite_file() {
        let c = Config::resolve(None, &env(&[]), &Overrides::default()).unwrap();
        assert_eq!(c.database_url, "sqlite://./data/vendepunkt.sqlite");
        assert!(!c.is_postgres());
        assert!(!c.secure_cookies());
    }

    #[test]
    fn flags_override_environment_which_overrides_the_file_which_overrides_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.toml");
        std::fs::write(
            &file,
            "addr = \"0.0.0.0:9000\"\nsession_idle_minutes = 20\ndatabase_url = \"sqlite://from-file\"\nlog = \"warn\"\n",
        )
        .unwrap();
        let e = env(&[
            ("VENDEPUNKT_SESSION_IDLE_MINUTES", "15"),
            ("VENDEPUNKT_DATABASE_URL", "sqlite://from-env"),
            ("VENDEPUNKT_ADDR", "127.0.0.1:7000"),
        ]);
        let c = Config::resolve(Some(&file), &e, &Overrides::default()).unwrap();
        assert_eq!(c.addr, "127.0.0.1:7000", "environment beats file");
        assert_eq!(c.session_idle_minutes, 15, "environment beats file");
        assert_eq!(c.log, "warn", "file beats default");
        assert_eq!(c.session_absolute_hours, 12, "default when nobody says");
        assert_eq!(c.database_url, "sqlite://from-env");
        let flags = Overrides {
            database_url: Some("postgresql://u@db/vp".into()),
            addr: Some("127.0.0.1:0".into()),
        };
        let c = Config::resolve(Some(&file), &e, &flags).unwrap();
        assert_eq!(
            c.database_url, "postgresql://u@db/vp",
            "flag beats environment"
        );
        assert_eq!(c.addr, "127.0.0.1:0");
        assert!(c.is_postgres());
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
        assert_eq!(
            c.database_url, "postgres://app:s3cret-pw@db.example/vp",
            "read and trimmed"
        );
        let shown = c.redacted_toml();
        assert!(!shown.contains("s3cret-pw"), "{shown}");
        assert!(shown.contains("app:[redacted]@db.example/vp"), "{shown}");
    }

    #[test]
    fn a_secret_file_that_is_missing_or_empty_or_doubled_by_the_plain_variable_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope");
        let e = Config::load(
            None,
            &env(&[("VENDEPUNKT_DATABASE_URL_FILE", missing.to_str().unwrap())]),
        )
        .unwrap_err();
        assert!(
            e.0.starts_with("VENDEPUNKT_DATABASE_URL_FILE: cannot read"),
            "{e}"
        );
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let e = Config::load(
            None,
            &env(&[("VENDEPUNKT_DATABASE_URL_FILE", empty.to_str().unwrap())]),
        )
        .unwrap_err();
        assert!(e.0.contains("is empty"), "{e}");
        let e = Config::load(
            None,
            &env(&[
                ("VENDEPUNKT_DATABASE_URL_FILE", empty.to_str().unwrap()),
                ("VENDEPUNKT_DATABASE_URL", "sqlite://x"),
            ]),
        )
        .unwrap_err();
        assert!(e.0.contains("only one"), "{e}");
    }

    #[test]
    fn redaction_hides_passwords_wherever_they_are_in_the_url() {
        assert_eq!(
            redact_url("postgres://app:p@ss/w0rd@db:5432/vp"),
            "postgres://app:[redacted]@db:5432/vp"
        );
        assert_eq!(
            redact_url("postgresql://db/vp?user=app&password=hunter22&sslmode=require"),
            "postgresql://db/vp?user=app&password=[redacted]&sslmode=require"
        );
        assert_eq!(redact_url("postgres://app@db/vp"), "postgres://app@db/vp");
        assert_eq!(
            redact_url("sqlite://./data/vendepunkt.sqlite"),
            "sqlite://./data/vendepunkt.sqlite"
        );
        assert_eq!(redact_url("./plain/path.sqlite"), "./plain/path.sqlite");
    }

    #[test]
    fn bad_values_are_refused_with_the_setting_named() {
        let none = Overrides::default();
        let refused =
            |pairs: &[(&str, &str)]| Config::resolve(None, &env(pairs), &none).unwrap_err().0;
        assert!(
            refused(&[("VENDEPUNKT_BEHIND_TLS_PROXY", "maybe")])
                .contains("VENDEPUNKT_BEHIND_TLS_PROXY")
        );
        assert!(
            refused(&[("VENDEPUNKT_SESSION_IDLE_MINUTES", "soon")])
                .contains("VENDEPUNKT_SESSION_IDLE_MINUTES")
        );
        assert!(refused(&[("VENDEPUNKT_ADDR", "localhost")]).starts_with("addr:"));
        assert!(refused(&[("VENDEPUNKT_DATABASE_URL", "mysql://x")]).starts_with("database_url:"));
        assert!(refused(&[("VENDEPUNKT_DATABASE_URL", "")]).starts_with("database_url:"));
        assert!(
            refused(&[("VENDEPUNKT_SESSION_IDLE_MINUTES", "0")])
                .starts_with("session_idle_minutes:")
        );
        assert!(
            refused(&[("VENDEPUNKT_SESSION_ABSOLUTE_HOURS", "1000")])
                .starts_with("session_absolute_hours:")
        );
        assert!(
            refused(&[
                ("VENDEPUNKT_SESSION_IDLE_MINUTES", "120"),
                ("VENDEPUNKT_SESSION_ABSOLUTE_HOURS", "1")
            ])
            .starts_with("session_idle_minutes:")
        );
        assert!(refused(&[("VENDEPUNKT_PUBLIC_URL", "vp.example.no")]).starts_with("public_url:"));
        assert!(refused(&[("VENDEPUNKT_LOG", "info,[")]).starts_with("log:"));

        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.toml");
        std::fs::write(&file, "addr = \"127.0.0.1:1\"\nno_such_setting = 1\n").unwrap();
        let e = Config::load(Some(&file), &env(&[])).unwrap_err().0;
        assert!(
            e.contains("line 2") && e.contains("no_such_setting") && !e.contains('\n'),
            "unknown settings are one-line errors, not silently ignored: {e}"
        );
        std::fs::write(&file, "session_idle_minutes = \"ten\"\n").unwrap();
        assert!(Config::load(Some(&file), &env(&[])).is_err());
    }

    #[test]
    fn https_public_urls_and_tls_proxies_turn_on_secure_cookies() {
        let mut c = Config::default();
        assert!(!c.secure_cookies());
        c.public_url = Some("https://vp.example".into());
        assert!(c.secure_cookies());
        c.public_url = Some("http://localhost:8080".into());
        assert!(!c.secure_cookies());
        c.public_url = None;
        c.behind_tls_proxy = true;
        assert!(c.secure_cookies());
    }

    #[test]
    fn a_proxy_in_front_without_trusted_forwarded_for_is_warned_about() {
        let mut c = Config::default();
        assert!(
            c.warnings().is_empty(),
            "plain local defaults: nothing to say"
        );
        for local in [
            "http://localhost:8080",
            "http://127.0.0.1:8080",
            "http://[::1]:8080",
        ] {
            c.public_url = Some(local.into());
            assert!(c.warnings().is_empty(), "{local} is not behind a proxy");
        }
        for (public_url, behind_tls_proxy) in [
            (None, true),
            (Some("https://vp.example.no"), false),
            (Some("http://vp.internal.example"), false),
        ] {
            let mut c = Config {
                public_url: public_url.map(str::to_string),
                behind_tls_proxy,
                ..Config::default()
            };
            let w = c.warnings();
            assert_eq!(w.len(), 1, "{public_url:?} {behind_tls_proxy}: {w:?}");
            assert!(
                w[0].starts_with("trust_forwarded_for is false")
                    && w[0].contains("X-Forwarded-For"),
                "{w:?}"
            );
            c.trust_forwarded_for = true;
            assert!(
                c.warnings().is_empty(),
                "{public_url:?}: configured as advised"
            );
        }
        let c = Config {
            public_url: Some("http://vp.example.no".into()),
            addr: "0.0.0.0:80".into(),
            ..Config::default()
        };
        assert!(
            c.warnings().is_empty(),
            "reachable directly on plain HTTP: no sign of a proxy"
        );
    }

    #[test]
    fn metrics_settings_are_checked_redacted_and_warned_about() {
        let none = Overrides::default();
        let c = Config::resolve(
            None,
            &env(&[
                ("VENDEPUNKT_METRICS_ADDR", "127.0.0.1:9090"),
                (
                    "VENDEPUNKT_METRICS_TOKEN",
                    "a-long-metrics-token-0123456789",
                ),
            ]),
            &none,
        )
        .unwrap();
        assert_eq!(c.metrics_addr.as_deref(), Some("127.0.0.1:9090"));
        let shown = c.redacted_toml();
        assert!(
            !shown.contains("a-long-metrics-token")
                && shown.contains("metrics_token = \"[redacted]\""),
            "{shown}"
        );
        let refused =
            |pairs: &[(&str, &str)]| Config::resolve(None, &env(pairs), &none).unwrap_err().0;
        assert!(refused(&[("VENDEPUNKT_METRICS_ADDR", "localhost")]).starts_with("metrics_addr:"));
        assert!(
            refused(&[
                ("VENDEPUNKT_ADDR", "127.0.0.1:8080"),
                ("VENDEPUNKT_METRICS_ADDR", "127.0.0.1:8080")
            ])
            .starts_with("metrics_addr:")
        );
        assert!(refused(&[("VENDEPUNKT_METRICS_TOKEN", "short")]).starts_with("metrics_token:"));
        let open = Config {
            metrics_addr: Some("0.0.0.0:9090".into()),
            ..Config::default()
        };
        assert!(
            open.warnings()[0].starts_with("metrics_addr 0.0.0.0:9090"),
            "{:?}",
            open.warnings()
        );
        let loopback = Config {
            metrics_addr: Some("127.0.0.1:9090".into()),
            ..Config::default()
        };
        assert!(loopback.warnings().is_empty());
    }

    #[test]
    fn notify_settings_come_from_the_file_and_environment_and_are_checked() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.toml");
        std::fs::write(
            &file,
            "[notify]\nemail = \"smtp://u:pw@mail.example:587\"\nsms_url = \"https://sms.example/send\"\n",
        )
        .unwrap();
        let c = Config::resolve(Some(&file), &env(&[]), &Overrides::default()).unwrap();
        assert_eq!(
            c.notify.sms_url.as_deref(),
            Some("https://sms.example/send")
        );
        assert!(!c.redacted_toml().contains("pw@"), "{}", c.redacted_toml());
        let c = Config::resolve(
            Some(&file),
            &env(&[("VENDEPUNKT_NOTIFY_EMAIL", "file:/tmp/mail")]),
            &Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.notify.email.as_deref(), Some("file:/tmp/mail"));
        let e = Config::resolve(
            None,
            &env(&[("VENDEPUNKT_NOTIFY_EMAIL", "mailto:x")]),
            &Overrides::default(),
        )
        .unwrap_err();
        assert!(e.0.starts_with("notify.email"), "{e}");
    }
}
