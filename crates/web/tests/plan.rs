//! The shared plan through the real router and a real SQLite store: parallel edits, agreements
//! both sides sign, conditions whose consequence the client must have seen, status rules,
//! escaping, need-to-know refusals and the readable history.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, Reply, TestApp};
use domain::ids::ClientId;
use http::StatusCode;
use testkit::world::users;

async fn english(app: &TestApp, who: &str) -> Browser {
    let mut b = app.login(who).await;
    b.accept_language = Some("en".into());
    b
}

fn activity_id(r: &Reply) -> String {
    assert_eq!(
        r.status,
        StatusCode::SEE_OTHER,
        "expected a redirect: {}",
        r.body
    );
    r.location()
        .and_then(|l| l.rsplit('/').next())
        .unwrap()
        .to_string()
}

async fn add_activity(app: &TestApp, b: &mut Browser, client: ClientId, title: &str) -> String {
    let r = app
        .post(
            b,
            &format!("/clients/{client}/activities"),
            &[("kind", "own"), ("title", title), ("description", "")],
        )
        .await;
    activity_id(&r)
}

async fn plan_rows(app: &TestApp, client: ClientId) -> Vec<String> {
    let plan =
        domain::plan::PlanStore::read_plan(app.store.as_ref(), &testkit::access(client, None))
            .await
            .unwrap()
            .unwrap();
    plan.items.into_iter().map(|i| i.data).collect()
}

#[tokio::test]
async fn two_parallel_edits_of_one_activity_exactly_one_wins() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let id = add_activity(&app, &mut client, owner, "Walk every morning").await;
    let path = format!("/clients/{owner}/activities/{id}");

    let (a, b) = tokio::join!(
        app.post(
            &mut client,
            &path,
            &[
                ("version", "1"),
                ("kind", "own"),
                ("title", "Walk every morning, 30 minutes")
            ]
        ),
        app.post(
            &mut counselor,
            &path,
            &[
                ("version", "1"),
                ("kind", "own"),
                ("title", "Walk on weekdays")
            ]
        ),
    );
    let statuses = [a.status, b.status];
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "exactly one edit succeeds: {statuses:?}"
    );
    let (winner, loser, loser_text) = if a.status == StatusCode::SEE_OTHER {
        (a, b, "Walk on weekdays")
    } else {
        (b, a, "Walk every morning, 30 minutes")
    };
    assert!(winner.location().is_some());
    assert_eq!(loser.status, StatusCode::CONFLICT);
    assert!(
        loser
            .body
            .contains("Someone else changed this while you were working"),
        "the loser is told why: {}",
        loser.body
    );
    assert!(loser.body.contains(loser_text), "the loser's input is kept");
    // Exactly one change stored: the item is at version 2 with the winner's title.
    let rows = plan_rows(&app, owner).await;
    let stored = rows.iter().find(|d| d.contains("Walk")).unwrap();
    assert!(
        !stored.contains(loser_text),
        "the losing edit was not stored"
    );
}

#[tokio::test]
async fn a_condition_is_agreed_only_when_the_client_confirms_having_seen_its_consequence() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let id = add_activity(&app, &mut counselor, owner, "Job club").await;
    let terms = format!("/clients/{owner}/activities/{id}/terms");
    let confirm = format!("/clients/{owner}/activities/{id}/confirm");
    let page = format!("/clients/{owner}/activities/{id}");

    // A condition without its consequence is refused, next to the field.
    let r = app
        .post(
            &mut counselor,
            &terms,
            &[
                ("version", "1"),
                ("what", "Attend job club"),
                ("condition", "on"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body.contains("id=\"consequence-error\""),
        "error next to the field"
    );
    // The client cannot set a condition.
    let r = app
        .post(
            &mut client,
            &terms,
            &[
                ("version", "1"),
                ("what", "Attend"),
                ("condition", "on"),
                ("consequence", "x"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("This is not something you can change"));

    let r = app
        .post(
            &mut counselor,
            &terms,
            &[
                ("version", "1"),
                ("what", "Attend job club three mornings a week"),
                ("how_often", "Three mornings a week"),
                ("condition", "on"),
                (
                    "consequence",
                    "The benefit can be reduced. We always talk first.",
                ),
                ("adaptation", "May come at ten on Tuesdays"),
                ("adaptation_reason", "Long bus journey"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    // The proposer cannot confirm their own proposal.
    let r = app
        .post(&mut counselor, &confirm, &[("version", "2")])
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The client sees the consequence before confirming, and must tick that they did.
    let r = app.get(&mut client, &page).await;
    assert!(
        r.body
            .contains("The benefit can be reduced. We always talk first.")
    );
    assert!(r.body.contains("name=\"consequence_seen\""));
    let before = app.audit_count().await;
    let r = app.post(&mut client, &confirm, &[("version", "2")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("Please tick the box to confirm"));
    assert_eq!(
        app.audit_count().await,
        before,
        "a refused confirmation changes nothing"
    );

    let r = app
        .post(
            &mut client,
            &confirm,
            &[("version", "2"), ("consequence_seen", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&mut counselor, &page).await;
    assert!(r.body.contains("Agreed"));
    assert!(r.body.contains("May come at ten on Tuesdays"));

    // A change to the agreed terms waits for the client; the old terms hold meanwhile.
    let r = app
        .post(
            &mut counselor,
            &terms,
            &[
                ("version", "3"),
                ("what", "Attend job club two mornings a week"),
                ("condition", "on"),
                (
                    "consequence",
                    "The benefit can be reduced. We always talk first.",
                ),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stored = plan_rows(&app, owner).await.join("");
    assert!(stored.contains("\"agreed\":{\"what\":\"Attend job club three mornings a week\""));
    let r = app.get(&mut client, &page).await;
    assert!(r.body.contains("Proposed change, from the counselor"));
    let r = app
        .post(
            &mut client,
            &confirm,
            &[("version", "4"), ("consequence_seen", "on")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let stored = plan_rows(&app, owner).await.join("");
    assert!(stored.contains("\"agreed\":{\"what\":\"Attend job club two mornings a week\""));

    // Both see the history in sentences.
    for b in [&mut client, &mut counselor] {
        let r = app.get(b, &format!("/clients/{owner}/history")).await;
        assert_eq!(r.status, StatusCode::OK);
        assert!(
            r.body.contains("confirmed the changed agreement for"),
            "{}",
            r.body
        );
        assert!(r.body.contains("proposed an agreement for"));
    }
}

#[tokio::test]
async fn status_rules_hold_and_finished_activities_are_read_only() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let id = add_activity(&app, &mut client, owner, "Course in customer service").await;
    let status = format!("/clients/{owner}/activities/{id}/status");

    // Proposed cannot jump to completed; the proposer cannot approve their own proposal.
    let r = app
        .post(
            &mut client,
            &status,
            &[("version", "1"), ("status", "completed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body
            .contains("That change of status is not possible from here")
    );
    let r = app
        .post(
            &mut client,
            &status,
            &[("version", "1"), ("status", "planned")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The other side approves.
    let r = app
        .post(
            &mut counselor,
            &status,
            &[("version", "1"), ("status", "planned")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app
        .post(
            &mut client,
            &status,
            &[("version", "2"), ("status", "completed")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Completed is read-only.
    let before = plan_rows(&app, owner).await;
    let r = app
        .post(
            &mut client,
            &format!("/clients/{owner}/activities/{id}"),
            &[
                ("version", "3"),
                ("kind", "own"),
                ("title", "Changed after the fact"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("finished and can no longer be changed"));
    assert_eq!(plan_rows(&app, owner).await, before);
}

#[tokio::test]
async fn text_is_stored_as_typed_and_shown_escaped_and_bad_dates_are_refused() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let goals = format!("/clients/{owner}/goals");
    let r = app
        .post(
            &mut client,
            &goals,
            &[
                ("text", "<script>alert(1)</script> a job"),
                ("target_date", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&mut client, "/me").await;
    let at = r.body.find("alert(1)").unwrap();
    assert!(
        r.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62; a job"),
        "{}",
        &r.body[at - 40..at + 40]
    );
    assert!(!r.body.contains("<script>alert(1)"));

    let before = plan_rows(&app, owner).await;
    let r = app
        .post(
            &mut client,
            &goals,
            &[("text", "A second goal"), ("target_date", "1899-02-30")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("This is not a date"));
    assert!(
        r.body.contains("value=\"A second goal\""),
        "the input is kept"
    );
    let r = app
        .post(
            &mut client,
            &goals,
            &[("text", &"x".repeat(401)), ("target_date", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains("The text is too long"));
    assert_eq!(
        plan_rows(&app, owner).await,
        before,
        "refused input changes nothing"
    );
}

#[tokio::test]
async fn only_the_client_and_the_assigned_counselor_change_a_plan() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let goals = format!("/clients/{owner}/goals");
    for who in [
        users::OTHER_CLIENT,
        users::SAME_OFFICE_COUNSELOR,
        users::OTHER_OFFICE_COUNSELOR,
        users::LEADER,
        users::ADMINISTRATOR,
    ] {
        let mut b = english(&app, who).await;
        let before = app.audit_count().await;
        let r = app.post(&mut b, &goals, &[("text", "Not yours")]).await;
        assert_eq!(
            r.status,
            StatusCode::NOT_FOUND,
            "{who} must not change the plan"
        );
        assert_eq!(
            app.audit_count().await,
            before,
            "{who}: a refusal leaves no trace"
        );
    }
    assert!(plan_rows(&app, owner).await.is_empty());

    // A colleague at the same office reads, without the forms.
    let mut colleague = english(&app, users::SAME_OFFICE_COUNSELOR).await;
    let r = app.get(&mut colleague, &format!("/clients/{owner}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body
            .contains("Only the client and their counselor can change it")
    );
    assert!(
        !r.body
            .contains(&format!("action=\"/clients/{owner}/goals\""))
    );

    // Every accepted change writes one audit row, client or staff.
    for who in [users::OWNER_CLIENT, users::ASSIGNED_COUNSELOR] {
        let mut b = english(&app, who).await;
        let before = app.audit_count().await;
        let r = app
            .post(&mut b, &goals, &[("text", "A job near home")])
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{who}");
        assert_eq!(app.audit_count().await, before + 1, "{who}");
    }
}

#[tokio::test]
async fn a_counselor_wording_is_a_suggestion_until_the_client_approves_it() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = app
        .post(
            &mut counselor,
            &format!("/clients/{owner}/goals"),
            &[("text", "Find work that suits my back")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&mut client, "/me").await;
    assert!(r.body.contains("Suggested by the counselor"));
    let goal = r
        .body
        .split(&format!("/clients/{owner}/goals/"))
        .nth(1)
        .unwrap()
        .split('/')
        .next()
        .unwrap()
        .to_string();
    // The counselor cannot reword or approve it.
    let r = app
        .post(
            &mut counselor,
            &format!("/clients/{owner}/goals/{goal}"),
            &[("version", "1"), ("text", "Something else")],
        )
        .await;
    assert_ne!(r.status, StatusCode::SEE_OTHER);
    assert!(
        !plan_rows(&app, owner)
            .await
            .join("")
            .contains("Something else")
    );
    let r = app
        .post(
            &mut client,
            &format!("/clients/{owner}/goals/{goal}/approve"),
            &[("version", "1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let r = app.get(&mut client, "/me").await;
    assert!(!r.body.contains("Suggested by the counselor"));
}

/// Issue 11, item 11: a goal, activity or catalogue item that does not exist is a 404 with no
/// audit row, also for the assigned counselor (whose views are audited); one that exists is
/// shown with its row.
#[tokio::test]
async fn a_missing_goal_activity_or_catalogue_item_is_a_404_without_an_audit_row() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    let mut client = english(&app, users::OWNER_CLIENT).await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let r = app
        .post(
            &mut client,
            &format!("/clients/{owner}/goals"),
            &[("text", "A job in a shop"), ("target_date", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let plan =
        domain::plan::PlanStore::read_plan(app.store.as_ref(), &testkit::access(owner, None))
            .await
            .unwrap()
            .unwrap();
    let goal = plan.items.iter().find(|i| i.kind == "goal").unwrap().id;
    let activity = add_activity(&app, &mut client, owner, "Walk every morning").await;
    // An item of another client is not an item of this one.
    let other = app.world.other_client;
    let mut other_client = english(&app, users::OTHER_CLIENT).await;
    let elsewhere = add_activity(&app, &mut other_client, other, "Someone else's").await;

    let missing = "01900000-0000-7000-8000-000000000000";
    for path in [
        format!("/clients/{owner}/goals/{missing}"),
        format!("/clients/{owner}/activities/{missing}"),
        format!("/clients/{owner}/activities/{goal}"),
        format!("/clients/{owner}/activities/{elsewhere}"),
        format!("/clients/{owner}/catalogue/{missing}"),
        // The goal form is the client's own; the counselor is shown nothing there.
        format!("/clients/{owner}/goals/{goal}"),
    ] {
        let before = app.audit_count().await;
        let r = app.get(&mut counselor, &path).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(
            app.audit_count().await,
            before,
            "{path}: a 404 writes no audit row"
        );
    }
    let before = app.audit_count().await;
    let r = app
        .get(
            &mut counselor,
            &format!("/clients/{owner}/activities/{activity}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Walk every morning"));
    assert_eq!(app.audit_count().await, before + 1, "a view writes its row");
}
