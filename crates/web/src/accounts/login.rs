//! Signing in and out.

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::context::{PeerAddr, cookie_names, fresh_pre_session_token, set_cookie};
use crate::edge::extract::Form;
use crate::edge::render::{domain_error, render};
use askama::Template;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::DomainError;
use domain::types::Secret;

#[derive(Template)]
#[template(path = "accounts/login.html")]
pub struct LoginPage {
    pub ctx: PageCtx,
    pub error: Option<String>,
    pub username: String,
}

pub async fn login_form(ctx: PageCtx) -> Response {
    if ctx.actor.is_some() {
        return Redirect::to("/").into_response();
    }
    render(
        StatusCode::OK,
        &LoginPage {
            ctx,
            error: None,
            username: String::new(),
        },
    )
}

#[derive(serde::Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

pub async fn login_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    peer: PeerAddr,
    Form(form): Form<LoginForm>,
) -> Response {
    let attempt = domain::accounts::LoginAttempt {
        username: form.username.clone(),
        password: Secret::new(form.password),
        source: crate::edge::proxy::source_address(
            state.settings.trust_forwarded_for,
            &headers,
            peer.0,
        ),
        device: ctx.device_token.clone(),
    };
    match domain::accounts::login(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.hasher.as_ref(),
        state.settings.throttle,
        attempt,
    )
    .await
    {
        Ok(ok) => {
            // Notices to this person come in the language they logged in with (notices-reminders).
            if let Err(e) =
                domain::notices::remember_language(state.store.as_ref(), ok.user_id, ctx.tr.code())
                    .await
            {
                tracing::warn!(error = %e, "language not remembered");
            }
            let names = cookie_names(state.settings.secure_cookies);
            let secure = state.settings.secure_cookies;
            let mut res = Redirect::to("/").into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    names.session,
                    ok.session_token.expose(),
                    None,
                    "Lax",
                    secure,
                    true,
                ),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    names.device,
                    ok.device_token.expose(),
                    Some(365 * 24 * 3600),
                    "Lax",
                    secure,
                    true,
                ),
            );
            // Signed in, pages carry the session's own CSRF token; the pre-session one is
            // replaced so that a token seen before login is good for nothing.
            h.append(header::SET_COOKIE, fresh_pre_session_token(secure));
            res
        }
        Err(e) => {
            let status = match e {
                DomainError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                DomainError::InvalidCredentials => StatusCode::UNAUTHORIZED,
                DomainError::Port(_) => return domain_error(ctx, &e),
                _ => StatusCode::BAD_REQUEST,
            };
            let error = Some(ctx.error_text(&e));
            render(
                status,
                &LoginPage {
                    ctx,
                    error,
                    username: form.username,
                },
            )
        }
    }
}

pub async fn logout(State(state): State<AppState>, ctx: PageCtx) -> Response {
    if let Some(token) = &ctx.session_token
        && let Err(e) = domain::accounts::logout(state.store.as_ref(), token).await
    {
        return domain_error(ctx, &e);
    }
    let names = cookie_names(state.settings.secure_cookies);
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            names.session,
            "",
            Some(0),
            "Lax",
            state.settings.secure_cookies,
            true,
        ),
    );
    // The session's CSRF token died with it; the next person gets a fresh pre-session one.
    res.headers_mut().append(
        header::SET_COOKIE,
        fresh_pre_session_token(state.settings.secure_cookies),
    );
    res
}
