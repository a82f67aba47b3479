//! Opening a new client case (`/caseload/new`): a counselor names the client, chooses one of
//! their offices, marks the case protected when they may, and optionally gives the client a
//! login. The use case decides and stores everything in one transaction; this only parses,
//! calls it and renders.

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, SignedIn};
use crate::edge::forms::{Checkbox, Errors};
use crate::edge::handler::ctx_of;
use crate::edge::render::{OrPage, PageError, PageResult, domain_error, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use domain::DomainError;
use domain::cases::{CaseOffice, NewCaseInput, case_offices, open_new_case};
use domain::ids::OfficeId;
use domain::types::Secret;
use serde::Deserialize;

/// The form as typed. The password is never shown again.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct NewCaseForm {
    pub name: String,
    pub office: String,
    pub protected: Checkbox,
    pub username: String,
    pub password: String,
}

#[derive(Template)]
#[template(path = "cases/case_new.html")]
pub struct NewCasePage {
    pub ctx: PageCtx,
    pub form: NewCaseForm,
    pub errors: Errors,
    pub offices: Vec<CaseOffice>,
    /// Whether the protected choice is shown at all (some office allows it).
    pub may_protect: bool,
}

async fn view(
    state: &AppState,
    ctx: PageCtx,
    form: NewCaseForm,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let offices = case_offices(state.store.as_ref(), &actor)
        .await
        .or_page(&ctx)?;
    let may_protect = offices.iter().any(|o| o.may_protect);
    let form = NewCaseForm {
        password: String::new(),
        ..form
    };
    Ok(render(
        status,
        &NewCasePage {
            ctx,
            form,
            errors,
            offices,
            may_protect,
        },
    ))
}

pub async fn new_case(State(state): State<AppState>, ctx: PageCtx) -> PageResult {
    view(
        &state,
        ctx,
        NewCaseForm::default(),
        Errors(vec![]),
        StatusCode::OK,
    )
    .await
}

pub async fn new_case_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<NewCaseForm>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    // The form offers only the counselor's own offices; anything else is out of reach.
    let Ok(office) = form.office.parse::<OfficeId>() else {
        return Err(PageError::not_found(&ctx));
    };
    let input = NewCaseInput {
        name: form.name.clone(),
        office,
        protected: form.protected.ticked(),
        username: form.username.clone(),
        password: Secret::new(form.password.clone()),
    };
    match open_new_case(ctx_of(&state, &ctx), state.hasher.as_ref(), &actor, &input).await {
        Ok(client) => Ok(Redirect::to(&format!("/clients/{client}")).into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let errors = Errors::of(&ctx, &e);
            Ok(view(&state, ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await?)
        }
        Err(e) => Ok(domain_error(ctx, &e)),
    }
}
