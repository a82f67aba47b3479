//! The route table: every route, with the policy it declares. The router is built from this
//! table only, so a route cannot exist without a policy (a test walks the table).
//!
//! Handlers parse input, call a domain use case, and render. They make no access decisions.

use crate::AppState;
use crate::accounts::{login, password, setup};
use crate::cases;
use crate::conversation::messages;
use crate::edge::{middleware, site};
use crate::meetings;
use crate::organisation;
use crate::plan;
use axum::Router;
use axum::routing::{MethodRouter, get, post};
use domain::policy::Action;
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
        spec("/healthz", Public, get(site::healthz)),
        spec("/readyz", Public, get(site::readyz)),
        spec("/assets/{hash}/{name}", Public, get(site::asset)),
        spec("/", Public, get(site::home)),
        spec(
            "/login",
            Public,
            get(login::login_form).post(login::login_submit),
        ),
        spec("/logout", Public, post(login::logout)),
        spec("/language", Public, post(site::set_language)),
        spec(
            "/setup",
            Public,
            get(setup::setup_form).post(setup::setup_submit),
        ),
        spec("/me", Object(Action::ViewClientCase), get(plan::my_plan)),
        spec(
            "/me/access-log",
            Object(Action::ViewAccessLog),
            get(crate::audit::access_log::access_log),
        ),
        spec(
            "/caseload",
            Object(Action::ListClients),
            get(cases::caseload),
        ),
        spec(
            "/caseload/new",
            Object(Action::OpenClientCase),
            get(crate::cases::open::new_case).post(crate::cases::open::new_case_save),
        ),
        spec(
            "/clients/{id}",
            Object(Action::ViewClientCase),
            get(plan::client_plan),
        ),
        spec(
            "/clients/{id}/open",
            Object(Action::ViewClientCase),
            post(plan::client_plan_with_reason),
        ),
        spec("/events", SignedIn, get(crate::live::events)),
        spec(
            "/clients/{id}/messages",
            Object(Action::ViewClientCase),
            get(messages::threads).post(messages::thread_start),
        ),
        spec(
            "/clients/{id}/messages/{thread}",
            Object(Action::ViewClientCase),
            get(messages::thread).post(messages::thread_reply),
        ),
        spec(
            "/clients/{id}/messages/{thread}/list",
            Object(Action::ViewClientCase),
            get(messages::thread_messages),
        ),
        spec(
            "/clients/{id}/attachments/{attachment}",
            Object(Action::ViewClientCase),
            get(messages::attachment),
        ),
        spec(
            "/clients/{id}/messages/{thread}/draft",
            Object(Action::ChangeClientCase),
            post(messages::save_draft),
        ),
        spec(
            "/clients/{id}/checkins",
            Object(Action::ChangeClientCase),
            post(messages::set_checkins),
        ),
        spec(
            "/clients/{id}/messages/{thread}/no-answer",
            Object(Action::ChangeClientCase),
            post(messages::thread_no_answer),
        ),
        spec(
            "/clients/{id}/history",
            Object(Action::ViewClientCase),
            get(plan::history),
        ),
        spec(
            "/clients/{id}/print",
            Object(Action::ViewClientCase),
            get(plan::print),
        ),
        spec(
            "/clients/{id}/catalogue",
            Object(Action::ViewClientCase),
            get(plan::catalogue),
        ),
        spec(
            "/clients/{id}/catalogue/{measure}",
            Object(Action::ViewClientCase),
            get(plan::measure_page),
        ),
        spec(
            "/clients/{id}/presentation",
            Object(Action::ChangeClientCase),
            post(plan::presentation_save),
        ),
        spec(
            "/clients/{id}/presentation/afresh",
            Object(Action::ChangeClientCase),
            post(plan::presentation_afresh),
        ),
        spec(
            "/clients/{id}/preferences",
            Object(Action::ChangeClientCase),
            post(plan::preferences_save),
        ),
        spec(
            "/clients/{id}/goals",
            Object(Action::ChangeClientCase),
            post(plan::goal_add),
        ),
        spec(
            "/clients/{id}/goals/{item}",
            Object(Action::ChangeClientCase),
            get(plan::goal_edit_form).post(plan::goal_edit_save),
        ),
        spec(
            "/clients/{id}/goals/{item}/approve",
            Object(Action::ChangeClientCase),
            post(plan::goal_approve),
        ),
        spec(
            "/clients/{id}/goals/{item}/status",
            Object(Action::ChangeClientCase),
            post(plan::goal_status),
        ),
        spec(
            "/clients/{id}/activities",
            Object(Action::ChangeClientCase),
            post(plan::activity_add),
        ),
        spec(
            "/clients/{id}/activities/new",
            Object(Action::ChangeClientCase),
            get(plan::activity_new_form),
        ),
        spec(
            "/clients/{id}/activities/{item}",
            Object(Action::ViewClientCase),
            get(plan::activity_page).post(plan::activity_edit),
        ),
        spec(
            "/clients/{id}/activities/{item}/status",
            Object(Action::ChangeClientCase),
            post(plan::activity_status),
        ),
        spec(
            "/clients/{id}/activities/{item}/decline",
            Object(Action::ChangeClientCase),
            post(plan::activity_decline),
        ),
        spec(
            "/clients/{id}/activities/{item}/terms",
            Object(Action::ChangeClientCase),
            post(plan::activity_propose_terms),
        ),
        spec(
            "/clients/{id}/activities/{item}/confirm",
            Object(Action::ChangeClientCase),
            post(plan::activity_confirm_terms),
        ),
        spec(
            "/clients/{id}/activities/{item}/reject",
            Object(Action::ChangeClientCase),
            post(plan::activity_reject_terms),
        ),
        spec(
            "/clients/{id}/questions",
            Object(Action::ChangeClientCase),
            post(plan::question_ask),
        ),
        spec(
            "/clients/{id}/questions/{item}/answer",
            Object(Action::ChangeClientCase),
            post(plan::question_answer),
        ),
        // ----- feedback insights (issue 5): leaders' dashboard, CSV, the counselor's own -----
        spec(
            "/insights",
            Object(Action::ViewOfficeInsights),
            get(crate::insights::dashboard),
        ),
        spec(
            "/insights/export.csv",
            Object(Action::ViewOfficeInsights),
            get(crate::insights::export_csv),
        ),
        spec(
            "/caseload/feedback",
            Object(Action::ViewOwnFeedback),
            get(crate::insights::own),
        ),
        spec(
            "/admin",
            Object(Action::ManageOrganisation),
            get(organisation::admin_home),
        ),
        spec(
            "/admin/people",
            Object(Action::ManageOrganisation),
            get(organisation::people_page).post(organisation::people_create),
        ),
        spec(
            "/admin/people/{id}/disable",
            Object(Action::ManageOrganisation),
            post(organisation::person_disable),
        ),
        spec(
            "/admin/people/{id}/enable",
            Object(Action::ManageOrganisation),
            post(organisation::person_enable),
        ),
        // ----- a client's account, by exact username (issue 11) -----
        spec(
            "/admin/client-accounts",
            Object(Action::ManageClientAccount),
            get(crate::organisation::client_accounts::lookup_form)
                .post(crate::organisation::client_accounts::lookup),
        ),
        spec(
            "/admin/client-accounts/{id}/password",
            Object(Action::ManageClientAccount),
            post(crate::organisation::client_accounts::set_password),
        ),
        spec(
            "/admin/client-accounts/{id}/disable",
            Object(Action::ManageClientAccount),
            post(crate::organisation::client_accounts::disable),
        ),
        spec(
            "/admin/client-accounts/{id}/enable",
            Object(Action::ManageClientAccount),
            post(crate::organisation::client_accounts::enable),
        ),
        spec(
            "/admin/offices",
            Object(Action::ManageOrganisation),
            get(organisation::offices_page).post(organisation::office_create),
        ),
        spec(
            "/admin/measures",
            Object(Action::ManageOrganisation),
            get(plan::admin_measures).post(plan::admin_measure_save),
        ),
        spec(
            "/admin/teams",
            Object(Action::ManageOrganisation),
            get(organisation::teams_page).post(organisation::team_create),
        ),
        spec(
            "/account/password",
            SignedIn,
            get(password::password_form).post(password::password_submit),
        ),
        spec(
            "/clients/{id}/contact",
            Object(Action::ViewClientCase),
            get(crate::contact::contact).post(crate::contact::contact_save),
        ),
        spec(
            "/clients/{id}/contact/confirm",
            Object(Action::ChangeClientCase),
            post(crate::contact::contact_confirm),
        ),
        spec(
            "/account/availability",
            SignedIn,
            get(crate::contact::my_availability).post(crate::contact::my_availability_save),
        ),
        spec(
            "/clients/{id}/meetings",
            Object(Action::ViewClientCase),
            get(meetings::list).post(meetings::propose),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}",
            Object(Action::ViewClientCase),
            get(meetings::page),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/calendar.ics",
            Object(Action::ViewClientCase),
            get(meetings::calendar),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/accept",
            Object(Action::ChangeClientCase),
            post(meetings::accept),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/other-time",
            Object(Action::ChangeClientCase),
            post(meetings::other_time),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/cancel",
            Object(Action::ChangeClientCase),
            post(meetings::cancel),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/agenda",
            Object(Action::ChangeClientCase),
            post(meetings::agenda_add),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/notes",
            Object(Action::ChangeClientCase),
            post(meetings::notes_save),
        ),
        spec(
            "/clients/{id}/meetings/{meeting}/comments",
            Object(Action::ChangeClientCase),
            post(meetings::comment_add),
        ),
        // ----- client feedback (issue 5): answering, and the counselor's picture -----
        spec(
            "/me/feedback",
            Object(Action::ViewClientCase),
            get(crate::feedback::mine).post(crate::feedback::submit),
        ),
        spec(
            "/me/feedback/new",
            Object(Action::ViewClientCase),
            get(crate::feedback::new_form),
        ),
        spec(
            "/me/feedback/dismiss",
            Object(Action::ChangeClientCase),
            post(crate::feedback::dismiss),
        ),
        spec(
            "/me/feedback/{response}",
            Object(Action::ChangeClientCase),
            get(crate::feedback::change_form).post(crate::feedback::change_submit),
        ),
        spec(
            "/clients/{id}/feedback",
            Object(Action::ViewSharedFeedback),
            get(crate::feedback::client_picture),
        ),
        spec(
            "/clients/{id}/feedback/open",
            Object(Action::ViewSharedFeedback),
            post(crate::feedback::client_picture_with_reason),
        ),
        spec(
            "/clients/{id}/feedback/talks",
            Object(Action::ViewSharedFeedback),
            post(crate::feedback::talk_add),
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
        .fallback(site::not_found)
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
            crate::edge::proxy::watch_forwarded_for,
        ))
        .layer(axum::middleware::from_fn(middleware::request_id))
        .with_state(state)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
    use super::*;
    use axum::body::Body;
    use axum::http::{StatusCode, header};
    use axum::response::Response;
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
