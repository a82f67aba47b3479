//! Feedback pages. The client: their feedback page (an invitation when it is time to ask,
//! every answer over time, the counselor's talk notes), the short answer form (one fieldset
//! of radio buttons per item, every item skippable, two optional questions, the sharing
//! choice) and the change form inside the change window. The assigned counselor: the picture
//! of a client who shares (a table and a small chart per theme, shared free text, a prompt to
//! talk, talk notes). Everything works without JavaScript.

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, Query, SignedIn};
use crate::edge::forms::Errors;
use crate::edge::handler::ctx_of;
use crate::edge::render::{OrPage, PageResult, domain_error, error_page, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use domain::DomainError;
use domain::feedback::instrument::Instrument;
use domain::feedback::picture::{self, Prompt};
use domain::feedback::responses::{self, AnswerError, AnswerInput, Answers, OwnResponse};
use domain::feedback::store::InvitationRow;
use domain::feedback::{Theme, asking};
use domain::ids::{ClientId, FeedbackInvitationId, FeedbackResponseId};
use domain::meetings::local_text;
use domain::roles::Actor;
use domain::types::FieldError;
use serde::Deserialize;

fn when(ctx: &PageCtx, t: time::OffsetDateTime) -> String {
    ctx.tr.arg("meeting-oslo-time", "when", local_text(t))
}

fn theme_name(ctx: &PageCtx, t: Theme) -> String {
    ctx.tr.get(&format!("feedback-theme-{}", t.as_str()))
}

// ----- the answer form -----

pub struct Choice {
    pub value: i64,
    pub checked: bool,
    /// The anchor this number is described by (`low`, `high` or empty).
    pub anchor: &'static str,
}

pub struct ItemView {
    pub field: String,
    pub legend: String,
    pub low: String,
    pub high: String,
    pub min: i64,
    pub max: i64,
    pub choices: Vec<Choice>,
    pub skipped: bool,
    pub error: String,
}

pub struct QuestionView {
    pub field: String,
    pub label: String,
    pub max: usize,
    pub value: String,
    pub error: String,
}

#[derive(Template)]
#[template(path = "feedback/feedback_form.html")]
pub struct FormPage {
    pub ctx: PageCtx,
    pub title: String,
    pub action: String,
    pub instrument: String,
    pub invitation: String,
    pub items: Vec<ItemView>,
    pub questions: Vec<QuestionView>,
    pub share: Option<bool>,
    pub share_error: String,
    pub errors: Errors,
    pub changing: bool,
    pub until: String,
}

/// Field errors with the item's own text as the label.
fn field_errors(ctx: &PageCtx, i: &Instrument, list: &[(String, FieldError)]) -> Errors {
    let lang = ctx.tr.code();
    Errors(
        list.iter()
            .map(|(field, e)| {
                let label = if let Some(id) = field.strip_prefix("item-") {
                    i.item(id)
                        .map(|it| it.text.get(lang).to_string())
                        .unwrap_or_default()
                } else if let Some(id) = field.strip_prefix("text-") {
                    i.questions
                        .iter()
                        .find(|q| q.id == id)
                        .map(|q| q.text.get(lang).to_string())
                        .unwrap_or_default()
                } else if field == "share" {
                    ctx.tr.get("feedback-share-legend")
                } else {
                    ctx.tr.get("feedback-instrument-changed")
                };
                let text = match (field.as_str(), e) {
                    (f, FieldError::NotAChoice) if f.starts_with("item-") => {
                        ctx.tr.get("feedback-error-scale")
                    }
                    ("share", _) => ctx.tr.get("feedback-error-share"),
                    ("instrument", _) => ctx.tr.get("feedback-instrument-changed"),
                    _ => ctx.tr.get(e.code()),
                };
                let anchor = if field == "instrument" {
                    "main".to_string()
                } else {
                    field.clone()
                };
                // "May your counselor see these answers? Choose yes or no." reads better
                // without a colon after a question.
                let sep = if label.ends_with('?') { " " } else { ": " };
                (anchor, format!("{label}{sep}{text}"))
            })
            .collect(),
    )
}

#[allow(clippy::too_many_arguments)]
fn form_page(
    ctx: PageCtx,
    instrument: &Instrument,
    kept: &Answers,
    share: Option<bool>,
    action: String,
    invitation: String,
    errors: Errors,
    until: Option<time::OffsetDateTime>,
) -> FormPage {
    let lang = ctx.tr.code();
    let items = instrument
        .items
        .iter()
        .map(|it| {
            let field = format!("item-{}", it.id);
            let chosen = kept.items.get(&it.id).copied();
            ItemView {
                legend: it.text.get(lang).to_string(),
                low: it.low.get(lang).to_string(),
                high: it.high.get(lang).to_string(),
                min: it.min,
                max: it.max,
                choices: (it.min..=it.max)
                    .map(|v| Choice {
                        value: v,
                        checked: chosen == Some(v),
                        anchor: if v == it.min {
                            "low"
                        } else if v == it.max {
                            "high"
                        } else {
                            ""
                        },
                    })
                    .collect(),
                skipped: chosen.is_none(),
                error: errors.at(&field),
                field,
            }
        })
        .collect();
    let questions = instrument
        .questions
        .iter()
        .map(|q| {
            let field = format!("text-{}", q.id);
            QuestionView {
                label: q.text.get(lang).to_string(),
                max: q.max_length,
                value: kept.texts.get(&q.id).cloned().unwrap_or_default(),
                error: errors.at(&field),
                field,
            }
        })
        .collect();
    FormPage {
        title: instrument.name.get(lang).to_string(),
        instrument: format!("{}@{}", instrument.id, instrument.version),
        share_error: errors.at("share"),
        changing: until.is_some(),
        until: until.map(|t| when(&ctx, t)).unwrap_or_default(),
        ctx,
        action,
        invitation,
        items,
        questions,
        share,
        errors,
    }
}

/// The answers as typed, kept when the form is refused.
fn kept_answers(i: &Instrument, input: &AnswerInput) -> (Answers, Option<bool>) {
    let mut a = Answers::default();
    for it in &i.items {
        if let Ok(n) = input.get(&format!("item-{}", it.id)).trim().parse() {
            a.items.insert(it.id.clone(), n);
        }
    }
    for q in &i.questions {
        let v = input.get(&format!("text-{}", q.id));
        if !v.is_empty() {
            a.texts.insert(q.id.clone(), v.to_string());
        }
    }
    let share = match input.get("share") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    (a, share)
}

#[derive(Deserialize, Default)]
pub struct InvitationQuery {
    #[serde(default)]
    pub invitation: String,
}

pub async fn new_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<InvitationQuery>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    match responses::answer_form(ctx_of(&state, &ctx), &actor).await {
        Ok(f) => {
            let invitation = q
                .invitation
                .parse::<FeedbackInvitationId>()
                .map(|i| i.to_string())
                .unwrap_or_default();
            let page = form_page(
                ctx,
                &f.instrument,
                &Answers::default(),
                f.share,
                "/me/feedback".into(),
                invitation,
                Errors::default(),
                None,
            );
            Ok(render(StatusCode::OK, &page))
        }
        Err(e) => Ok(domain_error(ctx, &e)),
    }
}

pub async fn submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let input = AnswerInput::from_pairs(pairs);
    let invitation = input.get("invitation").parse::<FeedbackInvitationId>().ok();
    let uc = ctx_of(&state, &ctx);
    Ok(
        match responses::answer(uc, &actor, invitation, &input).await {
            Ok(_) => Redirect::to("/me/feedback?saved=1").into_response(),
            Err(AnswerError::Fields(list)) => {
                let form = responses::answer_form(uc, &actor).await.or_page(&ctx)?;
                let errors = field_errors(&ctx, &form.instrument, &list);
                let (kept, share) = kept_answers(&form.instrument, &input);
                let page = form_page(
                    ctx,
                    &form.instrument,
                    &kept,
                    share,
                    "/me/feedback".into(),
                    invitation.map(|i| i.to_string()).unwrap_or_default(),
                    errors,
                    None,
                );
                render(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            Err(AnswerError::Domain(e)) => domain_error(ctx, &e),
        },
    )
}

pub async fn change_form(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(id): Path<FeedbackResponseId>,
) -> PageResult {
    match responses::changeable(ctx_of(&state, &ctx), &actor, id).await {
        Ok((row, instrument)) => {
            let page = form_page(
                ctx,
                &instrument,
                &Answers::from_json(&row.answers),
                Some(row.shared_with_counselor),
                format!("/me/feedback/{id}"),
                String::new(),
                Errors::default(),
                Some(row.changeable_until),
            );
            Ok(render(StatusCode::OK, &page))
        }
        Err(DomainError::Refused(_)) => Ok(Redirect::to("/me/feedback?closed=1").into_response()),
        Err(e) => Ok(domain_error(ctx, &e)),
    }
}

pub async fn change_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(id): Path<FeedbackResponseId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let input = AnswerInput::from_pairs(pairs);
    let uc = ctx_of(&state, &ctx);
    match responses::change(uc, &actor, id, &input).await {
        Ok(()) => Ok(Redirect::to("/me/feedback?saved=1").into_response()),
        Err(AnswerError::Fields(list)) => match responses::changeable(uc, &actor, id).await {
            Ok((row, instrument)) => {
                let errors = field_errors(&ctx, &instrument, &list);
                let (kept, share) = kept_answers(&instrument, &input);
                let page = form_page(
                    ctx,
                    &instrument,
                    &kept,
                    share,
                    format!("/me/feedback/{id}"),
                    String::new(),
                    errors,
                    Some(row.changeable_until),
                );
                Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
            }
            Err(e) => Ok(domain_error(ctx, &e)),
        },
        Err(AnswerError::Domain(DomainError::Refused(_))) => {
            Ok(Redirect::to("/me/feedback?closed=1").into_response())
        }
        Err(AnswerError::Domain(e)) => Ok(domain_error(ctx, &e)),
    }
}

#[derive(Deserialize)]
pub struct DismissForm {
    #[serde(default)]
    pub invitation: String,
}

pub async fn dismiss(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(f): Form<DismissForm>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let Ok(id) = f.invitation.parse::<FeedbackInvitationId>() else {
        return Ok(error_page(ctx, StatusCode::NOT_FOUND));
    };
    match asking::dismiss(ctx_of(&state, &ctx), &actor, id).await {
        Ok(()) => Ok(Redirect::to("/me/feedback?later=1").into_response()),
        Err(e) => Ok(domain_error(ctx, &e)),
    }
}

// ----- the client's own page -----

pub struct ScoreCell {
    pub label: String,
    pub value: String,
}

pub struct TextLine {
    pub question: String,
    pub text: String,
}

pub struct ResponseView {
    pub id: String,
    pub when: String,
    pub shared: bool,
    pub scores: Vec<ScoreCell>,
    pub texts: Vec<TextLine>,
    pub changeable: bool,
}

pub struct TalkView {
    pub when: String,
    pub by: String,
    pub text: String,
}

#[derive(Template)]
#[template(path = "feedback/feedback_mine.html")]
pub struct MinePage {
    pub ctx: PageCtx,
    pub invitation: Option<(String, String)>,
    pub notice: String,
    pub responses: Vec<ResponseView>,
    pub talks: Vec<TalkView>,
}

fn response_view(ctx: &PageCtx, r: &OwnResponse, changeable: bool) -> ResponseView {
    let lang = ctx.tr.code();
    let dash = || "–".to_string();
    let (scores, texts) = match &r.instrument {
        Some(i) => (
            i.items
                .iter()
                .map(|it| ScoreCell {
                    label: it.text.get(lang).to_string(),
                    value: r
                        .answers
                        .items
                        .get(&it.id)
                        .map(|v| v.to_string())
                        .unwrap_or_else(dash),
                })
                .collect(),
            i.questions
                .iter()
                .filter_map(|q| {
                    r.answers.texts.get(&q.id).map(|t| TextLine {
                        question: q.text.get(lang).to_string(),
                        text: t.clone(),
                    })
                })
                .collect(),
        ),
        None => (vec![], vec![]),
    };
    ResponseView {
        id: r.row.id.to_string(),
        when: when(ctx, r.row.answered_at),
        shared: r.row.shared_with_counselor,
        scores,
        texts,
        changeable,
    }
}

fn talk_views(ctx: &PageCtx, talks: &[domain::feedback::store::TalkNote]) -> Vec<TalkView> {
    talks
        .iter()
        .map(|t| TalkView {
            when: when(ctx, t.note.created_at),
            by: t.author_name.clone(),
            text: t.note.text.clone(),
        })
        .collect()
}

#[derive(Deserialize, Default)]
pub struct MineQuery {
    #[serde(default)]
    pub saved: Option<String>,
    #[serde(default)]
    pub later: Option<String>,
    #[serde(default)]
    pub closed: Option<String>,
}

pub async fn mine(
    State(state): State<AppState>,
    ctx: PageCtx,
    Query(q): Query<MineQuery>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let uc = ctx_of(&state, &ctx);
    let invitation: Option<InvitationRow> =
        asking::current_invitation(uc, &actor).await.or_page(&ctx)?;
    let mine = responses::my_feedback(uc, &actor).await.or_page(&ctx)?;
    let now = state.clock.now();
    let notice = if q.saved.is_some() {
        ctx.tr.get("feedback-saved")
    } else if q.later.is_some() {
        ctx.tr.get("feedback-later")
    } else if q.closed.is_some() {
        ctx.tr.get("feedback-change-closed")
    } else {
        String::new()
    };
    let page = MinePage {
        invitation: invitation.map(|i| {
            let text = match i.reason {
                domain::feedback::store::InviteReason::Meeting => {
                    ctx.tr.get("feedback-invite-meeting")
                }
                domain::feedback::store::InviteReason::Monthly => {
                    ctx.tr.get("feedback-invite-monthly")
                }
            };
            (i.id.to_string(), text)
        }),
        notice,
        responses: mine
            .responses
            .iter()
            .rev()
            .map(|r| response_view(&ctx, r, responses::may_change(&r.row, actor.user_id, now)))
            .collect(),
        talks: talk_views(&ctx, &mine.talks),
        ctx,
    };
    Ok(render(StatusCode::OK, &page))
}

// ----- the counselor's picture -----

pub struct ThemeChart {
    pub name: String,
    pub key: &'static str,
    pub summary: String,
    /// SVG polyline points in a 0..200 × 0..100 box.
    pub points: String,
    pub dots: Vec<(i64, i64, i64)>,
}

pub struct TableRow {
    pub when: String,
    pub cells: Vec<String>,
}

#[derive(Template)]
#[template(path = "feedback/feedback_client.html")]
pub struct PicturePage {
    pub ctx: PageCtx,
    pub cid: String,
    pub first_name: String,
    pub prompt: Option<(String, &'static str)>,
    pub charts: Vec<ThemeChart>,
    pub themes: Vec<String>,
    pub rows: Vec<TableRow>,
    pub texts: Vec<(String, Vec<TextLine>)>,
    pub talks: Vec<TalkView>,
    pub talk_text: String,
    pub errors: Errors,
    pub saved: bool,
}

/// One decimal, with a decimal comma in Norwegian.
fn decimal(ctx: &PageCtx, v: f64) -> String {
    let s = format!("{v:.1}");
    if ctx.tr.code() == "en" {
        s
    } else {
        s.replace('.', ",")
    }
}

fn chart(ctx: &PageCtx, responses: &[OwnResponse], t: Theme) -> ThemeChart {
    let values = picture::series(responses, t);
    let n = values.len();
    let x = |i: usize| {
        if n <= 1 {
            100
        } else {
            (10 + i * 180 / (n - 1)) as i64
        }
    };
    let y = |v: i64| 95 - v * 9;
    let dots: Vec<(i64, i64, i64)> = values
        .iter()
        .enumerate()
        .map(|(i, v)| (x(i), y(*v), *v))
        .collect();
    let summary = match values.split_last() {
        None => ctx.tr.get("feedback-chart-none"),
        Some((last, [])) => ctx.tr.arg("feedback-chart-one", "latest", last),
        Some((last, earlier)) => {
            let recent: Vec<i64> = earlier.iter().rev().take(3).copied().collect();
            let avg = recent.iter().sum::<i64>() as f64 / recent.len() as f64;
            ctx.tr.args(
                "feedback-chart-summary",
                &[
                    ("latest", last.to_string()),
                    ("before", decimal(ctx, avg)),
                    ("count", n.to_string()),
                ],
            )
        }
    };
    ThemeChart {
        name: theme_name(ctx, t),
        key: t.as_str(),
        summary,
        points: dots
            .iter()
            .map(|(x, y, _)| format!("{x},{y}"))
            .collect::<Vec<_>>()
            .join(" "),
        dots,
    }
}

/// The reason form for a protected client, returning to the feedback page.
#[derive(Template)]
#[template(path = "feedback/feedback_reason.html")]
pub struct FeedbackReasonPage {
    pub ctx: PageCtx,
    pub client_id: String,
    pub reason: String,
    pub error: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn picture_view(
    state: &AppState,
    ctx: PageCtx,
    actor: &Actor,
    client: ClientId,
    reason: Option<String>,
    talk_text: String,
    errors: Errors,
    saved: bool,
) -> PageResult {
    let p = match picture::picture(ctx_of(state, &ctx), actor, client, reason.as_deref()).await {
        Ok(p) => p,
        Err(DomainError::ReasonRequired) => {
            return Ok(render(
                StatusCode::OK,
                &FeedbackReasonPage {
                    ctx,
                    client_id: client.to_string(),
                    reason: String::new(),
                    error: None,
                },
            ));
        }
        Err(e @ DomainError::Invalid(_)) if reason.is_some() => {
            let error = ctx.field_errors(&e).first().map(|(_, m)| m.clone());
            return Ok(render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &FeedbackReasonPage {
                    ctx,
                    client_id: client.to_string(),
                    reason: reason.unwrap_or_default(),
                    error,
                },
            ));
        }
        Err(e) => return Err(domain_error(ctx, &e).into()),
    };
    let first = picture::first_name(&p.client_name).to_string();
    let lang = ctx.tr.code();
    let prompt = p.prompt.map(|pr| {
        let why = match pr {
            Prompt::Drop => ctx.tr.get("feedback-prompt-drop"),
            Prompt::Low => ctx.tr.get("feedback-prompt-low"),
        };
        (why, pr.as_str())
    });
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = PicturePage {
        cid: client.to_string(),
        charts: Theme::ALL
            .iter()
            .map(|t| chart(&ctx, &p.responses, *t))
            .collect(),
        themes: Theme::ALL.iter().map(|t| theme_name(&ctx, *t)).collect(),
        rows: p
            .responses
            .iter()
            .rev()
            .map(|r| TableRow {
                when: when(&ctx, r.row.answered_at),
                cells: r
                    .row
                    .themes
                    .iter()
                    .map(|v| v.map(|v| v.to_string()).unwrap_or_else(|| "–".into()))
                    .collect(),
            })
            .collect(),
        texts: p
            .responses
            .iter()
            .rev()
            .filter_map(|r| {
                let i = r.instrument.as_ref()?;
                let lines: Vec<TextLine> = i
                    .questions
                    .iter()
                    .filter_map(|q| {
                        r.answers.texts.get(&q.id).map(|t| TextLine {
                            question: q.text.get(lang).to_string(),
                            text: t.clone(),
                        })
                    })
                    .collect();
                (!lines.is_empty()).then(|| (when(&ctx, r.row.answered_at), lines))
            })
            .collect(),
        talks: talk_views(&ctx, &p.talks),
        first_name: first,
        prompt,
        talk_text,
        errors,
        saved,
        ctx,
    };
    Ok(render(status, &page))
}

#[derive(Deserialize, Default)]
pub struct SavedQuery {
    #[serde(default)]
    pub saved: Option<String>,
}

pub async fn client_picture(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Query(q): Query<SavedQuery>,
) -> PageResult {
    picture_view(
        &state,
        ctx,
        &actor,
        client,
        None,
        String::new(),
        Errors::default(),
        q.saved.is_some(),
    )
    .await
}

#[derive(Deserialize)]
pub struct ReasonForm {
    #[serde(default)]
    pub reason: String,
}

/// A protected client's feedback, opened with a stated reason (recorded in the audit row).
pub async fn client_picture_with_reason(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<ReasonForm>,
) -> PageResult {
    picture_view(
        &state,
        ctx,
        &actor,
        client,
        Some(f.reason),
        String::new(),
        Errors::default(),
        false,
    )
    .await
}

#[derive(Deserialize)]
pub struct TalkForm {
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub talk: String,
}

pub async fn talk_add(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(f): Form<TalkForm>,
) -> PageResult {
    let uc = ctx_of(&state, &ctx);
    let result = match picture::parse_prompt(&f.prompt) {
        Ok(p) => picture::record_talk(uc, &actor, client, p, &f.talk).await,
        Err(e) => Err(e),
    };
    Ok(match result {
        Ok(_) => Redirect::to(&format!("/clients/{client}/feedback?saved=1")).into_response(),
        Err(e @ DomainError::Invalid(_)) => {
            let errors = Errors::of(&ctx, &e);
            picture_view(&state, ctx, &actor, client, None, f.talk, errors, false).await?
        }
        Err(e) => domain_error(ctx, &e),
    })
}
