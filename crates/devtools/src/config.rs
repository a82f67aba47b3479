//! The few settings the tools need, found where `vendepunkt` finds them: defaults, then the
//! configuration file, then `VENDEPUNKT_*` environment variables (`VENDEPUNKT_X_FILE` reads a
//! value from a file), then `--database`. Other keys of the product's file are ignored.

use serde::Deserialize;
use std::path::Path;

/// The product's default database (`vendepunkt check-config --print`).
const DEFAULT_DATABASE_URL: &str = "sqlite://./data/vendepunkt.sqlite";

#[derive(Debug, Clone)]
pub struct Config {
    pub database_url: String,
    pub public_url: Option<String>,
    pub behind_tls_proxy: bool,
    /// Log filter, e.g. `info` or `warn`.
    pub log: String,
}

/// The keys read from the product's configuration file.
#[derive(Deserialize, Default)]
struct File {
    database_url: Option<String>,
    public_url: Option<String>,
    behind_tls_proxy: Option<bool>,
    log: Option<String>,
}

impl Config {
    pub fn resolve(file: Option<&Path>, database: Option<&str>) -> Result<Config, String> {
        let f: File = match file {
            Some(p) => {
                let text = std::fs::read_to_string(p)
                    .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
                toml::from_str(&text)
                    .map_err(|e| format!("{}: {}", p.display(), e.message().trim()))?
            }
            None => File::default(),
        };
        let mut c = Config {
            database_url: f
                .database_url
                .unwrap_or_else(|| DEFAULT_DATABASE_URL.into()),
            public_url: f.public_url,
            behind_tls_proxy: f.behind_tls_proxy.unwrap_or(false),
            log: f.log.unwrap_or_else(|| "info".into()),
        };
        if let Some(v) = env_value("VENDEPUNKT_DATABASE_URL")? {
            c.database_url = v;
        }
        if let Some(v) = env_value("VENDEPUNKT_PUBLIC_URL")? {
            c.public_url = Some(v);
        }
        if let Some(v) = env_value("VENDEPUNKT_BEHIND_TLS_PROXY")? {
            c.behind_tls_proxy = match v.trim().to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" | "on" => true,
                "0" | "false" | "no" | "off" => false,
                _ => {
                    return Err(format!(
                        "VENDEPUNKT_BEHIND_TLS_PROXY: expected true or false, got {v:?}"
                    ));
                }
            };
        }
        if let Some(v) = env_value("VENDEPUNKT_LOG")? {
            c.log = v;
        }
        if let Some(d) = database {
            c.database_url = d.to_string();
        }
        let url = c.database_url.trim();
        if !(url.starts_with("sqlite:") || c.is_postgres()) {
            return Err(format!(
                "database_url: use sqlite://PATH or postgres://…, got {}",
                redact_url(url)
            ));
        }
        Ok(c)
    }

    pub fn is_postgres(&self) -> bool {
        self.database_url.starts_with("postgres://")
            || self.database_url.starts_with("postgresql://")
    }

    /// The cookie names the server uses: `__Host-` ones when people reach it over TLS.
    pub fn secure_cookies(&self) -> bool {
        self.behind_tls_proxy
            || self
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://"))
    }
}

/// `NAME`, or the first line of the file `NAME_FILE` names (not both).
fn env_value(name: &str) -> Result<Option<String>, String> {
    let file_var = format!("{name}_FILE");
    let get = |n: &str| std::env::var_os(n).and_then(|v| v.into_string().ok());
    match (get(name), get(&file_var)) {
        (Some(_), Some(_)) => Err(format!(
            "{name} and {file_var} are both set; set only one of them"
        )),
        (None, Some(path)) => {
            let v = std::fs::read_to_string(&path)
                .map_err(|e| format!("{file_var}: cannot read {path}: {e}"))?;
            let v = v.trim();
            if v.is_empty() {
                return Err(format!("{file_var}: {path} is empty"));
            }
            Ok(Some(v.to_string()))
        }
        (v, None) => Ok(v),
    }
}

/// The URL with the password of `scheme://user:password@host/…` and any `…password=` query
/// parameter hidden, so it can be printed.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    let mut out = format!("{scheme}://");
    match before_query.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            out.push_str(user);
            if userinfo.contains(':') {
                out.push_str(":[redacted]");
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
                    format!("{k}=[redacted]")
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
    use super::*;

    #[test]
    fn passwords_in_database_urls_are_hidden() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db/vp?sslpassword=x&a=b"),
            "postgres://app:[redacted]@db/vp?sslpassword=[redacted]&a=b"
        );
        assert_eq!(redact_url("sqlite://./x.db"), "sqlite://./x.db");
    }
}
