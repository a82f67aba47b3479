//! What every page needs from the request: language, request id, CSRF token, the signed-in
//! actor, and the settings that shape the chrome (demo banner, asset URLs).

use crate::AppState;
use crate::i18n::{Tr, negotiate};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use domain::ids::RequestId;
use domain::roles::Actor;
use domain::types::Secret;
use std::convert::Infallible;

/// The request id, put in the extensions by the request-id middleware.
#[derive(Debug, Clone, Copy)]
pub struct ReqId(pub RequestId);

/// The CSRF token of this browser (from its cookie, or freshly made by the CSRF middleware).
#[derive(Debug, Clone)]
pub struct CsrfToken(pub String);

/// The signed-in actor, if any, put in the extensions by the session middleware.
#[derive(Debug, Clone)]
pub struct CurrentActor(pub Option<Actor>);

/// Cookie names. With TLS the `__Host-` prefix binds cookies to this exact origin; browsers
/// refuse it without `Secure`, so plain-HTTP development uses the bare names.
#[derive(Debug, Clone, Copy)]
pub struct CookieNames {
    pub session: &'static str,
    pub device: &'static str,
    pub csrf: &'static str,
}

pub const LANG_COOKIE: &str = "vp_lang";

pub fn cookie_names(secure: bool) -> CookieNames {
    if secure {
        CookieNames {
            session: "__Host-vp_session",
            device: "__Host-vp_device",
            csrf: "__Host-vp_csrf",
        }
    } else {
        CookieNames {
            session: "vp_session",
            device: "vp_device",
            csrf: "vp_csrf",
        }
    }
}

/// The value of cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// A `Set-Cookie` value. `max_age` `None` makes a browser-session cookie; `Some(0)` deletes.
pub fn set_cookie(
    name: &str,
    value: &str,
    max_age: Option<i64>,
    same_site: &str,
    secure: bool,
    http_only: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; SameSite={same_site}");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or(HeaderValue::from_static(""))
}

/// The CSRF token a page for this request carries: with a live session (`signed_in`), the
/// token of that session (`domain::accounts::session_csrf_token`); before login, the browser's
/// pre-session token cookie, if it has one.
pub fn csrf_token_for(headers: &HeaderMap, secure: bool, signed_in: bool) -> Option<String> {
    let names = cookie_names(secure);
    match cookie(headers, names.session).filter(|_| signed_in) {
        Some(session) => Some(domain::accounts::session_csrf_token(&Secret::new(session))),
        None => cookie(headers, names.csrf),
    }
}

/// A `Set-Cookie` for a fresh pre-session CSRF token (at login and logout, so that a token
/// seen before is not good for the next person or session).
pub fn fresh_pre_session_token(secure: bool) -> HeaderValue {
    let token = domain::accounts::new_token();
    set_cookie(
        cookie_names(secure).csrf,
        token.expose(),
        None,
        "Strict",
        secure,
        true,
    )
}

/// Everything a page handler needs besides its own input.
#[derive(Clone)]
pub struct PageCtx {
    pub tr: Tr,
    pub request_id: RequestId,
    pub csrf: String,
    pub actor: Option<Actor>,
    pub session_token: Option<Secret>,
    pub device_token: Option<Secret>,
    pub demo: bool,
    pub css: Vec<String>,
    pub js: String,
    /// The htmx extension for Server-Sent Events (live updates).
    pub sse_js: String,
}

impl PageCtx {
    pub fn from_parts(parts: &Parts, state: &AppState) -> Self {
        let names = cookie_names(state.settings.secure_cookies);
        let lang = negotiate(
            cookie(&parts.headers, LANG_COOKIE).as_deref(),
            parts
                .headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok()),
        );
        Self {
            tr: Tr::new(state.i18n.clone(), lang),
            request_id: parts
                .extensions
                .get::<ReqId>()
                .map(|r| r.0)
                .unwrap_or_default(),
            csrf: parts
                .extensions
                .get::<CsrfToken>()
                .map(|c| c.0.clone())
                .unwrap_or_default(),
            actor: parts
                .extensions
                .get::<CurrentActor>()
                .and_then(|a| a.0.clone()),
            session_token: cookie(&parts.headers, names.session).map(Secret::new),
            device_token: cookie(&parts.headers, names.device).map(Secret::new),
            demo: state.settings.demo,
            css: vec![
                state.assets.url("designsystemet.css"),
                state.assets.url("theme.css"),
                state.assets.url("app.css"),
            ],
            js: state.assets.url("htmx.min.js"),
            sse_js: state.assets.url("htmx-sse.min.js"),
        }
    }
}

impl FromRequestParts<AppState> for PageCtx {
    type Rejection = Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(Self::from_parts(parts, state))
    }
}

/// The peer address, when the server runs with `ConnectInfo` (absent in in-process tests).
#[derive(Debug, Clone, Copy)]
pub struct PeerAddr(pub Option<std::net::SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for PeerAddr {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            parts
                .extensions
                .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}
