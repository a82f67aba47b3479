//! Demo conversations (invented): threads waiting for each side, one overdue, one with an
//! attachment. Written through the use cases with the clock set back, so waiting times and
//! audit rows look like real use.

use domain::DomainError;
use domain::context::{Ctx, Silent};
use domain::conversation::attachments::FileCleaner;
use domain::conversation::{self, Upload};
use domain::ids::{ClientId, RequestId, UserId};
use domain::ports::{Clock, Store};
use domain::roles::Actor;
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
    cleaner: &dyn FileCleaner,
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
    domain::contact::publish_hours(
        ctx(store, &c),
        &vera,
        "Mandag til torsdag 9–15. Ring gjerne før 11.",
        &["messages".into(), "phone".into()],
        "",
    )
    .await?;
    domain::contact::propose(
        ctx(store, &c),
        &kari,
        client,
        &domain::contact::AgreementInput {
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
    domain::contact::confirm(ctx(store, &c), &vera, client, 1).await?;

    // Waiting for the service for three days: overdue.
    let c = at(Duration::days(3));
    conversation::start_thread(
        ctx(store, &c),
        cleaner,
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
        cleaner,
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
        cleaner,
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
        cleaner,
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
        bytes: demo_letter(),
    };
    conversation::start_thread(
        ctx(store, &c),
        cleaner,
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
            cleaner,
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

/// An invented one-page letter as a PDF (header, four objects, cross-reference table and
/// trailer), so the demo's attachment is a real document like any upload.
pub fn demo_letter() -> Vec<u8> {
    let text = "BT /F1 12 Tf 72 760 Td (Oppdiktet brev fra utleier, bare for demo.) Tj ET";
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!("<< /Length {} >>\nstream\n{text}\nendstream", text.len()),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::with_capacity(objects.len());
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    pdf
}
