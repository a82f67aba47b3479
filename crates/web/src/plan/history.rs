//! The plan's history and the printable plan.

use super::*;
use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Path, SignedIn};
use crate::edge::handler::{ctx_of, home_for, utc_text};
use crate::edge::render::render;
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use domain::plan::cases::{self};

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
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
) -> PageResult {
    let entries = match cases::plan_history(ctx_of(&state, &ctx), &actor, client, None).await {
        Ok(e) => e,
        Err(e) => return Ok(reason_or_error(ctx, client, None, e)),
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
    Ok(render(StatusCode::OK, &HistoryPage { ctx, home, lines }))
}

/// The label a form uses for a field (`label-how-often`), or the raw name if none.
pub fn label_of(ctx: &PageCtx, field: &str) -> String {
    let key = format!("label-{}", field.replace('_', "-"));
    let text = ctx.tr.get(&key);
    if text == key { field.to_string() } else { text }
}

/// A stored value in words (statuses and kinds translated, flags as yes).
pub fn value_of(ctx: &PageCtx, field: &str, raw: &str) -> String {
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
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
) -> PageResult {
    let v = match cases::view_plan(ctx_of(&state, &ctx), &actor, client, None).await {
        Ok(v) => v,
        Err(e) => return Ok(reason_or_error(ctx, client, None, e)),
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
    Ok(render(StatusCode::OK, &page))
}
