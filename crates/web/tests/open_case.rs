//! Opening a new client case (`/caseload/new`) through the real router and a real SQLite
//! store: a counselor opens a case with a login for the client, who can then log in and see it;
//! only counselors at the office reach the form; a protected case needs the permission; bad
//! input is refused with nothing stored; names are shown escaped.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use domain::accounts::AccountsStore;
use domain::audit::AuditStore;
use domain::audit::{AuditAction, DataKind};
use domain::cases::CasesStore;
use domain::ids::ClientId;
use domain::policy::{CaseloadScope, OfficeScope};
use http::StatusCode;
use testkit::db::{Db, Table};
use testkit::world::users;

/// Form fields as posted.
type Fields<'a> = &'a [(&'a str, &'a str)];

const NEW_PASSWORD: &str = "river stone lantern 48";

async fn english(app: &TestApp, who: &str) -> Browser {
    let mut b = app.login(who).await;
    b.accept_language = Some("en".into());
    b
}

/// Everything that opening a case writes: (users, clients in the organisation, audit rows).
async fn stored(app: &TestApp) -> (i64, usize, i64) {
    let scope = CaseloadScope {
        counselor_id: app.world.admin_id,
        offices: [app.world.office_a, app.world.office_b]
            .into_iter()
            .map(|office_id| OfficeScope {
                office_id,
                include_protected: true,
            })
            .collect(),
    };
    (
        Db::Sqlite(app.store.pool().clone())
            .count(Table::Users)
            .await,
        app.store.list_clients(&scope, false).await.unwrap().len(),
        app.audit_count().await,
    )
}

fn case_id(location: Option<&str>) -> ClientId {
    let location = location.expect("a redirect");
    location
        .strip_prefix("/clients/")
        .expect("to the case page")
        .parse()
        .expect("an id, nothing else")
}

#[tokio::test]
async fn a_counselor_opens_a_case_with_a_login_and_the_client_sees_it() {
    let app = TestApp::new().await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let office_a = app.world.office_a.to_string();

    let r = app.get(&mut counselor, "/caseload").await;
    assert!(r.body.contains(r#"href="/caseload/new""#), "{}", r.body);
    let r = app.get(&mut counselor, "/caseload/new").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Open a new case"), "{}", r.body);
    assert!(r.body.contains(r#"name="csrf_token""#));
    assert!(r.body.contains("Kontor A"));
    assert!(!r.body.contains("Kontor B"), "only the counselor's offices");
    assert!(
        !r.body.contains(r#"id="protected""#),
        "no protected choice without the permission"
    );

    let (users_before, clients_before, audit_before) = stored(&app).await;
    let r = app
        .post(
            &mut counselor,
            "/caseload/new",
            &[
                ("name", "Kari Nordmann"),
                ("office", &office_a),
                ("username", "kari-nordmann"),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = case_id(r.location());
    assert_eq!(
        stored(&app).await,
        (users_before + 1, clients_before + 1, audit_before + 2)
    );
    let scope = app.store.client_scope(id).await.unwrap().unwrap();
    assert_eq!(scope.office_id, app.world.office_a);
    assert_eq!(
        scope.assigned_counselor,
        Some(app.world.assigned_counselor_id)
    );
    assert!(!scope.protected);
    let rows = app.store.audit_rows(audit_before, 10).await.unwrap();
    let rows: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.event.actor_id,
                r.event.client_id,
                r.event.data_kind,
                r.event.action,
            )
        })
        .collect();
    let me = app.world.assigned_counselor_id;
    assert_eq!(
        rows,
        vec![
            (me, id, DataKind::CaseOverview, AuditAction::Created),
            (me, id, DataKind::Assignment, AuditAction::Changed),
        ]
    );

    // The case is in the counselor's caseload and opens for them.
    let r = app.get(&mut counselor, "/caseload").await;
    assert!(r.body.contains("Kari Nordmann"), "{}", r.body);
    assert!(r.body.contains(&format!("/clients/{id}")));
    let r = app.get(&mut counselor, &format!("/clients/{id}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Kari Nordmann"));

    // The client logs in with the first password and sees their own case.
    let mut client = Browser::default();
    let r = app
        .post(
            &mut client,
            "/login",
            &[("username", "kari-nordmann"), ("password", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.get(&mut client, "/me").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Kari Nordmann"), "{}", r.body);
    let username = domain::types::Username::parse("kari-nordmann").unwrap();
    let account = app.store.credentials_by_username(&username).await.unwrap();
    let actor = app.store.actor(account.unwrap().user_id).await.unwrap();
    let actor = actor.unwrap();
    assert_eq!(actor.own_client, Some(id));
    assert!(actor.grants.is_empty(), "a client has no role grant");
    // Other clients stay out of reach for the new client.
    let other = app
        .get(&mut client, &format!("/clients/{}", app.world.owner_client))
        .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_case_without_a_login_is_opened_too() {
    let app = TestApp::new().await;
    let mut counselor = english(&app, users::SAME_OFFICE_COUNSELOR).await;
    let (users_before, clients_before, audit_before) = stored(&app).await;
    let office_a = app.world.office_a.to_string();
    let r = app
        .post(
            &mut counselor,
            "/caseload/new",
            &[("name", "Per Uten Innlogging"), ("office", &office_a)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    case_id(r.location());
    assert_eq!(
        stored(&app).await,
        (users_before, clients_before + 1, audit_before + 2)
    );
}

#[tokio::test]
async fn only_counselors_at_the_office_reach_the_form() {
    let app = TestApp::new().await;
    let office_a = app.world.office_a.to_string();
    let before = stored(&app).await;
    let fields = [
        ("name", "Kari Nordmann"),
        ("office", office_a.as_str()),
        ("username", "kari-nordmann"),
        ("password", NEW_PASSWORD),
    ];
    for who in [users::LEADER, users::ADMINISTRATOR, users::OWNER_CLIENT] {
        let mut b = app.login(who).await;
        let r = app.get(&mut b, "/caseload/new").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "GET as {who}");
        let r = app.post(&mut b, "/caseload/new", &fields).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "POST as {who}");
    }
    let mut anonymous = Browser::default();
    for r in [
        app.get(&mut anonymous, "/caseload/new").await,
        app.post(&mut anonymous, "/caseload/new", &fields).await,
    ] {
        assert_eq!(r.status, StatusCode::SEE_OTHER);
        assert_eq!(r.location(), Some("/login"));
    }
    // A counselor at office B does not reach office A (out of reach, as if it did not exist).
    let mut elsewhere = app.login(users::OTHER_OFFICE_COUNSELOR).await;
    let r = app.get(&mut elsewhere, "/caseload/new").await;
    assert!(r.body.contains("Kontor B") && !r.body.contains("Kontor A"));
    let r = app.post(&mut elsewhere, "/caseload/new", &fields).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // An office that is no office at all.
    let mut counselor = app.login(users::ASSIGNED_COUNSELOR).await;
    for office in ["", "not-an-id", "01900000-0000-7000-8000-000000000000"] {
        let r = app
            .post(
                &mut counselor,
                "/caseload/new",
                &[("name", "Kari Nordmann"), ("office", office)],
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "office {office:?}");
    }
    assert_eq!(stored(&app).await, before, "nothing stored");
}

#[tokio::test]
async fn a_protected_case_needs_the_permission_at_the_office() {
    let app = TestApp::new().await;
    let office_a = app.world.office_a.to_string();
    let fields = [
        ("name", "Skjult Person"),
        ("office", office_a.as_str()),
        ("protected", "on"),
    ];
    let before = stored(&app).await;
    let mut without = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = app.post(&mut without, "/caseload/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("Protected client: You cannot open a protected case at this office."),
        "{}",
        r.body
    );
    assert_eq!(stored(&app).await, before, "nothing stored");

    let mut with = english(&app, users::PROTECTED_ACCESS_COUNSELOR).await;
    let r = app.get(&mut with, "/caseload/new").await;
    assert!(r.body.contains(r#"id="protected""#), "{}", r.body);
    let r = app.post(&mut with, "/caseload/new", &fields).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = case_id(r.location());
    let scope = app.store.client_scope(id).await.unwrap().unwrap();
    assert!(scope.protected);
    // Colleagues without the permission do not see it; even its counselor states a reason.
    let r = app.get(&mut without, &format!("/clients/{id}")).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.get(&mut without, "/caseload").await;
    assert!(!r.body.contains("Skjult Person"));
}

#[tokio::test]
async fn bad_input_is_refused_with_the_form_again_and_nothing_stored() {
    let app = TestApp::new().await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let office_a = app.world.office_a.to_string();
    let before = stored(&app).await;
    let cases: [(Fields, &str, &str); 5] = [
        (
            &[
                ("name", "  "),
                ("username", "kari-n"),
                ("password", NEW_PASSWORD),
            ],
            "name",
            "Name: Please fill in this field.",
        ),
        (
            // A taken username: checked in the same transaction that would store the case.
            &[
                ("name", "Kari Nordmann"),
                ("username", users::OWNER_CLIENT),
                ("password", NEW_PASSWORD),
            ],
            "username",
            "Username: This username is already taken. Choose another.",
        ),
        (
            &[
                ("name", "Kari Nordmann"),
                ("username", "kari-n"),
                ("password", "short"),
            ],
            "password",
            "Password: ",
        ),
        (
            &[
                ("name", "Kari Nordmann"),
                ("username", "kari-n"),
                ("password", "kari-n is my password"),
            ],
            "password",
            "Password: ",
        ),
        (
            &[("name", "Kari Nordmann"), ("username", "kari-n")],
            "password",
            "Password: Please fill in this field.",
        ),
    ];
    for (fields, field, message) in cases {
        let mut all = fields.to_vec();
        all.push(("office", &office_a));
        let r = app.post(&mut counselor, "/caseload/new", &all).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{fields:?}");
        assert!(r.body.contains(message), "{fields:?}: {}", r.body);
        assert!(
            r.body.contains(&format!(r##"href="#{field}""##)),
            "error summary links the field"
        );
        assert!(
            r.body.contains(&format!(r#"id="{field}-error""#)),
            "the message is next to the field"
        );
        assert!(
            r.body
                .contains(&format!(r#"aria-describedby="{field}-hint {field}-error""#))
                || r.body
                    .contains(&format!(r#"aria-describedby="{field}-error""#)),
            "the field is described by its message"
        );
        for (_, value) in fields.iter().filter(|(k, _)| *k == "password") {
            assert!(!r.body.contains(value), "the password is never echoed");
        }
        if let Some((_, name)) = fields
            .iter()
            .find(|(k, v)| *k == "name" && !v.trim().is_empty())
        {
            assert!(
                r.body.contains(&format!(r#"value="{name}""#)),
                "typed input kept"
            );
        }
    }
    assert_eq!(stored(&app).await, before, "nothing stored");
}

#[tokio::test]
async fn a_name_with_markup_is_shown_escaped() {
    let app = TestApp::new().await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let office_a = app.world.office_a.to_string();
    let name = "<script>alert(1)</script> Nordmann";
    // Re-shown after an error: escaped in the value.
    let r = app
        .post(
            &mut counselor,
            "/caseload/new",
            &[("name", name), ("office", &office_a), ("username", "x y")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!r.body.contains("<script>alert"), "{}", r.body);
    assert!(r.body.contains("&#60;script&#62;"), "{}", r.body);
    let r = app
        .post(
            &mut counselor,
            "/caseload/new",
            &[("name", name), ("office", &office_a)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let id = case_id(r.location());
    for page in ["/caseload".to_string(), format!("/clients/{id}")] {
        let r = app.get(&mut counselor, &page).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(!r.body.contains("<script>alert"), "{page}");
        assert!(
            r.body
                .contains("&#60;script&#62;alert(1)&#60;/script&#62; Nordmann"),
            "{page}"
        );
    }
}
