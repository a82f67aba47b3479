//! Conformance: the contact agreement and the counselor's availability, which decide where
//! notices go.

use super::{Fixture, fixture, new_client, t0, user};
use domain::contact::{ContactAgreement, CounselorAvailability};
use domain::ids::{ClientId, UserId};
use domain::notices::{Channel, QuietHours};
use domain::plan::Side;
use domain::ports::{PortError, Store};
use time::Duration;

/// A client with an account at office A.
async fn client_with_account(store: &dyn Store) -> (Fixture, UserId, ClientId) {
    let f = fixture(store).await;
    let client_user = user(f.org, "client-notice", vec![]);
    let client_user_id = client_user.id;
    store.create_user(client_user).await.unwrap();
    let client = new_client(
        store,
        &f,
        f.office_a,
        "Kari Notice",
        false,
        Some(client_user_id),
    )
    .await;
    (f, client_user_id, client)
}

/// The contact agreement: proposed once (a second first version is a conflict), confirmed as
/// the next version, read back as written; once confirmed it gives the client's notice contact
/// (the channels, language and quiet hours agreed). Nothing agreed: no notice contact.
pub async fn the_contact_agreement_is_versioned_and_gives_the_clients_notice_contact(
    store: &dyn Store,
) {
    let (_f, client_user_id, client) = client_with_account(store).await;
    assert_eq!(store.notice_contact(client_user_id).await.unwrap(), None);
    let agreement = ContactAgreement {
        client_id: client,
        in_app: true,
        email_notices: false,
        sms_notices: true,
        phone_calls: false,
        email: None,
        phone: Some("+4799999999".into()),
        quiet: Some(QuietHours {
            start: time::macros::time!(22:00),
            end: time::macros::time!(07:30),
        }),
        response_hours: Some(48),
        language: "nn".into(),
        proposed_by: Side::Client,
        confirmed_at: None,
        version: 1,
        updated_at: t0(),
    };
    store
        .put_contact_agreement(agreement.clone(), None, None, vec![])
        .await
        .unwrap();
    assert!(matches!(
        store
            .put_contact_agreement(agreement.clone(), None, None, vec![])
            .await,
        Err(PortError::Conflict(_))
    ));
    let confirmed = ContactAgreement {
        confirmed_at: Some(t0() + Duration::minutes(5)),
        version: 2,
        ..agreement.clone()
    };
    store
        .put_contact_agreement(confirmed.clone(), Some(1), None, vec![])
        .await
        .unwrap();
    assert_eq!(
        store
            .contact_agreement(&crate::access(client, None))
            .await
            .unwrap(),
        Some(confirmed)
    );
    let contact = store.notice_contact(client_user_id).await.unwrap().unwrap();
    assert_eq!(contact.channels(), [Channel::Sms]);
    assert_eq!(contact.language, "nn");
    assert_eq!(contact.quiet.unwrap().end, time::macros::time!(07:30));
}

/// A counselor's availability reads back as written, and its notice e-mail makes e-mail the
/// counselor's notice channel.
pub async fn counselor_availability_reads_back_and_gives_the_notice_email(store: &dyn Store) {
    let f = fixture(store).await;
    let availability = CounselorAvailability {
        counselor_id: f.counselor_a,
        contact_hours: "Monday to Thursday 9–15".into(),
        channels: vec!["messages".into(), "phone".into()],
        notice_email: Some("counselor@example.org".into()),
        updated_at: t0(),
    };
    store.put_availability(availability.clone()).await.unwrap();
    assert_eq!(
        store.availability(f.counselor_a).await.unwrap(),
        Some(availability)
    );
    assert_eq!(
        store
            .notice_contact(f.counselor_a)
            .await
            .unwrap()
            .unwrap()
            .channels(),
        [Channel::Email]
    );
}
