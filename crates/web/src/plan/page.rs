//! The plan page: the client's home and the counselor's view of a client, with the
//! reason asked before a protected client's plan opens.

use super::*;
use crate::AppState;
use crate::cases::ReasonPage;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, SignedIn};
use crate::edge::handler::ctx_of;
use crate::edge::render::{PageError, PageResult, domain_error, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::DomainError;
use domain::ids::ClientId;
use domain::plan::cases::{self, PlanView};
use domain::plan::input::{GoalInput, PreferencesInput, PresentationInput};
use serde::Deserialize;

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

pub fn activity_card(ctx: &PageCtx, v: &PlanView, a: &Item<Activity>) -> ActivityCard {
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
        approvable: rules::activity_actions(v.side, d, measure_of(v, d)).approve,
    }
}

/// The catalogue entry an activity is linked to, if any.
pub fn measure_of<'v>(v: &'v PlanView, a: &Activity) -> Option<&'v MeasureData> {
    a.details
        .measure_id
        .and_then(|m| v.measure(m))
        .map(|m| &m.data)
}

pub fn goal_card(ctx: &PageCtx, v: &PlanView, g: &Item<Goal>) -> GoalCard {
    let (done, total) = v.progress(g.id);
    let actions = rules::goal_actions(v.side, &g.data);
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
        may_approve: actions.approve,
        may_edit: actions.edit,
        may_set_status: !actions.statuses.is_empty(),
        other_statuses: actions
            .statuses
            .into_iter()
            .map(|s| {
                (
                    s.as_str().to_string(),
                    ctx.tr.get(&format!("goal-set-{}", s.as_str())),
                )
            })
            .collect(),
    }
}

pub fn question_card(v: &PlanView, q: &Item<Question>) -> QuestionCard {
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
pub fn options<T: Copy>(
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
    /// Any change at all (`actions.change`); otherwise the page says it is read only.
    pub may_change: bool,
    /// What the viewer may do with the plan, from the plan's rules.
    pub actions: rules::PlanActions,
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
pub struct Kept {
    pub goal: Option<GoalInput>,
    pub presentation: Option<PresentationInput>,
    pub preferences: Option<PreferencesInput>,
}

pub fn plan_page(
    ctx: PageCtx,
    v: PlanView,
    errors: Errors,
    notice: String,
    kept: Kept,
) -> PlanPage {
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
    let actions = rules::plan_actions(v.side);
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
        may_change: actions.change,
        actions,
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
pub async fn show_plan(
    state: &AppState,
    ctx: PageCtx,
    client: ClientId,
    reason: Option<String>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    Ok(
        match cases::view_plan(ctx_of(state, &ctx), &actor, client, reason.as_deref()).await {
            Ok(v) => {
                // Client feedback (issue 5): the asking rule runs when the client opens their
                // home, on the scope this view was granted on.
                let invitation = if actor.own_client == Some(client) {
                    let uc = ctx_of(state, &ctx);
                    matches!(
                        domain::feedback::asking::current_invitation_on(uc, &actor, &v).await,
                        Ok(Some(_))
                    )
                } else {
                    false
                };
                let mut page = plan_page(ctx, v, Errors::default(), String::new(), Kept::default());
                page.feedback_invitation = page.is_client && invitation;
                render(StatusCode::OK, &page)
            }
            Err(e) => reason_or_error(ctx, client, reason, e),
        },
    )
}

pub fn reason_or_error(
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

pub async fn my_plan(State(state): State<AppState>, ctx: PageCtx) -> PageResult {
    let Some(client) = ctx.actor.as_ref().and_then(|a| a.own_client) else {
        return Err(PageError::not_found(&ctx));
    };
    show_plan(&state, ctx, client, None).await
}

pub async fn client_plan(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(client): Path<ClientId>,
) -> PageResult {
    show_plan(&state, ctx, client, None).await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    reason: String,
}

pub async fn client_plan_with_reason(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(client): Path<ClientId>,
    Form(form): Form<ReasonForm>,
) -> PageResult {
    show_plan(&state, ctx, client, Some(form.reason)).await
}
