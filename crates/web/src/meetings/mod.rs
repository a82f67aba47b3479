//! Meeting pages: the client's meetings (upcoming first) with a form to propose one; one
//! meeting with the answer forms for the side that must answer, the agenda (the client's
//! points first), the notes and the comments on them; and the calendar file (.ics). Times are
//! shown and typed in Norwegian (Oslo) time. Every form works without JavaScript.

use crate::AppState;
use crate::cases::ReasonPage;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, SignedIn};
use crate::edge::forms::{Checkbox, Errors, Version};
use crate::edge::handler::{ctx_of, home_for};
use crate::edge::render::{PageResult, domain_error, render};
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use domain::DomainError;
use domain::ids::{ClientId, MeetingId};
use domain::meetings::store::MeetingRow;
use domain::meetings::{
    self, Answer, MeetingMode, MeetingStatus, MeetingView, ProposalInput, local_input_value,
    local_text,
};
use domain::plan::Side;
use domain::roles::Actor;
use serde::Deserialize;
use time::OffsetDateTime;

fn reason_page(ctx: PageCtx, client: ClientId) -> Response {
    render(
        StatusCode::OK,
        &ReasonPage {
            ctx,
            client_id: client.to_string(),
            reason: String::new(),
            error: None,
        },
    )
}

fn side_text(ctx: &PageCtx, side: Side) -> String {
    ctx.tr.get(&format!("side-{}", side.as_str()))
}

fn mode_text(ctx: &PageCtx, mode: MeetingMode) -> String {
    ctx.tr.get(&format!("meeting-mode-{}", mode.as_str()))
}

/// Who the meeting waits for, in words for the viewer (empty when it waits for nobody, or
/// when the proposed time has passed without an answer).
fn waiting_text(
    ctx: &PageCtx,
    m: &MeetingRow,
    viewer: Option<Side>,
    now: OffsetDateTime,
) -> String {
    if m.starts_at <= now {
        return String::new();
    }
    match m.answer_by {
        Some(s) if m.status == MeetingStatus::Proposed && Some(s) == viewer => {
            ctx.tr.get("meeting-waiting-for-you")
        }
        Some(s) if m.status == MeetingStatus::Proposed => {
            ctx.tr.arg("meeting-waiting-for", "side", side_text(ctx, s))
        }
        _ => String::new(),
    }
}

fn status_code_of(e: &DomainError) -> StatusCode {
    match e {
        DomainError::StaleVersion => StatusCode::CONFLICT,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    }
}

/// Refusals the page shows next to the form (everything else is an error page).
fn shown_on_page(e: &DomainError) -> bool {
    matches!(
        e,
        DomainError::Invalid(_) | DomainError::Refused(_) | DomainError::StaleVersion
    )
}

// ----- the list -----

pub struct MeetingLine {
    pub id: String,
    pub purpose: String,
    pub when: String,
    pub how: String,
    pub status: String,
    pub cancelled: bool,
    pub waiting: String,
}

#[derive(Template)]
#[template(path = "meetings/meetings.html")]
pub struct MeetingsPage {
    pub ctx: PageCtx,
    pub cid: String,
    pub home: String,
    pub is_client: bool,
    pub may_write: bool,
    pub upcoming: Vec<MeetingLine>,
    pub past: Vec<MeetingLine>,
    pub form: ProposalInput,
    pub modes: Vec<(&'static str, String)>,
    pub errors: Errors,
}

fn line(ctx: &PageCtx, m: &MeetingRow, viewer: Option<Side>, now: OffsetDateTime) -> MeetingLine {
    MeetingLine {
        id: m.id.to_string(),
        purpose: m.purpose.clone(),
        when: ctx
            .tr
            .arg("meeting-oslo-time", "when", local_text(m.starts_at)),
        how: mode_text(ctx, m.mode),
        status: ctx.tr.get(&format!("meeting-status-{}", m.status.as_str())),
        cancelled: m.status == MeetingStatus::Cancelled,
        waiting: waiting_text(ctx, m, viewer, now),
    }
}

async fn viewer_side(
    state: &AppState,
    ctx: &PageCtx,
    actor: &Actor,
    client: ClientId,
) -> Option<Side> {
    domain::cases::change_side(ctx_of(state, ctx), actor, client)
        .await
        .ok()
        .flatten()
}

async fn list_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    form: ProposalInput,
    errors: Errors,
) -> Response {
    let (upcoming, past) = match meetings::list(ctx_of(state, &ctx), actor, client, None).await {
        Ok(l) => l,
        Err(DomainError::ReasonRequired) => return reason_page(ctx, client),
        Err(e) => return domain_error(ctx, &e),
    };
    let side = viewer_side(state, &ctx, actor, client).await;
    let now = state.clock.now();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = MeetingsPage {
        cid: client.to_string(),
        home: home_for(actor, client),
        is_client: side == Some(Side::Client),
        may_write: meetings::rules::may_propose(side),
        upcoming: upcoming.iter().map(|m| line(&ctx, m, side, now)).collect(),
        past: past.iter().map(|m| line(&ctx, m, side, now)).collect(),
        form: ProposalInput {
            duration_minutes: if form.duration_minutes.is_empty() {
                "60".into()
            } else {
                form.duration_minutes.clone()
            },
            mode: if form.mode.is_empty() {
                MeetingMode::InPerson.as_str().into()
            } else {
                form.mode.clone()
            },
            ..form
        },
        modes: MeetingMode::ALL
            .iter()
            .map(|m| (m.as_str(), mode_text(&ctx, *m)))
            .collect(),
        errors,
        ctx,
    };
    render(status, &page)
}

pub async fn list(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
) -> PageResult {
    Ok(list_view(
        &state,
        ctx,
        &actor,
        client,
        ProposalInput::default(),
        Errors::default(),
    )
    .await)
}

pub async fn propose(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<ProposalInput>,
) -> PageResult {
    Ok(
        match meetings::propose(ctx_of(&state, &ctx), &actor, client, &f).await {
            Ok(m) => Redirect::to(&format!("/clients/{client}/meetings/{m}")).into_response(),
            Err(e) if shown_on_page(&e) => {
                let errors = Errors::of(&ctx, &e);
                list_view(&state, ctx, &actor, client, f, errors).await
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

// ----- one meeting -----

pub struct AgendaLine {
    pub text: String,
    pub by: String,
    pub from_client: bool,
}

pub struct CommentLine {
    pub text: String,
    pub by: String,
    pub correction: bool,
}

/// What the person had typed, kept when a form is refused.
#[derive(Default)]
pub struct Kept {
    pub starts_at: String,
    pub duration_minutes: String,
    pub agenda_text: String,
    pub notes: Option<String>,
    pub comment: String,
}

#[derive(Template)]
#[template(path = "meetings/meeting.html")]
pub struct MeetingPage {
    pub ctx: PageCtx,
    pub cid: String,
    pub mid: String,
    pub purpose: String,
    pub when: String,
    pub length: String,
    pub how: String,
    pub place: String,
    pub status: String,
    pub cancelled: bool,
    pub waiting: String,
    pub proposed_by: String,
    pub version: i64,
    pub may_answer: bool,
    pub may_cancel: bool,
    pub may_write: bool,
    pub agenda: Vec<AgendaLine>,
    pub agenda_open: bool,
    pub is_counselor: bool,
    pub notes_open: bool,
    /// Notes not yet shared (the counselor's draft).
    pub draft: bool,
    pub shared: Option<(String, String)>,
    pub comments: Vec<CommentLine>,
    pub kept: Kept,
    pub errors: Errors,
}

fn meeting_page(
    state: &AppState,
    ctx: PageCtx,
    view: MeetingView,
    kept: Kept,
    errors: Errors,
) -> MeetingPage {
    let now = state.clock.now();
    let m = &view.meeting;
    let side = view.side;
    let draft_text = view
        .notes
        .as_ref()
        .filter(|n| n.shared_at.is_none())
        .map(|n| n.text.clone());
    let shared = view.notes.as_ref().and_then(|n| {
        n.shared_at.map(|at| {
            (
                n.text.clone(),
                ctx.tr.arg(
                    "meeting-notes-shared-at",
                    "when",
                    ctx.tr.arg("meeting-oslo-time", "when", local_text(at)),
                ),
            )
        })
    });
    let actions = meetings::rules::meeting_actions(side, m, view.notes.as_ref(), now);
    let kept = Kept {
        starts_at: if kept.starts_at.is_empty() {
            local_input_value(m.starts_at)
        } else {
            kept.starts_at
        },
        duration_minutes: if kept.duration_minutes.is_empty() {
            m.duration_minutes.to_string()
        } else {
            kept.duration_minutes
        },
        notes: kept.notes.or(draft_text.clone()),
        ..kept
    };
    MeetingPage {
        cid: m.client_id.to_string(),
        mid: m.id.to_string(),
        purpose: m.purpose.clone(),
        when: ctx
            .tr
            .arg("meeting-oslo-time", "when", local_text(m.starts_at)),
        length: ctx
            .tr
            .arg("meeting-minutes", "minutes", m.duration_minutes.to_string()),
        how: mode_text(&ctx, m.mode),
        place: m.place.clone(),
        status: ctx.tr.get(&format!("meeting-status-{}", m.status.as_str())),
        cancelled: m.status == MeetingStatus::Cancelled,
        waiting: waiting_text(&ctx, m, side, now),
        proposed_by: ctx.tr.arg(
            "meeting-proposed-by",
            "side",
            side_text(&ctx, m.proposed_by),
        ),
        version: m.version,
        may_answer: actions.answer,
        may_cancel: actions.cancel,
        may_write: actions.write,
        agenda: view
            .agenda
            .iter()
            .map(|p| AgendaLine {
                text: p.text.clone(),
                by: side_text(&ctx, p.author_side),
                from_client: p.author_side == Side::Client,
            })
            .collect(),
        agenda_open: m.agenda_open(now),
        is_counselor: side == Some(Side::Counselor),
        notes_open: m.notes_open(now),
        draft: draft_text.is_some(),
        shared,
        comments: view
            .comments
            .iter()
            .map(|c| CommentLine {
                text: c.text.clone(),
                by: ctx.tr.args(
                    "meeting-comment-by",
                    &[
                        ("side", side_text(&ctx, c.author_side)),
                        ("when", local_text(c.created_at)),
                    ],
                ),
                correction: c.correction,
            })
            .collect(),
        kept,
        errors,
        ctx,
    }
}

#[allow(clippy::too_many_arguments)] // the page and what to show again on it
async fn meeting_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    meeting: MeetingId,
    kept: Kept,
    errors: Errors,
    status: StatusCode,
) -> Response {
    let view = match meetings::open(ctx_of(state, &ctx), actor, client, meeting, None).await {
        Ok(v) => v,
        Err(DomainError::ReasonRequired) => return reason_page(ctx, client),
        Err(e) => return domain_error(ctx, &e),
    };
    let page = meeting_page(state, ctx, view, kept, errors);
    render(status, &page)
}

pub async fn page(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, meeting)): Path<(ClientId, MeetingId)>,
) -> PageResult {
    Ok(meeting_view(
        &state,
        ctx,
        &actor,
        client,
        meeting,
        Kept::default(),
        Errors::default(),
        StatusCode::OK,
    )
    .await)
}

/// After a change: back to the meeting; on a refusal, the page again with the message and
/// what the person typed.
#[allow(clippy::too_many_arguments)] // the page and what to show again on it
async fn after(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    meeting: MeetingId,
    result: Result<(), DomainError>,
    kept: Kept,
    anchor: &str,
) -> Response {
    match result {
        Ok(()) => {
            Redirect::to(&format!("/clients/{client}/meetings/{meeting}{anchor}")).into_response()
        }
        Err(e) if shown_on_page(&e) => {
            let errors = Errors::of(&ctx, &e);
            let status = status_code_of(&e);
            meeting_view(state, ctx, actor, client, meeting, kept, errors, status).await
        }
        Err(e) => domain_error(ctx, &e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AnswerForm {
    version: Version,
    starts_at: String,
    duration_minutes: String,
}

async fn answer_with(
    state: AppState,
    ctx: PageCtx,
    actor: Actor,
    client: ClientId,
    meeting: MeetingId,
    f: AnswerForm,
    make: impl FnOnce(&AnswerForm) -> Answer,
) -> PageResult {
    let version = f.version.get().unwrap_or(0);
    let answer = make(&f);
    let result = meetings::answer(
        ctx_of(&state, &ctx),
        &actor,
        client,
        meeting,
        version,
        answer,
    )
    .await;
    let kept = Kept {
        starts_at: f.starts_at,
        duration_minutes: f.duration_minutes,
        ..Kept::default()
    };
    Ok(after(&state, ctx, &actor, client, meeting, result, kept, "").await)
}

pub async fn accept(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, meeting)): Path<(ClientId, MeetingId)>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    answer_with(state, ctx, actor, client, meeting, f, |_| Answer::Accept).await
}

pub async fn other_time(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, meeting)): Path<(ClientId, MeetingId)>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    answer_with(state, ctx, actor, client, meeting, f, |f| {
        Answer::OtherTime {
            starts_at: f.starts_at.clone(),
            duration_minutes: f.duration_minutes.clone(),
        }
    })
    .await
}

pub async fn cancel(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, meeting)): Path<(ClientId, MeetingId)>,
    Form(f): Form<AnswerForm>,
) -> PageResult {
    answer_with(state, ctx, actor, client, meeting, f, |_| Answer::Cancel).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TextForm {
    agenda_text: String,
    notes: String,
    share: Checkbox,
    comment: String,
    correction: Checkbox,
}

pub async fn agenda_add(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, meeting)): Path<(ClientId, MeetingId)>,
    Form(f): Form<TextForm>,
) -> PageResult {
    let result = meetings::add_agenda_point(
        ctx_of(&state, &ctx),
        &actor,
        client,
        meeting,
        &f.agenda_text,
    )
    .await;
    let kept = Kept {
        agenda_text: f.agenda_text,
        ..Kept::default()
    };
    Ok(after(
        &state, ctx, &actor, client, meeting, result, kept, "#agenda",
    )
    .await)
}

pub async fn notes_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, meeting)): Path<(ClientId, MeetingId)>,
    Form(f): Form<TextForm>,
) -> PageResult {
    let share = f.share.ticked();
    let result = meetings::write_notes(
        ctx_of(&state, &ctx),
        &actor,
        client,
        meeting,
        &f.notes,
        share,
    )
    .await;
    let kept = Kept {
        notes: Some(f.notes),
        ..Kept::default()
    };
    Ok(after(&state, ctx, &actor, client, meeting, result, kept, "#notes").await)
}

pub async fn comment_add(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, meeting)): Path<(ClientId, MeetingId)>,
    Form(f): Form<TextForm>,
) -> PageResult {
    let correction = f.correction.ticked();
    let result = meetings::comment_on_notes(
        ctx_of(&state, &ctx),
        &actor,
        client,
        meeting,
        &f.comment,
        correction,
    )
    .await;
    let kept = Kept {
        comment: f.comment,
        ..Kept::default()
    };
    Ok(after(&state, ctx, &actor, client, meeting, result, kept, "#notes").await)
}

/// The calendar file (RFC 5545), as an attachment.
pub async fn calendar(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, meeting)): Path<(ClientId, MeetingId)>,
) -> PageResult {
    let words = |mode: MeetingMode| match mode {
        MeetingMode::Phone => ctx.tr.get("meeting-location-phone"),
        MeetingMode::Video => ctx.tr.get("meeting-location-video"),
        MeetingMode::InPerson => String::new(),
    };
    Ok(
        match meetings::calendar(ctx_of(&state, &ctx), &actor, client, meeting, words).await {
            Ok(text) => (
                StatusCode::OK,
                [
                    (
                        header::CONTENT_TYPE,
                        "text/calendar; charset=utf-8".to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"meeting-{meeting}.ics\""),
                    ),
                    (header::CACHE_CONTROL, "no-store".to_string()),
                ],
                text,
            )
                .into_response(),
            Err(DomainError::ReasonRequired) => reason_page(ctx, client),
            Err(e) => domain_error(ctx, &e),
        },
    )
}
