//! The metrics listener: Prometheus text on `GET /metrics`, served apart from the pages.
//!
//! The figures say how often each route was used — openings of protected cases, failed
//! logins — so they are not for everyone who can reach the site. The main listener has no
//! `/metrics` (404); the binary serves this router on its own address (`metrics_addr`, off by
//! default) and, when `metrics_token` is set, answers only requests that carry it as
//! `Authorization: Bearer …`.

use crate::edge::middleware::constant_time_eq;
use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::ports::Store;
use domain::types::Secret;
use std::sync::Arc;

#[derive(Clone)]
struct MetricsState {
    store: Arc<dyn Store>,
    token: Option<Arc<Secret>>,
}

/// The router of the metrics listener: `/metrics` only, behind the token when one is given.
pub fn metrics_app(store: Arc<dyn Store>, token: Option<Secret>) -> Router {
    // Install the recorder now, so requests before the first scrape are counted.
    crate::telemetry::handle();
    Router::new()
        .route("/metrics", get(metrics_text))
        .fallback(|| async { plain(StatusCode::NOT_FOUND, "not found\n") })
        .with_state(MetricsState {
            store,
            token: token.map(Arc::new),
        })
}

fn plain(status: StatusCode, body: &'static str) -> Response {
    let mut res = (status, body).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    res
}

/// Whether the request carries the configured bearer token (always, when none is configured).
fn authorized(token: Option<&Secret>, req: &Request) -> bool {
    let Some(token) = token else {
        return true;
    };
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|sent| constant_time_eq(sent.trim(), token.expose()))
}

async fn metrics_text(State(state): State<MetricsState>, req: Request) -> Response {
    if !authorized(state.token.as_deref(), &req) {
        let mut res = plain(StatusCode::UNAUTHORIZED, "a bearer token is required\n");
        res.headers_mut()
            .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        return res;
    }
    let handle = crate::telemetry::handle();
    let stats = state.store.pool_stats();
    metrics::gauge!("db_pool_connections").set(stats.size as f64);
    metrics::gauge!("db_pool_idle_connections").set(stats.idle as f64);
    metrics::gauge!("db_pool_max_connections").set(stats.max as f64);
    let mut res = plain(StatusCode::OK, "");
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    *res.body_mut() = axum::body::Body::from(handle.render());
    res
}
