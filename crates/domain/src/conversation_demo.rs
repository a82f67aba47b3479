//! Demo conversations (invented): threads waiting for each side, one overdue, one with an
//! attachment. Written through the use cases with the clock set back, so waiting times and
//! audit rows look like real use.

use crate::DomainError;
use crate::clients::{Ctx, Silent};
use crate::conversation::{self, Upload};
use crate::ids::{ClientId, RequestId, UserId};
use crate::ports::{Clock, Store};
use crate::roles::Actor;
use time::{Duration, OffsetDateTime};

/// A clock fixed at one instant (the demo writes "in the past").
struct At(OffsetDateTime);

impl Clock for At {
    fn now(&self) -> OffsetDateTime {
        self.0
    }
}

async fn actor(store: &dyn Store, id: UserId) -> Result<Actor, DomainError> {
    store.actor(id).await?.ok_or(DomainError::NotFound)
}

pub async fn fill(
    store: &dyn Store,
    clock: &dyn Clock,
    client_user: UserId,
    client: ClientId,
    counselor: UserId,
    others: &[(ClientId, UserId)],
) -> Result<(), DomainError> {
    let now = clock.now();
    let kari = actor(store, client_user).await?;
    let vera = actor(store, counselor).await?;
    let at = |ago: Duration| At(now - ago);
    fn ctx<'a>(store: &'a dyn Store, clock: &'a At) -> Ctx<'a> {
        Ctx {
            store,
            clock,
            notifier: &Silent,
            request_id: RequestId::new(),
        }
    }
    let none: &[Upload] = &[];

    // How Vera and Kari keep in touch: her published hours, and their confirmed agreement.
    let c = at(Duration::days(20));
    crate::availability::publish_hours(
        ctx(store, &c),
        &vera,
        "Mandag til torsdag 9–15. Ring gjerne før 11.",
        &["messages".into(), "phone".into()],
        "",
    )
    .await?;
    crate::availability::propose(
        ctx(store, &c),
        &kari,
        client,
        &crate::availability::AgreementInput {
            email_notices: true,
            sms_notices: false,
            phone_calls: true,
            email: "kari.demo@example.invalid".into(),
            phone: "+4790000000".into(),
            quiet_start: "21:00".into(),
            quiet_end: "08:00".into(),
            response_hours: "48".into(),
            language: "nb".into(),
            version: 0,
        },
    )
    .await?;
    let c = at(Duration::days(19));
    crate::availability::confirm(ctx(store, &c), &vera, client, 1).await?;

    // Waiting for the service for three days: overdue.
    let c = at(Duration::days(3));
    conversation::start_thread(
        ctx(store, &c),
        &kari,
        client,
        "Kan vi flytte møtet?",
        "Hei! Jeg har fått time hos legen samme dag som møtet vårt. Kan vi ta det dagen etter?",
        None,
        none,
    )
    .await?;

    // A conversation that now waits for Kari, with no deadline for her.
    let c = at(Duration::days(2));
    let t = conversation::start_thread(
        ctx(store, &c),
        &vera,
        client,
        "Hvordan gikk intervjuet?",
        "Hei Kari! Jeg tenkte på deg i dag. Hvordan gikk intervjuet hos Demo Mat?",
        None,
        none,
    )
    .await?;
    let c = at(Duration::days(2) - Duration::hours(3));
    conversation::open_thread(ctx(store, &c), &kari, client, t, None).await?;
    conversation::send_message(
        ctx(store, &c),
        &kari,
        client,
        t,
        "Det gikk bra, tror jeg! De ringer neste uke.",
        none,
    )
    .await?;
    let c = at(Duration::days(1));
    conversation::open_thread(ctx(store, &c), &vera, client, t, None).await?;
    conversation::send_message(
        ctx(store, &c),
        &vera,
        client,
        t,
        "Så fint! Si fra når du hører noe. Lykke til!",
        none,
    )
    .await?;

    // A letter sent as a PDF.
    let c = at(Duration::hours(5));
    let letter = Upload {
        name: "brev-fra-utleier.pdf".into(),
        bytes: b"%PDF-1.4\n% Oppdiktet brev for demo\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n".to_vec(),
    };
    conversation::start_thread(
        ctx(store, &c),
        &kari,
        client,
        "Brev om husleie",
        "Jeg har fått dette brevet. Kan vi se på det sammen?",
        None,
        &[letter],
    )
    .await?;

    // The other clients: a few threads from counselors, one answered by nobody yet.
    for (i, (other, counselor)) in others.iter().enumerate().take(6) {
        let who = actor(store, *counselor).await?;
        let c = at(Duration::days(i as i64 + 1));
        conversation::start_thread(
            ctx(store, &c),
            &who,
            *other,
            "Hvordan går det?",
            "Hei! Jeg ville bare høre hvordan du har det. Svar når det passer deg.",
            None,
            none,
        )
        .await?;
    }
    Ok(())
}
