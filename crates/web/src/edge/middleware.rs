//! Layers every request passes through: request id, security headers, session lookup, CSRF,
//! metrics, and the per-route policy gate declared in the route table.

use crate::AppState;
use crate::edge::context::{
    CsrfToken, CurrentActor, PageCtx, ReqId, cookie, cookie_names, set_cookie,
};
use crate::edge::render::error_page;
use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use domain::ids::RequestId;
use domain::types::Secret;
use std::time::Instant;
use tracing::Instrument;

/// Compares two strings in time independent of where they differ (`subtle`).
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    use subtle::ConstantTimeEq;
    bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The route pattern a request matched (set by [`metrics`]), for the request log line.
#[derive(Debug, Clone)]
struct RouteLabel(String);

/// Gives every request an id (UUIDv7), for logs, audit rows and error pages. Everything the
/// request does runs inside a span carrying the id, and one line per request is logged with
/// the route pattern (never the raw path, which can hold ids), status and duration.
pub async fn request_id(mut req: Request, next: Next) -> Response {
    let id = RequestId::new();
    req.extensions_mut().insert(ReqId(id));
    let method = req.method().clone();
    let span = tracing::info_span!("request", request_id = %id);
    let start = Instant::now();
    let mut res = next.run(req).instrument(span.clone()).await;
    let route = res
        .extensions()
        .get::<RouteLabel>()
        .map(|r| r.0.clone())
        .unwrap_or_else(|| "unmatched".into());
    span.in_scope(|| {
        tracing::info!(
            %method,
            route,
            status = res.status().as_u16(),
            duration_ms = start.elapsed().as_millis() as u64,
            "request"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&id.to_string()) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}

/// Marks the response that [`tower_http::catch_panic`] makes from a panic, so that
/// [`panic_page`] can replace it with the friendly error page.
#[derive(Debug, Clone, Copy)]
pub struct Panicked;

/// The response for a handler that panicked: logged, and marked for [`panic_page`].
pub fn panic_response(_payload: Box<dyn std::any::Any + Send + 'static>) -> Response {
    // The payload is not logged: it may quote data the handler was working on.
    tracing::error!("request handler panicked");
    let mut res = StatusCode::INTERNAL_SERVER_ERROR.into_response();
    res.extensions_mut().insert(Panicked);
    res
}

/// Turns a caught panic into the friendly 500 page (in the user's language, with the request
/// id). Sits outside the panic catcher, so it keeps what it needs from the request up front.
pub async fn panic_page(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let headers = req.headers().clone();
    let request_id = req.extensions().get::<ReqId>().copied();
    let res = next.run(req).await;
    if res.extensions().get::<Panicked>().is_none() {
        return res;
    }
    let (mut parts, ()) = Request::new(()).into_parts();
    parts.headers = headers;
    if let Some(id) = request_id {
        parts.extensions.insert(id);
    }
    // The session lookup ran inside the panic catcher, so whether the session is live is not
    // known here: take it as live. If it has ended, a form posted from this page sends the
    // person to log in again (see `csrf`).
    if let Some(token) =
        crate::edge::context::csrf_token_for(&parts.headers, state.settings.secure_cookies, true)
    {
        parts.extensions.insert(CsrfToken(token));
    }
    error_page(
        PageCtx::from_parts(&parts, &state),
        StatusCode::INTERNAL_SERVER_ERROR,
    )
}

/// Security headers on every response, error pages included.
pub async fn security_headers(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let is_asset = req.uri().path().starts_with("/assets/");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    // A handler may set a stricter policy (downloads are sandboxed); otherwise the site's.
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        );
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if state.settings.secure_cookies {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=63072000; includeSubDomains"),
        );
    }
    if !is_asset {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

fn skips_session(path: &str) -> bool {
    path.starts_with("/assets/") || matches!(path, "/healthz" | "/readyz")
}

/// Turns the session cookie into the signed-in actor (or none).
pub async fn session(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let mut actor = None;
    if !skips_session(req.uri().path()) {
        let names = cookie_names(state.settings.secure_cookies);
        if let Some(token) = cookie(req.headers(), names.session) {
            match domain::accounts::authenticate(
                state.store.as_ref(),
                state.clock.as_ref(),
                state.settings.session,
                &Secret::new(token),
            )
            .await
            {
                Ok(a) => actor = a,
                Err(e) => tracing::error!(error = %e, "session lookup failed"),
            }
        }
    }
    req.extensions_mut().insert(CurrentActor(actor));
    next.run(req).await
}

fn is_state_changing(m: &Method) -> bool {
    !matches!(*m, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// CSRF protection. With a live session the token is the session's own
/// (`domain::accounts::session_csrf_token`); before login it is a random pre-session token kept in
/// a `SameSite=Strict` cookie (double submit), which login and logout replace. Safe requests
/// get the pre-session cookie if they lack one and hand the right token to the page; every
/// state-changing request must carry it in its `csrf_token` form field, and must not come
/// from another origin (scheme, host and port; `Origin`, and `Sec-Fetch-Site` when sent).
pub async fn csrf(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let secure = state.settings.secure_cookies;
    let names = cookie_names(secure);
    let signed_in = req
        .extensions()
        .get::<CurrentActor>()
        .is_some_and(|a| a.0.is_some());
    let expected = crate::edge::context::csrf_token_for(req.headers(), secure, signed_in);
    if !is_state_changing(req.method()) {
        let fresh = cookie(req.headers(), names.csrf)
            .is_none()
            .then(|| domain::accounts::new_token().expose().to_string());
        let token = expected.or_else(|| fresh.clone()).unwrap_or_default();
        let mut req = req;
        req.extensions_mut().insert(CsrfToken(token));
        let mut res = next.run(req).await;
        if let Some(fresh) = fresh {
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(names.csrf, &fresh, None, "Strict", secure, true),
            );
        }
        return res;
    }
    let (parts, body) = req.into_parts();
    let refuse = |parts: &axum::http::request::Parts, status| {
        let ctx = PageCtx::from_parts(parts, &state);
        error_page(ctx, status)
    };
    // Another origin may not post here, whatever the token says.
    if let Some(origin) = parts.headers.get(header::ORIGIN) {
        let own = own_origin(&state.settings, &parts.headers);
        let theirs = origin.to_str().ok().and_then(origin_of);
        if own.is_none() || theirs != own {
            return refuse(&parts, StatusCode::FORBIDDEN);
        }
    }
    if parts
        .headers
        .get("sec-fetch-site")
        .is_some_and(|v| v == "cross-site" || v == "same-site")
    {
        return refuse(&parts, StatusCode::FORBIDDEN);
    }
    let content_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let multipart = content_type.starts_with("multipart/form-data");
    // File uploads may be larger; everything else is a few form fields.
    let limit = if multipart {
        crate::routes::UPLOAD_LIMIT_BYTES
    } else {
        crate::routes::BODY_LIMIT_BYTES
    };
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(b) => b,
        Err(_) => return refuse(&parts, StatusCode::PAYLOAD_TOO_LARGE),
    };
    let sent = if multipart {
        multipart_token(&content_type, bytes.clone()).await
    } else {
        form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == "csrf_token")
            .map(|(_, v)| v.to_string())
    };
    let ok = matches!((&expected, &sent), (Some(e), Some(s)) if constant_time_eq(e, s));
    if !ok {
        // A form from a page of a session that has ended since (timed out, or logged out in
        // another tab): nothing is done, and the person logs in again.
        let ended_session = !signed_in
            && matches!(
                (cookie(&parts.headers, names.session), &sent),
                (Some(s), Some(t)) if constant_time_eq(&domain::accounts::session_csrf_token(&Secret::new(s.as_str())), t)
            );
        if ended_session {
            return Redirect::to("/login").into_response();
        }
        return refuse(&parts, StatusCode::FORBIDDEN);
    }
    let mut req = Request::from_parts(parts, Body::from(bytes));
    req.extensions_mut()
        .insert(CsrfToken(expected.unwrap_or_default()));
    next.run(req).await
}

/// An origin as (scheme, host, port), lower-case, with the scheme's default port filled in.
/// `null` and anything but http(s) are no origin.
fn origin_of(text: &str) -> Option<(String, String, u16)> {
    let uri: axum::http::Uri = text.trim().parse().ok()?;
    let scheme = uri.scheme_str()?.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    let host = uri.host()?.to_ascii_lowercase();
    Some((scheme, host, uri.port_u16().unwrap_or(default_port)))
}

/// This server's own origin: from `public_url` when configured, else the `Host` header with
/// https when served over TLS (`secure_cookies`), http otherwise.
fn own_origin(
    settings: &crate::WebSettings,
    headers: &axum::http::HeaderMap,
) -> Option<(String, String, u16)> {
    if let Some(url) = &settings.public_url {
        let (scheme, rest) = url.split_once("://")?;
        let authority = rest.split('/').next()?;
        return origin_of(&format!("{scheme}://{authority}"));
    }
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let scheme = if settings.secure_cookies {
        "https"
    } else {
        "http"
    };
    origin_of(&format!("{scheme}://{host}"))
}

/// The `csrf_token` field of a multipart form (forms put it first, so this stops early).
async fn multipart_token(content_type: &str, bytes: axum::body::Bytes) -> Option<String> {
    use axum::extract::FromRequest;
    // Only the beginning: the token field comes first, and the extractor's default size limit
    // must not see the files.
    let head = bytes.slice(..bytes.len().min(64 * 1024));
    let req = Request::builder()
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(head))
        .ok()?;
    let mut form = axum::extract::Multipart::from_request(req, &())
        .await
        .ok()?;
    while let Ok(Some(field)) = form.next_field().await {
        if field.name() == Some("csrf_token") {
            return field.text().await.ok();
        }
    }
    None
}

/// Request counts and latency by route pattern.
pub async fn metrics(req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_else(|| "unmatched".into());
    let method = req.method().to_string();
    let start = Instant::now();
    let mut res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("http_requests_total", "route" => route.clone(), "method" => method, "status" => status)
        .increment(1);
    metrics::histogram!("http_request_duration_seconds", "route" => route.clone())
        .record(start.elapsed().as_secs_f64());
    res.extensions_mut().insert(RouteLabel(route));
    res
}
