//! The signed-in person's own password.

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::context::{cookie_names, set_cookie};
use crate::edge::extract::{Form, SignedIn};
use crate::edge::render::{PageError, PageResult, domain_error, render};
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::Response;
use domain::DomainError;
use domain::types::{Secret, Username};

#[derive(Template)]
#[template(path = "accounts/password.html")]
pub struct PasswordPage {
    pub ctx: PageCtx,
    pub errors: Vec<(String, String)>,
    pub done: bool,
}

pub async fn password_form(ctx: PageCtx) -> Response {
    render(
        StatusCode::OK,
        &PasswordPage {
            ctx,
            errors: vec![],
            done: false,
        },
    )
}

#[derive(serde::Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

pub async fn password_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<PasswordForm>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let Ok(username) = Username::parse(&actor.username) else {
        return Err(PageError::not_found(&ctx));
    };
    let result = domain::accounts::change_password(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.hasher.as_ref(),
        &actor,
        &username,
        &Secret::new(form.current_password),
        &Secret::new(form.new_password),
    )
    .await;
    Ok(match result {
        Ok(token) => {
            let names = cookie_names(state.settings.secure_cookies);
            // A new session: this page's forms carry its token.
            let ctx = PageCtx {
                csrf: domain::accounts::session_csrf_token(&token),
                ..ctx
            };
            let mut res = render(
                StatusCode::OK,
                &PasswordPage {
                    ctx,
                    errors: vec![],
                    done: true,
                },
            );
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    names.session,
                    token.expose(),
                    None,
                    "Lax",
                    state.settings.secure_cookies,
                    true,
                ),
            );
            res
        }
        Err(e @ DomainError::Invalid(_)) => {
            let errors = ctx.field_errors(&e);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PasswordPage {
                    ctx,
                    errors,
                    done: false,
                },
            )
        }
        Err(e) => domain_error(ctx, &e),
    })
}
