//! The route table: every route, with the policy it declares. The router is built from this
//! table only, so a route cannot exist without a policy (a test walks the table).
//!
//! Handlers parse input, call a domain use case, and render. They make no access decisions.

use crate::AppState;
use crate::context::{
    LANG_COOKIE, PageCtx, PeerAddr, cookie_names, fresh_pre_session_token, set_cookie,
};
use crate::extract::{Form, Path};
use crate::handler::ctx_of;
use crate::i18n::Lang;
use crate::meetings_web;
use crate::messages_web;
use crate::middleware;
use crate::pages::*;
use crate::plan_web;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{MethodRouter, get, post};
use domain::DomainError;
use domain::ids::{OfficeId, UserId};
use domain::policy::Action;
use domain::roles::{Role, RoleGrant};
use domain::types::{Secret, Username};
use tower_http::catch_panic::CatchPanicLayer;

/// Who may reach a route at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutePolicy {
    /// Anyone, signed in or not (login, health checks, assets).
    Public,
    /// Any signed-in person (their own account).
    SignedIn,
    /// Signed in; the use case decides on the object with this domain action.
    Object(Action),
}

pub struct RouteSpec {
    pub path: &'static str,
    pub policy: RoutePolicy,
    pub methods: MethodRouter<AppState>,
}

fn spec(path: &'static str, policy: RoutePolicy, methods: MethodRouter<AppState>) -> RouteSpec {
    RouteSpec {
        path,
        policy,
        methods,
    }
}

/// Every route of the application.
pub fn route_table() -> Vec<RouteSpec> {
    use RoutePolicy::*;
    vec![
        spec("/healthz", Public, get(healthz)),
        spec("/readyz", Public, get(readyz)),
        spec("/assets/{hash}/{name}", Public, get(asset)),
        spec("/", Public, get(home)),
        spec("/login", Public, get(login_form).post(login_submit)),
        spec("/logout", Public, post(logout)),
        spec("/language", Public, post(set_language)),
        spec("/setup", Public, get(setup_form).post(setup_submit)),
        spec(
            "/me",
            Object(Action::ViewClientCase),
            get(plan_web::my_plan),
        ),
        spec(
            "/me/access-log",
            Object(Action::ViewAccessLog),
            get(crate::access_log_web::access_log),
        ),
        spec("/caseload", Object(Action::ListClients), get(caseload)),
        spec(
            "/caseload/new",
            Object(Action::OpenClientCase),
            get(crate::case_web::new_case).post(crate::case_web::new_case_save),
        ),
        spec(
            "/clients/{id}",
            Object(Action::ViewClientCase),
            get(plan_web::client_plan),
        ),
        spec(
            "/clients/{id}/open",
            Object(Action::ViewClientCase),
            post(plan_web::client_plan_with_reason),
        ),
        spec("/events", SignedIn, get(crate::live::events)),
        spec(
            "/clients/{id}/messages",
            Object(Action::ViewClientCase),
            get(messages_web::threads).post(messages_web::thread_start),
        ),
        spec(
            "/clients/{id}/messages/{thread}",
            Object(Action::ViewClientCase),
            get(messages_web::thread).post(messages_web::thread_reply),
        ),
        spec(
            "/clients/{id}/messages/{thread}/list",
            Object(Action::ViewClientCase),
            get(messages_web::thread_messages),
        ),
        spec(
            "/clients/{id}/attachments/{attachment}",
            Object(Action::ViewClientCase),
            get(messages_web::attachment),
        ),
        spec(
            "/clients/{id}/messages/{thread}/draft",
            Object(Action::ChangeClientCase),
            post(messages_web::save_draft),
        ),
        spec(
            "/clients/{id}/checkins",
            Object(Action::ChangeClientCase),
            post(messages_web::set_checkins),
        ),
        spec(
            "/clients/{id}/messages/{thread}/no-answer",
            Object(Action::ChangeClientCase),
            post(messages_web::thread_no_answer),
        ),
        spec(
            "/clients/{id}/history",
            Object(Action::ViewClientCase),
            get(plan_web::history),
        ),
        spec(
            "/clients/{id}/print",
            Object(Action::ViewClientCase),
            get(plan_web::print),
        ),
        spec(
            "/clients/{id}/catalogue",
            Object(Action::ViewClientCase),
            get(plan_web::catalogue),
        ),
        spec(
            "/clients/{id}/catalogue/{measure}",
            Object(Action::ViewClientCase),
            get(plan_web::measure_page),
        ),
        spec(
            "/clients/{id}/presentation",
            Object(Action::ChangeClientCase),
            post(plan_web::presentation_save),
        ),
        spec(
            "/clients/{id}/presentation/afresh",
            Object(Action::ChangeClientCase),
            post(plan_web::presentation_afresh),
        ),
        spec(
            "/clients/{id}/preferences",
            Object(Action::ChangeClientCase),
            post(plan_web::preferences_save),
        ),
        spec(
            "/clients/{id}/goals",
            Object(Action::ChangeClientCase),
            post(plan_web::goal_add),
        ),
        spec(
            "/clients/{id}/goals/{item}",
            Object(Action::ChangeClientCase),
            get(plan_web::goal_edit_form).post(plan_web::goal_edit_save),
        ),
        spec(
            "/clients/{id}/goals/{item}/approve",
            Object(Action::ChangeClientCase),
            post(plan_web::goal_approve),
        ),
        spec(
            "/clients/{id}/goals/{item}/status",
            Object(Action::ChangeClientCase),
            post(plan_web::goal_status),
        ),
        spec(
            "/clients/{id}/activities",
            Object(Action::ChangeClientCase),
            post(plan_web::activity_add),
        ),
        spec(
            "/clients/{id}/activities/new",
            Object(Action::ChangeClientCase),
            get(plan_web::activity_new_form),
        ),
        spec(
            "/clients/{id}/activities/{item}",
            Object(Action::ViewClientCase),
            get(plan_web::activity_page).post(plan_web::activity_edit),
        ),
        spec(
            "/clients/{id}/activities/{item}/status",
            Object(Action::ChangeClientCase),
            post(plan_web::activity_status),
        ),
        spec(
            "/clients/{id}/activities/{item}/decline",
            Object(Action::ChangeClientCase),
            post(plan_web::activity_decline),
        ),
        spec(
            "/clients/{id}/activities/{item}/terms",
            Object(Action::ChangeClientCase),
            post(plan_web::activity_propose_terms),
        ),
        spec(
            "/clients/{id}/activities/{item}/confirm",
            Object(Action::ChangeClientCase),
            post(plan_web::activity_confirm_terms),
        ),
        spec(
            "/clients/{id}/activities/{item}/reject",
            Object(Action::ChangeClientCase),
            post(plan_web::activity_reject_terms),
        ),
        spec(
            "/clients/{id}/questions",
            Object(Action::ChangeClientCase),
            post(plan_web::question_ask),
        ),
        spec(
            "/clients/{id}/questions/{item}/answer",
            Object(Action::ChangeClientCase),
            post(plan_web::question_answer),
        ),
        // ----- feedback insights (issue 5): leaders' dashboard, CSV, the counselor's own -----
        spec(
            "/insights",
            Object(Action::ViewOfficeInsights),
            get(crate::insights_web::dashboard),
        ),
        spec(
            "/insights/export.csv",
            Object(Action::ViewOfficeInsights),
            get(crate::insights_web::export_csv),
        ),
        spec(
            "/caseload/feedback",
            Object(Action::ViewOwnFeedback),
            get(crate::insights_web::own),
        ),
        spec(
            "/admin",
            Object(Action::ManageOrganisation),
            get(admin_home),
        ),
        spec(
            "/admin/people",
            Object(Action::ManageOrganisation),
            get(people_page).post(people_create),
        ),
        spec(
            "/admin/people/{id}/disable",
            Object(Action::ManageOrganisation),
            post(person_disable),
        ),
        spec(
            "/admin/people/{id}/enable",
            Object(Action::ManageOrganisation),
            post(person_enable),
        ),
        // ----- a client's account, by exact username (issue 11) -----
        spec(
            "/admin/client-accounts",
            Object(Action::ManageClientAccount),
            get(crate::accounts_web::lookup_form).post(crate::accounts_web::lookup),
        ),
        spec(
            "/admin/client-accounts/{id}/password",
            Object(Action::ManageClientAccount),
            post(crate::accounts_web::set_password),
        ),
        spec(
            "/admin/client-accounts/{id}/disable",
            Object(Action::ManageClientAccount),
            post(crate::accounts_web::disable),
        ),
        spec(
            "/admin/client-accounts/{id}/enable",
            Object(Action::ManageClientAccount),
            post(crate::accounts_web::enable),
        ),
        spec(
            "/admin/offices",
            Object(Action::ManageOrganisation),
            get(offices_page).post(office_create),
        ),
        spec(
            "/admin/measures",
            Object(Action::ManageOrganisation),
            get(plan_web::admin_measures).post(plan_web::admin_measure_save),
        ),
        spec(
            "/admin/teams",
            Object(Action::ManageOrganisation),
            get(teams_page).post(team_create),
        ),
        spec(
            "/account/password",
            SignedIn,
            get(password_form).post(password_submit),
        ),
        spec(
            "/clients/{id}/contact",
            Object(Action::ViewClientCase),
            get(crate::contact_web::contact).post(crate::contact_web::contact_save),
        ),
        spec(
            "/clients/{id}/contact/confirm",
            Object(Action::ChangeClientCase),
            post(crate::contact_web::contact_confirm),
        ),
        spec(
            "/account/availability",
            SignedIn,
            get(crate::contact_web::my_availability).post(crate::contact_web::my_availability_save),
        ),
        spec(
            "/clients/{id}/meetings",
            Object(Action::ViewClientCase),
            get(meetings_web::list).post(meetings_web::propose),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}",
            Object(Action::ViewClientCase),
            get(meetings_web::page),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/calendar.ics",
            Object(Action::ViewClientCase),
            get(meetings_web::calendar),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/accept",
            Object(Action::ChangeClientCase),
            post(meetings_web::accept),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/other-time",
            Object(Action::ChangeClientCase),
            post(meetings_web::other_time),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/cancel",
            Object(Action::ChangeClientCase),
            post(meetings_web::cancel),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/agenda",
            Object(Action::ChangeClientCase),
            post(meetings_web::agenda_add),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/notes",
            Object(Action::ChangeClientCase),
            post(meetings_web::notes_save),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/comments",
            Object(Action::ChangeClientCase),
            post(meetings_web::comment_add),
        ),
        // ----- client feedback (issue 5): answering, and the counselor's picture -----
        spec(
            "/me/feedback",
            Object(Action::ViewClientCase),
            get(crate::feedback_web::mine).post(crate::feedback_web::submit),
        ),
        spec(
            "/me/feedback/new",
            Object(Action::ViewClientCase),
            get(crate::feedback_web::new_form),
        ),
        spec(
            "/me/feedback/dismiss",
            Object(Action::ChangeClientCase),
            post(crate::feedback_web::dismiss),
        ),
        spec(
            "/me/feedback/{response}",
            Object(Action::ChangeClientCase),
            get(crate::feedback_web::change_form).post(crate::feedback_web::change_submit),
        ),
        spec(
            "/clients/{id}/feedback",
            Object(Action::ViewSharedFeedback),
            get(crate::feedback_web::client_picture),
        ),
        spec(
            "/clients/{id}/feedback/open",
            Object(Action::ViewSharedFeedback),
            post(crate::feedback_web::client_picture_with_reason),
        ),
        spec(
            "/clients/{id}/feedback/talks",
            Object(Action::ViewSharedFeedback),
            post(crate::feedback_web::talk_add),
        ),
    ]
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for RouteSpec {
        path,
        policy,
        methods,
    } in route_table()
    {
        let gate =
            axum::middleware::from_fn(move |req, next| middleware::enforce(policy, req, next));
        router = router.route(path, methods.route_layer(gate));
    }
    with_layers(router, state)
}

/// Most bodies are a few hundred bytes of form fields; nothing legitimate comes near this.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// Messages with attachments: the files (at most three of `domain::attachments::MAX_BYTES`)
/// and the form fields.
pub const UPLOAD_LIMIT_BYTES: usize =
    domain::conversation::MAX_FILES * domain::attachments::MAX_BYTES + 64 * 1024;

/// The layers every request passes through, outermost last: request id and request log,
/// security headers, the friendly page for a panic, the panic catcher, the body limit, the
/// session lookup and CSRF. Separate from the route table so that a test can check the panic
/// page with a handler that panics on purpose.
pub(crate) fn with_layers(router: Router<AppState>, state: AppState) -> Router {
    router
        .route_layer(axum::middleware::from_fn(middleware::metrics))
        .fallback(not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::csrf,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::session,
        ))
        .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES))
        .layer(CatchPanicLayer::custom(middleware::panic_response))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::panic_page,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            middleware::security_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::proxy::watch_forwarded_for,
        ))
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}

/// The actor; routes behind a non-public policy always have one (the gate redirects otherwise).
#[allow(clippy::result_large_err)] // the error is the response itself, returned at once
fn actor_or_404(ctx: &PageCtx) -> Result<domain::roles::Actor, Response> {
    ctx.actor
        .clone()
        .ok_or_else(|| error_page(ctx.clone(), StatusCode::NOT_FOUND))
}

async fn not_found(ctx: PageCtx) -> Response {
    error_page(ctx, StatusCode::NOT_FOUND)
}

async fn healthz() -> Response {
    (
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        "ok\n",
    )
        .into_response()
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (
            [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
            "ready\n",
        )
            .into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "database not reachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
                "database unreachable\n",
            )
                .into_response()
        }
    }
}

async fn asset(
    State(state): State<AppState>,
    Path((hash, name)): Path<(String, String)>,
    ctx: PageCtx,
) -> Response {
    match state.assets.get(&hash, &name) {
        Some(a) => (
            [
                (header::CONTENT_TYPE, a.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
            ],
            a.bytes.clone().into_owned(),
        )
            .into_response(),
        None => error_page(ctx, StatusCode::NOT_FOUND),
    }
}

async fn home(ctx: PageCtx) -> Response {
    let Some(actor) = &ctx.actor else {
        return Redirect::to("/login").into_response();
    };
    let target = match actor.roles().first() {
        Some(Role::Client) => "/me",
        Some(Role::Counselor) => "/caseload",
        Some(Role::Leader) => "/insights",
        Some(Role::Administrator) => "/admin",
        _ => "/account/password",
    };
    Redirect::to(target).into_response()
}

async fn login_form(ctx: PageCtx) -> Response {
    if ctx.actor.is_some() {
        return Redirect::to("/").into_response();
    }
    render(
        StatusCode::OK,
        &LoginPage {
            ctx,
            error: None,
            username: String::new(),
        },
    )
}

#[derive(serde::Deserialize)]
struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
}

async fn login_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    peer: PeerAddr,
    Form(form): Form<LoginForm>,
) -> Response {
    let attempt = domain::auth::LoginAttempt {
        username: form.username.clone(),
        password: Secret::new(form.password),
        source: crate::proxy::source_address(state.settings.trust_forwarded_for, &headers, peer.0),
        device: ctx.device_token.clone(),
    };
    match domain::auth::login(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.hasher.as_ref(),
        state.settings.throttle,
        attempt,
    )
    .await
    {
        Ok(ok) => {
            // Notices to this person come in the language they logged in with (notices-reminders).
            if let Err(e) =
                domain::notify::remember_language(state.store.as_ref(), ok.user_id, ctx.tr.code())
                    .await
            {
                tracing::warn!(error = %e, "language not remembered");
            }
            let names = cookie_names(state.settings.secure_cookies);
            let secure = state.settings.secure_cookies;
            let mut res = Redirect::to("/").into_response();
            let h = res.headers_mut();
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    names.session,
                    ok.session_token.expose(),
                    None,
                    "Lax",
                    secure,
                    true,
                ),
            );
            h.append(
                header::SET_COOKIE,
                set_cookie(
                    names.device,
                    ok.device_token.expose(),
                    Some(365 * 24 * 3600),
                    "Lax",
                    secure,
                    true,
                ),
            );
            // Signed in, pages carry the session's own CSRF token; the pre-session one is
            // replaced so that a token seen before login is good for nothing.
            h.append(header::SET_COOKIE, fresh_pre_session_token(secure));
            res
        }
        Err(e) => {
            let status = match e {
                DomainError::Throttled { .. } => StatusCode::TOO_MANY_REQUESTS,
                DomainError::InvalidCredentials => StatusCode::UNAUTHORIZED,
                DomainError::Port(_) => return domain_error(ctx, &e),
                _ => StatusCode::BAD_REQUEST,
            };
            let error = Some(ctx.error_text(&e));
            render(
                status,
                &LoginPage {
                    ctx,
                    error,
                    username: form.username,
                },
            )
        }
    }
}

async fn logout(State(state): State<AppState>, ctx: PageCtx) -> Response {
    if let Some(token) = &ctx.session_token
        && let Err(e) = domain::auth::logout(state.store.as_ref(), token).await
    {
        return domain_error(ctx, &e);
    }
    let names = cookie_names(state.settings.secure_cookies);
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            names.session,
            "",
            Some(0),
            "Lax",
            state.settings.secure_cookies,
            true,
        ),
    );
    // The session's CSRF token died with it; the next person gets a fresh pre-session one.
    res.headers_mut().append(
        header::SET_COOKIE,
        fresh_pre_session_token(state.settings.secure_cookies),
    );
    res
}

#[derive(serde::Deserialize)]
struct LanguageForm {
    #[serde(default)]
    lang: String,
}

async fn set_language(
    State(state): State<AppState>,
    ctx: PageCtx,
    headers: HeaderMap,
    Form(form): Form<LanguageForm>,
) -> Response {
    let lang = Lang::parse(&form.lang).unwrap_or(Lang::Nb);
    // A signed-in person's choice is remembered for their notices (notices-reminders).
    if let Some(actor) = &ctx.actor
        && let Err(e) =
            domain::notify::remember_language(state.store.as_ref(), actor.user_id, lang.code())
                .await
    {
        tracing::warn!(error = %e, "language not remembered");
    }
    // Back to the page the user came from, but only a local path (no open redirect).
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://").map(|(_, rest)| rest))
        .and_then(|rest| rest.find('/').map(|i| rest[i..].to_string()))
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&back).into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(
            LANG_COOKIE,
            lang.code(),
            Some(365 * 24 * 3600),
            "Lax",
            state.settings.secure_cookies,
            false,
        ),
    );
    res
}

async fn caseload(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let clients = match domain::clients::my_caseload(ctx_of(&state, &ctx), &actor).await {
        Ok(c) => c,
        Err(e) => return domain_error(ctx, &e),
    };
    let quiet = match domain::checkins::gone_quiet(ctx_of(&state, &ctx), &clients).await {
        Ok(q) => q,
        Err(e) => return domain_error(ctx, &e),
    };
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
    render(
        StatusCode::OK,
        &CaseloadPage {
            ctx,
            clients,
            quiet,
        },
    )
}

async fn admin_home(State(state): State<AppState>, ctx: PageCtx) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    // The use case authorizes ManageOrganisation; listing offices is its cheapest form.
    match domain::org::list_offices(state.store.as_ref(), &actor).await {
        Ok(_) => render(StatusCode::OK, &AdminHome { ctx }),
        Err(e) => domain_error(ctx, &e),
    }
}

const ASSIGNABLE_ROLES: [Role; 5] = [
    Role::Counselor,
    Role::Leader,
    Role::Moderator,
    Role::Partner,
    Role::Administrator,
];

async fn people_view(
    state: &AppState,
    ctx: PageCtx,
    form: PersonForm,
    errors: Vec<(String, String)>,
    status: StatusCode,
) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let people = match domain::org::list_people(state.store.as_ref(), &actor).await {
        Ok(p) => p,
        Err(e) => return domain_error(ctx, &e),
    };
    let offices = match domain::org::list_offices(state.store.as_ref(), &actor).await {
        Ok(o) => o,
        Err(e) => return domain_error(ctx, &e),
    };
    let rows = people
        .into_iter()
        .map(|p| {
            let roles = p
                .grants
                .iter()
                .map(|g| {
                    let role = ctx.tr.get(&format!("role-{}", g.role.as_str()));
                    match g.office_id.and_then(|o| offices.iter().find(|x| x.id == o)) {
                        Some(o) => format!("{role} ({})", o.name),
                        None => role,
                    }
                })
                .collect::<Vec<_>>()
                .join(", ");
            PersonRow {
                id: p.id.to_string(),
                name: p.display_name,
                username: p.username,
                roles,
                status: ctx.tr.get(if p.disabled {
                    "status-disabled"
                } else {
                    "status-active"
                }),
                disabled: p.disabled,
                can_disable: p.id != actor.user_id,
            }
        })
        .collect();
    let roles = ASSIGNABLE_ROLES
        .iter()
        .map(|r| {
            (
                r.as_str().to_string(),
                ctx.tr.get(&format!("role-{}", r.as_str())),
            )
        })
        .collect();
    render(
        status,
        &AdminPeople {
            ctx,
            form,
            errors,
            roles,
            offices,
            people: rows,
        },
    )
}

async fn people_page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    people_view(
        &state,
        ctx,
        PersonForm {
            role: "counselor".into(),
            ..Default::default()
        },
        vec![],
        StatusCode::OK,
    )
    .await
}

async fn people_create(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<PersonForm>,
) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(role) = Role::parse(&form.role).filter(|r| ASSIGNABLE_ROLES.contains(r)) else {
        let errors = vec![("role".to_string(), ctx.tr.get("field-invalid-characters"))];
        return people_view(&state, ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    let office_id = if role == Role::Administrator {
        None
    } else {
        form.office_id.parse::<OfficeId>().ok()
    };
    if role != Role::Administrator && office_id.is_none() {
        let errors = vec![("office_id".to_string(), ctx.tr.get("field-required"))];
        return people_view(&state, ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let input = domain::org::NewPersonInput {
        username: form.username.clone(),
        display_name: form.display_name.clone(),
        password: Secret::new(form.password.clone()),
        grants: vec![RoleGrant { role, office_id }],
        protected_access: vec![],
    };
    match domain::org::create_person(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.hasher.as_ref(),
        &actor,
        &input,
    )
    .await
    {
        Ok(_) => Redirect::to("/admin/people").into_response(),
        Err(e @ DomainError::Invalid(_)) => {
            let errors = ctx.field_errors(&e);
            let form = PersonForm {
                password: String::new(),
                ..form
            };
            people_view(&state, ctx, form, errors, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => domain_error(ctx, &e),
    }
}

async fn person_set_disabled(
    state: AppState,
    ctx: PageCtx,
    id: String,
    disabled: bool,
) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(user) = id.parse::<UserId>() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    match domain::org::set_person_disabled(state.store.as_ref(), &actor, user, disabled).await {
        Ok(()) => Redirect::to("/admin/people").into_response(),
        Err(e) => domain_error(ctx, &e),
    }
}

async fn person_disable(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Response {
    person_set_disabled(state, ctx, id, true).await
}

async fn person_enable(
    State(state): State<AppState>,
    ctx: PageCtx,
    Path(id): Path<String>,
) -> Response {
    person_set_disabled(state, ctx, id, false).await
}

#[derive(Default, serde::Deserialize)]
struct UnitForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    office_id: String,
}

async fn offices_view(
    state: &AppState,
    ctx: PageCtx,
    name: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match domain::org::list_offices(state.store.as_ref(), &actor).await {
        Ok(offices) => {
            let page = AdminUnits {
                heading: ctx.tr.get("admin-offices"),
                action: "/admin/offices".into(),
                submit: ctx.tr.get("admin-create-office"),
                offices: vec![],
                name,
                error,
                items: offices.into_iter().map(|o| o.name).collect(),
                ctx,
            };
            render(status, &page)
        }
        Err(e) => domain_error(ctx, &e),
    }
}

async fn offices_page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    offices_view(&state, ctx, String::new(), None, StatusCode::OK).await
}

async fn office_create(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<UnitForm>,
) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match domain::org::create_office(
        state.store.as_ref(),
        state.clock.as_ref(),
        &actor,
        &form.name,
    )
    .await
    {
        Ok(_) => Redirect::to("/admin/offices").into_response(),
        Err(e @ DomainError::Invalid(_)) => {
            let error = ctx.field_errors(&e).first().map(|(_, m)| m.clone());
            offices_view(
                &state,
                ctx,
                form.name,
                error,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => domain_error(ctx, &e),
    }
}

async fn teams_view(
    state: &AppState,
    ctx: PageCtx,
    name: String,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    match domain::org::list_teams(state.store.as_ref(), &actor).await {
        Ok(by_office) => {
            let items = by_office
                .iter()
                .flat_map(|(o, teams)| {
                    teams
                        .iter()
                        .map(move |t| format!("{} ({}) – {}", t.name, o.name, t.members.len()))
                })
                .collect();
            let page = AdminUnits {
                heading: ctx.tr.get("admin-teams"),
                action: "/admin/teams".into(),
                submit: ctx.tr.get("admin-create-team"),
                offices: by_office.into_iter().map(|(o, _)| o).collect(),
                name,
                error,
                items,
                ctx,
            };
            render(status, &page)
        }
        Err(e) => domain_error(ctx, &e),
    }
}

async fn teams_page(State(state): State<AppState>, ctx: PageCtx) -> Response {
    teams_view(&state, ctx, String::new(), None, StatusCode::OK).await
}

async fn team_create(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<UnitForm>,
) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(office) = form.office_id.parse::<OfficeId>() else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    match domain::org::create_team(
        state.store.as_ref(),
        state.clock.as_ref(),
        &actor,
        office,
        &form.name,
    )
    .await
    {
        Ok(_) => Redirect::to("/admin/teams").into_response(),
        Err(e @ DomainError::Invalid(_)) => {
            let error = ctx.field_errors(&e).first().map(|(_, m)| m.clone());
            teams_view(
                &state,
                ctx,
                form.name,
                error,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => domain_error(ctx, &e),
    }
}

async fn password_form(ctx: PageCtx) -> Response {
    render(
        StatusCode::OK,
        &PasswordPage {
            ctx,
            errors: vec![],
            done: false,
        },
    )
}

#[derive(serde::Deserialize)]
struct PasswordForm {
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

async fn password_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<PasswordForm>,
) -> Response {
    let actor = match actor_or_404(&ctx) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Ok(username) = Username::parse(&actor.username) else {
        return error_page(ctx, StatusCode::NOT_FOUND);
    };
    let result = domain::auth::change_password(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.hasher.as_ref(),
        &actor,
        &username,
        &Secret::new(form.current_password),
        &Secret::new(form.new_password),
    )
    .await;
    match result {
        Ok(token) => {
            let names = cookie_names(state.settings.secure_cookies);
            // A new session: this page's forms carry its token.
            let ctx = PageCtx {
                csrf: domain::auth::session_csrf_token(&token),
                ..ctx
            };
            let mut res = render(
                StatusCode::OK,
                &PasswordPage {
                    ctx,
                    errors: vec![],
                    done: true,
                },
            );
            res.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(
                    names.session,
                    token.expose(),
                    None,
                    "Lax",
                    state.settings.secure_cookies,
                    true,
                ),
            );
            res
        }
        Err(e @ DomainError::Invalid(_)) => {
            let errors = ctx.field_errors(&e);
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &PasswordPage {
                    ctx,
                    errors,
                    done: false,
                },
            )
        }
        Err(e) => domain_error(ctx, &e),
    }
}

async fn setup_open(state: &AppState) -> bool {
    state
        .store
        .organisation_count()
        .await
        .map(|n| n == 0)
        .unwrap_or(false)
}

async fn setup_form(State(state): State<AppState>, ctx: PageCtx) -> Response {
    if !setup_open(&state).await {
        return error_page(ctx, StatusCode::NOT_FOUND);
    }
    render(
        StatusCode::OK,
        &SetupPage {
            ctx,
            form: SetupForm::default(),
            errors: vec![],
        },
    )
}

async fn setup_submit(
    State(state): State<AppState>,
    ctx: PageCtx,
    Form(form): Form<SetupForm>,
) -> Response {
    if !setup_open(&state).await {
        return error_page(ctx, StatusCode::NOT_FOUND);
    }
    let input = domain::org::SetupInput {
        token: Secret::new(form.token.trim()),
        organisation_name: form.organisation_name.clone(),
        office_name: form.office_name.clone(),
        admin: domain::org::NewPersonInput {
            username: form.username.clone(),
            display_name: form.display_name.clone(),
            password: Secret::new(form.password.clone()),
            grants: vec![],
            protected_access: vec![],
        },
    };
    match domain::org::complete_setup(
        state.store.as_ref(),
        state.clock.as_ref(),
        state.hasher.as_ref(),
        input,
    )
    .await
    {
        Ok(_) => Redirect::to("/login").into_response(),
        Err(e @ (DomainError::Invalid(_) | DomainError::SetupTokenInvalid)) => {
            let errors = ctx.field_errors(&e);
            let form = SetupForm {
                token: String::new(),
                password: String::new(),
                ..form
            };
            render(
                StatusCode::UNPROCESSABLE_ENTITY,
                &SetupPage { ctx, form, errors },
            )
        }
        Err(e) => domain_error(ctx, &e),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use std::sync::Arc;
    use tower::ServiceExt;

    #[tokio::test]
    async fn a_panicking_handler_gets_the_friendly_error_page_with_headers() {
        let (_dir, store) = testkit::sqlite::temp_store().await;
        let state = AppState::new(
            Arc::new(store),
            Arc::new(crate::SystemClock),
            Arc::new(crate::Argon2Hasher::for_tests()),
            crate::WebSettings::default(),
        );
        async fn boom() -> Response {
            panic!("a bug in a handler")
        }
        let app = with_layers(Router::new().route("/boom", get(boom)), state);
        let res = app
            .oneshot(
                axum::http::Request::get("/boom")
                    .header(header::ACCEPT_LANGUAGE, "en")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let h = res.headers().clone();
        let id = h["x-request-id"].to_str().unwrap().to_string();
        assert!(h["content-type"].to_str().unwrap().starts_with("text/html"));
        assert!(h.contains_key(header::CONTENT_SECURITY_POLICY));
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        let body = res.into_body().collect().await.unwrap().to_bytes();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("<html lang=\"en\""), "{body}");
        assert!(body.contains(&id), "the page shows the request id");
        assert!(
            !body.contains("a bug in a handler"),
            "the page shows no internals"
        );
    }
}
