//! Questions on the plan and their answers.

use super::*;
use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path};
use crate::edge::handler::{ctx_of, who};
use crate::edge::render::{domain_error, error_page};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::DomainError;
use domain::ids::MeasureId;
use domain::plan::cases::{self};
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QuestionForm {
    measure_id: String,
    question: String,
    version: String,
    answer: String,
}

pub async fn question_ask(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<QuestionForm>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let Ok(measure) = f.measure_id.parse::<MeasureId>() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    match cases::ask_question(ctx_of(&state, &ctx), &actor, client, measure, &f.question).await {
        Ok(_) => Redirect::to(&format!("/clients/{client}/catalogue/{measure}#questions"))
            .into_response(),
        Err(e @ DomainError::Invalid(_)) => {
            let errors = Errors::of(&ctx, &e);
            measure_view(&state, ctx, &actor, client, measure, f.question, errors).await
        }
        Err(e) => domain_error(ctx, &e),
    }
}

pub async fn question_answer(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<QuestionForm>,
) -> Response {
    let (actor, client, item) = item_of!(ctx, id, item);
    let result = match version_of(&f.version) {
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
