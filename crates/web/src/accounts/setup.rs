//! First-run setup: the organisation, its first office and its administrator, with the
//! one-time setup token.

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::Form;
use crate::edge::render::{domain_error, error_page, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::DomainError;
use domain::types::Secret;

#[derive(Default, Clone, serde::Deserialize)]
pub struct SetupForm {
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub organisation_name: String,
    #[serde(default)]
    pub office_name: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub password: String,
}

#[derive(Template)]
#[template(path = "accounts/setup.html")]
pub struct SetupPage {
    pub ctx: PageCtx,
    pub form: SetupForm,
    pub errors: Vec<(String, String)>,
}

pub async fn setup_open(state: &AppState) -> bool {
    state
        .store
        .organisation_count()
        .await
        .map(|n| n == 0)
        .unwrap_or(false)
}

pub async fn setup_form(State(state): State<AppState>, ctx: PageCtx) -> Response {
    if !setup_open(&state).await {
        return error_page(ctx, StatusCode::NOT_FOUND);
    }
    render(
        StatusCode::OK,
        &SetupPage {
            ctx,
            form: SetupForm::default(),
            errors: vec![],
        },
    )
}

pub async fn setup_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<SetupForm>,
) -> Response {
    if !setup_open(&state).await {
        return error_page(ctx, StatusCode::NOT_FOUND);
    }
    let input = domain::organisation::SetupInput {
        token: Secret::new(form.token.trim()),
        organisation_name: form.organisation_name.clone(),
        office_name: form.office_name.clone(),
        admin: domain::organisation::NewPersonInput {
            username: form.username.clone(),
            display_name: form.display_name.clone(),
            password: Secret::new(form.password.clone()),
            grants: vec![],
            protected_access: vec![],
        },
    };
    match domain::organisation::complete_setup(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.hasher.as_ref(),
        input,
    )
    .await
    {
        Ok(_) => Redirect::to("/login").into_response(),
        Err(e @ (DomainError::Invalid(_) | DomainError::SetupTokenInvalid)) => {
            let errors = ctx.field_errors(&e);
            let form = SetupForm {
                token: String::new(),
                password: String::new(),
                ..form
            };
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SetupPage { ctx, form, errors },
            )
        }
        Err(e) => domain_error(ctx, &e),
    }
}
