//! Conformance: what staff are shown and its audit rows (issue 11) — a page about one part of
//! a plan writes its row only when the part exists.

use super::{event, fixture, new_client, plan_write, verify_chain};
use domain::audit::{AuditAction, DataKind};
use domain::ids::{MeasureId, PlanItemId};
use domain::ports::{MeasureRow, PlanPart, Store};
use domain::roles::Role;

/// `read_plan_part` returns the plan and writes the audit row in one transaction when the plan
/// holds the part (a goal or activity of this client, an entry of the office's catalogue), and
/// otherwise returns nothing and writes no row.
pub async fn a_page_about_a_missing_part_of_a_plan_writes_no_audit_row(store: &dyn Store) {
    let f = fixture(store).await;
    let client = new_client(store, &f, f.office_a, "Kari Part", false, None).await;
    let other = new_client(store, &f, f.office_a, "Ola Part", false, None).await;
    let goal = PlanItemId::new();
    store
        .write_plan_item(plan_write(
            f.counselor_a,
            client,
            goal,
            1,
            r#"{"text":"a"}"#,
            None,
        ))
        .await
        .unwrap();
    let foreign = PlanItemId::new();
    store
        .write_plan_item(plan_write(
            f.counselor_a,
            other,
            foreign,
            1,
            r#"{"text":"b"}"#,
            None,
        ))
        .await
        .unwrap();
    let measure = MeasureRow {
        id: MeasureId::new(),
        office_id: f.office_a,
        version: 1,
        updated_at: super::t0(),
        data: r#"{"name":"Job club"}"#.into(),
    };
    store.put_measure(measure.clone(), None).await.unwrap();
    let elsewhere = MeasureRow {
        id: MeasureId::new(),
        office_id: f.office_b,
        ..measure.clone()
    };
    store.put_measure(elsewhere.clone(), None).await.unwrap();

    let view = || {
        Some(event(
            f.counselor_a,
            Role::Counselor,
            client,
            DataKind::Plan,
            AuditAction::Viewed,
        ))
    };
    let head = store.audit_head().await.unwrap();
    for missing in [
        PlanPart::Goal(PlanItemId::new()),
        PlanPart::Activity(goal),
        PlanPart::Goal(foreign),
        PlanPart::Measure(MeasureId::new()),
        PlanPart::Measure(elsewhere.id),
    ] {
        assert!(
            store
                .read_plan_part(client, missing, view())
                .await
                .unwrap()
                .is_none(),
            "{missing:?} is not part of the plan"
        );
        assert_eq!(
            store.audit_head().await.unwrap(),
            head,
            "{missing:?}: nothing shown, no audit row"
        );
    }
    assert!(
        store
            .read_plan_part(domain::ids::ClientId::new(), PlanPart::Goal(goal), view())
            .await
            .unwrap()
            .is_none()
    );
    for present in [PlanPart::Goal(goal), PlanPart::Measure(measure.id)] {
        let plan = store
            .read_plan_part(client, present, view())
            .await
            .unwrap()
            .expect("the part is there");
        assert_eq!(plan.client.name, "Kari Part");
    }
    assert_eq!(store.audit_head().await.unwrap().0, head.0 + 2);
    verify_chain(store).await.unwrap();
}

/// Clients' accounts for administrators (issue 11): the staff list never holds a client; a
/// client's account is found by its exact username (a staff account and an unknown name are
/// not), read with its audit row, and changed (new password, disabled, enabled) with its
/// audit row, in one transaction: a new password and disabling end the client's sessions; a
/// stale username or a case without an account changes nothing and writes no row.
pub async fn clients_accounts_are_found_by_username_and_read_and_changed_with_their_audit_rows(
    store: &dyn Store,
) {
    use domain::accounts::AccountChange;
    use domain::ports::SessionRecord;
    use domain::types::Username;
    let f = fixture(store).await;
    let account = super::user(f.org, "kari-account", vec![]);
    let uid = account.id;
    store.create_user(account).await.unwrap();
    let client = new_client(store, &f, f.office_a, "Kari Account", true, Some(uid)).await;
    let no_account = new_client(store, &f, f.office_a, "Ola Uten", false, None).await;
    let name = |s: &str| Username::parse(s).unwrap();

    let staff = store.list_users(f.org).await.unwrap();
    assert!(
        staff.iter().all(|p| p.id != uid),
        "no client in the staff list"
    );
    assert_eq!(
        store
            .client_with_username(f.org, &name("kari-account"))
            .await
            .unwrap(),
        Some(client)
    );
    for nobody in ["counselor-a", "admin", "no-such-user"] {
        assert_eq!(
            store
                .client_with_username(f.org, &name(nobody))
                .await
                .unwrap(),
            None,
            "{nobody} is no client's account"
        );
    }
    assert_eq!(
        store
            .client_with_username(domain::ids::OrganisationId::new(), &name("kari-account"))
            .await
            .unwrap(),
        None,
        "another organisation's lookup finds nothing"
    );

    let ev = |action| {
        event(
            f.admin,
            Role::Administrator,
            client,
            DataKind::Account,
            action,
        )
    };
    let head = store.audit_head().await.unwrap().0;
    let shown = store
        .read_client_account(client, ev(AuditAction::Viewed))
        .await
        .unwrap()
        .expect("the account");
    assert_eq!(
        (
            shown.user_id,
            shown.name.as_str(),
            shown.username.as_str(),
            shown.disabled
        ),
        (uid, "Person kari-account", "kari-account", false)
    );
    assert_eq!(store.audit_head().await.unwrap().0, head + 1);
    let mut none = ev(AuditAction::Viewed);
    none.client_id = no_account;
    assert!(
        store
            .read_client_account(no_account, none.clone())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .change_client_account(no_account, None, AccountChange::Disabled(true), none)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .change_client_account(
                client,
                Some(&name("someone-else")),
                AccountChange::Password("new-hash".into()),
                ev(AuditAction::Changed),
            )
            .await
            .unwrap()
            .is_none(),
        "a change for a username the account no longer has is refused"
    );
    assert_eq!(store.audit_head().await.unwrap().0, head + 1, "no row");

    let session = |token: &str| SessionRecord {
        token_hash: token.into(),
        user_id: uid,
        created_at: super::t0(),
        last_seen_at: super::t0(),
    };
    store.create_session(session("one")).await.unwrap();
    let after = store
        .change_client_account(
            client,
            Some(&name("kari-account")),
            AccountChange::Password("new-hash".into()),
            ev(AuditAction::Changed),
        )
        .await
        .unwrap()
        .expect("changed");
    assert!(!after.disabled);
    let creds = store
        .credentials_by_username(&name("kari-account"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(creds.password_hash.as_deref(), Some("new-hash"));
    assert!(
        store.session("one").await.unwrap().is_none(),
        "a new password ends the sessions"
    );

    store.create_session(session("two")).await.unwrap();
    let after = store
        .change_client_account(
            client,
            None,
            AccountChange::Disabled(true),
            ev(AuditAction::Changed),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(after.disabled);
    assert!(store.session("two").await.unwrap().is_none());
    assert!(store.actor(uid).await.unwrap().is_none(), "disabled");
    let after = store
        .change_client_account(
            client,
            None,
            AccountChange::Disabled(false),
            ev(AuditAction::Changed),
        )
        .await
        .unwrap()
        .unwrap();
    assert!(!after.disabled);
    assert!(store.actor(uid).await.unwrap().is_some(), "enabled again");
    assert_eq!(store.audit_head().await.unwrap().0, head + 4);
    let rows = store.audit_rows(head, 10).await.unwrap();
    assert!(
        rows.iter()
            .all(|r| r.event.client_id == client && r.event.data_kind == DataKind::Account)
    );
    verify_chain(store).await.unwrap();
}

/// The client's access log, paged (issue 11): openings, prints and changes one by one by
/// `seq` (list views left out), and list views grouped in the query into one line per actor
/// and UTC day with how many; paging forwards and backwards reaches every line exactly once,
/// newest first; the client's own rows and other clients' rows never appear.
pub async fn the_access_log_pages_openings_and_groups_list_views_per_person_and_day(
    store: &dyn Store,
) {
    use domain::access_log::{Cursor, ListViews, LogPage};
    use domain::audit::AccessLogEntry;
    use std::collections::BTreeMap;
    use time::Duration;
    let f = fixture(store).await;
    let client = new_client(store, &f, f.office_a, "Kari Log", false, None).await;
    let other = new_client(store, &f, f.office_a, "Ola Log", false, None).await;
    let midnight = time::macros::datetime!(2026-03-03 00:00 UTC);
    let mut events = Vec::new();
    // Day by day: list views by two counselors, openings in between, the client's own rows
    // and another client's rows.
    for day in 0..4i64 {
        for i in 0..5i64 {
            for (who, times) in [(f.counselor_a, 3), (f.counselor_b, day + 1)] {
                if i < times {
                    let mut e = event(
                        who,
                        Role::Counselor,
                        client,
                        DataKind::ClientListEntry,
                        AuditAction::Viewed,
                    );
                    e.at = midnight + Duration::days(day) + Duration::hours(8 + i);
                    events.push(e);
                }
            }
            let mut opening = event(
                f.counselor_b,
                Role::Counselor,
                client,
                if i % 2 == 0 {
                    DataKind::Plan
                } else {
                    DataKind::CaseOverview
                },
                AuditAction::Viewed,
            );
            let at = midnight + Duration::days(day) + Duration::hours(8 + i);
            opening.at = at;
            events.push(opening);
            let mut own = event(
                f.counselor_a,
                Role::Client,
                client,
                DataKind::Plan,
                AuditAction::Changed,
            );
            own.at = at;
            events.push(own);
            let mut elsewhere = event(
                f.counselor_a,
                Role::Counselor,
                other,
                DataKind::ClientListEntry,
                AuditAction::Viewed,
            );
            elsewhere.at = at;
            events.push(elsewhere);
        }
    }
    // The last microsecond of a day and the first of the next are two days.
    for at in [
        midnight + Duration::days(10) - Duration::microseconds(1),
        midnight + Duration::days(10),
    ] {
        let mut e = event(
            f.counselor_a,
            Role::Counselor,
            client,
            DataKind::ClientListEntry,
            AuditAction::Viewed,
        );
        e.at = at;
        events.push(e);
    }
    store.append_audit(events).await.unwrap();

    // What the log must hold, from the rows themselves.
    let rows: Vec<_> = store
        .audit_rows(0, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.event.client_id == client && r.event.actor_role != Role::Client)
        .collect();
    let mut want_openings: Vec<i64> = rows
        .iter()
        .filter(|r| r.event.data_kind != DataKind::ClientListEntry)
        .map(|r| r.seq)
        .collect();
    want_openings.reverse();
    let mut groups: BTreeMap<(domain::ids::UserId, time::Date), (i64, i64)> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.event.data_kind == DataKind::ClientListEntry)
    {
        let g = groups
            .entry((r.event.actor_id, r.event.at.date()))
            .or_insert((0, 0));
        g.0 = g.0.max(r.seq);
        g.1 += 1;
    }
    let mut want_groups: Vec<(i64, i64, time::Date)> = groups
        .iter()
        .map(|((_, day), (seq, n))| (*seq, *n, *day))
        .collect();
    want_groups.sort_by_key(|g| std::cmp::Reverse(g.0));
    assert_eq!(
        want_openings.len(),
        1 + 20,
        "the case's creation and 20 openings"
    );
    assert_eq!(want_groups.len(), 4 * 2 + 2);

    // Openings: pages of 3, older and back newer.
    let openings = |cursor| store.access_log_page(client, cursor, 3);
    let mut seen: Vec<i64> = Vec::new();
    let mut pages: Vec<LogPage<AccessLogEntry>> = Vec::new();
    let mut cursor = Cursor::Newest;
    loop {
        let page = openings(cursor).await.unwrap();
        assert!(page.rows.len() <= 3);
        assert!(
            page.rows
                .iter()
                .all(|e| e.data_kind != DataKind::ClientListEntry),
            "no list view among openings"
        );
        seen.extend(page.rows.iter().map(|e| e.seq));
        let older = page.older;
        pages.push(page);
        match older {
            Some(n) => cursor = Cursor::Before(n),
            None => break,
        }
    }
    assert_eq!(seen, want_openings, "every opening once, newest first");
    assert_eq!(pages[0].newer, None);
    assert_eq!(pages.last().unwrap().older, None);
    for w in pages.windows(2) {
        let back = openings(Cursor::After(w[1].newer.unwrap())).await.unwrap();
        assert_eq!(back, w[0], "newer from a page is the page before it");
    }
    assert_eq!(pages[0].rows[0].actor_name, "Person counselor-b");
    assert_eq!(pages[0].rows[0].actor_offices, "Office B");

    // List views: one line per person per day, pages of 3.
    let lists = |cursor| store.list_views_page(client, cursor, 3);
    let mut seen: Vec<(i64, i64, time::Date)> = Vec::new();
    let mut pages: Vec<LogPage<ListViews>> = Vec::new();
    let mut cursor = Cursor::Newest;
    loop {
        let page = lists(cursor).await.unwrap();
        assert!(page.rows.len() <= 3);
        seen.extend(page.rows.iter().map(|l| (l.last_seq, l.times, l.day)));
        let older = page.older;
        pages.push(page);
        match older {
            Some(n) => cursor = Cursor::Before(n),
            None => break,
        }
    }
    assert_eq!(seen, want_groups, "every person-day once, with its count");
    for w in pages.windows(2) {
        let back = lists(Cursor::After(w[1].newer.unwrap())).await.unwrap();
        assert_eq!(back, w[0]);
    }
    let newest = &pages[0].rows[0];
    assert_eq!(
        (
            newest.actor_name.as_str(),
            newest.actor_role,
            newest.actor_offices.as_str(),
            newest.times,
            newest.day
        ),
        (
            "Person counselor-a",
            Role::Counselor,
            "Office A",
            1,
            time::macros::date!(2026 - 03 - 13)
        )
    );
    assert_eq!(pages[0].rows[1].day, time::macros::date!(2026 - 03 - 12));
    assert_eq!(
        store
            .list_views_page(client, Cursor::Before(1), 3)
            .await
            .unwrap(),
        LogPage {
            rows: vec![],
            newer: None,
            older: None
        }
    );
}
