//! What belongs to no feature: health checks, assets, the home redirect, the language
//! switch, and the not-found page for addresses that lead nowhere.

use crate::AppState;
use crate::edge::context::LANG_COOKIE;
use crate::edge::context::PageCtx;
use crate::edge::context::set_cookie;
use crate::edge::extract::{Form, Path};
use crate::edge::render::error_page;
use crate::i18n::Lang;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::roles::Role;

pub async fn not_found(ctx: PageCtx) -> Response {
    error_page(ctx, StatusCode::NOT_FOUND)
}

pub async fn healthz() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "ok\n",
    )
        .into_response()
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ready\n",
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "database unreachable\n",
            )
                .into_response()
        }
    }
}

pub async fn asset(
    State(state): State<AppState>,
    Path((hash, name)): Path<(String, String)>,
    ctx: PageCtx,
) -> Response {
    match state.assets.get(&hash, &name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes.clone().into_owned(),
        )
            .into_response(),
        None => error_page(ctx, StatusCode::NOT_FOUND),
    }
}

pub async fn home(ctx: PageCtx) -> Response {
    let Some(actor) = &ctx.actor else {
        return Redirect::to("/login").into_response();
    };
    let target = match actor.roles().first() {
        Some(Role::Client) => "/me",
        Some(Role::Counselor) => "/caseload",
        Some(Role::Leader) => "/insights",
        Some(Role::Administrator) => "/admin",
        _ => "/account/password",
    };
    Redirect::to(target).into_response()
}

#[derive(serde::Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
}

pub async fn set_language(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    let lang = Lang::parse(&form.lang).unwrap_or(Lang::Nb);
    // A signed-in person's choice is remembered for their notices (notices-reminders).
    if let Some(actor) = &ctx.actor
        && let Err(e) =
            domain::notices::remember_language(state.store.as_ref(), actor.user_id, lang.code())
                .await
    {
        tracing::warn!(error = %e, "language not remembered");
    }
    // Back to the page the user came from, but only a local path (no open redirect).
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&back).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
            "Lax",
            state.settings.secure_cookies,
            false,
        ),
    );
    res
}
