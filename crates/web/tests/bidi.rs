//! Bidirectional control characters in what people type, through the real router: text keeps
//! them (right-to-left writers need the marks), but wherever it is shown it is isolated — in
//! a `<bdi>` element, in an element with `dir="auto"`, or, inside a translated sentence,
//! between U+2068 and U+2069 — so a right-to-left override cannot turn the page's own text
//! around. (File names lose them: `tests/attachments.rs`.)
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use http::StatusCode;
use testkit::world::users;

async fn english(app: &TestApp, who: &str) -> Browser {
    let mut b = app.login(who).await;
    b.accept_language = Some("en".into());
    b
}

const RLO: char = '\u{202E}';
const PASSWORD: &str = "river stone lantern 48";

/// Where `text` occurs in `html` as shown text that is not isolated: not right inside a
/// `<bdi>` or an element with `dir="auto"`, and not right after U+2068 (an isolate in a
/// translated sentence). Occurrences inside a tag (attribute values: form fields, labels for
/// screen readers) and in the page title are not shown in the page's text, so they do not
/// count.
fn unisolated(html: &str, text: &str) -> Vec<String> {
    let mut bad = vec![];
    for (at, _) in html.match_indices(text) {
        let before = &html[..at];
        let inside_tag = before.rfind('<') > before.rfind('>');
        let in_title = before.rfind("<title>") > before.rfind("</title>");
        if inside_tag || in_title {
            continue;
        }
        let opening = before
            .strip_suffix('>')
            .and_then(|b| b.rsplit_once('<'))
            .map(|(_, tag)| tag);
        let isolated = before.ends_with('\u{2068}')
            || opening.is_some_and(|tag| {
                tag == "bdi" || tag.starts_with("bdi ") || tag.contains("dir=\"auto\"")
            });
        if !isolated {
            let from = before.len().saturating_sub(120);
            let from = (0..=from)
                .rev()
                .find(|i| html.is_char_boundary(*i))
                .unwrap_or(0);
            bad.push(format!("…{}⟦{text}⟧", &html[from..at]));
        }
    }
    bad
}

#[track_caller]
fn assert_isolated(html: &str, text: &str, page: &str) {
    assert!(
        html.contains(text),
        "{page}: {text:?} is not on the page at all"
    );
    let bad = unisolated(html, text);
    assert!(
        bad.is_empty(),
        "{page}: shown without isolation:\n{}",
        bad.join("\n")
    );
}

#[tokio::test]
async fn names_subjects_and_messages_with_a_right_to_left_override_are_shown_isolated() {
    let app = TestApp::new().await;
    let mut counselor = english(&app, users::ASSIGNED_COUNSELOR).await;
    let name = format!("Eva {RLO}nesnaH");
    let office_a = app.world.office_a.to_string();
    let r = app
        .post(
            &mut counselor,
            "/caseload/new",
            &[
                ("name", name.as_str()),
                ("office", &office_a),
                ("username", "eva-hansen"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let case = r.location().unwrap().to_string();

    let r = app.get(&mut counselor, "/caseload").await;
    assert_isolated(&r.body, &name, "the caseload");
    let r = app.get(&mut counselor, &case).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_isolated(&r.body, &name, "the case");

    // The client writes; her name, subject and message are shown isolated on both sides.
    let mut eva = Browser {
        accept_language: Some("en".into()),
        ..Browser::default()
    };
    let r = app
        .post(
            &mut eva,
            "/login",
            &[("username", "eva-hansen"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let r = app.get(&mut eva, "/me").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_isolated(&r.body, &name, "her own page");
    let subject = format!("Brev {RLO}eilieH");
    let body = format!("Se {RLO}gaddeV");
    let r = app
        .post(
            &mut eva,
            &format!("{case}/messages"),
            &[("subject", subject.as_str()), ("body", body.as_str())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.body);
    let thread = r.location().unwrap().split('#').next().unwrap().to_string();
    for (who, b) in [("client", &mut eva), ("counselor", &mut counselor)] {
        let r = app.get(b, &format!("{case}/messages")).await;
        assert_isolated(&r.body, &subject, &format!("threads, {who}"));
        let r = app.get(b, &thread).await;
        assert_isolated(&r.body, &subject, &format!("thread, {who}"));
        assert_isolated(&r.body, &body, &format!("thread, {who}"));
        assert_isolated(&r.body, &name, &format!("thread, {who}"));
    }
}
