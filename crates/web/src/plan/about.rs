//! The client's presentation of themselves and their preferences.

use super::*;
use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, SignedIn};
use crate::edge::handler::ctx_of;
use axum::extract::State;
use domain::DomainError;
use domain::plan::cases::{self};
use domain::plan::input::{PreferencesInput, PresentationInput};

pub async fn presentation_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<Versioned<PresentationInput>>,
) -> PageResult {
    let result = match f.form.parse() {
        Ok(data) => {
            cases::save_presentation(ctx_of(&state, &ctx), &actor, client, f.version.get(), data)
                .await
                .map(|_| ())
        }
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
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<GoalAction>,
) -> PageResult {
    let result = match f.version.get() {
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
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<Versioned<PreferencesInput>>,
) -> PageResult {
    let result = match f.form.parse() {
        Ok(data) => {
            cases::save_preferences(ctx_of(&state, &ctx), &actor, client, f.version.get(), data)
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
