//! Small pieces every handler needs: the use-case context, the signed-in actor with the
//! client id from the path, where a person sees a client's plan, and how times are written.

use crate::AppState;
use crate::edge::context::PageCtx;
use domain::context::Ctx;
use domain::ids::ClientId;
use domain::roles::Actor;
use time::OffsetDateTime;

/// The context a use case needs (ports and the request id).
pub fn ctx_of<'a>(state: &'a AppState, page: &PageCtx) -> Ctx<'a> {
    Ctx {
        store: state.store.as_ref(),
        clock: state.clock.as_ref(),
        notifier: state.live.as_ref(),
        request_id: page.request_id,
    }
}

/// Where a person sees the plan: the client at home, staff on the client's page.
pub fn home_for(actor: &Actor, client: ClientId) -> String {
    if actor.own_client == Some(client) {
        "/me".to_string()
    } else {
        format!("/clients/{client}")
    }
}

/// A time as `2026-11-24 14:05 UTC`.
pub fn utc_text(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02} UTC",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute()
    )
}
