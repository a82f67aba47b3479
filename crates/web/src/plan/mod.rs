//! The shared plan on the web: the client's home and the counselor's view of a client, the
//! activity page, the catalogue of measures, the history and the printable plan.
//!
//! Handlers parse the form, call a use case in `domain::plan::cases`, and either redirect
//! (post/redirect/get) or show the same page again with the errors next to the fields and the
//! user's input kept. A save based on an old version shows the current values and the input.

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::forms::{Checkbox, Errors, Version, Versioned};
use crate::edge::handler::{ctx_of, home_for};
use crate::edge::render::{OrPage, PageResult, domain_error, render};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use domain::DomainError;
use domain::ids::{ClientId, PlanItemId};
use domain::plan::cases::{self};
use domain::plan::*;
use domain::roles::Actor;

fn date(d: Option<PlanDate>) -> String {
    d.map(|d| d.to_string()).unwrap_or_default()
}

// ----- display rows -----

/// After a plan-level write: back to the plan, or the plan again with the errors and input.
async fn plan_write_done(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    result: Result<(), DomainError>,
    kept: Kept,
    anchor: &str,
) -> PageResult {
    Ok(match result {
        Ok(()) => Redirect::to(&format!("{}#{anchor}", home_for(actor, client))).into_response(),
        Err(
            e @ (DomainError::Invalid(_) | DomainError::StaleVersion | DomainError::Refused(_)),
        ) => {
            let status = status_of(&e);
            // The plan again, with the errors; view_plan decides whether this person may see it.
            let view = cases::view_plan(ctx_of(state, &ctx), actor, client, None)
                .await
                .or_page(&ctx)?;
            let errors = Errors::of(&ctx, &e);
            render(status, &plan_page(ctx, view, errors, String::new(), kept))
        }
        Err(e) => domain_error(ctx, &e),
    })
}

fn status_of(e: &DomainError) -> StatusCode {
    match e {
        DomainError::StaleVersion => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

mod about;
mod activities;
mod goals;
mod history;
mod measures;
mod page;
mod questions;

pub use about::*;
pub use activities::*;
pub use goals::*;
pub use history::*;
pub use measures::*;
pub use page::*;
pub use questions::*;
