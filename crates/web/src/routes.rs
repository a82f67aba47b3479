//! The route table: every route, with the policy it declares. The router is built from this
//! table only, so a route cannot exist without a policy (a test walks the table).
//!
//! Handlers parse input, call a domain use case, and render. They make no access decisions.

use crate::AppState;
use crate::accounts::{login, password, setup};
use crate::conversation::messages;
use crate::edge::gate::{self, Use};
use crate::edge::{middleware, site};
use crate::meetings;
use crate::organisation;
use crate::plan;
use crate::{audit, cases, contact, feedback, insights, live};
use axum::Router;
use axum::handler::Handler;
use axum::http::Method;
use axum::routing::MethodRouter;
use domain::policy::Action;
use tower_http::catch_panic::CatchPanicLayer;

/// Who may reach a route at all (the strictest of what its methods declare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoutePolicy {
    /// Anyone, signed in or not (login, health checks, assets).
    Public,
    /// Any signed-in person (their own account).
    SignedIn,
    /// Signed in, holding a role the policy lets do this action; the use case decides on the
    /// object.
    Object(Action),
}

/// A route: its path and, per method, what it declares and its handler.
pub struct RouteSpec {
    pub path: &'static str,
    pub policy: RoutePolicy,
    pub methods: Vec<(Method, Use, MethodRouter<AppState>)>,
}

fn route(path: &'static str) -> RouteSpec {
    RouteSpec {
        path,
        policy: RoutePolicy::Public,
        methods: vec![],
    }
}

impl RouteSpec {
    fn with(mut self, method: Method, used: Use, handler: MethodRouter<AppState>) -> Self {
        // The route's policy is its first non-public declaration (`check` makes sure a route
        // does not mix public and non-public methods).
        if self.policy == RoutePolicy::Public || self.methods.is_empty() {
            self.policy = match used {
                Use::Public => RoutePolicy::Public,
                Use::SignedIn => RoutePolicy::SignedIn,
                Use::Read(a) | Use::Write(a) | Use::Form(a) | Use::Opens(a) => {
                    RoutePolicy::Object(a)
                }
            };
        }
        self.methods.push((method, used, handler));
        self
    }

    fn get<H: Handler<T, AppState>, T: 'static>(self, used: Use, handler: H) -> Self {
        self.with(Method::GET, used, axum::routing::get(handler))
    }

    fn post<H: Handler<T, AppState>, T: 'static>(self, used: Use, handler: H) -> Self {
        self.with(Method::POST, used, axum::routing::post(handler))
    }
}

/// What is wrong with the table: a method whose declaration does not fit it or its action
/// (`edge::gate::misfit`), a path declared twice, a method declared twice, a route that mixes
/// public and non-public methods. Empty for a good table.
pub fn check(table: &[RouteSpec]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for spec in table {
        if !seen.insert(spec.path) {
            problems.push(format!("{}: declared twice", spec.path));
        }
        problems.extend(route_problems(spec));
    }
    problems
}

fn route_problems(spec: &RouteSpec) -> Vec<String> {
    let mut problems = Vec::new();
    let mut methods = std::collections::BTreeSet::new();
    for (method, used, _) in &spec.methods {
        if !methods.insert(method.as_str()) {
            problems.push(format!("{} {method}: declared twice", spec.path));
        }
        if let Some(why) = gate::misfit(method, *used) {
            problems.push(format!("{} {method}: {why}", spec.path));
        }
    }
    let public = spec
        .methods
        .iter()
        .filter(|(_, u, _)| *u == Use::Public)
        .count();
    if public != 0 && public != spec.methods.len() {
        problems.push(format!(
            "{}: mixes public and non-public methods",
            spec.path
        ));
    }
    problems
}

/// Every route of the application, each method with what it declares ([`Use`]).
pub fn route_table() -> Vec<RouteSpec> {
    use Action::*;
    use Use::*;
    vec![
        route("/healthz").get(Public, site::healthz),
        route("/readyz").get(Public, site::readyz),
        route("/assets/{hash}/{name}").get(Public, site::asset),
        route("/").get(Public, site::home),
        route("/login")
            .get(Public, login::login_form)
            .post(Public, login::login_submit),
        route("/logout").post(Public, login::logout),
        route("/language").post(Public, site::set_language),
        route("/setup")
            .get(Public, setup::setup_form)
            .post(Public, setup::setup_submit),
        route("/me").get(Read(ViewClientCase), plan::my_plan),
        route("/me/access-log").get(Read(ViewAccessLog), audit::access_log::access_log),
        route("/caseload").get(Read(ListClients), cases::caseload),
        route("/caseload/new")
            .get(Form(OpenClientCase), cases::open::new_case)
            .post(Write(OpenClientCase), cases::open::new_case_save),
        route("/clients/{id}").get(Read(ViewClientCase), plan::client_plan),
        route("/clients/{id}/open").post(Opens(ViewClientCase), plan::client_plan_with_reason),
        route("/events").get(SignedIn, live::events),
        route("/clients/{id}/messages")
            .get(Read(ViewClientCase), messages::threads)
            .post(Write(ChangeClientCase), messages::thread_start),
        route("/clients/{id}/messages/{thread}")
            .get(Read(ViewClientCase), messages::thread)
            .post(Write(ChangeClientCase), messages::thread_reply),
        route("/clients/{id}/messages/{thread}/list")
            .get(Read(ViewClientCase), messages::thread_messages),
        route("/clients/{id}/attachments/{attachment}")
            .get(Read(ViewClientCase), messages::attachment),
        route("/clients/{id}/messages/{thread}/draft")
            .post(Write(ChangeClientCase), messages::save_draft),
        route("/clients/{id}/checkins").post(Write(ChangeClientCase), messages::set_checkins),
        route("/clients/{id}/messages/{thread}/no-answer")
            .post(Write(ChangeClientCase), messages::thread_no_answer),
        route("/clients/{id}/history").get(Read(ViewClientCase), plan::history),
        route("/clients/{id}/print").get(Read(ViewClientCase), plan::print),
        route("/clients/{id}/catalogue").get(Read(ViewClientCase), plan::catalogue),
        route("/clients/{id}/catalogue/{measure}").get(Read(ViewClientCase), plan::measure_page),
        route("/clients/{id}/presentation").post(Write(ChangeClientCase), plan::presentation_save),
        route("/clients/{id}/presentation/afresh")
            .post(Write(ChangeClientCase), plan::presentation_afresh),
        route("/clients/{id}/preferences").post(Write(ChangeClientCase), plan::preferences_save),
        route("/clients/{id}/goals").post(Write(ChangeClientCase), plan::goal_add),
        route("/clients/{id}/goals/{item}")
            .get(Form(ChangeClientCase), plan::goal_edit_form)
            .post(Write(ChangeClientCase), plan::goal_edit_save),
        route("/clients/{id}/goals/{item}/approve")
            .post(Write(ChangeClientCase), plan::goal_approve),
        route("/clients/{id}/goals/{item}/status").post(Write(ChangeClientCase), plan::goal_status),
        route("/clients/{id}/activities").post(Write(ChangeClientCase), plan::activity_add),
        route("/clients/{id}/activities/new").get(Form(ChangeClientCase), plan::activity_new_form),
        route("/clients/{id}/activities/{item}")
            .get(Read(ViewClientCase), plan::activity_page)
            .post(Write(ChangeClientCase), plan::activity_edit),
        route("/clients/{id}/activities/{item}/status")
            .post(Write(ChangeClientCase), plan::activity_status),
        route("/clients/{id}/activities/{item}/decline")
            .post(Write(ChangeClientCase), plan::activity_decline),
        route("/clients/{id}/activities/{item}/terms")
            .post(Write(ChangeClientCase), plan::activity_propose_terms),
        route("/clients/{id}/activities/{item}/confirm")
            .post(Write(ChangeClientCase), plan::activity_confirm_terms),
        route("/clients/{id}/activities/{item}/reject")
            .post(Write(ChangeClientCase), plan::activity_reject_terms),
        route("/clients/{id}/questions").post(Write(ChangeClientCase), plan::question_ask),
        route("/clients/{id}/questions/{item}/answer")
            .post(Write(ChangeClientCase), plan::question_answer),
        route("/insights").get(Read(ViewOfficeInsights), insights::dashboard),
        route("/insights/export.csv").get(Read(ViewOfficeInsights), insights::export_csv),
        route("/caseload/feedback").get(Read(ViewOwnFeedback), insights::own),
        route("/admin").get(Read(ManageOrganisation), organisation::admin_home),
        route("/admin/people")
            .get(Read(ManageOrganisation), organisation::people_page)
            .post(Write(ManageOrganisation), organisation::people_create),
        route("/admin/people/{id}/disable")
            .post(Write(ManageOrganisation), organisation::person_disable),
        route("/admin/people/{id}/enable")
            .post(Write(ManageOrganisation), organisation::person_enable),
        route("/admin/client-accounts")
            .get(
                Read(ManageClientAccount),
                organisation::client_accounts::lookup_form,
            )
            .post(
                Write(ManageClientAccount),
                organisation::client_accounts::lookup,
            ),
        route("/admin/client-accounts/{id}/password").post(
            Write(ManageClientAccount),
            organisation::client_accounts::set_password,
        ),
        route("/admin/client-accounts/{id}/disable").post(
            Write(ManageClientAccount),
            organisation::client_accounts::disable,
        ),
        route("/admin/client-accounts/{id}/enable").post(
            Write(ManageClientAccount),
            organisation::client_accounts::enable,
        ),
        route("/admin/offices")
            .get(Read(ManageOrganisation), organisation::offices_page)
            .post(Write(ManageOrganisation), organisation::office_create),
        route("/admin/measures")
            .get(Read(ManageOrganisation), plan::admin_measures)
            .post(Write(ManageOrganisation), plan::admin_measure_save),
        route("/admin/teams")
            .get(Read(ManageOrganisation), organisation::teams_page)
            .post(Write(ManageOrganisation), organisation::team_create),
        route("/account/password")
            .get(SignedIn, password::password_form)
            .post(SignedIn, password::password_submit),
        route("/clients/{id}/contact")
            .get(Read(ViewClientCase), contact::contact)
            .post(Write(ChangeClientCase), contact::contact_save),
        route("/clients/{id}/contact/confirm")
            .post(Write(ChangeClientCase), contact::contact_confirm),
        route("/account/availability")
            .get(SignedIn, contact::my_availability)
            .post(SignedIn, contact::my_availability_save),
        route("/clients/{id}/meetings")
            .get(Read(ViewClientCase), meetings::list)
            .post(Write(ChangeClientCase), meetings::propose),
        route("/clients/{id}/meetings/{meeting}").get(Read(ViewClientCase), meetings::page),
        route("/clients/{id}/meetings/{meeting}/calendar.ics")
            .get(Read(ViewClientCase), meetings::calendar),
        route("/clients/{id}/meetings/{meeting}/accept")
            .post(Write(ChangeClientCase), meetings::accept),
        route("/clients/{id}/meetings/{meeting}/other-time")
            .post(Write(ChangeClientCase), meetings::other_time),
        route("/clients/{id}/meetings/{meeting}/cancel")
            .post(Write(ChangeClientCase), meetings::cancel),
        route("/clients/{id}/meetings/{meeting}/agenda")
            .post(Write(ChangeClientCase), meetings::agenda_add),
        route("/clients/{id}/meetings/{meeting}/notes")
            .post(Write(ChangeClientCase), meetings::notes_save),
        route("/clients/{id}/meetings/{meeting}/comments")
            .post(Write(ChangeClientCase), meetings::comment_add),
        route("/me/feedback")
            .get(Read(ViewClientCase), feedback::mine)
            .post(Write(ChangeClientCase), feedback::submit),
        route("/me/feedback/new").get(Read(ViewClientCase), feedback::new_form),
        route("/me/feedback/dismiss").post(Write(ChangeClientCase), feedback::dismiss),
        route("/me/feedback/{response}")
            .get(Form(ChangeClientCase), feedback::change_form)
            .post(Write(ChangeClientCase), feedback::change_submit),
        route("/clients/{id}/feedback").get(Read(ViewSharedFeedback), feedback::client_picture),
        route("/clients/{id}/feedback/open").post(
            Opens(ViewSharedFeedback),
            feedback::client_picture_with_reason,
        ),
        route("/clients/{id}/feedback/talks").post(Write(ViewSharedFeedback), feedback::talk_add),
    ]
}

pub fn router(state: AppState) -> Router {
    let mut router = Router::new();
    for spec in route_table() {
        // A route whose declarations do not fit is not mounted: its address leads nowhere,
        // and the route-table test names it.
        let problems = route_problems(&spec);
        if !problems.is_empty() {
            tracing::error!(?problems, "route not mounted");
            continue;
        }
        let mut methods = MethodRouter::new();
        for (_, used, handler) in spec.methods {
            let gate = axum::middleware::from_fn_with_state(state.clone(), move |st, req, next| {
                gate::enforce(st, used, req, next)
            });
            methods = methods.merge(handler.route_layer(gate));
        }
        router = router.route(spec.path, methods);
    }
    with_layers(router, state)
}

/// Most bodies are a few hundred bytes of form fields; nothing legitimate comes near this.
pub const BODY_LIMIT_BYTES: usize = 256 * 1024;

/// Messages with attachments: the files (at most three of `domain::conversation::attachments::MAX_BYTES`)
/// and the form fields.
pub const UPLOAD_LIMIT_BYTES: usize =
    domain::conversation::MAX_FILES * domain::conversation::attachments::MAX_BYTES + 64 * 1024;

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
    use axum::response::{IntoResponse, Response};
    use http_body_util::BodyExt;
    use std::sync::Arc;
    use tower::ServiceExt;

    #[test]
    fn every_route_declares_what_fits_its_method_and_action() {
        assert_eq!(check(&route_table()), Vec::<String>::new());
    }

    #[test]
    fn a_wrong_label_is_found_and_the_route_not_mounted() {
        async fn edit() -> Response {
            StatusCode::OK.into_response()
        }
        // A post that edits, declared with an action that only reads.
        let table = vec![
            route("/clients/{id}/notes").post(Use::Write(Action::ViewClientCase), edit),
            route("/clients/{id}/notes").get(Use::Read(Action::ViewClientCase), edit),
        ];
        let problems = check(&table);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("POST"), "{problems:?}");
        assert!(problems[1].contains("declared twice"), "{problems:?}");
        assert!(!route_problems(&table[0]).is_empty());
    }

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
        let app = with_layers(
            Router::new().route("/boom", axum::routing::get(boom)),
            state,
        );
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
