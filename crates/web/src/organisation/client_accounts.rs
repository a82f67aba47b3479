//! A client's account for administrators (`/admin/client-accounts`, issue 11): an exact
//! lookup by username (posted, so no username lands in a URL), the account with forms for a
//! new password and for disabling or enabling it. The use cases in `domain::accounts` decide
//! and write the audit rows; this only parses, calls them and renders.

use crate::AppState;
use crate::edge::context::PageCtx;
use crate::edge::extract::{Form, Path, SignedIn};
use crate::edge::forms::Errors;
use crate::edge::handler::ctx_of;
use crate::edge::render::{PageResult, domain_error, error_page, render};
use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use domain::DomainError;
use domain::ids::ClientId;
use domain::organisation::client_accounts::{self, ClientAccount};
use domain::roles::Actor;
use domain::types::Secret;
use serde::Deserialize;

/// The account as shown.
pub struct AccountView {
    pub client_id: String,
    pub name: String,
    pub username: String,
    pub status: String,
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "organisation/admin_client_account.html")]
pub struct ClientAccountPage {
    pub ctx: PageCtx,
    /// The username as typed (kept in the lookup and reason forms; never in a URL).
    pub username: String,
    pub errors: Errors,
    /// A protected client: the lookup asks for a reason first.
    pub reason_needed: bool,
    /// The reason given (carried in the forms of the account page, into the audit rows).
    pub reason: String,
    pub account: Option<AccountView>,
    /// What was just done, for the status message.
    pub notice: Option<String>,
}

impl ClientAccountPage {
    fn lookup(ctx: PageCtx, username: String, errors: Errors) -> Self {
        Self {
            ctx,
            username,
            errors,
            reason_needed: false,
            reason: String::new(),
            account: None,
            notice: None,
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct LookupForm {
    pub username: String,
    pub reason: String,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ChangeForm {
    pub username: String,
    pub password: String,
    pub reason: String,
}

fn optional(reason: &str) -> Option<&str> {
    Some(reason).filter(|r| !r.trim().is_empty())
}

fn view(ctx: &PageCtx, a: &ClientAccount) -> AccountView {
    AccountView {
        client_id: a.client_id.to_string(),
        name: a.name.clone(),
        username: a.username.clone(),
        status: ctx.tr.get(if a.disabled {
            "status-disabled"
        } else {
            "status-active"
        }),
        disabled: a.disabled,
    }
}

fn account_page(
    ctx: PageCtx,
    account: &ClientAccount,
    reason: String,
    errors: Errors,
    notice: Option<&str>,
) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ClientAccountPage {
        account: Some(view(&ctx, account)),
        username: account.username.clone(),
        notice: notice.map(|k| ctx.tr.get(k)),
        errors,
        reason_needed: false,
        reason,
        ctx,
    };
    render(status, &page)
}

/// `GET /admin/client-accounts`: the lookup form (administrators only).
pub async fn lookup_form(ctx: PageCtx) -> Response {
    let Some(actor) = ctx.actor.clone() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    if let Err(e) = client_accounts::may_look_up(&actor) {
        return domain_error(ctx, &e);
    }
    render(
        StatusCode::OK,
        &ClientAccountPage::lookup(ctx, String::new(), Errors::default()),
    )
}

/// `POST /admin/client-accounts`: finds the account by its exact username. Not found and out
/// of reach give the same answer: the form again, 404, with the message next to the field.
pub async fn lookup(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<LookupForm>,
) -> Response {
    let Some(actor) = ctx.actor.clone() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    if let Err(e) = client_accounts::may_look_up(&actor) {
        return domain_error(ctx, &e);
    }
    let reason = optional(&form.reason);
    match client_accounts::find_client_account(ctx_of(&state, &ctx), &actor, &form.username, reason)
        .await
    {
        Ok(account) => account_page(
            ctx,
            &account,
            form.reason.trim().to_string(),
            Errors::default(),
            None,
        ),
        Err(DomainError::NotFound) => {
            let message = format!(
                "{}: {}",
                ctx.tr.get("label-username"),
                ctx.tr.get("client-account-not-found")
            );
            let errors = Errors(vec![("username".into(), message)]);
            render(
                StatusCode::NOT_FOUND,
                &ClientAccountPage::lookup(ctx, form.username, errors),
            )
        }
        Err(DomainError::ReasonRequired) => reason_page(ctx, form, Errors::default()),
        Err(e @ DomainError::Invalid(_)) if is_about_reason(&e) => {
            let errors = Errors::of(&ctx, &e);
            reason_page(ctx, form, errors)
        }
        Err(e @ DomainError::Invalid(_)) => {
            let errors = Errors::of(&ctx, &e);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &ClientAccountPage::lookup(ctx, form.username, errors),
            )
        }
        Err(e) => domain_error(ctx, &e),
    }
}

/// Whether a field error is about the reason (the reason form is shown again).
fn is_about_reason(e: &DomainError) -> bool {
    matches!(e, DomainError::Invalid(list) if list.iter().any(|(f, _)| *f == "reason"))
}

/// A protected client, for an administrator who may reach it: a reason first. Shows nothing
/// of the account.
fn reason_page(ctx: PageCtx, form: LookupForm, errors: Errors) -> Response {
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = ClientAccountPage {
        ctx,
        username: form.username,
        errors,
        reason_needed: true,
        reason: form.reason,
        account: None,
        notice: None,
    };
    render(status, &page)
}

/// `POST /admin/client-accounts/{id}/password`: a new password for the client's account.
pub async fn set_password(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(form): Form<ChangeForm>,
) -> PageResult {
    let reason = optional(&form.reason);
    let result = client_accounts::set_client_password(
        ctx_of(&state, &ctx),
        state.hasher.as_ref(),
        &actor,
        client,
        &form.username,
        &Secret::new(form.password.clone()),
        reason,
    )
    .await;
    Ok(match result {
        Ok(account) => account_page(
            ctx,
            &account,
            form.reason,
            Errors::default(),
            Some("client-account-password-done"),
        ),
        Err(e @ DomainError::Invalid(_)) => {
            // The account is shown again (with its audit row), the error next to the field.
            let errors = Errors::of(&ctx, &e);
            match client_accounts::open_client_account(ctx_of(&state, &ctx), &actor, client, reason)
                .await
            {
                Ok(account) => account_page(ctx, &account, form.reason, errors, None),
                Err(e) => domain_error(ctx, &e),
            }
        }
        Err(e) => domain_error(ctx, &e),
    })
}

async fn set_disabled(
    state: AppState,
    ctx: PageCtx,
    actor: Actor,
    client: ClientId,
    form: ChangeForm,
    disabled: bool,
) -> PageResult {
    let reason = optional(&form.reason);
    Ok(
        match client_accounts::set_client_disabled(
            ctx_of(&state, &ctx),
            &actor,
            client,
            disabled,
            reason,
        )
        .await
        {
            Ok(account) => {
                let notice = if disabled {
                    "client-account-disabled-done"
                } else {
                    "client-account-enabled-done"
                };
                account_page(ctx, &account, form.reason, Errors::default(), Some(notice))
            }
            Err(e) => domain_error(ctx, &e),
        },
    )
}

/// `POST /admin/client-accounts/{id}/disable`.
pub async fn disable(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(form): Form<ChangeForm>,
) -> PageResult {
    set_disabled(state, ctx, actor, client, form, true).await
}

/// `POST /admin/client-accounts/{id}/enable`.
pub async fn enable(
    State(state): State<AppState>,
    ctx: PageCtx,
    SignedIn(actor): SignedIn,
    Path(client): Path<ClientId>,
    Form(form): Form<ChangeForm>,
) -> PageResult {
    set_disabled(state, ctx, actor, client, form, false).await
}
