//! Need-to-know access through the real router and a real SQLite store: the authorization
//! matrix, audit rows for what staff are shown (and none for what they are refused), and the
//! route table's declared policies.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use domain::audit::{AuditAction, DataKind, NewAuditEvent};
use domain::ids::{AuditId, RequestId};
use domain::roles::Role;
use domain::types::Username;
use http::StatusCode;
use testkit::world::users;
use web::routes::{RoutePolicy, route_table};

const ACTORS: [&str; 8] = [
    users::OWNER_CLIENT,
    users::OTHER_CLIENT,
    users::ASSIGNED_COUNSELOR,
    users::SAME_OFFICE_COUNSELOR,
    users::OTHER_OFFICE_COUNSELOR,
    users::LEADER,
    users::ADMINISTRATOR,
    "anonymous",
];

/// Expected outcome per actor, in the order of `ACTORS`: 200, 404, or "login" (303 to /login).
fn check(route: &str, outcomes: [u16; 8], actual: &[(String, StatusCode, Option<String>)]) {
    for ((who, status, location), expected) in actual.iter().zip(outcomes) {
        match expected {
            303 => assert_eq!(
                (status.as_u16(), location.as_deref()),
                (303, Some("/login")),
                "{route} as {who}: expected a redirect to the login page"
            ),
            code => assert_eq!(status.as_u16(), code, "{route} as {who}"),
        }
    }
}

async fn browsers(app: &TestApp) -> Vec<(String, Browser)> {
    let mut out = Vec::new();
    for who in ACTORS {
        let b = if who == "anonymous" {
            Browser::default()
        } else {
            app.login(who).await
        };
        out.push((who.to_string(), b));
    }
    out
}

#[tokio::test]
async fn the_authorization_matrix_holds_for_every_object_route() {
    let app = TestApp::new().await;
    let mut people = browsers(&app).await;
    let owner = app.world.owner_client;
    let client_page = format!("/clients/{owner}");
    let open_page = format!("/clients/{owner}/open");

    //                       owner other assigned same other-office leader admin anonymous
    let table: Vec<(&str, [u16; 8])> = vec![
        (
            client_page.as_str(),
            [200, 404, 200, 200, 404, 404, 404, 303],
        ),
        ("/me", [200, 200, 404, 404, 404, 404, 404, 303]),
        ("/me/access-log", [200, 200, 404, 404, 404, 404, 404, 303]),
        ("/caseload", [404, 404, 200, 200, 200, 404, 404, 303]),
        ("/caseload/new", [404, 404, 200, 200, 200, 404, 404, 303]),
        ("/insights", [404, 404, 404, 404, 404, 200, 404, 303]),
        // feedback insights (issue 5)
        (
            "/insights/export.csv",
            [404, 404, 404, 404, 404, 200, 404, 303],
        ),
        (
            "/caseload/feedback",
            [404, 404, 200, 200, 200, 404, 404, 303],
        ),
        ("/admin", [404, 404, 404, 404, 404, 404, 200, 303]),
        ("/admin/people", [404, 404, 404, 404, 404, 404, 200, 303]),
        ("/admin/offices", [404, 404, 404, 404, 404, 404, 200, 303]),
        ("/admin/teams", [404, 404, 404, 404, 404, 404, 200, 303]),
        (
            "/admin/client-accounts",
            [404, 404, 404, 404, 404, 404, 200, 303],
        ),
        (
            "/clients/not-a-uuid",
            [404, 404, 404, 404, 404, 404, 404, 303],
        ),
        (
            "/clients/01900000-0000-7000-8000-000000000000",
            [404, 404, 404, 404, 404, 404, 404, 303],
        ),
    ];
    for (route, outcomes) in table {
        let mut actual = Vec::new();
        for (who, b) in people.iter_mut() {
            let r = app.get(b, route).await;
            actual.push((who.clone(), r.status, r.location().map(str::to_string)));
        }
        check(route, outcomes, &actual);
    }
    // The same decision for the POST form that opens a case with a reason.
    let mut actual = Vec::new();
    for (who, b) in people.iter_mut() {
        let r = app
            .post(b, &open_page, &[("reason", "Agreed meeting today")])
            .await;
        actual.push((who.clone(), r.status, r.location().map(str::to_string)));
    }
    check(
        &open_page,
        [200, 404, 200, 200, 404, 404, 404, 303],
        &actual,
    );

    // A client's account, by exact username (issue 11): only the administrator finds it; a
    // protected client's account nobody in the matrix finds (the administrator lacks the
    // protected permission), only an administrator who holds it. The same for a change
    // (enabling an enabled account changes nothing but is decided the same way).
    let protected = app.world.protected_client;
    type Fields<'a> = Vec<(&'a str, &'a str)>;
    let posts: Vec<(String, Fields, [u16; 8])> = vec![
        (
            "/admin/client-accounts".into(),
            vec![("username", users::OWNER_CLIENT)],
            [404, 404, 404, 404, 404, 404, 200, 303],
        ),
        (
            "/admin/client-accounts".into(),
            vec![
                ("username", users::PROTECTED_CLIENT),
                ("reason", "Reset the password today"),
            ],
            [404, 404, 404, 404, 404, 404, 404, 303],
        ),
        (
            format!("/admin/client-accounts/{owner}/enable"),
            vec![],
            [404, 404, 404, 404, 404, 404, 200, 303],
        ),
        (
            format!("/admin/client-accounts/{protected}/enable"),
            vec![("reason", "Reset the password today")],
            [404, 404, 404, 404, 404, 404, 404, 303],
        ),
    ];
    let mut permitted = app.login(users::PROTECTED_ACCESS_ADMINISTRATOR).await;
    for (route, fields, outcomes) in &posts {
        let mut actual = Vec::new();
        for (who, b) in people.iter_mut() {
            let r = app.post(b, route, fields).await;
            actual.push((who.clone(), r.status, r.location().map(str::to_string)));
        }
        check(route, *outcomes, &actual);
        let r = app.post(&mut permitted, route, fields).await;
        assert_eq!(
            r.status,
            StatusCode::OK,
            "{route} {fields:?} as the administrator with the protected permission"
        );
    }
}

#[tokio::test]
async fn staff_views_are_audited_and_refusals_leave_no_trace() {
    let app = TestApp::new().await;
    let page = format!("/clients/{}", app.world.owner_client);

    let before = app.audit_count().await;
    for who in [
        users::OTHER_OFFICE_COUNSELOR,
        users::LEADER,
        users::ADMINISTRATOR,
        users::OTHER_CLIENT,
    ] {
        let mut b = app.login(who).await;
        assert_eq!(
            app.get(&mut b, &page).await.status,
            StatusCode::NOT_FOUND,
            "{who}"
        );
    }
    assert_eq!(
        app.audit_count().await,
        before,
        "a refused request writes no audit row"
    );

    let mut owner = app.login(users::OWNER_CLIENT).await;
    app.get(&mut owner, "/me").await;
    assert_eq!(
        app.audit_count().await,
        before,
        "the client reading their own case is not staff access"
    );

    let mut counselor = app.login(users::SAME_OFFICE_COUNSELOR).await;
    let r = app.get(&mut counselor, &page).await;
    assert!(r.body.contains("Olga Owner"));
    assert_eq!(
        app.audit_count().await,
        before + 1,
        "one audit row for one staff view"
    );

    let log = app.get(&mut owner, "/me/access-log").await;
    assert!(
        log.body.contains("Siri Same"),
        "the client sees who looked: {}",
        log.body
    );
    assert!(
        !log.body.contains("Olav Other"),
        "refused staff do not appear"
    );
}

#[tokio::test]
async fn protected_clients_are_invisible_without_permission_and_need_a_reason() {
    let app = TestApp::new().await;
    let page = format!("/clients/{}", app.world.protected_client);

    let mut plain = app.login(users::ASSIGNED_COUNSELOR).await;
    assert_eq!(
        app.get(&mut plain, &page).await.status,
        StatusCode::NOT_FOUND
    );
    // The caseload lists the viewer's own clients only, so the protected client must be this
    // counselor's for the list to show that protection, and nothing else, keeps her out.
    let same_id = domain::accounts::AccountsStore::credentials_by_username(
        app.store.as_ref(),
        &Username::parse(users::SAME_OFFICE_COUNSELOR).unwrap(),
    )
    .await
    .unwrap()
    .expect("the same-office counselor")
    .user_id;
    domain::cases::store::CasesStore::assign_counselor(
        app.store.as_ref(),
        app.world.protected_client,
        same_id,
        NewAuditEvent {
            id: AuditId::new(),
            at: time::OffsetDateTime::UNIX_EPOCH,
            actor_id: app.world.admin_id,
            actor_role: Role::Administrator,
            client_id: app.world.protected_client,
            data_kind: DataKind::Assignment,
            action: AuditAction::Changed,
            request_id: RequestId::new(),
            reason: None,
            listed: Vec::new(),
        },
    )
    .await
    .unwrap();
    let mut same = app.login(users::SAME_OFFICE_COUNSELOR).await;
    let list = app.get(&mut same, "/caseload").await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(
        list.body.contains("Otto Otherclient"),
        "the list shows the counselor's own clients: {}",
        list.body
    );
    assert!(
        !list.body.contains("Paula Protected"),
        "the counselor's own protected client is not listed without the permission"
    );

    let mut permitted = app.login(users::PROTECTED_ACCESS_COUNSELOR).await;
    let before = app.audit_count().await;
    let form = app.get(&mut permitted, &page).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("name=\"reason\""));
    assert!(
        !form.body.contains("Paula Protected"),
        "no personal data before a reason is given"
    );
    assert_eq!(app.audit_count().await, before);

    let short = app
        .post(&mut permitted, &format!("{page}/open"), &[("reason", "x")])
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!short.body.contains("Paula Protected"));

    let opened = app
        .post(
            &mut permitted,
            &format!("{page}/open"),
            &[("reason", "Planned meeting about housing")],
        )
        .await;
    assert_eq!(opened.status, StatusCode::OK);
    assert!(opened.body.contains("Paula Protected"));
    let rows = app.store.as_ref();
    let last = domain::audit::AuditStore::audit_rows(rows, before, 10)
        .await
        .unwrap();
    assert_eq!(last.len(), 1);
    assert_eq!(
        last[0].event.reason.as_ref().map(|r| r.as_str()),
        Some("Planned meeting about housing")
    );
}

#[tokio::test]
async fn every_route_declares_a_policy_and_anonymous_requests_never_reach_a_protected_route() {
    let app = TestApp::new().await;
    let table = route_table();
    let public: Vec<&str> = table
        .iter()
        .filter(|r| r.policy == RoutePolicy::Public)
        .map(|r| r.path)
        .collect();
    assert_eq!(
        public,
        [
            "/healthz",
            "/readyz",
            "/assets/{hash}/{name}",
            "/",
            "/login",
            "/logout",
            "/language",
            "/setup"
        ],
        "a new public route must be added here on purpose"
    );
    for spec in table.iter().filter(|r| r.policy != RoutePolicy::Public) {
        let path = spec
            .path
            .replace("{id}", &app.world.owner_client.to_string());
        let mut anon = Browser::default();
        let got = app.get(&mut anon, &path).await;
        let posted = app.post(&mut anon, &path, &[]).await;
        for r in [got, posted] {
            assert!(
                r.status == StatusCode::SEE_OTHER && r.location() == Some("/login")
                    || r.status == StatusCode::METHOD_NOT_ALLOWED,
                "{path}: anonymous got {} {}",
                r.status,
                r.body.chars().take(200).collect::<String>()
            );
        }
    }
}
