//! How we keep in touch: the contact agreement of one client (`/clients/{id}/contact`), seen
//! by both parties, proposed by either and confirmed by the other; and a counselor's own
//! published contact hours (`/account/availability`). Plain forms; no JavaScript needed.

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, SignedIn};
use crate::edge::forms::{Checkbox, Errors};
use crate::edge::handler::ctx_of;
use crate::edge::render::{OrPage, PageResult, domain_error, error_page, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use domain::DomainError;
use domain::contact::{self, AgreementInput, CHANNELS, format_time};
use domain::ids::ClientId;
use domain::plan::Side;
use serde::Deserialize;

/// The form's values (also what is shown when nothing is agreed yet).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AgreementForm {
    pub email_notices: Checkbox,
    pub sms_notices: Checkbox,
    pub phone_calls: Checkbox,
    pub email: String,
    pub phone: String,
    pub quiet_start: String,
    pub quiet_end: String,
    pub response_hours: String,
    pub language: String,
    pub version: i64,
}

impl AgreementForm {
    fn input(&self) -> AgreementInput {
        AgreementInput {
            email_notices: self.email_notices.ticked(),
            sms_notices: self.sms_notices.ticked(),
            phone_calls: self.phone_calls.ticked(),
            email: self.email.clone(),
            phone: self.phone.clone(),
            quiet_start: self.quiet_start.clone(),
            quiet_end: self.quiet_end.clone(),
            response_hours: self.response_hours.clone(),
            language: self.language.clone(),
            version: self.version,
        }
    }
    fn of(a: &contact::ContactAgreement) -> AgreementForm {
        AgreementForm {
            email_notices: Checkbox(a.email_notices),
            sms_notices: Checkbox(a.sms_notices),
            phone_calls: Checkbox(a.phone_calls),
            email: a.email.clone().unwrap_or_default(),
            phone: a.phone.clone().unwrap_or_default(),
            quiet_start: a.quiet.map(|q| format_time(q.start)).unwrap_or_default(),
            quiet_end: a.quiet.map(|q| format_time(q.end)).unwrap_or_default(),
            response_hours: a.response_hours.map(|h| h.to_string()).unwrap_or_default(),
            language: a.language.clone(),
            version: a.version,
        }
    }
}

#[derive(Template)]
#[template(path = "contact/contact.html")]
pub struct ContactPage {
    pub ctx: PageCtx,
    pub cid: String,
    pub home: String,
    pub has_agreement: bool,
    /// The agreement in words, one line per row: (label, value).
    pub rows: Vec<(String, String)>,
    /// "Proposed by …, waiting for …" or "Agreed".
    pub status: String,
    pub may_confirm: bool,
    pub may_write: bool,
    pub version: i64,
    pub hours: Option<String>,
    pub hours_channels: String,
    pub form: AgreementForm,
    pub errors: Errors,
}

fn channel_names(ctx: &PageCtx, channels: &[String]) -> String {
    channels
        .iter()
        .map(|c| ctx.tr.get(&format!("contact-channel-{c}")))
        .collect::<Vec<_>>()
        .join(", ")
}

async fn contact_view(
    state: &AppState,
    ctx: PageCtx,
    client: ClientId,
    form: Option<AgreementForm>,
    errors: Errors,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let view = contact::view(ctx_of(state, &ctx), &actor, client, None)
        .await
        .or_page(&ctx)?;
    let yes = ctx.tr.get("contact-yes");
    let no = ctx.tr.get("contact-no");
    let yn = |b: bool| if b { yes.clone() } else { no.clone() };
    let mut rows = vec![];
    let mut status = String::new();
    let mut version = 0;
    if let Some(a) = &view.agreement {
        rows.push((ctx.tr.get("label-email-notices"), yn(a.email_notices)));
        rows.push((ctx.tr.get("label-sms-notices"), yn(a.sms_notices)));
        rows.push((ctx.tr.get("label-phone-calls"), yn(a.phone_calls)));
        rows.push((
            ctx.tr.get("label-email"),
            a.email.clone().unwrap_or_default(),
        ));
        rows.push((
            ctx.tr.get("label-phone"),
            a.phone.clone().unwrap_or_default(),
        ));
        rows.push((
            ctx.tr.get("contact-quiet-hours"),
            a.quiet
                .map(|q| format!("{}–{}", format_time(q.start), format_time(q.end)))
                .unwrap_or_else(|| ctx.tr.get("contact-none")),
        ));
        rows.push((
            ctx.tr.get("label-response-hours"),
            a.response_hours
                .map(|h| h.to_string())
                .unwrap_or_else(|| ctx.tr.get("contact-default")),
        ));
        status = match (a.confirmed_at, a.proposed_by) {
            (Some(_), _) => ctx.tr.get("contact-status-agreed"),
            (None, Side::Client) => ctx.tr.get("contact-status-by-client"),
            (None, Side::Counselor) => ctx.tr.get("contact-status-by-counselor"),
        };
        version = a.version;
    }
    let actions = contact::contact_actions(view.side, view.agreement.as_ref());
    let home = if actor.own_client == Some(client) {
        "/me".to_string()
    } else {
        format!("/clients/{client}")
    };
    let form = form.unwrap_or_else(|| {
        view.agreement
            .as_ref()
            .map(AgreementForm::of)
            .unwrap_or_default()
    });
    let page = ContactPage {
        hours: view.hours.as_ref().map(|h| h.contact_hours.clone()),
        hours_channels: view
            .hours
            .as_ref()
            .map(|h| channel_names(&ctx, &h.channels))
            .unwrap_or_default(),
        cid: client.to_string(),
        home,
        has_agreement: view.agreement.is_some(),
        rows,
        status,
        may_confirm: actions.confirm,
        may_write: actions.propose,
        version,
        form,
        errors,
        ctx,
    };
    let code = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render(code, &page))
}

fn client_id(ctx: &PageCtx, id: &str) -> Result<ClientId, Box<Response>> {
    id.parse()
        .map_err(|_| Box::new(error_page(ctx.clone(), StatusCode::NOT_FOUND)))
}

pub async fn contact(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> PageResult {
    match client_id(&ctx, &id) {
        Ok(c) => Ok(contact_view(&state, ctx, c, None, Errors::default()).await?),
        Err(r) => Ok(*r),
    }
}

pub async fn contact_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<AgreementForm>,
) -> PageResult {
    let client = match client_id(&ctx, &id) {
        Ok(c) => c,
        Err(r) => return Ok(*r),
    };
    let actor = SignedIn::of(&ctx)?;
    match contact::propose(ctx_of(&state, &ctx), &actor, client, &f.input()).await {
        Ok(()) => Ok(Redirect::to(&format!("/clients/{client}/contact")).into_response()),
        Err(e @ (DomainError::Invalid(_) | DomainError::StaleVersion)) => {
            let errors = Errors::of(&ctx, &e);
            Ok(contact_view(&state, ctx, client, Some(f), errors).await?)
        }
        Err(e) => Ok(domain_error(ctx, &e)),
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ConfirmForm {
    pub version: i64,
}

pub async fn contact_confirm(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> PageResult {
    let client = match client_id(&ctx, &id) {
        Ok(c) => c,
        Err(r) => return Ok(*r),
    };
    let actor = SignedIn::of(&ctx)?;
    match contact::confirm(ctx_of(&state, &ctx), &actor, client, f.version).await {
        Ok(()) => Ok(Redirect::to(&format!("/clients/{client}/contact")).into_response()),
        Err(e @ DomainError::StaleVersion) => {
            let errors = Errors::of(&ctx, &e);
            Ok(contact_view(&state, ctx, client, None, errors).await?)
        }
        Err(e) => Ok(domain_error(ctx, &e)),
    }
}

#[derive(Template)]
#[template(path = "contact/availability.html")]
pub struct AvailabilityPage {
    pub ctx: PageCtx,
    pub contact_hours: String,
    pub notice_email: String,
    /// (channel code, label, checked)
    pub channels: Vec<(String, String, bool)>,
    pub errors: Errors,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AvailabilityForm {
    pub contact_hours: String,
    pub notice_email: String,
    pub messages: Checkbox,
    pub email: Checkbox,
    pub sms: Checkbox,
    pub phone: Checkbox,
}

impl AvailabilityForm {
    fn channels(&self) -> Vec<String> {
        [
            ("messages", &self.messages),
            ("email", &self.email),
            ("sms", &self.sms),
            ("phone", &self.phone),
        ]
        .into_iter()
        .filter(|(_, v)| v.ticked())
        .map(|(c, _)| c.to_string())
        .collect()
    }
}

fn availability_page(ctx: PageCtx, f: &AvailabilityForm, errors: Errors) -> Response {
    let chosen = f.channels();
    let channels = CHANNELS
        .iter()
        .map(|c| {
            (
                c.to_string(),
                ctx.tr.get(&format!("contact-channel-{c}")),
                chosen.iter().any(|x| x == c),
            )
        })
        .collect();
    let code = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render(
        code,
        &AvailabilityPage {
            contact_hours: f.contact_hours.clone(),
            notice_email: f.notice_email.clone(),
            channels,
            errors,
            ctx,
        },
    )
}

pub async fn my_availability(State(state): State<AppState>, ctx: PageCtx) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    let current = contact::own_hours(ctx_of(&state, &ctx), &actor)
        .await
        .or_page(&ctx)?;
    let mut f = AvailabilityForm::default();
    if let Some(a) = current {
        f.contact_hours = a.contact_hours;
        f.notice_email = a.notice_email.unwrap_or_default();
        for c in a.channels {
            match c.as_str() {
                "messages" => f.messages = Checkbox(true),
                "email" => f.email = Checkbox(true),
                "sms" => f.sms = Checkbox(true),
                "phone" => f.phone = Checkbox(true),
                _ => {}
            }
        }
    }
    Ok(availability_page(ctx, &f, Errors::default()))
}

pub async fn my_availability_save(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(f): Form<AvailabilityForm>,
) -> PageResult {
    let actor = SignedIn::of(&ctx)?;
    match contact::publish_hours(
        ctx_of(&state, &ctx),
        &actor,
        &f.contact_hours,
        &f.channels(),
        &f.notice_email,
    )
    .await
    {
        Ok(()) => Ok(Redirect::to("/account/availability").into_response()),
        Err(e @ DomainError::Invalid(_)) => {
            let errors = Errors::of(&ctx, &e);
            Ok(availability_page(ctx, &f, errors))
        }
        Err(e) => Ok(domain_error(ctx, &e)),
    }
}
