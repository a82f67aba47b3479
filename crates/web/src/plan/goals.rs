//! Goals: adding, approving, changing status, editing.

use super::*;
use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, SignedIn};
use crate::edge::handler::ctx_of;
use crate::edge::render::{OrPage, PageError, PageResult, domain_error, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use domain::DomainError;
use domain::ids::{ClientId, PlanItemId};
use domain::plan::cases::{self};
use domain::plan::input::GoalInput;
use domain::roles::Actor;
use serde::Deserialize;

pub async fn goal_add(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<GoalInput>,
) -> PageResult {
    let result = match f.parse() {
        Ok((text, date)) => cases::add_goal(ctx_of(&state, &ctx), &actor, client, text, date)
            .await
            .map(|_| ()),
        Err(e) => Err(e),
    };
    let kept = Kept {
        goal: Some(f),
        ..Default::default()
    };
    plan_write_done(&state, ctx, &actor, client, result, kept, "goals").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GoalAction {
    pub version: Version,
    pub status: String,
}

pub async fn goal_approve(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, goal)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<GoalAction>,
) -> PageResult {
    let result = match f.version.get() {
        Some(v) => cases::approve_goal(ctx_of(&state, &ctx), &actor, client, goal, v).await,
        None => Err(DomainError::StaleVersion),
    };
    plan_write_done(
        &state,
        ctx,
        &actor,
        client,
        result,
        Kept::default(),
        "goals",
    )
    .await
}

pub async fn goal_status(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, goal)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<GoalAction>,
) -> PageResult {
    let result = match (f.version.get(), GoalStatus::parse(&f.status)) {
        (Some(v), Some(s)) => {
            cases::set_goal_status(ctx_of(&state, &ctx), &actor, client, goal, v, s).await
        }
        (None, _) => Err(DomainError::StaleVersion),
        (_, None) => Err(DomainError::invalid(
            "status",
            domain::types::FieldError::NotAChoice,
        )),
    };
    plan_write_done(
        &state,
        ctx,
        &actor,
        client,
        result,
        Kept::default(),
        "goals",
    )
    .await
}

// ----- editing a goal -----

#[derive(Template)]
#[template(path = "plan/goal_edit.html")]
pub struct GoalEditPage {
    pub ctx: PageCtx,
    pub cid: String,
    pub gid: String,
    pub version: i64,
    pub current: String,
    pub form: GoalInput,
    pub errors: Errors,
}

pub async fn goal_edit_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, goal)): Path<(ClientId, PlanItemId)>,
) -> PageResult {
    goal_edit_view(
        &state,
        ctx,
        &actor,
        client,
        goal,
        None,
        Errors::default(),
        StatusCode::OK,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
pub async fn goal_edit_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    goal: PlanItemId,
    form: Option<GoalInput>,
    errors: Errors,
    status: StatusCode,
) -> PageResult {
    // The wording of a goal is the client's own: anyone else is shown nothing here, so they
    // get the 404 before anything is read (and no audit row).
    let may_reword =
        |side: Option<Side>| side.is_some_and(|s| rules::may(s, PlanOp::EditGoalWording));
    let side = domain::cases::change_side(ctx_of(state, &ctx), actor, client)
        .await
        .or_page(&ctx)?;
    if !may_reword(side) {
        return Err(PageError::not_found(&ctx));
    }
    let part = domain::plan::store::PlanPart::Goal(goal);
    let v = cases::view_plan_part(ctx_of(state, &ctx), actor, client, None, part)
        .await
        .or_page(&ctx)?;
    let Some(g) = v.goal(goal) else {
        return Err(PageError::not_found(&ctx));
    };
    if !may_reword(v.side) {
        return Err(PageError::not_found(&ctx));
    }
    let page = GoalEditPage {
        cid: client.to_string(),
        gid: goal.to_string(),
        version: g.version,
        current: g.data.text.clone(),
        form: form.unwrap_or_else(|| GoalInput {
            text: g.data.text.clone(),
            target_date: date(g.data.target_date),
        }),
        errors,
        ctx,
    };
    Ok(render(status, &page))
}

pub async fn goal_edit_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, goal)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<Versioned<GoalInput>>,
) -> PageResult {
    let result = match (f.form.parse(), f.version.get()) {
        (Ok((text, d)), Some(v)) => {
            cases::edit_goal(ctx_of(&state, &ctx), &actor, client, goal, v, text, d).await
        }
        (Err(e), _) => Err(e),
        (_, None) => Err(DomainError::StaleVersion),
    };
    Ok(match result {
        Ok(()) => Redirect::to("/me#goals").into_response(),
        Err(
            e @ (DomainError::Invalid(_) | DomainError::StaleVersion | DomainError::Refused(_)),
        ) => {
            let status = status_of(&e);
            let errors = Errors::of(&ctx, &e);
            goal_edit_view(
                &state,
                ctx,
                &actor,
                client,
                goal,
                Some(f.form),
                errors,
                status,
            )
            .await?
        }
        Err(e) => domain_error(ctx, &e),
    })
}
