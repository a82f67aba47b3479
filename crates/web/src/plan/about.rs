//! The client's presentation of themselves and their preferences.

use super::*;
use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path};
use crate::edge::handler::{ctx_of, who};
use axum::extract::State;
use axum::response::Response;
use domain::DomainError;
use domain::plan::cases::{self};
use domain::plan::input::{PreferencesInput, PresentationInput};

pub async fn presentation_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<Versioned<PresentationInput>>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let result = match f.form.parse() {
        Ok(data) => cases::save_presentation(
            ctx_of(&state, &ctx),
            &actor,
            client,
            version_of(&f.version),
            data,
        )
        .await
        .map(|_| ()),
        Err(e) => Err(e),
    };
    let kept = Kept {
        presentation: Some(f.form),
        ..Default::default()
    };
    plan_write_done(&state, ctx, &actor, client, result, kept, "about-me").await
}

pub async fn presentation_afresh(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<GoalAction>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let result = match version_of(&f.version) {
        Some(v) => cases::start_afresh(ctx_of(&state, &ctx), &actor, client, v).await,
        None => Err(DomainError::StaleVersion),
    };
    plan_write_done(
        &state,
        ctx,
        &actor,
        client,
        result,
        Kept::default(),
        "about-me",
    )
    .await
}

pub async fn preferences_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<Versioned<PreferencesInput>>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let result = match f.form.parse() {
        Ok(data) => {
            cases::save_preferences(
                ctx_of(&state, &ctx),
                &actor,
                client,
                version_of(&f.version),
                data,
            )
            .await
        }
        Err(e) => Err(e),
    };
    let kept = Kept {
        preferences: Some(f.form),
        ..Default::default()
    };
    plan_write_done(&state, ctx, &actor, client, result, kept, "preferences").await
}
