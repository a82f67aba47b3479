//! The shared plan on the web: the client's home and the counselor's view of a client, the
//! activity page, the catalogue of measures, the history and the printable plan.
//!
//! Handlers parse the form, call a use case in `domain::plan::cases`, and either redirect
//! (post/redirect/get) or show the same page again with the errors next to the fields and the
//! user's input kept. A save based on an old version shows the current values and the input.

use crate::AppState;
use crate::cases::ReasonPage;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, Query};
use crate::edge::handler::{ctx_of, home_for, utc_text, who};
use crate::edge::render::{domain_error, error_page, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::DomainError;
use domain::ids::{ClientId, MeasureId, OfficeId, PlanItemId};
use domain::plan::cases::{self, PlanView};
use domain::plan::input::{
    ActivityInput, GoalInput, MeasureInput, PreferencesInput, PresentationInput, TermsInput,
};
use domain::plan::*;
use domain::roles::Actor;
use serde::Deserialize;

#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn actor(ctx: &PageCtx) -> Result<Actor, Response> {
    ctx.actor
        .clone()
        .ok_or_else(|| error_page(ctx.clone(), StatusCode::NOT_FOUND))
}

/// Field errors keyed by field name, for messages next to fields.
#[derive(Debug, Clone, Default)]
pub struct Errors(pub Vec<(String, String)>);

impl Errors {
    pub fn of(ctx: &PageCtx, e: &DomainError) -> Self {
        Errors(ctx.field_errors(e))
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The message for `field`, or an empty string.
    pub fn at(&self, field: &str) -> String {
        self.0
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
            .unwrap_or_default()
    }
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|(f, _)| f == field)
    }
}

fn date(d: Option<PlanDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

// ----- display rows -----

pub struct ActivityCard {
    pub id: String,
    pub version: i64,
    pub title: String,
    pub kind: String,
    pub status: String,
    pub goal: String,
    pub dates: String,
    pub agreed: bool,
    pub condition: bool,
    pub waiting: String,
    /// The viewer may approve this proposal with one click.
    pub approvable: bool,
}

pub struct GoalCard {
    pub id: String,
    pub version: i64,
    pub text: String,
    pub target: String,
    pub status: String,
    pub progress: String,
    pub suggestion: bool,
    pub may_approve: bool,
    pub may_edit: bool,
    pub may_set_status: bool,
    pub other_statuses: Vec<(String, String)>,
}

pub struct QuestionCard {
    pub id: String,
    pub version: i64,
    pub measure: String,
    pub text: String,
    pub answer: Option<String>,
}

fn activity_card(ctx: &PageCtx, v: &PlanView, a: &Item<Activity>) -> ActivityCard {
    let d = &a.data;
    let waiting = match (d.waiting_for(), v.side) {
        (Some(w), Some(me)) if w == me => ctx.tr.get("plan-waiting-for-you"),
        (Some(Side::Client), _) => ctx.tr.get("plan-waiting-for-client"),
        (Some(Side::Counselor), _) => ctx.tr.get("plan-waiting-for-counselor"),
        (None, _) => String::new(),
    };
    let dates = match (d.start, d.end) {
        (Some(s), Some(e)) => format!("{s} – {e}"),
        (Some(s), None) => ctx.tr.arg("plan-from", "date", s),
        (None, Some(e)) => ctx.tr.arg("plan-until", "date", e),
        (None, None) => String::new(),
    };
    let terms = d.agreement.agreed.as_ref();
    ActivityCard {
        id: a.id.to_string(),
        version: a.version,
        title: d.title.clone(),
        kind: ctx.tr.get(&format!("activity-kind-{}", d.kind.as_str())),
        status: ctx
            .tr
            .get(&format!("activity-status-{}", d.status.as_str())),
        goal: d
            .goal_id
            .and_then(|g| v.goal(g))
            .map(|g| g.data.text.clone())
            .unwrap_or_default(),
        dates,
        agreed: terms.is_some(),
        condition: terms.is_some_and(|t| t.condition),
        waiting,
        approvable: d.status == ActivityStatus::Proposed
            && d.agreement.pending.is_none()
            && v.side == Some(d.created_by.other()),
    }
}

fn goal_card(ctx: &PageCtx, v: &PlanView, g: &Item<Goal>) -> GoalCard {
    let (done, total) = v.progress(g.id);
    let is_client = v.side == Some(Side::Client);
    GoalCard {
        id: g.id.to_string(),
        version: g.version,
        text: g.data.text.clone(),
        target: date(g.data.target_date),
        status: ctx
            .tr
            .get(&format!("goal-status-{}", g.data.status.as_str())),
        progress: if total == 0 {
            ctx.tr.get("goal-no-activities")
        } else {
            ctx.tr.args(
                "goal-progress",
                &[("done", done.to_string()), ("total", total.to_string())],
            )
        },
        suggestion: !g.data.approved_by_client,
        may_approve: is_client && !g.data.approved_by_client,
        may_edit: is_client,
        may_set_status: v.side.is_some(),
        other_statuses: GoalStatus::ALL
            .into_iter()
            .filter(|s| *s != g.data.status)
            .map(|s| {
                (
                    s.as_str().to_string(),
                    ctx.tr.get(&format!("goal-set-{}", s.as_str())),
                )
            })
            .collect(),
    }
}

fn question_card(v: &PlanView, q: &Item<Question>) -> QuestionCard {
    QuestionCard {
        id: q.id.to_string(),
        version: q.version,
        measure: v
            .measure(q.data.measure_id)
            .map(|m| m.data.name.clone())
            .unwrap_or_default(),
        text: q.data.text.clone(),
        answer: q.data.answer.clone(),
    }
}

/// Options for `<select>`: (value, label).
fn options<T: Copy>(
    ctx: &PageCtx,
    all: &[T],
    name: impl Fn(T) -> &'static str,
    prefix: &str,
) -> Vec<(String, String)> {
    all.iter()
        .map(|k| {
            (
                name(*k).to_string(),
                ctx.tr.get(&format!("{prefix}{}", name(*k))),
            )
        })
        .collect()
}

// ----- the plan page (client's home, counselor's view) -----

#[derive(Template)]
#[template(path = "plan/plan.html")]
pub struct PlanPage {
    pub ctx: PageCtx,
    pub cid: String,
    pub is_client: bool,
    pub may_change: bool,
    pub name: String,
    pub office: String,
    pub counselor: String,
    pub protected: bool,
    pub presentation: Option<Item<Presentation>>,
    pub archived_count: usize,
    pub preferences: Preferences,
    pub preferences_version: Option<i64>,
    pub channel: String,
    pub waiting: Vec<ActivityCard>,
    pub questions: Vec<QuestionCard>,
    pub goals: Vec<GoalCard>,
    pub groups: Vec<(String, Vec<ActivityCard>)>,
    pub errors: Errors,
    pub notice: String,
    pub goal_form: GoalInput,
    pub presentation_form: PresentationInput,
    pub preferences_form: PreferencesInput,
    pub channels: Vec<(String, String)>,
    /// Client feedback (issue 5): the client has an open invitation to give feedback.
    pub feedback_invitation: bool,
}

/// Forms to show again with the user's input (after a refused save).
#[derive(Default)]
struct Kept {
    goal: Option<GoalInput>,
    presentation: Option<PresentationInput>,
    preferences: Option<PreferencesInput>,
}

fn plan_page(ctx: PageCtx, v: PlanView, errors: Errors, notice: String, kept: Kept) -> PlanPage {
    let is_client = v.side == Some(Side::Client)
        || ctx.actor.as_ref().and_then(|a| a.own_client) == Some(v.client.id);
    let waiting_side = if is_client {
        Side::Client
    } else {
        Side::Counselor
    };
    let waiting = v
        .waiting_for(waiting_side)
        .into_iter()
        .map(|a| activity_card(&ctx, &v, a))
        .collect();
    let questions = v.questions.iter().map(|q| question_card(&v, q)).collect();
    let goals = v.goals.iter().map(|g| goal_card(&ctx, &v, g)).collect();
    let groups = ActivityStatus::ALL
        .into_iter()
        .map(|s| {
            (
                ctx.tr.get(&format!("activity-group-{}", s.as_str())),
                v.activities
                    .iter()
                    .filter(|a| a.data.status == s)
                    .map(|a| activity_card(&ctx, &v, a))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, list)| !list.is_empty())
        .collect();
    let prefs = v
        .preferences
        .as_ref()
        .map(|p| p.data.clone())
        .unwrap_or_default();
    let presentation_form = kept.presentation.unwrap_or_else(|| {
        v.presentation
            .as_ref()
            .map(|p| PresentationInput {
                about: p.data.about.clone(),
                strengths: p.data.strengths.clone(),
                wishes: p.data.wishes.clone(),
                obstacles: p.data.obstacles.clone(),
            })
            .unwrap_or_default()
    });
    let preferences_form = kept.preferences.unwrap_or_else(|| PreferencesInput {
        contact_channel: prefs
            .contact_channel
            .map(|c| c.as_str().to_string())
            .unwrap_or_default(),
        contact_times: prefs.contact_times.clone(),
        language: prefs.language.clone(),
        interpreter: if prefs.interpreter {
            "on".into()
        } else {
            String::new()
        },
        reading_support: if prefs.reading_support {
            "on".into()
        } else {
            String::new()
        },
        other: prefs.other.clone(),
    });
    PlanPage {
        cid: v.client.id.to_string(),
        is_client,
        may_change: v.side.is_some(),
        name: v.client.name.clone(),
        office: v.client.office_name.clone(),
        counselor: v
            .client
            .counselor
            .as_ref()
            .map(|c| c.1.clone())
            .unwrap_or_default(),
        protected: v.client.protected,
        presentation: v.presentation.clone(),
        archived_count: v.archived_presentations.len(),
        channel: prefs
            .contact_channel
            .map(|c| ctx.tr.get(&format!("channel-{}", c.as_str())))
            .unwrap_or_default(),
        preferences_version: v.preferences.as_ref().map(|p| p.version),
        preferences: prefs,
        waiting,
        questions,
        goals,
        groups,
        errors,
        notice,
        goal_form: kept.goal.unwrap_or_default(),
        presentation_form,
        preferences_form,
        channels: options(&ctx, &ContactChannel::ALL, |c| c.as_str(), "channel-"),
        feedback_invitation: false,
        ctx,
    }
}

/// Shows the plan of `client`, or the reason page for a protected client.
async fn show_plan(
    state: &AppState,
    ctx: PageCtx,
    client: ClientId,
    reason: Option<String>,
) -> Response {
    let actor = match actor(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match cases::view_plan(ctx_of(state, &ctx), &actor, client, reason.as_deref()).await {
        Ok(v) => {
            let uc = ctx_of(state, &ctx);
            let mut page = plan_page(ctx, v, Errors::default(), String::new(), Kept::default());
            // Client feedback (issue 5): the asking rule runs when the client opens their home.
            if page.is_client {
                page.feedback_invitation = matches!(
                    domain::feedback::asking::current_invitation(uc, &actor).await,
                    Ok(Some(_))
                );
            }
            render(StatusCode::OK, &page)
        }
        Err(e) => reason_or_error(ctx, client, reason, e),
    }
}

fn reason_or_error(
    ctx: PageCtx,
    client: ClientId,
    reason: Option<String>,
    e: DomainError,
) -> Response {
    match e {
        DomainError::ReasonRequired => render(
            StatusCode::OK,
            &ReasonPage {
                ctx,
                client_id: client.to_string(),
                reason: String::new(),
                error: None,
            },
        ),
        e @ DomainError::Invalid(_) if reason.is_some() => {
            let error = ctx.field_errors(&e).first().map(|(_, m)| m.clone());
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ReasonPage {
                    ctx,
                    client_id: client.to_string(),
                    reason: reason.unwrap_or_default(),
                    error,
                },
            )
        }
        e => domain_error(ctx, &e),
    }
}

pub async fn my_plan(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let Some(client) = ctx.actor.as_ref().and_then(|a| a.own_client) else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    show_plan(&state, ctx, client, None).await
}

#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn parse_client(ctx: &PageCtx, id: &str) -> Result<ClientId, Response> {
    id.parse()
        .map_err(|_| error_page(ctx.clone(), StatusCode::NOT_FOUND))
}

#[allow(clippy::result_large_err)] // as above
fn parse_item(ctx: &PageCtx, id: &str) -> Result<PlanItemId, Response> {
    id.parse()
        .map_err(|_| error_page(ctx.clone(), StatusCode::NOT_FOUND))
}

pub async fn client_plan(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Response {
    match parse_client(&ctx, &id) {
        Ok(client) => show_plan(&state, ctx, client, None).await,
        Err(r) => r,
    }
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub async fn client_plan_with_reason(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<ReasonForm>,
) -> Response {
    match parse_client(&ctx, &id) {
        Ok(client) => show_plan(&state, ctx, client, Some(form.reason)).await,
        Err(r) => r,
    }
}

/// After a plan-level write: back to the plan, or the plan again with the errors and input.
async fn plan_write_done(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    result: Result<(), DomainError>,
    kept: Kept,
    anchor: &str,
) -> Response {
    match result {
        Ok(()) => Redirect::to(&format!("{}#{anchor}", home_for(actor, client))).into_response(),
        Err(
            e @ (DomainError::Invalid(_) | DomainError::StaleVersion | DomainError::Refused(_)),
        ) => {
            let status = status_of(&e);
            // The plan again, with the errors; view_plan decides whether this person may see it.
            let view = match cases::view_plan(ctx_of(state, &ctx), actor, client, None).await {
                Ok(v) => v,
                Err(e) => return domain_error(ctx, &e),
            };
            let errors = Errors::of(&ctx, &e);
            render(status, &plan_page(ctx, view, errors, String::new(), kept))
        }
        Err(e) => domain_error(ctx, &e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct Versioned<T> {
    version: String,
    #[serde(flatten)]
    form: T,
}

fn version_of(raw: &str) -> Option<i64> {
    raw.trim().parse().ok()
}

macro_rules! who {
    ($ctx:expr, $id:expr) => {{
        match who(&$ctx, &$id) {
            Ok(w) => w,
            Err(r) => return r,
        }
    }};
}

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

pub async fn goal_add(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<GoalInput>,
) -> Response {
    let (actor, client) = who!(ctx, id);
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
    version: String,
    status: String,
}

pub async fn goal_approve(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<GoalAction>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let goal = match parse_item(&ctx, &item) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let result = match version_of(&f.version) {
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
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<GoalAction>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let goal = match parse_item(&ctx, &item) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let result = match (version_of(&f.version), GoalStatus::parse(&f.status)) {
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
    Path((id, item)): Path<(String, String)>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let goal = match parse_item(&ctx, &item) {
        Ok(g) => g,
        Err(r) => return r,
    };
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
async fn goal_edit_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    goal: PlanItemId,
    form: Option<GoalInput>,
    errors: Errors,
    status: StatusCode,
) -> Response {
    // The wording of a goal is the client's own: anyone else is shown nothing here, so they
    // get the 404 before anything is read (and no audit row).
    match domain::clients::change_side(ctx_of(state, &ctx), actor, client).await {
        Ok(Some(Side::Client)) => {}
        Ok(_) => return error_page(ctx, StatusCode::NOT_FOUND),
        Err(e) => return domain_error(ctx, &e),
    }
    let part = domain::ports::PlanPart::Goal(goal);
    let v = match cases::view_plan_part(ctx_of(state, &ctx), actor, client, None, part).await {
        Ok(v) => v,
        Err(e) => return domain_error(ctx, &e),
    };
    let Some(g) = v.goal(goal) else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    if v.side != Some(Side::Client) {
        return error_page(ctx, StatusCode::NOT_FOUND);
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
    render(status, &page)
}

pub async fn goal_edit_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<Versioned<GoalInput>>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let goal = match parse_item(&ctx, &item) {
        Ok(g) => g,
        Err(r) => return r,
    };
    let result = match (f.form.parse(), version_of(&f.version)) {
        (Ok((text, d)), Some(v)) => {
            cases::edit_goal(ctx_of(&state, &ctx), &actor, client, goal, v, text, d).await
        }
        (Err(e), _) => Err(e),
        (_, None) => Err(DomainError::StaleVersion),
    };
    match result {
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
            .await
        }
        Err(e) => domain_error(ctx, &e),
    }
}

fn status_of(e: &DomainError) -> StatusCode {
    match e {
        DomainError::StaleVersion => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

// ----- activities -----

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

fn activity_new_page(
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
    Path(id): Path<String>,
    Query(q): Query<NewQuery>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let v = match cases::view_plan(ctx_of(&state, &ctx), &actor, client, None).await {
        Ok(v) if v.side.is_some() => v,
        Ok(_) => return error_page(ctx, StatusCode::NOT_FOUND),
        Err(e) => return reason_or_error(ctx, client, None, e),
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
    render(
        StatusCode::OK,
        &activity_new_page(ctx, &v, form, Errors::default()),
    )
}

pub async fn activity_add(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ActivityInput>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let result = match f.parse() {
        Ok(fields) => cases::add_activity(ctx_of(&state, &ctx), &actor, client, fields).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(item) => Redirect::to(&format!("/clients/{client}/activities/{item}")).into_response(),
        Err(e @ (DomainError::Invalid(_) | DomainError::Refused(_))) => {
            let v = match cases::view_plan(ctx_of(&state, &ctx), &actor, client, None).await {
                Ok(v) => v,
                Err(e) => return domain_error(ctx, &e),
            };
            let errors = Errors::of(&ctx, &e);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &activity_new_page(ctx, &v, f, errors),
            )
        }
        Err(e) => domain_error(ctx, &e),
    }
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
struct KeptActivity {
    edit: Option<ActivityInput>,
    terms: Option<TermsInput>,
}

fn terms_input(t: &Terms) -> TermsInput {
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

fn activity_input(a: &Activity) -> ActivityInput {
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
async fn activity_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    item: PlanItemId,
    kept: KeptActivity,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let part = domain::ports::PlanPart::Activity(item);
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
    let open = !a.status.is_final();
    let pending = a.agreement.pending.clone();
    let pending_by_me = pending.as_ref().is_some_and(|p| Some(p.by) == side);
    let page = ActivityPage {
        cid: client.to_string(),
        home: home_for(actor, client),
        card: activity_card(&ctx, &v, item),
        version: item.version,
        is_client: side == Some(Side::Client),
        may_edit: side.is_some() && open && !a.is_agreed(),
        may_decline: side.is_some()
            && a.status == ActivityStatus::Proposed
            && Some(a.created_by) != side,
        may_propose: side.is_some() && open,
        may_condition: side == Some(Side::Counselor)
            && measure.as_ref().is_none_or(|m| m.data.may_be_condition),
        next: if side.is_some() {
            a.status
                .next()
                .into_iter()
                .filter(|s| {
                    !(a.status == ActivityStatus::Proposed
                        && *s == ActivityStatus::Planned
                        && Some(a.created_by) == side)
                })
                .map(|s| {
                    (
                        s.as_str().to_string(),
                        ctx.tr.get(&format!("activity-status-{}", s.as_str())),
                    )
                })
                .collect()
        } else {
            vec![]
        },
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
    Path((id, item)): Path<(String, String)>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let item = match parse_item(&ctx, &item) {
        Ok(i) => i,
        Err(r) => return r,
    };
    activity_view(
        &state,
        ctx,
        &actor,
        client,
        item,
        KeptActivity::default(),
        Errors::default(),
        StatusCode::OK,
    )
    .await
}

/// After an activity write: back to the activity page, or the page again with errors.
#[allow(clippy::too_many_arguments)]
async fn activity_write_done(
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

macro_rules! item_of {
    ($ctx:expr, $id:expr, $item:expr) => {{
        let (actor, client) = who!($ctx, $id);
        let item = match parse_item(&$ctx, &$item) {
            Ok(i) => i,
            Err(r) => return r,
        };
        (actor, client, item)
    }};
}

pub async fn activity_edit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<Versioned<ActivityInput>>,
) -> Response {
    let (actor, client, item) = item_of!(ctx, id, item);
    let result = match (f.form.parse(), version_of(&f.version)) {
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
    activity_write_done(&state, ctx, &actor, client, item, result, kept).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StatusForm {
    version: String,
    /// `plan` when sent from the plan page (one-click approval): go back there.
    return_to: String,
    status: String,
    reason: String,
    consequence_seen: String,
}

pub async fn activity_status(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<StatusForm>,
) -> Response {
    let (actor, client, item) = item_of!(ctx, id, item);
    let result = match (version_of(&f.version), ActivityStatus::parse(&f.status)) {
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
        return Redirect::to(&format!("{}#waiting-heading", home_for(&actor, client)))
            .into_response();
    }
    activity_write_done(
        &state,
        ctx,
        &actor,
        client,
        item,
        result,
        KeptActivity::default(),
    )
    .await
}

pub async fn activity_decline(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<StatusForm>,
) -> Response {
    let (actor, client, item) = item_of!(ctx, id, item);
    let result = match version_of(&f.version) {
        Some(v) => cases::decline(ctx_of(&state, &ctx), &actor, client, item, v, &f.reason).await,
        None => Err(DomainError::StaleVersion),
    };
    activity_write_done(
        &state,
        ctx,
        &actor,
        client,
        item,
        result,
        KeptActivity::default(),
    )
    .await
}

pub async fn activity_propose_terms(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<Versioned<TermsInput>>,
) -> Response {
    let (actor, client, item) = item_of!(ctx, id, item);
    let result = match (f.form.parse(), version_of(&f.version)) {
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
    activity_write_done(&state, ctx, &actor, client, item, result, kept).await
}

pub async fn activity_confirm_terms(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<StatusForm>,
) -> Response {
    let (actor, client, item) = item_of!(ctx, id, item);
    let seen = matches!(f.consequence_seen.as_str(), "on" | "true" | "1");
    let result = match version_of(&f.version) {
        Some(v) => cases::confirm_terms(ctx_of(&state, &ctx), &actor, client, item, v, seen).await,
        None => Err(DomainError::StaleVersion),
    };
    activity_write_done(
        &state,
        ctx,
        &actor,
        client,
        item,
        result,
        KeptActivity::default(),
    )
    .await
}

pub async fn activity_reject_terms(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, item)): Path<(String, String)>,
    Form(f): Form<StatusForm>,
) -> Response {
    let (actor, client, item) = item_of!(ctx, id, item);
    let result = match version_of(&f.version) {
        Some(v) => cases::reject_terms(ctx_of(&state, &ctx), &actor, client, item, v).await,
        None => Err(DomainError::StaleVersion),
    };
    activity_write_done(
        &state,
        ctx,
        &actor,
        client,
        item,
        result,
        KeptActivity::default(),
    )
    .await
}

// ----- questions -----

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

pub struct MeasureCard {
    pub id: String,
    pub m: MeasureData,
    pub availability: String,
}

fn availability(ctx: &PageCtx, m: &MeasureData) -> String {
    if m.no_places {
        ctx.tr.get("measure-no-places")
    } else {
        match m.waiting_weeks {
            Some(0) | None => ctx.tr.get("measure-no-wait"),
            Some(w) => ctx.tr.arg("measure-waiting-weeks", "weeks", w),
        }
    }
}

#[derive(Template)]
#[template(path = "plan/catalogue.html")]
pub struct CataloguePage {
    pub ctx: PageCtx,
    pub cid: String,
    pub home: String,
    pub measures: Vec<MeasureCard>,
}

pub async fn catalogue(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let v = match cases::view_plan(ctx_of(&state, &ctx), &actor, client, None).await {
        Ok(v) => v,
        Err(e) => return reason_or_error(ctx, client, None, e),
    };
    let measures = v
        .measures
        .iter()
        .filter(|m| !m.data.withdrawn)
        .map(|m| MeasureCard {
            id: m.id.to_string(),
            availability: availability(&ctx, &m.data),
            m: m.data.clone(),
        })
        .collect();
    let page = CataloguePage {
        cid: client.to_string(),
        home: home_for(&actor, client),
        measures,
        ctx,
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "plan/measure.html")]
pub struct MeasurePage {
    pub ctx: PageCtx,
    pub cid: String,
    pub home: String,
    pub card: MeasureCard,
    pub is_client: bool,
    pub may_change: bool,
    pub questions: Vec<QuestionCard>,
    pub question: String,
    pub errors: Errors,
}

async fn measure_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    measure: MeasureId,
    question: String,
    errors: Errors,
) -> Response {
    let part = domain::ports::PlanPart::Measure(measure);
    let v = match cases::view_plan_part(ctx_of(state, &ctx), actor, client, None, part).await {
        Ok(v) => v,
        Err(e) => return reason_or_error(ctx, client, None, e),
    };
    let Some(m) = v.measure(measure) else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MeasurePage {
        cid: client.to_string(),
        home: home_for(actor, client),
        card: MeasureCard {
            id: m.id.to_string(),
            availability: availability(&ctx, &m.data),
            m: m.data.clone(),
        },
        is_client: v.side == Some(Side::Client),
        may_change: v.side.is_some(),
        questions: v
            .questions
            .iter()
            .filter(|q| q.data.measure_id == measure)
            .map(|q| question_card(&v, q))
            .collect(),
        question,
        errors,
        ctx,
    };
    render(status, &page)
}

pub async fn measure_page(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path((id, measure)): Path<(String, String)>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let Ok(measure) = measure.parse::<MeasureId>() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    measure_view(
        &state,
        ctx,
        &actor,
        client,
        measure,
        String::new(),
        Errors::default(),
    )
    .await
}

// ----- history and print -----

pub struct HistoryLine {
    pub when: String,
    pub sentence: String,
    pub fields: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "plan/history.html")]
pub struct HistoryPage {
    pub ctx: PageCtx,
    pub home: String,
    pub lines: Vec<HistoryLine>,
}

pub async fn history(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let entries = match cases::plan_history(ctx_of(&state, &ctx), &actor, client, None).await {
        Ok(e) => e,
        Err(e) => return reason_or_error(ctx, client, None, e),
    };
    let home = if actor.own_client == Some(client) {
        "/me".to_string()
    } else {
        format!("/clients/{client}")
    };
    let lines = entries
        .into_iter()
        .map(|e| {
            let what = ctx.tr.get(&format!("history-{}-{}", e.item_kind, e.change));
            let who = format!(
                "{} ({})",
                e.actor_name,
                ctx.tr.get(&format!("role-{}", e.actor_role.as_str()))
            );
            let sentence = ctx.tr.args(
                "history-sentence",
                &[("who", who), ("what", what), ("title", e.title.clone())],
            );
            HistoryLine {
                when: utc_text(e.at),
                sentence,
                fields: e
                    .fields
                    .into_iter()
                    .map(|f| {
                        (
                            label_of(&ctx, &f.field),
                            value_of(&ctx, &f.field, &f.before),
                            value_of(&ctx, &f.field, &f.after),
                        )
                    })
                    .collect(),
            }
        })
        .collect();
    render(StatusCode::OK, &HistoryPage { ctx, home, lines })
}

/// The label a form uses for a field (`label-how-often`), or the raw name if none.
fn label_of(ctx: &PageCtx, field: &str) -> String {
    let key = format!("label-{}", field.replace('_', "-"));
    let text = ctx.tr.get(&key);
    if text == key { field.to_string() } else { text }
}

/// A stored value in words (statuses and kinds translated, flags as yes).
fn value_of(ctx: &PageCtx, field: &str, raw: &str) -> String {
    // Goals and activities share the field name `status`: try the activity's word first.
    let keys = match field {
        "status" => vec![
            format!("activity-status-{raw}"),
            format!("goal-status-{raw}"),
        ],
        "kind" => vec![format!("activity-kind-{raw}")],
        "stage" => vec![format!("stage-{raw}")],
        "contact_channel" => vec![format!("channel-{raw}")],
        _ if raw == "true" => vec!["value-yes".to_string()],
        _ => vec![],
    };
    keys.iter()
        .map(|k| (k, ctx.tr.get(k)))
        .find(|(k, text)| text != *k)
        .map(|(_, text)| text)
        .unwrap_or_else(|| raw.to_string())
}

#[derive(Template)]
#[template(path = "plan/print.html")]
pub struct PrintPage {
    pub ctx: PageCtx,
    pub home: String,
    pub name: String,
    pub goals: Vec<GoalCard>,
    pub activities: Vec<(ActivityCard, Option<Terms>)>,
    pub printed: String,
}

pub async fn print(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Response {
    let (actor, client) = who!(ctx, id);
    let v = match cases::view_plan(ctx_of(&state, &ctx), &actor, client, None).await {
        Ok(v) => v,
        Err(e) => return reason_or_error(ctx, client, None, e),
    };
    let page = PrintPage {
        home: home_for(&actor, client),
        name: v.client.name.clone(),
        goals: v.goals.iter().map(|g| goal_card(&ctx, &v, g)).collect(),
        activities: v
            .activities
            .iter()
            .filter(|a| a.data.status != ActivityStatus::Cancelled)
            .map(|a| (activity_card(&ctx, &v, a), a.data.agreement.agreed.clone()))
            .collect(),
        printed: utc_text(state.clock.now()),
        ctx,
    };
    render(StatusCode::OK, &page)
}

// ----- administrators: the catalogue of each office -----

#[derive(Template)]
#[template(path = "plan/admin_measures.html")]
pub struct AdminMeasuresPage {
    pub ctx: PageCtx,
    pub offices: Vec<(String, String)>,
    pub office: String,
    pub measures: Vec<MeasureCard>,
    pub form: MeasureInput,
    /// (field name, value) of the one-line and the multi-line fields of the form.
    pub lines: Vec<(&'static str, String)>,
    pub texts: Vec<(&'static str, String)>,
    pub editing: Option<(String, i64)>,
    pub errors: Errors,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct OfficeQuery {
    office: String,
    edit: String,
}

#[allow(clippy::too_many_arguments)]
async fn admin_measures_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    office: Option<OfficeId>,
    edit: Option<MeasureId>,
    form: Option<MeasureInput>,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let offices = match domain::org::list_offices(state.store.as_ref(), actor).await {
        Ok(o) => o,
        Err(e) => return domain_error(ctx, &e),
    };
    let Some(office) = office.or_else(|| offices.first().map(|o| o.id)) else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    let c = ctx_of(state, &ctx);
    let measures = match cases::catalogue_for_admin(c, actor, office).await {
        Ok(m) => m,
        Err(e) => return domain_error(ctx, &e),
    };
    let editing = edit.and_then(|id| measures.iter().find(|m| m.id == id));
    let form = form.unwrap_or_else(|| {
        editing
            .map(|m| MeasureInput::from_data(&m.data))
            .unwrap_or_default()
    });
    let page = AdminMeasuresPage {
        lines: vec![
            ("name", form.name.clone()),
            ("provider", form.provider.clone()),
            ("duration", form.duration.clone()),
            ("location", form.location.clone()),
            ("capacity", form.capacity.clone()),
            ("waiting_weeks", form.waiting_weeks.clone()),
        ],
        texts: vec![
            ("description", form.description.clone()),
            ("eligibility", form.eligibility.clone()),
            ("saying_no", form.saying_no.clone()),
        ],
        offices: offices
            .iter()
            .map(|o| (o.id.to_string(), o.name.clone()))
            .collect(),
        office: office.to_string(),
        form,
        editing: editing.map(|m| (m.id.to_string(), m.version)),
        measures: measures
            .iter()
            .map(|m| MeasureCard {
                id: m.id.to_string(),
                availability: availability(&ctx, &m.data),
                m: m.data.clone(),
            })
            .collect(),
        errors,
        ctx,
    };
    render(status, &page)
}

pub async fn admin_measures(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<OfficeQuery>,
) -> Response {
    let actor = match actor(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    admin_measures_view(
        &state,
        ctx,
        &actor,
        q.office.parse().ok(),
        q.edit.parse().ok(),
        None,
        Errors::default(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MeasureForm {
    office_id: String,
    measure_id: String,
    version: String,
    #[serde(flatten)]
    form: MeasureInput,
}

pub async fn admin_measure_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(f): Form<MeasureForm>,
) -> Response {
    let actor = match actor(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(office) = f.office_id.parse::<OfficeId>() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    let existing = match (f.measure_id.parse::<MeasureId>(), version_of(&f.version)) {
        (Ok(id), Some(v)) => Some((id, v)),
        _ => None,
    };
    let result = match f.form.parse() {
        Ok(data) => cases::put_measure(ctx_of(&state, &ctx), &actor, office, existing, data).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => Redirect::to(&format!("/admin/measures?office={office}")).into_response(),
        Err(e @ (DomainError::Invalid(_) | DomainError::StaleVersion)) => {
            let status = status_of(&e);
            let errors = Errors::of(&ctx, &e);
            admin_measures_view(
                &state,
                ctx,
                &actor,
                Some(office),
                existing.map(|e| e.0),
                Some(f.form),
                errors,
                status,
            )
            .await
        }
        Err(e) => domain_error(ctx, &e),
    }
}
