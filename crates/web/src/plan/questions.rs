//! Questions on the plan and their answers.

use super::*;
use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, SignedIn};
use crate::edge::handler::ctx_of;
use crate::edge::render::{PageError, PageResult, domain_error};
use axum::extract::State;
use axum::response::{IntoResponse, Redirect};
use domain::DomainError;
use domain::ids::MeasureId;
use domain::plan::cases::{self};
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuestionForm {
    measure_id: String,
    question: String,
    version: Version,
    answer: String,
}

pub async fn question_ask(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<QuestionForm>,
) -> PageResult {
    let Ok(measure) = f.measure_id.parse::<MeasureId>() else {
        return Err(PageError::not_found(&ctx));
    };
    Ok(
        match cases::ask_question(ctx_of(&state, &ctx), &actor, client, measure, &f.question).await
        {
            Ok(_) => Redirect::to(&format!("/clients/{client}/catalogue/{measure}#questions"))
                .into_response(),
            Err(e @ DomainError::Invalid(_)) => {
                let errors = Errors::of(&ctx, &e);
                measure_view(&state, ctx, &actor, client, measure, f.question, errors).await
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

pub async fn question_answer(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, item)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<QuestionForm>,
) -> PageResult {
    let result = match f.version.get() {
        Some(v) => {
            cases::answer_question(ctx_of(&state, &ctx), &actor, client, item, v, &f.answer).await
        }
        None => Err(DomainError::StaleVersion),
    };
    plan_write_done(
        &state,
        ctx,
        &actor,
        client,
        result,
        Kept::default(),
        "questions",
    )
    .await
}

// ----- the catalogue as the client (or counselor) sees it -----
