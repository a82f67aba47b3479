//! Conformance: the audit chain (appending moves the head; since migration 0014 the database
//! does it with every inserted row), audited reads, "no audit, no data", and the client's
//! access log.

use super::{event, fixture, new_client, t0, verify_chain};
use domain::audit::{AuditAction, DataKind};
use domain::cases::store::NewClient;
use domain::ids::ClientId;
use domain::ports::Store;
use domain::roles::Role;
use domain::types::{AccessReason, PersonName};
use time::Duration;

pub async fn an_audited_read_writes_exactly_one_row(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari Nordmann", false, None).await;
    store
        .assign_counselor(
            c,
            f.counselor_a,
            event(
                f.admin,
                Role::Administrator,
                c,
                DataKind::Assignment,
                AuditAction::Changed,
            ),
        )
        .await
        .unwrap();
    let (before, _) = store.audit_head().await.unwrap();
    let record = store
        .read_client(&crate::access(c, None))
        .await
        .unwrap()
        .expect("record");
    assert_eq!(
        store.audit_head().await.unwrap().0,
        before,
        "an unaudited read writes nothing"
    );
    assert_eq!(record.name, "Kari Nordmann");
    assert_eq!(record.office_name, "Office A");
    assert_eq!(
        record.counselor,
        Some((f.counselor_a, "Person counselor-a".into()))
    );
    assert_eq!(record.created_at, t0());
    let mut e = event(
        f.counselor_a,
        Role::Counselor,
        c,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    e.reason = Some(AccessReason::parse("Meeting about housing today").unwrap());
    store
        .read_client(&crate::access(c, Some(e.clone())))
        .await
        .unwrap()
        .expect("record");
    let (after, _) = store.audit_head().await.unwrap();
    assert_eq!(after, before + 1);
    let rows = store.audit_rows(before, 10).await.unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].event, e, "the row reads back exactly as written");
    assert!(
        store
            .read_client(&crate::access(ClientId::new(), None))
            .await
            .unwrap()
            .is_none()
    );
    let missing = ClientId::new();
    let looked = event(
        f.counselor_a,
        Role::Counselor,
        missing,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    assert!(
        store
            .read_client(&crate::access(missing, Some(looked)))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.audit_head().await.unwrap().0,
        after,
        "nothing shown, nothing logged"
    );
    assert_eq!(verify_chain(store).await, Ok(after));
}

/// "No audit, no data": when the audit row cannot be written, the record is not returned and
/// the change is not made. (An event id used twice is refused by the audit table.)
pub async fn without_an_audit_row_there_is_no_data(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari", false, None).await;
    let seen = event(
        f.counselor_a,
        Role::Counselor,
        c,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    store
        .read_client(&crate::access(c, Some(seen.clone())))
        .await
        .unwrap();
    let head = store.audit_head().await.unwrap();
    assert!(
        store
            .read_client(&crate::access(c, Some(seen.clone())))
            .await
            .is_err(),
        "the record must not be returned without its audit row"
    );
    let other = ClientId::new();
    let mut created = seen.clone();
    created.client_id = other;
    created.action = AuditAction::Created;
    let refused = store
        .create_client(
            NewClient {
                id: other,
                office_id: f.office_a,
                user_id: None,
                name: PersonName::parse("Ola").unwrap(),
                protected: false,
                created_at: t0(),
            },
            created,
        )
        .await;
    assert!(refused.is_err());
    assert!(
        store.client_scope(other).await.unwrap().is_none(),
        "the client was not created without its audit row"
    );
    assert!(
        store
            .assign_counselor(c, f.counselor_b, seen)
            .await
            .is_err()
    );
    assert_eq!(
        store
            .client_scope(c)
            .await
            .unwrap()
            .and_then(|s| s.assigned_counselor),
        None,
        "the assignment was not made without its audit row"
    );
    assert_eq!(store.audit_head().await.unwrap(), head);
    assert_eq!(verify_chain(store).await, Ok(head.0));
}

pub async fn the_access_log_shows_staff_newest_first(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari", false, None).await;
    let mut first = event(
        f.counselor_a,
        Role::Counselor,
        c,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    first.at = t0() + Duration::minutes(1);
    let mut second = event(
        f.counselor_b,
        Role::Counselor,
        c,
        DataKind::ClientListEntry,
        AuditAction::Viewed,
    );
    second.at = t0() + Duration::minutes(2);
    let mut own = event(
        f.counselor_a,
        Role::Client,
        c,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    own.at = t0() + Duration::minutes(3);
    store.append_audit(vec![first, second, own]).await.unwrap();
    let log = store.access_log(c, 10).await.unwrap();
    let seen: Vec<_> = log
        .iter()
        .map(|e| (e.actor_name.as_str(), e.actor_offices.as_str(), e.data_kind))
        .collect();
    assert_eq!(
        seen,
        [
            ("Person counselor-b", "Office B", DataKind::ClientListEntry),
            ("Person counselor-a", "Office A", DataKind::CaseOverview),
            ("Person admin", "", DataKind::CaseOverview),
        ],
        "staff rows only (the client's own row is left out), newest first"
    );
    assert_eq!(store.access_log(c, 1).await.unwrap().len(), 1);
}

pub async fn the_head_moves_with_every_appended_row(store: &dyn Store) {
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari", false, None).await;
    let (start, _) = store.audit_head().await.unwrap();
    let viewed = |kind| event(f.counselor_a, Role::Counselor, c, kind, AuditAction::Viewed);

    // Nothing to append changes nothing.
    store.append_audit(vec![]).await.unwrap();
    assert_eq!(store.audit_head().await.unwrap().0, start);

    // A caseload of many clients: one call, one transaction, many rows.
    let batch: Vec<_> = (0..25).map(|_| viewed(DataKind::ClientListEntry)).collect();
    store.append_audit(batch).await.unwrap();
    let (seq, hash) = store.audit_head().await.unwrap();
    assert_eq!(seq, start + 25);
    let last = store.audit_rows(seq - 1, 10).await.unwrap();
    assert_eq!(last.len(), 1, "nothing after the head");
    assert_eq!(
        (last[0].seq, &last[0].hash),
        (seq, &hash),
        "the head is the last row"
    );

    // Single rows after it, from appends and from audited reads.
    store
        .append_audit(vec![viewed(DataKind::CaseOverview)])
        .await
        .unwrap();
    store
        .read_client(&crate::access(c, Some(viewed(DataKind::CaseOverview))))
        .await
        .unwrap()
        .expect("the client");
    assert_eq!(store.audit_head().await.unwrap().0, start + 27);
    assert_eq!(verify_chain(store).await, Ok(start + 27));
}

/// The client's access log, paged (issue 11): openings, prints and changes one by one by
/// `seq` (list views left out), and list views grouped in the query into one line per actor
/// and UTC day with how many; paging forwards and backwards reaches every line exactly once,
/// newest first; the client's own rows and other clients' rows never appear.
pub async fn the_access_log_pages_openings_and_groups_list_views_per_person_and_day(
    store: &dyn Store,
) {
    use domain::audit::AccessLogEntry;
    use domain::audit::access_log::{Cursor, ListViews, LogPage};
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

/// A list view of `clients` by `who` at `at`: one `client-list` row (issue 13).
fn list_view(
    who: domain::ids::UserId,
    clients: &[ClientId],
    at: time::OffsetDateTime,
) -> domain::audit::NewAuditEvent {
    let mut e = event(
        who,
        Role::Counselor,
        domain::audit::LISTED_CLIENTS,
        DataKind::ClientList,
        AuditAction::Viewed,
    );
    e.at = at;
    e.listed = clients.to_vec();
    e
}

/// A list of N clients shown to staff is one audit row in the chain and N side rows
/// (issue 13): the trail verifies, the row reads back with every client listed (each once),
/// and each of them, and no one else, finds the listing in her access log, grouped with the
/// other list views as before and never among the openings.
pub async fn a_list_view_is_one_row_and_every_client_listed_sees_it(
    store: &dyn Store,
    db: &crate::db::Db,
) {
    use crate::db::Table;
    use domain::audit::access_log::{Cursor, ListViews};
    let f = fixture(store).await;
    let mut listed = Vec::new();
    for i in 0..40 {
        listed.push(new_client(store, &f, f.office_a, &format!("Listed {i}"), false, None).await);
    }
    let outsider = new_client(store, &f, f.office_a, "Not Listed", false, None).await;
    let (head, _) = store.audit_head().await.unwrap();
    let (rows, side) = (
        db.count(Table::AuditLog).await,
        db.count(Table::AuditListEntries).await,
    );
    let at = t0() + Duration::hours(2);
    // In any order, one name twice: the row names each client once.
    let shown: Vec<ClientId> = listed.iter().rev().copied().chain([listed[3]]).collect();
    store
        .append_audit(vec![list_view(f.counselor_a, &shown, at)])
        .await
        .unwrap();
    assert_eq!(store.audit_head().await.unwrap().0, head + 1, "one row");
    assert_eq!(db.count(Table::AuditLog).await, rows + 1);
    assert_eq!(db.count(Table::AuditListEntries).await, side + 40);
    let back = store.audit_rows(head, 10).await.unwrap();
    assert_eq!(back.len(), 1);
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(back[0].event.listed, sorted, "every client listed, once");
    assert_eq!(back[0].event.data_kind, DataKind::ClientList);
    assert_eq!(back[0].event.client_id, domain::audit::LISTED_CLIENTS);
    assert_eq!(verify_chain(store).await, Ok(head + 1));

    let line = ListViews {
        last_seq: head + 1,
        day: at.date(),
        last_at: at,
        actor_name: "Person counselor-a".into(),
        actor_role: Role::Counselor,
        actor_offices: "Office A".into(),
        times: 1,
    };
    for c in &listed {
        let page = store.list_views_page(*c, Cursor::Newest, 50).await.unwrap();
        assert_eq!(page.rows, vec![line.clone()], "her name was shown once");
        let log = store.access_log(*c, 10).await.unwrap();
        assert_eq!(
            log.iter().map(|e| (e.seq, e.data_kind)).collect::<Vec<_>>()[0],
            (head + 1, DataKind::ClientList),
            "newest first: the listing"
        );
        assert_eq!(log.len(), 2, "the listing and the case's creation");
        let openings = store.access_log_page(*c, Cursor::Newest, 50).await.unwrap();
        assert!(
            openings
                .rows
                .iter()
                .all(|e| e.data_kind == DataKind::CaseOverview),
            "a listing is not an opening: {:?}",
            openings.rows
        );
    }
    let page = store
        .list_views_page(outsider, Cursor::Newest, 50)
        .await
        .unwrap();
    assert!(page.rows.is_empty(), "not listed, not shown: {page:?}");
    assert_eq!(store.access_log(outsider, 10).await.unwrap().len(), 1);
}

/// A database from before migration 0017 holds one `client-list-entry` row per client
/// listed; they stay readable and are shown with the new list rows, grouped per person and
/// day together. Several list rows and ordinary rows in one append (as a group commit
/// writes them) chain and verify as well.
pub async fn old_per_client_list_rows_show_beside_list_rows(store: &dyn Store) {
    use domain::audit::access_log::Cursor;
    let f = fixture(store).await;
    let c = new_client(store, &f, f.office_a, "Kari List", false, None).await;
    let d = new_client(store, &f, f.office_a, "Ola List", false, None).await;
    let day1 = time::macros::datetime!(2026-04-01 08:00 UTC);
    let day2 = day1 + Duration::days(1);
    let old = |who, client, at| {
        let mut e = event(
            who,
            Role::Counselor,
            client,
            DataKind::ClientListEntry,
            AuditAction::Viewed,
        );
        e.at = at;
        e
    };
    let mut opening = event(
        f.counselor_a,
        Role::Counselor,
        c,
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    opening.at = day1 + Duration::hours(3);
    let (start, _) = store.audit_head().await.unwrap();
    store
        .append_audit(vec![
            old(f.counselor_a, c, day1),
            old(f.counselor_a, d, day1),
            old(f.counselor_b, c, day1 + Duration::hours(1)),
            old(f.counselor_a, c, day1 + Duration::hours(2)),
        ])
        .await
        .unwrap();
    store
        .append_audit(vec![
            list_view(f.counselor_a, &[c, d], day1 + Duration::hours(3)),
            opening,
            list_view(f.counselor_b, &[d], day2),
            list_view(f.counselor_a, &[c], day2 + Duration::hours(1)),
        ])
        .await
        .unwrap();
    assert_eq!(verify_chain(store).await, Ok(start + 8));
    let rows = store.audit_rows(start, 10).await.unwrap();
    let listed: Vec<usize> = rows.iter().map(|r| r.event.listed.len()).collect();
    assert_eq!(listed, [0, 0, 0, 0, 2, 0, 1, 1]);

    let lines = |client| async move {
        store
            .list_views_page(client, Cursor::Newest, 50)
            .await
            .unwrap()
            .rows
            .into_iter()
            .map(|l| (l.actor_name, l.day, l.times, l.last_seq - start))
            .collect::<Vec<_>>()
    };
    let (a, b) = (
        "Person counselor-a".to_string(),
        "Person counselor-b".to_string(),
    );
    assert_eq!(
        lines(c).await,
        [
            (a.clone(), day2.date(), 1, 8),
            (a.clone(), day1.date(), 3, 5),
            (b.clone(), day1.date(), 1, 3),
        ],
        "old rows and list rows, per person and day"
    );
    assert_eq!(
        lines(d).await,
        [(b, day2.date(), 1, 7), (a, day1.date(), 2, 5)]
    );
    let kinds: Vec<(i64, DataKind)> = store
        .access_log(c, 20)
        .await
        .unwrap()
        .iter()
        .map(|e| (e.seq - start, e.data_kind))
        .collect();
    assert_eq!(
        kinds,
        [
            (8, DataKind::ClientList),
            (6, DataKind::CaseOverview),
            (5, DataKind::ClientList),
            (4, DataKind::ClientListEntry),
            (3, DataKind::ClientListEntry),
            (1, DataKind::ClientListEntry),
            (-1, DataKind::CaseOverview),
        ],
        "staff rows about her or listing her, newest first (her case's creation last)"
    );
}

/// Reading the trail back stays in bounded memory however long the lists: a page of
/// `audit_rows` ends before the row whose clients listed would pass
/// [`domain::audit::store::LISTED_PER_PAGE`], and a row listing more comes alone and whole;
/// the trail verifies page by page.
pub async fn pages_of_the_trail_hold_a_bounded_number_of_clients_listed(store: &dyn Store) {
    use domain::audit::store::LISTED_PER_PAGE;
    let f = fixture(store).await;
    let (start, _) = store.audit_head().await.unwrap();
    let many = |n: i64| -> Vec<ClientId> { (0..n).map(|_| ClientId::new()).collect() };
    let half = LISTED_PER_PAGE / 2 + 1;
    let opening = event(
        f.counselor_a,
        Role::Counselor,
        ClientId::new(),
        DataKind::CaseOverview,
        AuditAction::Viewed,
    );
    store
        .append_audit(vec![
            list_view(f.counselor_a, &many(half), t0()),
            list_view(f.counselor_a, &many(half), t0()),
            opening,
            list_view(f.counselor_a, &many(LISTED_PER_PAGE + 1), t0()),
        ])
        .await
        .unwrap();
    let shape = |rows: Vec<domain::audit::AuditRow>| {
        rows.iter()
            .map(|r| (r.seq - start, r.event.listed.len() as i64))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        shape(store.audit_rows(start, 10).await.unwrap()),
        [(1, half)]
    );
    assert_eq!(
        shape(store.audit_rows(start + 1, 10).await.unwrap()),
        [(2, half), (3, 0)]
    );
    assert_eq!(
        shape(store.audit_rows(start + 3, 10).await.unwrap()),
        [(4, LISTED_PER_PAGE + 1)]
    );
    assert_eq!(verify_chain(store).await, Ok(start + 4));
}
