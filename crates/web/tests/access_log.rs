//! The client's access log (`/me/access-log`, issue 11 item 5) through the real router and a
//! real SQLite store: list views cannot push openings, prints and changes out of view, and
//! every row is reachable by paging (links with opaque cursor numbers, no JavaScript).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use domain::audit::AuditStore;
use domain::audit::DataKind;
use http::StatusCode;
use testkit::world::users;
use time::Duration;

/// The `href` of the link with this id, decoded, if the page has it.
fn link(body: &str, id: &str) -> Option<String> {
    let marker = format!(r#"id="{id}" href=""#);
    let start = body.find(&marker)? + marker.len();
    let end = body[start..].find('"')? + start;
    Some(body[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// The rows of the table body with this id, each as its cells' text.
fn rows(body: &str, id: &str) -> Vec<Vec<String>> {
    let marker = format!(r#"<tbody id="{id}">"#);
    let Some(start) = body.find(&marker) else {
        return vec![];
    };
    let rest = &body[start + marker.len()..];
    let end = rest.find("</tbody>").unwrap();
    rest[..end]
        .split("<tr>")
        .skip(1)
        .map(|row| {
            row.split("<td")
                .skip(1)
                .map(|cell| {
                    let text = &cell[cell.find('>').unwrap() + 1..];
                    text[..text.find("</td>").unwrap()].trim().to_string()
                })
                .collect()
        })
        .collect()
}

/// Follows the `older` links of one list from the first page: every page's rows, in order.
async fn every_page(app: &TestApp, b: &mut Browser, list: &str) -> Vec<Vec<Vec<String>>> {
    let mut pages = Vec::new();
    let mut path = "/me/access-log".to_string();
    loop {
        assert!(!path.contains("username") && !path.contains("name="));
        let r = app.get(b, &path).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        pages.push(rows(&r.body, &format!("{list}-rows")));
        assert!(pages.len() < 100, "paging ends");
        match link(&r.body, &format!("{list}-older")) {
            Some(next) => path = next,
            None => break,
        }
    }
    pages
}

#[tokio::test]
async fn list_views_never_hide_a_print_and_every_row_is_reachable_by_paging() {
    let app = TestApp::new().await;
    let owner = app.world.owner_client;
    // 70 openings by one colleague, then a print by another.
    let mut pia = app.login(users::PROTECTED_ACCESS_COUNSELOR).await;
    for _ in 0..70 {
        let r = app.get(&mut pia, &format!("/clients/{owner}")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let mut siri = app.login(users::SAME_OFFICE_COUNSELOR).await;
    let r = app.get(&mut siri, &format!("/clients/{owner}/print")).await;
    assert_eq!(r.status, StatusCode::OK);
    // A caseload of several clients is one audit row naming each of them.
    let mut arne = app.login(users::ASSIGNED_COUNSELOR).await;
    let office_a = app.world.office_a.to_string();
    for name in ["Kari Nordmann", "Ola Nordmann", "Siri Nordmann"] {
        let fields = [
            ("name", name),
            ("office", office_a.as_str()),
            ("username", ""),
            ("password", ""),
        ];
        let r = app.post(&mut arne, "/caseload/new", &fields).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    }
    let before = app.audit_count().await;
    let list = app.get(&mut arne, "/caseload").await;
    assert_eq!(list.status, StatusCode::OK);
    assert_eq!(app.audit_count().await, before + 1, "one row for the list");
    let row = app.store.audit_rows(before, 1).await.unwrap().remove(0);
    assert_eq!(row.event.data_kind, DataKind::ClientList);
    assert_eq!(row.event.listed.len(), 4, "her and the three new cases");
    assert!(row.event.listed.contains(&owner));
    assert!(list.body.contains("Olga Owner") && list.body.contains("Siri Nordmann"));
    // Then the assigned counselor reloads the caseload 510 times in all: 10 a day for 51 days.
    for day in 0..51 {
        let mut arne = app.login(users::ASSIGNED_COUNSELOR).await;
        for _ in 0..if day == 0 { 9 } else { 10 } {
            assert_eq!(app.get(&mut arne, "/caseload").await.status, StatusCode::OK);
        }
        app.clock.advance(Duration::days(1));
    }

    let trail = app.store.audit_rows(0, 10_000).await.unwrap();
    // Each caseload is one row naming every client on it (migration 0017).
    let list_views = trail
        .iter()
        .filter(|r| r.event.data_kind == DataKind::ClientList && r.event.listed.contains(&owner))
        .count();
    assert_eq!(list_views, 510);
    let openings = trail
        .iter()
        .filter(|r| r.event.client_id == owner && r.event.actor_role.is_staff())
        .count();
    assert_eq!(
        openings,
        2 + 70 + 1,
        "the case's creation, 70 views, the print"
    );

    let mut client = app.login(users::OWNER_CLIENT).await;
    client.accept_language = Some("en".into());
    let first = app.get(&mut client, "/me/access-log").await;
    assert_eq!(first.status, StatusCode::OK);
    assert!(
        first.body.contains("Siri Same"),
        "the colleague's print is on the first page"
    );
    let newest = rows(&first.body, "openings-rows");
    assert!(
        newest
            .first()
            .is_some_and(|r| r.iter().any(|c| c == "Siri Same")),
        "the colleague's print is the first opening on the first page: {newest:?}"
    );
    assert!(
        newest.iter().all(|r| !r.iter().any(|c| c.contains("list"))),
        "list views are not among openings, prints and changes"
    );
    assert!(
        link(&first.body, "openings-newer").is_none(),
        "nothing is newer than the first page"
    );

    // Every opening, print and change, page by page.
    let pages = every_page(&app, &mut client, "openings").await;
    assert!(pages.iter().all(|p| p.len() <= 50), "pages of at most 50");
    assert_eq!(pages.len(), 2);
    assert_eq!(pages.iter().map(Vec::len).sum::<usize>(), openings);
    // And back: the "newer" link of the second page gives the first page again.
    let older = link(&first.body, "openings-older").unwrap();
    let second = app.get(&mut client, &older).await;
    let back = link(&second.body, "openings-newer").expect("a way back");
    let again = app.get(&mut client, &back).await;
    assert_eq!(rows(&again.body, "openings-rows"), newest);

    // The list views: one line per person per day, with how many times.
    let pages = every_page(&app, &mut client, "lists").await;
    let lines: Vec<&Vec<String>> = pages.iter().flatten().collect();
    assert_eq!(lines.len(), 51, "one line per day: {lines:?}");
    let times: usize = lines
        .iter()
        .map(|l| {
            let cell = l.last().unwrap();
            cell.split_whitespace()
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or_else(|| panic!("a count: {cell}"))
        })
        .sum();
    assert_eq!(times, 510, "every list view is counted");
    assert!(lines.iter().all(|l| l.iter().any(|c| c == "Arne Assigned")));
    assert!(
        lines[0].last().unwrap().ends_with("10 times"),
        "{:?}",
        lines[0]
    );
    let mut days: Vec<&String> = lines.iter().map(|l| &l[0]).collect();
    days.dedup();
    assert_eq!(days.len(), 51, "each day once, newest first");
}

#[tokio::test]
async fn a_cursor_that_is_not_a_number_shows_the_newest_page() {
    let app = TestApp::new().await;
    let mut client = app.login(users::OWNER_CLIENT).await;
    let plain = app.get(&mut client, "/me/access-log").await;
    for query in [
        "?before=abc",
        "?after=-1",
        "?before=99999999999999999999",
        "?lists_before=",
    ] {
        let r = app
            .get(&mut client, &format!("/me/access-log{query}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{query}");
        assert_eq!(
            rows(&r.body, "openings-rows"),
            rows(&plain.body, "openings-rows"),
            "{query}"
        );
    }
}
