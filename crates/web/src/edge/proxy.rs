//! The client address behind a proxy, and a warning when the server probably sits behind one
//! that it does not trust.
//!
//! Login throttling counts failures per source address. Behind a reverse proxy every
//! connection comes from the proxy, so unless `trust_forwarded_for` is on (and the proxy appends
//! the client's address to `X-Forwarded-For`), the server sees one address for everyone and
//! the address limit is shared by all users. [`ForwardedForWatch`] notices that situation at
//! run time: many requests in a row from one loopback or private address, each carrying an
//! `X-Forwarded-For` header that is being ignored. That is what a proxy in front of the server
//! looks like. Requests from public addresses are left out: a client behind its own forward
//! proxy (a company network) may send the header too, and ignoring it there is right.

use crate::AppState;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// How many requests in a row from one private address with an ignored `X-Forwarded-For`
/// make the server say that it is probably behind an untrusted proxy.
pub const REQUESTS_IN_A_ROW: u32 = 20;

/// The address login throttling counts against. Behind a trusted proxy that is the entry the
/// proxy appended to `X-Forwarded-For` (the last one): entries before it come from the client
/// and could be anything, so trusting the first would let an attacker pick a fresh address
/// for every attempt.
pub fn source_address(
    trust_forwarded_for: bool,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> String {
    if trust_forwarded_for
        && let Some(last) = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
            .and_then(|v| v.parse::<IpAddr>().ok())
    {
        return last.to_string();
    }
    peer.map(|p| p.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

/// Loopback, private (RFC 1918), link-local, shared (RFC 6598) or unique-local: where a
/// reverse proxy in front of this server connects from.
pub fn is_internal(ip: IpAddr) -> bool {
    match ip.to_canonical() {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => v6.is_loopback() || v6.is_unique_local() || v6.is_unicast_link_local(),
    }
}

/// Counts requests in a row from one internal address that carry an ignored
/// `X-Forwarded-For`, and warns once (per process) when there are [`REQUESTS_IN_A_ROW`].
#[derive(Debug, Default)]
pub struct ForwardedForWatch {
    run: Mutex<(Option<IpAddr>, u32)>,
    warned: AtomicBool,
}

impl ForwardedForWatch {
    /// Notes one request; true exactly once, when the warning is due.
    pub fn note(&self, peer: IpAddr, has_forwarded_for: bool) -> bool {
        if self.warned.load(Ordering::Relaxed) {
            return false;
        }
        let Ok(mut run) = self.run.lock() else {
            return false;
        };
        if !has_forwarded_for || !is_internal(peer) {
            *run = (None, 0);
            return false;
        }
        if run.0 == Some(peer) {
            run.1 += 1;
        } else {
            *run = (Some(peer), 1);
        }
        run.1 >= REQUESTS_IN_A_ROW && !self.warned.swap(true, Ordering::Relaxed)
    }
}

/// The layer that feeds [`ForwardedForWatch`] (only while `trust_forwarded_for` is off) and
/// logs the warning. The address in the line is the proxy's, not a person's.
pub async fn watch_forwarded_for(
    State(state): State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    if !state.settings.trust_forwarded_for
        && let Some(ConnectInfo(peer)) = req.extensions().get::<ConnectInfo<SocketAddr>>()
        && state
            .forwarded_for_watch
            .note(peer.ip(), req.headers().contains_key("x-forwarded-for"))
    {
        tracing::warn!(
            proxy = %peer.ip(),
            "{REQUESTS_IN_A_ROW} requests in a row came from {} with an X-Forwarded-For header, which is ignored because trust_forwarded_for is false: this server is probably behind a proxy and sees every person as the proxy's address, so login throttling counts them all as one. If that proxy is the only way to reach the server, set trust_forwarded_for = true (see docs/OPERATIONS.md)",
            peer.ip()
        );
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse()
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
    }

    #[test]
    fn internal_addresses_are_where_proxies_are() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "172.20.0.5",
            "192.168.1.1",
            "100.64.0.1",
            "::1",
            "fd00::5",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_internal(ip(a)), "{a}");
        }
        for a in ["203.0.113.7", "8.8.8.8", "2001:db8::1", "172.32.0.1"] {
            assert!(!is_internal(ip(a)), "{a}");
        }
    }

    #[test]
    fn the_warning_comes_once_after_enough_requests_in_a_row_from_one_internal_address() {
        let w = ForwardedForWatch::default();
        let proxy = ip("10.0.0.2");
        for _ in 1..REQUESTS_IN_A_ROW {
            assert!(!w.note(proxy, true));
        }
        // Broken runs start over: another address, or a request without the header.
        assert!(!w.note(ip("10.0.0.3"), true));
        for _ in 1..REQUESTS_IN_A_ROW {
            assert!(!w.note(proxy, true));
        }
        assert!(!w.note(proxy, false));
        // Public addresses never count.
        let public = ip("203.0.113.7");
        for _ in 0..(2 * REQUESTS_IN_A_ROW) {
            assert!(!w.note(public, true));
        }
        for _ in 1..REQUESTS_IN_A_ROW {
            assert!(!w.note(proxy, true));
        }
        assert!(w.note(proxy, true), "the warning is due");
        for _ in 0..(2 * REQUESTS_IN_A_ROW) {
            assert!(!w.note(proxy, true), "only once");
        }
    }
}
