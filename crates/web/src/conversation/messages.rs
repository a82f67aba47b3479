//! Conversation pages: the client's threads, one thread with its messages, and the fragment
//! the thread page reloads when a live event arrives (htmx SSE extension). Without JavaScript
//! the pages work by reloading.

use crate::AppState;
use crate::cases::ReasonPage;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, Query, SignedIn};
use crate::edge::forms::Errors;
use crate::edge::handler::{ctx_of, home_for, utc_text};
use crate::edge::render::{OrPage, PageResult, domain_error, error_page, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::DomainError;
use domain::conversation::store::{MessageRow, ThreadSummary};
use domain::conversation::{self, Upload, Waiting};
use domain::ids::{AttachmentId, ClientId, ThreadId};
use domain::plan::Side;
use domain::roles::Actor;
use serde::Deserialize;
use time::OffsetDateTime;

/// Who a thread waits for, in words for `viewer`.
fn waiting_text(
    ctx: &PageCtx,
    t: &ThreadSummary,
    is_client: bool,
    now: OffsetDateTime,
    response_time: time::Duration,
) -> (String, bool) {
    let w = Waiting::of(t, response_time);
    let overdue = w.overdue(now);
    let text = match w {
        Waiting::Nobody => ctx.tr.get("thread-waiting-nobody"),
        Waiting::ForService { since, due } if is_client => ctx.tr.args(
            "thread-answer-expected",
            &[("since", utc_text(since)), ("due", utc_text(due))],
        ),
        Waiting::ForService { since, .. } if overdue => {
            ctx.tr.arg("thread-overdue-since", "since", utc_text(since))
        }
        Waiting::ForService { since, .. } => {
            ctx.tr
                .arg("thread-waits-for-service", "since", utc_text(since))
        }
        Waiting::ForClient { since } if is_client => {
            ctx.tr.arg("thread-your-turn", "since", utc_text(since))
        }
        Waiting::ForClient { since } => {
            ctx.tr
                .arg("thread-waits-for-client", "since", utc_text(since))
        }
    };
    (text, overdue)
}

pub struct ThreadLine {
    pub id: String,
    pub subject: String,
    pub waiting: String,
    pub overdue: bool,
    pub unread: i64,
    pub last: String,
}

#[derive(Template)]
#[template(path = "conversation/threads.html")]
pub struct ThreadsPage {
    pub ctx: PageCtx,
    pub cid: String,
    pub home: String,
    pub is_client: bool,
    pub may_write: bool,
    pub threads: Vec<ThreadLine>,
    pub subject: String,
    pub body: String,
    pub errors: Errors,
    /// For the counselor: the check-in frequency and the choices (days, label).
    pub checkin_every: String,
    pub checkin_choices: Vec<(String, String)>,
}

async fn threads_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    form: (String, String),
    errors: Errors,
) -> PageResult {
    let list = match conversation::threads(ctx_of(state, &ctx), actor, client, None).await {
        Ok(l) => l,
        Err(DomainError::ReasonRequired) => {
            return Ok(render(
                StatusCode::OK,
                &ReasonPage {
                    ctx,
                    client_id: client.to_string(),
                    reason: String::new(),
                    error: None,
                },
            ));
        }
        Err(e) => return Err(domain_error(ctx, &e).into()),
    };
    let is_client = actor.own_client == Some(client);
    let now = state.clock.now();
    let response_time = conversation::response_time(ctx_of(state, &ctx), actor, client)
        .await
        .or_page(&ctx)?;
    let mut threads: Vec<(bool, ThreadLine)> = list
        .iter()
        .map(|t| {
            let (waiting, overdue) = waiting_text(&ctx, t, is_client, now, response_time);
            (
                overdue,
                ThreadLine {
                    id: t.id.to_string(),
                    subject: t.subject.clone(),
                    waiting,
                    overdue,
                    unread: if is_client {
                        t.unread_for_client
                    } else {
                        t.unread_for_counselor
                    },
                    last: t.last_message_at.map(utc_text).unwrap_or_default(),
                },
            )
        })
        .collect();
    // Staff see overdue threads first.
    if !is_client {
        threads.sort_by_key(|(overdue, _)| !*overdue);
    }
    let may_write = domain::cases::change_side(ctx_of(state, &ctx), actor, client)
        .await
        .or_page(&ctx)?
        .is_some();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let checkin_every =
        domain::conversation::checkins::frequency(ctx_of(state, &ctx), actor, client)
            .await
            .or_page(&ctx)?
            .map(|d| d.to_string())
            .unwrap_or_default();
    let checkin_choices = domain::conversation::checkins::CHOICES
        .iter()
        .map(|d| (d.to_string(), ctx.tr.arg("checkin-every-days", "days", d)))
        .collect();
    let page = ThreadsPage {
        checkin_every,
        checkin_choices,
        cid: client.to_string(),
        home: home_for(actor, client),
        is_client,
        may_write,
        threads: threads.into_iter().map(|(_, t)| t).collect(),
        subject: form.0,
        body: form.1,
        errors,
        ctx,
    };
    Ok(render(status, &page))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ThreadsQuery {
    checkin: String,
}

pub async fn threads(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Query(q): Query<ThreadsQuery>,
) -> PageResult {
    // A check-in: a short message in the client's language, ready to edit and send.
    let form = if q.checkin == "1" {
        match domain::conversation::checkins::client_language(ctx_of(&state, &ctx), &actor, client)
            .await
        {
            Ok(code) => {
                let lang = crate::i18n::Lang::parse(code).unwrap_or(crate::i18n::Lang::Nb);
                (
                    state.i18n.format(lang, "checkin-subject", &[]),
                    state.i18n.format(lang, "checkin-body", &[]),
                )
            }
            Err(e) => return Err(domain_error(ctx, &e).into()),
        }
    } else {
        Default::default()
    };
    threads_view(&state, ctx, &actor, client, form, Errors::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CheckinForm {
    every_days: String,
}

pub async fn set_checkins(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<CheckinForm>,
) -> PageResult {
    let every = match f.every_days.trim() {
        "" => Ok(None),
        // Not a number at all (or too large for one) is not one of the choices either.
        text => text
            .parse()
            .map(Some)
            .map_err(|_| DomainError::invalid("every_days", domain::types::FieldError::NotAChoice)),
    };
    let result = match every {
        Ok(every) => {
            domain::conversation::checkins::set_frequency(
                ctx_of(&state, &ctx),
                &actor,
                client,
                every,
            )
            .await
        }
        Err(e) => Err(e),
    };
    Ok(match result {
        Ok(()) => Redirect::to(&format!("/clients/{client}/messages#checkins")).into_response(),
        // The page again, with the message next to the field and nothing changed.
        Err(e @ DomainError::Invalid(_)) => {
            let errors = Errors::of(&ctx, &e);
            threads_view(&state, ctx, &actor, client, Default::default(), errors).await?
        }
        Err(e) => domain_error(ctx, &e),
    })
}

/// A message form: plain (`application/x-www-form-urlencoded`) or with files
/// (`multipart/form-data`). The CSRF layer has already checked the token in either.
#[derive(Default)]
pub struct MessageForm {
    fields: std::collections::HashMap<String, String>,
    files: Vec<Upload>,
}

impl MessageForm {
    fn text(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}

impl axum::extract::FromRequest<AppState> for MessageForm {
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        // A refusal is a page in the user's language, like every other.
        let (parts, body) = req.into_parts();
        let (mut kept, ()) = axum::extract::Request::new(()).into_parts();
        kept.headers = parts.headers.clone();
        kept.extensions = parts.extensions.clone();
        let refuse = |status| crate::edge::extract::unreadable(&kept, state, status);
        let req = axum::extract::Request::from_parts(parts, body);
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let Form(fields) =
                Form::<std::collections::HashMap<String, String>>::from_request(req, state).await?;
            return Ok(Self {
                fields,
                files: vec![],
            });
        }
        let mut form = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|r| refuse(r.status()))?;
        let mut out = MessageForm::default();
        while let Some(field) = form
            .next_field()
            .await
            .map_err(|_| refuse(StatusCode::BAD_REQUEST))?
        {
            let name = field.name().unwrap_or_default().to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|_| refuse(StatusCode::PAYLOAD_TOO_LARGE))?;
                    // An empty file input sends an empty part with no name.
                    if !(file_name.is_empty() && bytes.is_empty()) {
                        out.files.push(Upload {
                            name: file_name,
                            bytes: bytes.to_vec(),
                        });
                    }
                }
                None => {
                    let text = field
                        .text()
                        .await
                        .map_err(|_| refuse(StatusCode::BAD_REQUEST))?;
                    out.fields.insert(name, text);
                }
            }
        }
        Ok(out)
    }
}

pub async fn thread_start(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    f: MessageForm,
) -> PageResult {
    let (subject, body) = (f.text("subject"), f.text("body"));
    Ok(
        match conversation::start_thread(
            ctx_of(&state, &ctx),
            state.cleaner.as_ref(),
            &actor,
            client,
            &subject,
            &body,
            None,
            &f.files,
        )
        .await
        {
            Ok(t) => {
                Redirect::to(&format!("/clients/{client}/messages/{t}#latest")).into_response()
            }
            Err(e @ DomainError::Invalid(_)) => {
                let errors = Errors::of(&ctx, &e);
                threads_view(&state, ctx, &actor, client, (subject, body), errors).await?
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

pub struct FileLine {
    pub id: String,
    pub name: String,
    pub size: String,
}

pub struct MessageLine {
    pub files: Vec<FileLine>,
    pub mine: bool,
    pub author: String,
    pub body: String,
    pub sent: String,
    pub read: String,
}

#[derive(Template)]
#[template(path = "conversation/thread.html")]
pub struct ThreadPage {
    pub ctx: PageCtx,
    pub cid: String,
    pub tid: String,
    pub subject: String,
    /// The rendered [`MessagesFragment`] (escaped by its own template).
    pub list_html: String,
    pub may_write: bool,
    pub is_counselor: bool,
    pub no_answer_needed: bool,
    pub body: String,
    pub errors: Errors,
}

/// The part of the thread page that live events reload.
#[derive(Template)]
#[template(path = "conversation/_messages.html")]
pub struct MessagesFragment {
    pub ctx: PageCtx,
    pub cid: String,
    pub tid: String,
    pub waiting: String,
    pub overdue: bool,
    pub messages: Vec<MessageLine>,
}

fn message_lines(ctx: &PageCtx, actor: &Actor, messages: &[MessageRow]) -> Vec<MessageLine> {
    messages
        .iter()
        .map(|m| MessageLine {
            files: m
                .attachments
                .iter()
                .map(|a| FileLine {
                    id: a.id.to_string(),
                    name: a.name.clone(),
                    size: format!("{} kB", (a.size + 1023) / 1024),
                })
                .collect(),
            mine: m.author_id == actor.user_id,
            author: m.author_name.clone(),
            body: m.body.clone(),
            sent: utc_text(m.sent_at),
            read: m
                .read_at
                .map(|r| ctx.tr.arg("message-read-at", "when", utc_text(r)))
                .unwrap_or_else(|| ctx.tr.get("message-not-read")),
        })
        .collect()
}

async fn fragment(
    state: &AppState,
    ctx: &PageCtx,
    actor: &Actor,
    client: ClientId,
    thread: ThreadId,
) -> Result<(MessagesFragment, Option<Side>, bool, String), DomainError> {
    let (record, side) =
        conversation::open_thread(ctx_of(state, ctx), actor, client, thread, None).await?;
    let is_client = side == Some(Side::Client);
    let response_time = conversation::response_time(ctx_of(state, ctx), actor, client).await?;
    let (waiting, overdue) = waiting_text(
        ctx,
        &record.summary,
        is_client,
        state.clock.now(),
        response_time,
    );
    Ok((
        MessagesFragment {
            ctx: ctx.clone(),
            cid: client.to_string(),
            tid: thread.to_string(),
            waiting,
            overdue,
            messages: message_lines(ctx, actor, &record.messages),
        },
        side,
        record.summary.no_answer_needed,
        record.summary.subject,
    ))
}

async fn thread_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    thread: ThreadId,
    body: String,
    errors: Errors,
) -> Response {
    let (list, side, no_answer_needed, subject) =
        match fragment(state, &ctx, actor, client, thread).await {
            Ok(f) => f,
            Err(DomainError::ReasonRequired) => {
                return render(
                    StatusCode::OK,
                    &ReasonPage {
                        ctx,
                        client_id: client.to_string(),
                        reason: String::new(),
                        error: None,
                    },
                );
            }
            Err(e) => return domain_error(ctx, &e),
        };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    // An unsent answer from before a reload comes back.
    let body = if body.is_empty() {
        conversation::draft(ctx_of(state, &ctx), actor, thread)
            .await
            .ok()
            .flatten()
            .unwrap_or_default()
    } else {
        body
    };
    let list_html = match list.render() {
        Ok(h) => h,
        Err(e) => {
            tracing::error!(error = %e, "template rendering failed");
            return error_page(ctx, StatusCode::INTERNAL_SERVER_ERROR);
        }
    };
    let page = ThreadPage {
        cid: client.to_string(),
        tid: thread.to_string(),
        subject,
        list_html,
        may_write: side.is_some(),
        is_counselor: side == Some(Side::Counselor),
        no_answer_needed,
        body,
        errors,
        ctx,
    };
    render(status, &page)
}

pub async fn thread(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, thread)): Path<(ClientId, ThreadId)>,
) -> PageResult {
    Ok(thread_view(
        &state,
        ctx,
        &actor,
        client,
        thread,
        String::new(),
        Errors::default(),
    )
    .await)
}

/// The messages only (what the live update swaps in).
pub async fn thread_messages(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, thread)): Path<(ClientId, ThreadId)>,
) -> PageResult {
    Ok(match fragment(&state, &ctx, &actor, client, thread).await {
        Ok((f, ..)) => render(StatusCode::OK, &f),
        Err(e) => domain_error(ctx, &e),
    })
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ReplyForm {
    no_answer_needed: String,
}

pub async fn thread_reply(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, thread)): Path<(ClientId, ThreadId)>,
    f: MessageForm,
) -> PageResult {
    let body = f.text("body");
    Ok(
        match conversation::send_message(
            ctx_of(&state, &ctx),
            state.cleaner.as_ref(),
            &actor,
            client,
            thread,
            &body,
            &f.files,
        )
        .await
        {
            Ok(_) => {
                Redirect::to(&format!("/clients/{client}/messages/{thread}#latest")).into_response()
            }
            Err(e @ DomainError::Invalid(_)) => {
                let errors = Errors::of(&ctx, &e);
                thread_view(&state, ctx, &actor, client, thread, body, errors).await
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

pub async fn thread_no_answer(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, thread)): Path<(ClientId, ThreadId)>,
    Form(f): Form<ReplyForm>,
) -> PageResult {
    let flag = f.no_answer_needed == "on" || f.no_answer_needed == "true";
    Ok(
        match conversation::set_no_answer_needed(ctx_of(&state, &ctx), &actor, client, thread, flag)
            .await
        {
            Ok(()) => Redirect::to(&format!("/clients/{client}/messages/{thread}")).into_response(),
            Err(e) => domain_error(ctx, &e),
        },
    )
}

/// `GET /clients/{id}/attachments/{attachment}`: the file as a download, never shown inline,
/// with a sandboxing policy in case a browser tries anyway.
pub async fn attachment(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, attachment)): Path<(ClientId, AttachmentId)>,
) -> PageResult {
    Ok(
        match conversation::attachment(ctx_of(&state, &ctx), &actor, client, attachment).await {
            Ok(file) => {
                use axum::http::header;
                // Only the three checked types are ever stored; anything else is served as bytes.
                let content_type = domain::conversation::attachments::FileKind::from_content_type(
                    &file.meta.content_type,
                )
                .map(|k| k.content_type())
                .unwrap_or("application/octet-stream");
                // The stored name is plain (checked on upload); quote it and give an ASCII fallback.
                let ascii: String = file
                    .meta
                    .name
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                            c
                        } else {
                            '_'
                        }
                    })
                    .collect();
                let encoded: String = form_urlencoded::byte_serialize(file.meta.name.as_bytes())
                    .collect::<String>()
                    .replace('+', "%20");
                (
                    [
                        (header::CONTENT_TYPE, content_type.to_string()),
                        (
                            header::CONTENT_DISPOSITION,
                            format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}"),
                        ),
                        (
                            header::CONTENT_SECURITY_POLICY,
                            "sandbox; default-src 'none'".to_string(),
                        ),
                        (header::CACHE_CONTROL, "no-store".to_string()),
                        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                    ],
                    file.bytes,
                )
                    .into_response()
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

/// `POST …/draft`: keeps the unsent answer (sent by the page while typing, with JavaScript).
pub async fn save_draft(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path((client, thread)): Path<(ClientId, ThreadId)>,
    f: MessageForm,
) -> PageResult {
    Ok(
        match conversation::save_draft(
            ctx_of(&state, &ctx),
            &actor,
            client,
            thread,
            &f.text("body"),
        )
        .await
        {
            Ok(()) => StatusCode::NO_CONTENT.into_response(),
            Err(e) => domain_error(ctx, &e),
        },
    )
}
