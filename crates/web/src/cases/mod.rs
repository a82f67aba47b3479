//! Client cases: the counselor's caseload, opening a new case, and the reason asked before a
//! protected client's case is opened.

pub mod open;

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::SignedIn;
use crate::edge::handler::ctx_of;
use crate::edge::render::{OrPage, PageResult, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use domain::cases::store::ClientSummary;

#[derive(Template)]
#[template(path = "cases/caseload.html")]
pub struct CaseloadPage {
    pub ctx: PageCtx,
    pub clients: Vec<ClientSummary>,
    /// Clients nobody has been in touch with for longer than agreed: (id, name, text).
    pub quiet: Vec<(String, String, String)>,
}

#[derive(Template)]
#[template(path = "cases/reason.html")]
pub struct ReasonPage {
    pub ctx: PageCtx,
    pub client_id: String,
    pub reason: String,
    pub error: Option<String>,
}

pub async fn caseload(State(state): State<AppState>, ctx: PageCtx) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let clients = domain::cases::my_caseload(ctx_of(&state, &ctx), &actor)
        .await
        .or_page(&ctx)?;
    let quiet = domain::conversation::checkins::gone_quiet(ctx_of(&state, &ctx), &clients)
        .await
        .or_page(&ctx)?;
    let quiet = quiet
        .into_iter()
        .map(|q| {
            let text = match q.days_quiet {
                Some(days) => ctx.tr.args(
                    "checkin-quiet-days",
                    &[
                        ("days", days.to_string()),
                        ("every", q.every_days.to_string()),
                    ],
                ),
                None => ctx.tr.arg("checkin-quiet-never", "every", q.every_days),
            };
            (q.client.id.to_string(), q.client.name, text)
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &CaseloadPage {
            ctx,
            clients,
            quiet,
        },
    ))
}
