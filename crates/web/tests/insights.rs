//! Anonymous feedback figures through the real router on a real SQLite store: a leader sees
//! the office figure when five clients answered and "too few answers to show" when four did;
//! nobody else reaches the pages; the CSV export is an escaped attachment; the counselor's
//! own aggregate hides a small unshared remainder; no audit rows.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::TestApp;
use domain::accounts::AccountsStore;
use domain::accounts::store::NewUser;
use domain::feedback::Quarter;
use domain::feedback::grouping::FeedbackRow;
use domain::ids::{ClientId, TeamId, UserId};
use domain::organisation::OrganisationStore;
use domain::organisation::store::NewTeam;
use domain::ports::{Clock, PasswordHasher};
use domain::roles::{Role, RoleGrant};
use domain::types::{PersonName, Secret, UnitName, Username};
use http::{StatusCode, header};
use testkit::conformance::insights::{Raw, insert_rows, response};
use testkit::conformance::{Fixture, new_client, user};
use testkit::world::users;

/// The quarter a leader sees last at the test clock's time (2 March 2026).
fn q4() -> Quarter {
    Quarter::new(2025, 4).unwrap()
}

fn fixture(app: &TestApp) -> Fixture {
    Fixture {
        org: app.world.org,
        office_a: app.world.office_a,
        office_b: app.world.office_b,
        counselor_a: app.world.assigned_counselor_id,
        counselor_b: app.world.assigned_counselor_id,
        admin: app.world.admin_id,
    }
}

async fn second_counselor(app: &TestApp) -> UserId {
    let u = user(
        app.world.org,
        "second-counselor",
        vec![RoleGrant {
            role: Role::Counselor,
            office_id: Some(app.world.office_a),
        }],
    );
    let id = u.id;
    app.store.create_user(u).await.unwrap();
    id
}

/// `n` clients of office A who each answered once in 2025-Q4, alternating between two
/// counselors, scores 7 and 9 in turn; `unshared` of the assigned counselor's are not shared.
async fn answers(app: &TestApp, n: usize, unshared: usize) -> Vec<ClientId> {
    let f = fixture(app);
    let other = second_counselor(app).await;
    let mut rows: Vec<FeedbackRow> = Vec::new();
    let mut clients = Vec::new();
    let mut unshared_left = unshared;
    for i in 0..n {
        let c = new_client(
            app.store.as_ref(),
            &f,
            f.office_a,
            &format!("Svar {i}"),
            false,
            None,
        )
        .await;
        clients.push(c);
        let counselor = if i % 2 == 0 { f.counselor_a } else { other };
        let shared = if counselor == f.counselor_a && unshared_left > 0 {
            unshared_left -= 1;
            false
        } else {
            true
        };
        let score = if i % 2 == 0 { 7 } else { 9 };
        rows.push(response(c, q4(), None, Some(counselor), score, shared));
    }
    insert_rows(Raw::Sqlite(app.store.pool()), f.office_a, f.admin, &rows).await;
    clients
}

fn english(mut b: common::Browser) -> common::Browser {
    b.accept_language = Some("en".into());
    b
}

#[tokio::test]
async fn a_leader_sees_five_clients_and_not_four() {
    let app = TestApp::new().await;
    answers(&app, 5, 0).await;
    let mut leader = english(app.login(users::LEADER).await);
    let before = app.audit_count().await;
    let r = app.get(&mut leader, "/insights").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    // (7 + 9 + 7 + 9 + 7) / 5 = 7.8, five clients, all of them answered.
    assert!(
        r.body
            .contains("<th scope=\"row\">2025-Q4</th><td>7.8</td><td>5</td>"),
        "{}",
        r.body
    );
    assert!(r.body.contains("Respect: 7.8 of 10 in 2025-Q4."));
    assert!(
        r.body
            .contains("In 2025-Q4, 100 % of the clients asked answered.")
    );
    assert_eq!(
        app.audit_count().await,
        before,
        "aggregates write no audit rows"
    );

    let app = TestApp::new().await;
    answers(&app, 4, 0).await;
    let mut leader = english(app.login(users::LEADER).await);
    let r = app.get(&mut leader, "/insights").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body
            .contains("<th scope=\"row\">2025-Q4</th><td>too few answers to show</td>"),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("8.0") && !r.body.contains(">4<"),
        "{}",
        r.body
    );
    assert!(
        r.body
            .contains("Respect: too few answers to show in any quarter.")
    );
}

#[tokio::test]
async fn a_chosen_quarter_must_be_a_published_one() {
    let app = TestApp::new().await;
    answers(&app, 6, 0).await;
    let mut leader = english(app.login(users::LEADER).await);
    for q in ["2025-Q4", "2026-Q1", "1999-Q1", "%3Cscript%3E", "2025-Q3"] {
        let r = app
            .get(&mut leader, &format!("/insights?quarter={q}"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let shown = if q == "2025-Q3" { "2025-Q3" } else { "2025-Q4" };
        assert!(r.body.contains(&format!("Teams in {shown}</h3>")), "{q}");
        assert!(
            !r.body.contains("2026-Q1"),
            "the running quarter is never shown"
        );
    }
}

#[tokio::test]
async fn only_leaders_of_the_office_reach_the_figures() {
    let app = TestApp::new().await;
    answers(&app, 6, 0).await;
    for who in [
        users::OWNER_CLIENT,
        users::ASSIGNED_COUNSELOR,
        users::SAME_OFFICE_COUNSELOR,
        users::ADMINISTRATOR,
    ] {
        let mut b = app.login(who).await;
        for path in ["/insights", "/insights/export.csv"] {
            let r = app.get(&mut b, path).await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{path} as {who}");
            assert!(!r.body.contains("2025-Q4"));
        }
    }
    // A leader of office B sees office B only.
    let hash = web::Argon2Hasher::for_tests()
        .hash(&Secret::new(testkit::world::PASSWORD))
        .await
        .unwrap();
    app.store
        .create_user(NewUser {
            id: UserId::new(),
            organisation_id: app.world.org,
            username: Username::parse("leader-b").unwrap(),
            display_name: PersonName::parse("Leif Leader").unwrap(),
            password_hash: Some(hash),
            grants: vec![RoleGrant {
                role: Role::Leader,
                office_id: Some(app.world.office_b),
            }],
            protected_access: vec![],
            created_at: Clock::now(&app.clock),
        })
        .await
        .unwrap();
    let mut b = english(app.login("leader-b").await);
    let r = app.get(&mut b, "/insights").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Kontor B") && !r.body.contains("Kontor A"));
    assert!(!r.body.contains("7.8"), "office A's figures do not leak");
    let csv = app.get(&mut b, "/insights/export.csv").await;
    assert!(!csv.body.contains("Kontor A") && !csv.body.contains(",\"6\","));
    // Anonymous: the login page.
    let mut anon = common::Browser::default();
    let r = app.get(&mut anon, "/insights/export.csv").await;
    assert_eq!(r.location(), Some("/login"));
}

#[tokio::test]
async fn the_csv_export_is_an_escaped_attachment_of_the_published_figures() {
    let app = TestApp::new().await;
    for name in [
        "=HYPERLINK(\"http://x\";\"y\")",
        "@SUM(A1)",
        "Team, \"Øst\"",
    ] {
        app.store
            .create_team(NewTeam {
                id: TeamId::new(),
                office_id: app.world.office_a,
                name: UnitName::parse(name).unwrap(),
                created_at: Clock::now(&app.clock),
            })
            .await
            .unwrap();
    }
    answers(&app, 6, 0).await;
    let mut leader = english(app.login(users::LEADER).await);
    let r = app.get(&mut leader, "/insights/export.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    assert!(
        r.headers[header::CONTENT_DISPOSITION]
            .to_str()
            .unwrap()
            .starts_with("attachment;")
    );
    assert!(
        r.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let body = r.body.trim_start_matches('\u{feff}');
    let lines: Vec<&str> = body.split("\r\n").collect();
    assert_eq!(
        lines[0],
        "\"Office\",\"Team\",\"Quarter\",\"Measure\",\"Clients\",\"Average (0 to 10)\",\"Response rate\""
    );
    // (7 + 9 + 7 + 9 + 7 + 9) / 6 = 8.0, six clients.
    assert!(
        lines
            .contains(&"\"Kontor A\",\"Whole office\",\"2025-Q4\",\"relation\",\"6\",\"8.0\",\"\"")
    );
    assert!(
        lines
            .contains(&"\"Kontor A\",\"Whole office\",\"2025-Q4\",\"answered\",\"6\",\"\",\"100\"")
    );
    assert!(lines.contains(
        &"\"Kontor A\",\"Whole office\",\"2025-Q3\",\"relation\",\"too few answers to show\",\"\",\"\""
    ));
    // Team names cannot start a formula; every cell is quoted.
    assert!(
        body.contains(
            "\"Kontor A\",\"'=HYPERLINK(\"\"http://x\"\";\"\"y\"\")\",\"2025-Q4\",\"reached\","
        ),
        "{body}"
    );
    assert!(body.contains("\"Kontor A\",\"'@SUM(A1)\",\"2025-Q4\","));
    assert!(body.contains("\"Kontor A\",\"Team, \"\"Øst\"\"\",\"2025-Q4\","));
    assert!(!body.contains(",\"=") && !body.contains(",\"@"));
    assert_eq!(formula_starts(body), Vec::<String>::new(), "{body}");
}

#[tokio::test]
async fn a_counselor_sees_their_own_aggregate_unless_a_few_did_not_share() {
    // 12 clients, 6 of them the assigned counselor's, all shared.
    let app = TestApp::new().await;
    answers(&app, 12, 0).await;
    let mut me = english(app.login(users::ASSIGNED_COUNSELOR).await);
    let r = app.get(&mut me, "/caseload/feedback").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.headers[header::CACHE_CONTROL], "no-store");
    // Own: six clients, all scoring 7; office: 8.0 over twelve.
    assert!(
        r.body.contains(
            "<th scope=\"row\">2025-Q4</th><td>7.0 (6 clients)</td><td>8.0 (12 clients)</td>"
        ),
        "{}",
        r.body
    );

    // Two of the six did not share: the counselor could subtract the four shared answers.
    let app = TestApp::new().await;
    answers(&app, 12, 2).await;
    let mut me = english(app.login(users::ASSIGNED_COUNSELOR).await);
    let r = app.get(&mut me, "/caseload/feedback").await;
    assert!(
        r.body.contains(
            "<th scope=\"row\">2025-Q4</th><td>too few answers to show</td><td>8.0 (12 clients)</td>"
        ),
        "{}",
        r.body
    );
    for who in [users::OWNER_CLIENT, users::LEADER, users::ADMINISTRATOR] {
        let mut b = app.login(who).await;
        let r = app.get(&mut b, "/caseload/feedback").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
    }
}

/// Every piece of `body` that a spreadsheet could make a cell of, whether it honours quotes
/// or splits on `;`, `,`, tabs and line breaks regardless: none may start a formula.
fn formula_starts(body: &str) -> Vec<String> {
    body.split([',', ';', '\t', '\n', '\r'])
        .map(|piece| piece.trim_start_matches(['"', ' ']))
        .filter(|piece| piece.starts_with(['=', '+', '-', '@']))
        .map(String::from)
        .collect()
}

#[tokio::test]
async fn a_team_name_with_semicolons_cannot_smuggle_a_formula_into_the_csv() {
    let app = TestApp::new().await;
    for name in ["Team x;=1+1;", "Team y, +2;-3;@4"] {
        app.store
            .create_team(NewTeam {
                id: TeamId::new(),
                office_id: app.world.office_a,
                name: UnitName::parse(name).unwrap(),
                created_at: Clock::now(&app.clock),
            })
            .await
            .unwrap();
    }
    answers(&app, 6, 0).await;
    let mut leader = english(app.login(users::LEADER).await);
    let r = app.get(&mut leader, "/insights/export.csv").await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r.body.trim_start_matches('\u{feff}');
    // Norwegian Excel splits on `;`: the team's cell must not yield a bare `=1+1`.
    assert_eq!(formula_starts(body), Vec::<String>::new(), "{body}");
    // Read as CSV (quotes honoured), the name is still there, neutralised.
    assert!(body.contains("\"Team x;'=1+1;\""), "{body}");
    // Every cell is quoted, so a `;` or `,` inside one never splits it in a spreadsheet
    // that honours quotes.
    for line in body.split("\r\n").filter(|l| !l.is_empty()) {
        assert!(line.starts_with('"') && line.ends_with('"'), "{line}");
    }
}
