//! Staff notices come in the staff member's own language: the language they log in with, and
//! then whatever they choose in the language switcher (through the real router and a real
//! SQLite store). Bokmål until they have chosen.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;

use common::{Browser, TestApp};
use domain::contact::ContactStore;
use domain::contact::CounselorAvailability;
use domain::notices::NoticesStore;
use http::StatusCode;
use testkit::world::users;

async fn notice_language(app: &TestApp) -> String {
    app.store
        .notice_contact(app.world.assigned_counselor_id)
        .await
        .unwrap()
        .expect("the counselor gave a notice e-mail")
        .language
}

#[tokio::test]
async fn staff_notices_follow_the_language_of_login_and_of_the_switcher() {
    let app = TestApp::new().await;
    app.store
        .put_availability(CounselorAvailability {
            counselor_id: app.world.assigned_counselor_id,
            contact_hours: "Mon-Thu 9-15".into(),
            channels: vec![],
            notice_email: Some("counselor@example.org".into()),
            updated_at: time::OffsetDateTime::UNIX_EPOCH,
        })
        .await
        .unwrap();
    assert_eq!(notice_language(&app).await, "nb", "bokmål until chosen");

    // Logging in from an English browser.
    let mut b = Browser {
        accept_language: Some("en".into()),
        ..Browser::default()
    };
    let r = app
        .post(
            &mut b,
            "/login",
            &[
                ("username", users::ASSIGNED_COUNSELOR),
                ("password", testkit::world::PASSWORD),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(notice_language(&app).await, "en");

    // The switcher: nynorsk.
    let r = app.post(&mut b, "/language", &[("lang", "nn")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(notice_language(&app).await, "nn");

    // Anonymous choices change nobody's notices; a made-up language falls back to bokmål for
    // the page and is stored as bokmål for the signed-in person.
    let mut anonymous = Browser::default();
    app.post(&mut anonymous, "/language", &[("lang", "en")])
        .await;
    assert_eq!(notice_language(&app).await, "nn");
    app.post(&mut b, "/language", &[("lang", "xx")]).await;
    assert_eq!(notice_language(&app).await, "nb");
}
