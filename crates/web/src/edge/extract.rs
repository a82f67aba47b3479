//! `Form`, `Query` and `Path` as the handlers use them: axum's extractors, with a refusal
//! like every other — a page in the user's language, with the request id — instead of axum's
//! plain English text ("Failed to deserialize form body: …").
//!
//! No page of ours sends what these refuse: a field twice, a number too large for its field,
//! a body that is not a form, a query given twice, a path segment that is not UTF-8. Nothing
//! has happened when they refuse (the handler never ran). A bad path is a 404 like any other
//! address that leads nowhere; a form or query that cannot be read is a 400 page saying so.
//! The framework's message is not logged: it can quote what was sent.
//!
//! Path ids are typed: `Path<ClientId>`, `Path<(ClientId, PlanItemId)>`; a malformed id is
//! the not-found page, like an id that leads nowhere. [`SignedIn`] is the signed-in actor.

use crate::AppState;
use crate::edge::context::{CurrentActor, PageCtx};
use crate::edge::render::{PageError, error_page, render};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;
use domain::roles::Actor;
use serde::de::DeserializeOwned;

/// A form body (`application/x-www-form-urlencoded`), or a page that says it could not be read.
pub struct Form<T>(pub T);

/// A query string, or a page that says it could not be read.
pub struct Query<T>(pub T);

/// Path parameters, or the not-found page.
pub struct Path<T>(pub T);

/// What the refusal page needs from a request that is about to be consumed.
fn keep(parts: &Parts) -> Parts {
    let (mut kept, ()) = Request::new(()).into_parts();
    kept.headers = parts.headers.clone();
    kept.extensions = parts.extensions.clone();
    kept
}

/// The page for a form or query that could not be read.
pub fn unreadable(parts: &Parts, state: &AppState, status: StatusCode) -> Response {
    let ctx = PageCtx::from_parts(parts, state);
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        return error_page(ctx, status);
    }
    tracing::info!(
        status = status.as_u16(),
        "a form or query could not be read"
    );
    let page = crate::edge::render::ErrorPage {
        heading: ctx.tr.get("error-unreadable-form-title"),
        message: ctx.tr.get("error-unreadable-form"),
        ctx,
    };
    render(StatusCode::BAD_REQUEST, &page)
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Form<T> {
    type Rejection = Response;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Response> {
        let (parts, body) = req.into_parts();
        let kept = keep(&parts);
        match axum::extract::Form::<T>::from_request(Request::from_parts(parts, body), state).await
        {
            Ok(axum::extract::Form(v)) => Ok(Self(v)),
            Err(rejection) => Err(unreadable(&kept, state, rejection.status())),
        }
    }
}

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Query<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(rejection) => Err(unreadable(parts, state, rejection.status())),
        }
    }
}

impl<T: DeserializeOwned + Send> FromRequestParts<AppState> for Path<T> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(Self(v)),
            Err(_) => Err(error_page(
                PageCtx::from_parts(parts, state),
                StatusCode::NOT_FOUND,
            )),
        }
    }
}

/// The signed-in actor. A route behind a non-public declaration always has one (the gate
/// sends anonymous requests to the login page); without one, the not-found page.
pub struct SignedIn(pub Actor);

impl SignedIn {
    /// The signed-in actor of a page, for helpers that get the page's context rather than
    /// the request.
    pub fn of(ctx: &PageCtx) -> Result<Actor, PageError> {
        ctx.actor.clone().ok_or_else(|| PageError::not_found(ctx))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match parts
            .extensions
            .get::<CurrentActor>()
            .and_then(|a| a.0.clone())
        {
            Some(actor) => Ok(Self(actor)),
            None => Err(error_page(
                PageCtx::from_parts(parts, state),
                StatusCode::NOT_FOUND,
            )),
        }
    }
}
