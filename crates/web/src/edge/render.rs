//! Page templates (askama; output is escaped by default) and the helpers that render them.

use crate::edge::context::PageCtx;
use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use domain::DomainError;
use domain::ports::PortError;
use domain::roles::Role;

impl PageCtx {
    /// Navigation links for the actor's roles.
    pub fn nav(&self) -> Vec<(String, String)> {
        let Some(actor) = &self.actor else {
            return vec![];
        };
        let mut items = Vec::new();
        for role in actor.roles() {
            let (href, key) = match role {
                Role::Client => ("/me", "nav-my-page"),
                Role::Counselor => ("/caseload", "nav-caseload"),
                Role::Leader => ("/insights", "nav-insights"),
                Role::Administrator => ("/admin", "nav-admin"),
                Role::Moderator | Role::Partner => continue,
            };
            items.push((href.to_string(), self.tr.get(key)));
        }
        items.push(("/account/password".into(), self.tr.get("nav-password")));
        items
    }

    /// A message for a domain error, in the user's language.
    pub fn error_text(&self, e: &DomainError) -> String {
        match e {
            DomainError::Throttled { retry_after_secs } => {
                self.tr
                    .arg("login-throttled", "minutes", (retry_after_secs / 60).max(1))
            }
            other => self.tr.get(other.code()),
        }
    }

    /// Field errors as (field id, message) pairs for an error summary.
    pub fn field_errors(&self, e: &DomainError) -> Vec<(String, String)> {
        match e {
            DomainError::Invalid(list) => list
                .iter()
                .map(|(field, err)| {
                    (
                        field.to_string(),
                        format!(
                            "{}: {}",
                            self.tr.get(&format!("label-{}", field.replace('_', "-"))),
                            self.tr.get(err.code())
                        ),
                    )
                })
                .collect(),
            other => vec![("main".into(), self.error_text(other))],
        }
    }
}

/// Renders a template as an HTML response, or the error page if rendering fails.
pub fn render<T: Template>(status: StatusCode, page: &T) -> Response {
    match page.render() {
        Ok(html) => (status, [(header::CACHE_CONTROL, "no-store")], Html(html)).into_response(),
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub ctx: PageCtx,
    pub heading: String,
    pub message: String,
}

/// The friendly error page: a heading, a sentence, the request id, never internals.
pub fn error_page(ctx: PageCtx, status: StatusCode) -> Response {
    let (h, m) = match status {
        StatusCode::NOT_FOUND => ("error-not-found-title", "error-not-found"),
        StatusCode::FORBIDDEN => ("error-forbidden-title", "error-forbidden"),
        StatusCode::PAYLOAD_TOO_LARGE => ("error-too-large-title", "error-too-large"),
        StatusCode::SERVICE_UNAVAILABLE => ("error-unavailable-title", "error-unavailable"),
        _ => ("error-internal-title", "error-internal"),
    };
    let page = ErrorPage {
        heading: ctx.tr.get(h),
        message: ctx.tr.get(m),
        ctx,
    };
    render(status, &page)
}

/// The page for a request that needed an audit row the store could not append: the audit
/// trail needs attention (503), nothing was shown or changed.
fn audit_trail_page(ctx: PageCtx) -> Response {
    let page = ErrorPage {
        heading: ctx.tr.get("error-audit-trail-title"),
        message: ctx.tr.get("error-audit-trail"),
        ctx,
    };
    render(StatusCode::SERVICE_UNAVAILABLE, &page)
}

/// Maps a domain error to the right page: 404 for anything out of reach, 503 with the audit
/// trail page (and one error line for the operator naming the row, no personal data) when
/// the audit chain is broken, 500 (logged with the request id) for other adapter failures.
pub fn domain_error(ctx: PageCtx, e: &DomainError) -> Response {
    match e {
        DomainError::NotFound => error_page(ctx, StatusCode::NOT_FOUND),
        DomainError::Port(PortError::AuditChainBroken { seq }) => {
            tracing::error!(
                request_id = %ctx.request_id,
                seq,
                "the audit trail needs attention: row {seq} cannot be appended, so nothing was shown or changed; run `vendepunkt audit verify` (docs/OPERATIONS.md)"
            );
            audit_trail_page(ctx)
        }
        DomainError::Port(p) => {
            tracing::error!(request_id = %ctx.request_id, error = %p, "adapter failure");
            error_page(ctx, StatusCode::INTERNAL_SERVER_ERROR)
        }
        _ => error_page(ctx, StatusCode::BAD_REQUEST),
    }
}

/// A page other than the one asked for, already rendered in the user's language: the
/// not-found page, a domain error's page, or a form shown again with its errors. Handlers
/// return [`PageResult`], so that `?` ends them with it.
/// (Boxed: a result with it stays small.)
pub struct PageError(Box<Response>);

/// What a page handler returns.
pub type PageResult = Result<Response, PageError>;

impl PageError {
    /// The not-found page (for anything out of reach, a malformed id, a missing object).
    pub fn not_found(ctx: &PageCtx) -> Self {
        Self(Box::new(error_page(ctx.clone(), StatusCode::NOT_FOUND)))
    }
}

impl From<Response> for PageError {
    fn from(r: Response) -> Self {
        Self(Box::new(r))
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// `?` for a use case's result: a domain error becomes its page ([`domain_error`]).
pub trait OrPage<T> {
    fn or_page(self, ctx: &PageCtx) -> Result<T, PageError>;
}

impl<T> OrPage<T> for Result<T, DomainError> {
    fn or_page(self, ctx: &PageCtx) -> Result<T, PageError> {
        self.map_err(|e| PageError::from(domain_error(ctx.clone(), &e)))
    }
}
