//! Activities: adding, the activity page, editing, status, declining, and the terms.

use super::*;
use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, Query, SignedIn};
use crate::edge::handler::{ctx_of, home_for};
use crate::edge::render::{OrPage, PageError, PageResult, domain_error, error_page, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::DomainError;
use domain::ids::{ClientId, MeasureId, PlanItemId};
use domain::plan::cases::{self, PlanView};
use domain::plan::input::{ActivityInput, TermsInput};
use domain::roles::Actor;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "plan/activity_new.html")]
pub struct ActivityNewPage {
    pub ctx: PageCtx,
    pub cid: String,
    pub form: ActivityInput,
    pub errors: Errors,
    pub kinds: Vec<(String, String)>,
    pub stages: Vec<(String, String)>,
    pub goals: Vec<(String, String)>,
    pub measures: Vec<(String, String)>,
    pub is_client: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewQuery {
    kind: String,
    measure: String,
}

pub fn activity_new_page(
    ctx: PageCtx,
    v: &PlanView,
    form: ActivityInput,
    errors: Errors,
) -> ActivityNewPage {
    let is_client = v.side == Some(Side::Client);
    ActivityNewPage {
        cid: v.client.id.to_string(),
        kinds: options(&ctx, &ActivityKind::ALL, |k| k.as_str(), "activity-kind-"),
        stages: options(&ctx, &ApplicationStage::ALL, |k| k.as_str(), "stage-"),
        goals: v
            .goals
            .iter()
            .filter(|g| g.data.status == GoalStatus::Active)
            .map(|g| (g.id.to_string(), g.data.text.clone()))
            .collect(),
        measures: v
            .measures
            .iter()
            .filter(|m| !m.data.withdrawn)
            .map(|m| (m.id.to_string(), m.data.name.clone()))
            .collect(),
        is_client,
        form,
        errors,
        ctx,
    }
}

pub async fn activity_new_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Query(q): Query<NewQuery>,
) -> PageResult {
    let v = match cases::view_plan(ctx_of(&state, &ctx), &actor, client, None).await {
        Ok(v) if v.side.is_some() => v,
        Ok(_) => return Err(PageError::not_found(&ctx)),
        Err(e) => return Ok(reason_or_error(ctx, client, None, e)),
    };
    let mut form = ActivityInput {
        kind: ActivityKind::parse(&q.kind)
            .unwrap_or(ActivityKind::Own)
            .as_str()
            .to_string(),
        ..Default::default()
    };
    if let Some(m) = q
        .measure
        .parse::<MeasureId>()
        .ok()
        .and_then(|m| v.measure(m))
    {
        form.kind = ActivityKind::Measure.as_str().into();
        form.measure_id = m.id.to_string();
        form.title = m.data.name.clone();
    }
    Ok(render(
        StatusCode::OK,
        &activity_new_page(ctx, &v, form, Errors::default()),
    ))
}

pub async fn activity_add(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<ActivityInput>,
) -> PageResult {
    let result = match f.parse() {
        Ok(fields) => cases::add_activity(ctx_of(&state, &ctx), &actor, client, fields).await,
        Err(e) => Err(e),
    };
    Ok(match result {
        Ok(item) => Redirect::to(&format!("/clients/{client}/activities/{item}")).into_response(),
        Err(e @ (DomainError::Invalid(_) | DomainError::Refused(_))) => {
            let v = cases::view_plan(ctx_of(&state, &ctx), &actor, client, None)
                .await
                .or_page(&ctx)?;
            let errors = Errors::of(&ctx, &e);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &activity_new_page(ctx, &v, f, errors),
            )
        }
        Err(e) => domain_error(ctx, &e),
    })
}

#[derive(Template)]
#[template(path = "plan/activity.html")]
pub struct ActivityPage {
    pub ctx: PageCtx,
    pub cid: String,
    pub home: String,
    pub card: ActivityCard,
    pub act: Activity,
    pub created_by: String,
    pub stage: String,
    pub version: i64,
    pub side: Option<Side>,
    pub is_client: bool,
    pub measure: Option<Measure>,
    pub alternatives: Vec<Measure>,
    pub agreed: Option<Terms>,
    pub pending: Option<TermsProposal>,
    pub pending_by_me: bool,
    pub pending_by: String,
    pub next: Vec<(String, String)>,
    pub may_edit: bool,
    pub may_decline: bool,
    pub may_propose: bool,
    pub may_condition: bool,
    pub may_confirm: bool,
    pub may_reject: bool,
    pub edit: ActivityInput,
    pub terms: TermsInput,
    pub goals: Vec<(String, String)>,
    pub stages: Vec<(String, String)>,
    pub errors: Errors,
    pub conflict: bool,
    /// The client's practical preferences, shown to the counselor where they matter.
    pub preferences: Preferences,
    pub channel: String,
}

/// Forms of the activity page to show again with the user's input.
#[derive(Default)]
pub struct KeptActivity {
    edit: Option<ActivityInput>,
    terms: Option<TermsInput>,
}

pub fn terms_input(t: &Terms) -> TermsInput {
    TermsInput {
        what: t.what.clone(),
        how_often: t.how_often.clone(),
        until: date(t.until),
        condition: if t.condition {
            "on".into()
        } else {
            String::new()
        },
        consequence: t.consequence.clone(),
        adaptation: t.adaptation.clone(),
        adaptation_reason: t.adaptation_reason.clone(),
    }
}

pub fn activity_input(a: &Activity) -> ActivityInput {
    ActivityInput {
        kind: a.kind.as_str().into(),
        title: a.title.clone(),
        description: a.description.clone(),
        goal_id: a.goal_id.map(|g| g.to_string()).unwrap_or_default(),
        start: date(a.start),
        end: date(a.end),
        employer: a.details.employer.clone(),
        position: a.details.position.clone(),
        stage: a
            .details
            .stage
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        per_week: a
            .details
            .per_week
            .map(|n| n.to_string())
            .unwrap_or_default(),
        measure_id: a
            .details
            .measure_id
            .map(|m| m.to_string())
            .unwrap_or_default(),
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn activity_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    item: PlanItemId,
    kept: KeptActivity,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let part = domain::plan::store::PlanPart::Activity(item);
    let v = match cases::view_plan_part(ctx_of(state, &ctx), actor, client, None, part).await {
        Ok(v) => v,
        Err(e) => return reason_or_error(ctx, client, None, e),
    };
    let Some(item) = v.activity(item) else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    let a = item.data.clone();
    let side = v.side;
    let measure = a.details.measure_id.and_then(|m| v.measure(m)).cloned();
    let alternatives = if a.kind == ActivityKind::Measure {
        v.measures
            .iter()
            .filter(|m| Some(m.id) != a.details.measure_id && !m.data.withdrawn)
            .cloned()
            .collect()
    } else {
        vec![]
    };
    let actions = rules::activity_actions(side, &a, measure.as_ref().map(|m| &m.data));
    let pending = a.agreement.pending.clone();
    let pending_by_me = pending.as_ref().is_some_and(|p| Some(p.by) == side);
    let page = ActivityPage {
        cid: client.to_string(),
        home: home_for(actor, client),
        card: activity_card(&ctx, &v, item),
        version: item.version,
        is_client: side == Some(Side::Client),
        may_edit: actions.edit,
        may_decline: actions.decline,
        may_propose: actions.propose_terms,
        may_condition: actions.propose_condition,
        may_confirm: actions.confirm_terms,
        may_reject: actions.reject_terms,
        next: actions
            .next
            .iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    ctx.tr.get(&format!("activity-status-{}", s.as_str())),
                )
            })
            .collect(),
        edit: kept.edit.unwrap_or_else(|| activity_input(&a)),
        terms: kept.terms.unwrap_or_else(|| {
            pending
                .as_ref()
                .map(|p| terms_input(&p.terms))
                .or_else(|| a.agreement.agreed.as_ref().map(terms_input))
                .unwrap_or_else(|| TermsInput {
                    what: a.title.clone(),
                    ..Default::default()
                })
        }),
        goals: v
            .goals
            .iter()
            .map(|g| (g.id.to_string(), g.data.text.clone()))
            .collect(),
        stages: options(&ctx, &ApplicationStage::ALL, |k| k.as_str(), "stage-"),
        pending_by: pending
            .as_ref()
            .map(|p| ctx.tr.get(&format!("side-{}", p.by.as_str())))
            .unwrap_or_default(),
        agreed: a.agreement.agreed.clone(),
        pending,
        pending_by_me,
        conflict: status == StatusCode::CONFLICT,
        channel: v
            .preferences
            .as_ref()
            .and_then(|p| p.data.contact_channel)
            .map(|c| ctx.tr.get(&format!("channel-{}", c.as_str())))
            .unwrap_or_default(),
        preferences: v
            .preferences
            .as_ref()
            .map(|p| p.data.clone())
            .unwrap_or_default(),
        measure,
        alternatives,
        created_by: ctx.tr.get(&format!("side-{}", a.created_by.as_str())),
        stage: a
            .details
            .stage
            .map(|s| ctx.tr.get(&format!("stage-{}", s.as_str())))
            .unwrap_or_default(),
        side,
        act: a,
        errors,
        ctx,
    };
    render(status, &page)
}

pub async fn activity_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, item)): Path<(ClientId, PlanItemId)>,
) -> PageResult {
    Ok(activity_view(
        &state,
        ctx,
        &actor,
        client,
        item,
        KeptActivity::default(),
        Errors::default(),
        StatusCode::OK,
    )
    .await)
}

/// After an activity write: back to the activity page, or the page again with errors.
#[allow(clippy::too_many_arguments)]
pub async fn activity_write_done(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    item: PlanItemId,
    result: Result<(), DomainError>,
    kept: KeptActivity,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("/clients/{client}/activities/{item}")).into_response(),
        Err(
            e @ (DomainError::Invalid(_) | DomainError::StaleVersion | DomainError::Refused(_)),
        ) => {
            let status = status_of(&e);
            let errors = Errors::of(&ctx, &e);
            activity_view(state, ctx, actor, client, item, kept, errors, status).await
        }
        Err(e) => domain_error(ctx, &e),
    }
}

pub async fn activity_edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, item)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<Versioned<ActivityInput>>,
) -> PageResult {
    let result = match (f.form.parse(), f.version.get()) {
        (Ok(fields), Some(v)) => {
            cases::edit_activity(ctx_of(&state, &ctx), &actor, client, item, v, fields).await
        }
        (Err(e), _) => Err(e),
        (_, None) => Err(DomainError::StaleVersion),
    };
    let kept = KeptActivity {
        edit: Some(f.form),
        ..Default::default()
    };
    Ok(activity_write_done(&state, ctx, &actor, client, item, result, kept).await)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    version: Version,
    /// `plan` when sent from the plan page (one-click approval): go back there.
    return_to: String,
    status: String,
    reason: String,
    consequence_seen: Checkbox,
}

pub async fn activity_status(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, item)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    let result = match (f.version.get(), ActivityStatus::parse(&f.status)) {
        (Some(v), Some(to)) => {
            cases::change_status(ctx_of(&state, &ctx), &actor, client, item, v, to, &f.reason).await
        }
        (None, _) => Err(DomainError::StaleVersion),
        (_, None) => Err(DomainError::invalid(
            "status",
            domain::types::FieldError::NotAChoice,
        )),
    };
    // A one-click approval from the plan page returns there.
    if result.is_ok() && f.return_to == "plan" {
        return Ok(
            Redirect::to(&format!("{}#waiting-heading", home_for(&actor, client))).into_response(),
        );
    }
    Ok(activity_write_done(
        &state,
        ctx,
        &actor,
        client,
        item,
        result,
        KeptActivity::default(),
    )
    .await)
}

pub async fn activity_decline(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, item)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    let result = match f.version.get() {
        Some(v) => cases::decline(ctx_of(&state, &ctx), &actor, client, item, v, &f.reason).await,
        None => Err(DomainError::StaleVersion),
    };
    Ok(activity_write_done(
        &state,
        ctx,
        &actor,
        client,
        item,
        result,
        KeptActivity::default(),
    )
    .await)
}

pub async fn activity_propose_terms(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, item)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<Versioned<TermsInput>>,
) -> PageResult {
    let result = match (f.form.parse(), f.version.get()) {
        (Ok(t), Some(v)) => {
            cases::propose_terms(ctx_of(&state, &ctx), &actor, client, item, v, t).await
        }
        (Err(e), _) => Err(e),
        (_, None) => Err(DomainError::StaleVersion),
    };
    let kept = KeptActivity {
        terms: Some(f.form),
        ..Default::default()
    };
    Ok(activity_write_done(&state, ctx, &actor, client, item, result, kept).await)
}

pub async fn activity_confirm_terms(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, item)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    let seen = f.consequence_seen.ticked();
    let result = match f.version.get() {
        Some(v) => cases::confirm_terms(ctx_of(&state, &ctx), &actor, client, item, v, seen).await,
        None => Err(DomainError::StaleVersion),
    };
    Ok(activity_write_done(
        &state,
        ctx,
        &actor,
        client,
        item,
        result,
        KeptActivity::default(),
    )
    .await)
}

pub async fn activity_reject_terms(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, item)): Path<(ClientId, PlanItemId)>,
    Form(f): Form<StatusForm>,
) -> PageResult {
    let result = match f.version.get() {
        Some(v) => cases::reject_terms(ctx_of(&state, &ctx), &actor, client, item, v).await,
        None => Err(DomainError::StaleVersion),
    };
    Ok(activity_write_done(
        &state,
        ctx,
        &actor,
        client,
        item,
        result,
        KeptActivity::default(),
    )
    .await)
}
