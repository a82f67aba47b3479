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

/// The caseload's contact status for many clients in one call: for each, the check-in
/// frequency and the latest of its last message and its last plan change (an edited item
/// counts at its edit, and every item counts, not only the first).
pub async fn the_contact_status_of_several_clients_is_each_ones_own(store: &dyn Store) {
    use super::conversation::{message, talk};
    use super::event;
    use super::plan::plan_write;
    use domain::audit::{AuditAction, DataKind};
    use domain::conversation::store::NewThread;
    use domain::ids::{PlanItemId, ThreadId};
    use domain::roles::Role;

    let talk = talk(store).await; // the client's messages at minutes 0 and 1
    let f = &talk.f;
    let write_versions = |client: ClientId, item: PlanItemId, upto: i64| async move {
        let mut before: Option<String> = None;
        for v in 1..=upto {
            let data = format!("{{\"v\":{v}}}");
            store
                .write_plan_item(plan_write(
                    f.counselor_a,
                    client,
                    item,
                    v,
                    &data,
                    before.as_deref(),
                ))
                .await
                .unwrap();
            before = Some(data);
        }
    };
    // `talk.client`: a plan item edited up to minute 5, later than the messages.
    write_versions(talk.client, PlanItemId::new(), 5).await;
    // `talk.other`: two items, the first edited up to minute 3, the second written at
    // minute 1; and a message of its own at minute 9, the latest.
    write_versions(talk.other, PlanItemId::new(), 3).await;
    write_versions(talk.other, PlanItemId::new(), 1).await;
    let thread = ThreadId::new();
    store
        .create_thread(
            NewThread {
                id: thread,
                client_id: talk.other,
                subject: "Hello".into(),
                about: None,
                created_at: t0(),
            },
            message(thread, talk.other, f.counselor_a, Side::Counselor, "Hi", 9),
            event(
                f.counselor_a,
                Role::Counselor,
                talk.other,
                DataKind::Messages,
                AuditAction::Created,
            ),
            vec![],
        )
        .await
        .unwrap();
    // A client with plan changes only, one with a frequency only, one with nothing.
    let plan_only = new_client(store, f, f.office_a, "Per Plan", false, None).await;
    write_versions(plan_only, PlanItemId::new(), 2).await;
    let frequency_only = new_client(store, f, f.office_a, "Siv Stille", false, None).await;
    store
        .set_checkin_frequency(
            frequency_only,
            Some(7),
            event(
                f.counselor_a,
                Role::Counselor,
                frequency_only,
                DataKind::Messages,
                AuditAction::Changed,
            ),
        )
        .await
        .unwrap();
    let nothing = new_client(store, f, f.office_b, "Liv Ny", false, None).await;

    let asked = [nothing, talk.client, frequency_only, plan_only, talk.other];
    let status = store.contact_status(&asked).await.unwrap();
    assert_eq!(status.len(), asked.len(), "one status per client asked for");
    let of = |c: ClientId| {
        let s = status.iter().find(|s| s.client_id == c).expect("asked for");
        (s.every_days, s.last_contact)
    };
    let at = |m: i64| Some(t0() + Duration::minutes(m));
    assert_eq!(
        of(talk.client),
        (None, at(5)),
        "the plan change after the messages"
    );
    assert_eq!(
        of(talk.other),
        (None, at(9)),
        "the message after the plan changes"
    );
    assert_eq!(
        of(plan_only),
        (None, at(2)),
        "the item's edit, not its creation"
    );
    assert_eq!(of(frequency_only), (Some(7), None));
    assert_eq!(of(nothing), (None, None));
    // Asked one by one, the same answers.
    for c in asked {
        let one = store.contact_status(&[c]).await.unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!((one[0].every_days, one[0].last_contact), of(c));
    }
    assert!(store.contact_status(&[]).await.unwrap().is_empty());
}
