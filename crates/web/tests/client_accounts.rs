//! Administrators and clients' accounts (issue 11, item 1): the staff list never shows
//! clients; a client's account is reached only by an exact username lookup, audited like any
//! staff view of a client, and a protected client only with the protected permission.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, Reply, TestApp};
use domain::audit::AuditStore;
use domain::audit::{AuditAction, DataKind};
use domain::conversation::store::ConversationStore;
use domain::roles::Role;
use http::StatusCode;
use testkit::world::users;

const NEW_PASSWORD: &str = "river stone lantern 48";

#[tokio::test]
async fn the_administrators_people_page_never_lists_clients() {
    let app = TestApp::new().await;
    let office_a = app.world.office_a.to_string();
    let mut counselor = app.login(users::PROTECTED_ACCESS_COUNSELOR).await;
    let r = app
        .post(
            &mut counselor,
            "/caseload/new",
            &[
                ("name", "Hemmelig Person"),
                ("office", &office_a),
                ("protected", "on"),
                ("username", "hemmelig-person"),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);

    let mut admin = app.login(users::ADMINISTRATOR).await;
    let before = app.audit_count().await;
    let r = app.get(&mut admin, "/admin/people").await;
    assert_eq!(r.status, StatusCode::OK);
    for client in [
        "Hemmelig Person",
        "hemmelig-person",
        "Olga Owner",
        users::OWNER_CLIENT,
        "Otto Otherclient",
        users::OTHER_CLIENT,
    ] {
        assert!(
            !r.body.contains(client),
            "the staff list shows the client {client}"
        );
    }
    assert!(r.body.contains("Siri Same"), "staff are listed");
    assert_eq!(
        app.audit_count().await,
        before,
        "no client data, no audit row"
    );
}

/// Posts the lookup form (the username goes in the body, never in a URL).
async fn look_up(app: &TestApp, b: &mut Browser, username: &str, reason: &str) -> Reply {
    app.post(
        b,
        "/admin/client-accounts",
        &[("username", username), ("reason", reason)],
    )
    .await
}

fn english(mut b: Browser) -> Browser {
    b.accept_language = Some("en".into());
    b
}

/// The answer with the username typed taken out (it is echoed in the field).
fn without(body: &str, username: &str) -> String {
    body.replace(username, "USERNAME")
}

#[tokio::test]
async fn an_administrator_finds_a_clients_account_by_exact_username_and_it_is_audited() {
    let app = TestApp::new().await;
    let mut admin = english(app.login(users::ADMINISTRATOR).await);
    let form = app.get(&mut admin, "/admin/client-accounts").await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(
        form.body
            .contains(r#"<form method="post" action="/admin/client-accounts""#),
        "the lookup is posted: {}",
        form.body
    );
    let home = app.get(&mut admin, "/admin").await;
    assert!(home.body.contains(r#"href="/admin/client-accounts""#));

    let before = app.audit_count().await;
    let r = look_up(&app, &mut admin, users::OWNER_CLIENT, "").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Olga Owner"));
    assert!(r.body.contains(users::OWNER_CLIENT));
    assert!(r.body.contains("Active"));
    assert!(
        !r.body.contains("Otto Otherclient"),
        "only the account looked up"
    );
    let rows = app.store.audit_rows(before, 10).await.unwrap();
    assert_eq!(rows.len(), 1, "one audit row for the view");
    let row = &rows[0].event;
    assert_eq!(
        (
            row.actor_id,
            row.actor_role,
            row.client_id,
            row.data_kind,
            row.action
        ),
        (
            app.world.admin_id,
            Role::Administrator,
            app.world.owner_client,
            DataKind::Account,
            AuditAction::Viewed
        )
    );

    // Upper case and spaces around it are the same username; a part of it is not.
    let r = look_up(&app, &mut admin, "  OWNER-client ", "").await;
    assert_eq!(r.status, StatusCode::OK);
    let r = look_up(&app, &mut admin, "owner", "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // An empty field is a field error.
    let r = look_up(&app, &mut admin, " ", "").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.body.contains(r#"aria-invalid="true""#));

    // The client sees the administrator's view in their log, in each language.
    let mut client = app.login(users::OWNER_CLIENT).await;
    for (lang, line) in [
        ("nb", "Så brukerkontoen din (navn og brukernavn)"),
        ("nn", "Såg brukarkontoen din (namn og brukarnamn)"),
        ("en", "Saw your user account (name and username)"),
    ] {
        client.accept_language = Some(lang.into());
        let log = app.get(&mut client, "/me/access-log").await;
        assert!(log.body.contains("Anne Admin"), "{lang}: {}", log.body);
        assert!(log.body.contains(line), "{lang}: {}", log.body);
    }
}

#[tokio::test]
async fn unknown_usernames_staff_accounts_and_protected_clients_without_permission_are_not_found_alike()
 {
    let app = TestApp::new().await;
    let mut admin = english(app.login(users::ADMINISTRATOR).await);
    let before = app.audit_count().await;
    let unknown = look_up(&app, &mut admin, "no-such-person", "").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert!(
        unknown
            .body
            .contains("No client account has this username."),
        "{}",
        unknown.body
    );
    for (username, reason) in [
        (users::PROTECTED_CLIENT, ""),
        (users::PROTECTED_CLIENT, "Reset her password today"),
        (users::SAME_OFFICE_COUNSELOR, ""),
        (users::ADMINISTRATOR, ""),
    ] {
        let r = look_up(&app, &mut admin, username, reason).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{username}");
        assert_eq!(
            without(&r.body, username),
            without(&unknown.body, "no-such-person"),
            "{username}: the same answer as a username that does not exist"
        );
        assert!(!r.body.contains("Paula Protected"));
    }
    assert_eq!(
        app.audit_count().await,
        before,
        "no audit row for a refusal"
    );

    // Nobody else finds anything either.
    for who in [
        users::OWNER_CLIENT,
        users::ASSIGNED_COUNSELOR,
        users::PROTECTED_ACCESS_COUNSELOR,
        users::LEADER,
    ] {
        let mut b = app.login(who).await;
        let r = look_up(&app, &mut b, users::OTHER_CLIENT, "").await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{who}");
        assert!(!r.body.contains("Otto Otherclient"), "{who}");
    }
    assert_eq!(app.audit_count().await, before);
}

#[tokio::test]
async fn a_protected_clients_account_needs_the_permission_and_a_stated_reason() {
    let app = TestApp::new().await;
    let mut admin = english(app.login(users::PROTECTED_ACCESS_ADMINISTRATOR).await);
    let before = app.audit_count().await;
    let r = look_up(&app, &mut admin, users::PROTECTED_CLIENT, "").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains(r#"name="reason""#), "{}", r.body);
    assert!(
        !r.body.contains("Paula Protected"),
        "nothing of the account before a reason is given"
    );
    let short = look_up(&app, &mut admin, users::PROTECTED_CLIENT, "x").await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!short.body.contains("Paula Protected"));
    assert_eq!(app.audit_count().await, before);

    let reason = "She asked for a new password by phone";
    let r = look_up(&app, &mut admin, users::PROTECTED_CLIENT, reason).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("Paula Protected"));
    let rows = app.store.audit_rows(before, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].event.client_id, app.world.protected_client);
    assert_eq!(rows[0].event.data_kind, DataKind::Account);
    assert_eq!(
        rows[0].event.reason.as_ref().map(|r| r.as_str()),
        Some(reason)
    );

    // The change carries the reason into its own row.
    let path = format!(
        "/admin/client-accounts/{}/disable",
        app.world.protected_client
    );
    let r = app.post(&mut admin, &path, &[("reason", reason)]).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rows = app.store.audit_rows(before + 1, 10).await.unwrap();
    assert_eq!(
        (
            rows.len(),
            rows[0].event.action,
            rows[0].event.reason.as_ref().map(|r| r.as_str())
        ),
        (1, AuditAction::Changed, Some(reason))
    );
    // Without the permission, the same change is out of reach and changes nothing.
    let mut plain = app.login(users::ADMINISTRATOR).await;
    let enable = format!(
        "/admin/client-accounts/{}/enable",
        app.world.protected_client
    );
    let r = app.post(&mut plain, &enable, &[("reason", reason)]).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(app.audit_count().await, before + 2);
}

#[tokio::test]
async fn a_new_password_and_disabling_end_the_clients_sessions_and_are_audited_as_changes() {
    let app = TestApp::new().await;
    let mut admin = english(app.login(users::ADMINISTRATOR).await);
    let mut client = app.login(users::OWNER_CLIENT).await;
    assert_eq!(app.get(&mut client, "/me").await.status, StatusCode::OK);
    let owner = app.world.owner_client;
    let password = format!("/admin/client-accounts/{owner}/password");

    let before = app.audit_count().await;
    let weak = app
        .post(
            &mut admin,
            &password,
            &[("username", users::OWNER_CLIENT), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(weak.body.contains("at least 12"), "{}", weak.body);
    assert!(weak.body.contains(r#"aria-invalid="true""#));
    assert_eq!(
        app.get(&mut client, "/me").await.status,
        StatusCode::OK,
        "a refused password changes nothing"
    );
    // The account was shown again: one view row, no change row.
    let rows = app.store.audit_rows(before, 10).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.event.action).collect::<Vec<_>>(),
        [AuditAction::Viewed]
    );

    let r = app
        .post(
            &mut admin,
            &password,
            &[
                ("username", users::OWNER_CLIENT),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("The password is changed"), "{}", r.body);
    assert!(!r.body.contains(NEW_PASSWORD), "the password is not echoed");
    let gone = app.get(&mut client, "/me").await;
    assert_eq!(
        gone.location(),
        Some("/login"),
        "the client's session ended"
    );
    let mut again = Browser::default();
    let old = app
        .post(
            &mut again,
            "/login",
            &[
                ("username", users::OWNER_CLIENT),
                ("password", testkit::world::PASSWORD),
            ],
        )
        .await;
    assert_eq!(
        old.status,
        StatusCode::UNAUTHORIZED,
        "the old password is gone"
    );
    let new = app
        .post(
            &mut again,
            "/login",
            &[
                ("username", users::OWNER_CLIENT),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(new.status, StatusCode::SEE_OTHER, "the new password works");

    let disable = format!("/admin/client-accounts/{owner}/disable");
    let r = app.post(&mut admin, &disable, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("The account is disabled"));
    assert!(
        r.body
            .contains(&format!("/admin/client-accounts/{owner}/enable"))
    );
    assert_eq!(app.get(&mut again, "/me").await.location(), Some("/login"));
    let mut third = Browser::default();
    let refused = app
        .post(
            &mut third,
            "/login",
            &[
                ("username", users::OWNER_CLIENT),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "disabled");
    let r = app
        .post(
            &mut admin,
            &format!("/admin/client-accounts/{owner}/enable"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let ok = app
        .post(
            &mut third,
            "/login",
            &[
                ("username", users::OWNER_CLIENT),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "enabled again");

    let rows = app.store.audit_rows(before + 1, 10).await.unwrap();
    assert_eq!(
        rows.iter()
            .map(|r| (r.event.client_id, r.event.data_kind, r.event.action))
            .collect::<Vec<_>>(),
        vec![(owner, DataKind::Account, AuditAction::Changed); 3]
    );

    // The staff pages do not reach a client's account, and no one but an administrator does.
    let uid = app.store.client_user(owner).await.unwrap().unwrap();
    let r = app
        .post(&mut admin, &format!("/admin/people/{uid}/disable"), &[])
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    for who in [
        users::ASSIGNED_COUNSELOR,
        users::LEADER,
        users::OTHER_CLIENT,
    ] {
        let mut b = app.login(who).await;
        for path in [&disable, &password] {
            let r = app
                .post(
                    &mut b,
                    path,
                    &[
                        ("username", users::OWNER_CLIENT),
                        ("password", NEW_PASSWORD),
                    ],
                )
                .await;
            assert_eq!(r.status, StatusCode::NOT_FOUND, "{who} {path}");
        }
    }
    assert_eq!(app.audit_count().await, before + 4, "refusals leave no row");
    let ok = app
        .post(
            &mut Browser::default(),
            "/login",
            &[
                ("username", users::OWNER_CLIENT),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "still enabled");
}
