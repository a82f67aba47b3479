//! Demo plans (invented people and places): a catalogue of measures per office, and plans
//! with goals, activities of every kind, agreements, conditions with adaptations, questions
//! and proposals waiting for each side. Everything goes through the use cases, so the demo
//! has the same history and audit rows as real use.

use domain::DomainError;
use domain::context::Ctx;
use domain::ids::{ClientId, MeasureId, OfficeId, PlanItemId, RequestId, UserId};
use domain::plan::cases::{self};
use domain::plan::input::ActivityFields;
use domain::plan::model::*;
use domain::ports::{Clock, Store};
use domain::roles::Actor;
use time::Duration;

/// People the demo plans are written by.
pub struct DemoPeople {
    pub admin: UserId,
    /// The demo client with an account, and their counselor.
    pub client_user: UserId,
    pub client_case: ClientId,
    pub counselor: UserId,
    /// Other clients (no account) with their assigned counselor.
    pub others: Vec<(ClientId, UserId)>,
    pub offices: Vec<OfficeId>,
}

async fn actor(store: &dyn Store, id: UserId) -> Result<Actor, DomainError> {
    store.actor(id).await?.ok_or(DomainError::NotFound)
}

#[allow(clippy::too_many_arguments)] // one catalogue entry, field by field
fn measure(
    name: &str,
    description: &str,
    provider: &str,
    duration: &str,
    waiting: Option<u32>,
    no_places: bool,
    may_be_condition: bool,
    saying_no: &str,
) -> MeasureData {
    MeasureData {
        name: name.into(),
        description: description.into(),
        provider: provider.into(),
        duration: duration.into(),
        location: "Storgata 1 (oppdiktet adresse)".into(),
        eligibility: "Du må være over 18 år og følges opp av kontoret.".into(),
        capacity: Some(12),
        waiting_weeks: waiting,
        no_places,
        may_be_condition,
        saying_no: saying_no.into(),
        withdrawn: false,
    }
}

fn catalogue() -> Vec<MeasureData> {
    vec![
        measure(
            "Jobbklubb",
            "Du søker jobb sammen med andre, med hjelp til CV og søknader. Vi møtes tre formiddager i uka.",
            "Demo Arbeid AS (oppdiktet)",
            "8 uker",
            Some(2),
            false,
            true,
            "Du kan si nei. Hvis jobbklubben er et vilkår for pengestøtten din, kan støtten bli redusert. Vi finner da et annet opplegg sammen.",
        ),
        measure(
            "Arbeidstrening i butikk",
            "Du prøver deg i en vanlig butikk, med en fast kontaktperson. Arbeidstiden avtales med deg.",
            "Demo Handel (oppdiktet)",
            "3–6 måneder",
            None,
            true,
            false,
            "Det er helt frivillig. Å si nei får ingen følger for pengestøtten din.",
        ),
        measure(
            "Norskkurs med praksis",
            "Norskundervisning to dager i uka og praksis to dager i uka.",
            "Demo voksenopplæring (oppdiktet)",
            "10 måneder",
            Some(6),
            false,
            true,
            "Du kan si nei. Hvis kurset er et vilkår i introduksjonsprogrammet, må vi snakke om hva som skjer med programmet.",
        ),
        measure(
            "Samtalegruppe om mestring",
            "En liten gruppe som møtes én gang i uka for å snakke om hverdagen, søvn og stress.",
            "Demo helsestasjon (oppdiktet)",
            "6 uker",
            Some(0),
            false,
            false,
            "Det er helt frivillig. Å si nei får ingen følger.",
        ),
    ]
}

/// Fills the catalogue and the demo plans.
pub async fn fill(store: &dyn Store, clock: &dyn Clock, p: &DemoPeople) -> Result<(), DomainError> {
    let ctx = Ctx {
        store,
        clock,
        notifier: &domain::context::Silent,
        request_id: RequestId::new(),
    };
    let admin = actor(store, p.admin).await?;
    let mut measures: Vec<(OfficeId, Vec<MeasureId>)> = vec![];
    for office in &p.offices {
        let mut ids = vec![];
        for m in catalogue() {
            ids.push(cases::put_measure(ctx, &admin, *office, None, m).await?);
        }
        measures.push((*office, ids));
    }
    let first_office_measures = measures.first().map(|m| m.1.clone()).unwrap_or_default();
    let today = clock.now().date();
    let day = |n: i64| Some(PlanDate(today + Duration::days(n)));

    // Kari's own plan, written by her and her counselor.
    let kari = actor(store, p.client_user).await?;
    let vera = actor(store, p.counselor).await?;
    let c = p.client_case;
    cases::save_presentation(
        ctx,
        &kari,
        c,
        None,
        Presentation {
            about: "Jeg er 34 år og bor med to barn. Jeg har jobbet i kafé i mange år.".into(),
            strengths:
                "Jeg er flink med folk og holder orden. Jeg lærer fort når jeg får prøve selv."
                    .into(),
            wishes: "Jeg vil ha en fast jobb med arbeidstid som passer med barnehagen.".into(),
            obstacles: "Ryggen min tåler ikke tunge løft. Bussen går sjelden der jeg bor.".into(),
            archived: false,
        },
    )
    .await?;
    cases::save_preferences(
        ctx,
        &kari,
        c,
        None,
        Preferences {
            contact_channel: Some(ContactChannel::Messages),
            contact_times: "Formiddag, mellom 9 og 14".into(),
            language: "Norsk".into(),
            interpreter: false,
            reading_support: false,
            other: "Bruk gjerne sideinngangen, den er nærmest bussen.".into(),
        },
    )
    .await?;
    let job = cases::add_goal(
        ctx,
        &kari,
        c,
        "Få en fast jobb i butikk eller kafé".into(),
        day(180),
    )
    .await?;
    let health = cases::add_goal(
        ctx,
        &vera,
        c,
        "Finne en arbeidsdag som ryggen tåler".into(),
        None,
    )
    .await?;

    let fields = |kind, title: &str, goal: Option<PlanItemId>, start, end| ActivityFields {
        kind,
        title: title.into(),
        description: String::new(),
        goal_id: goal,
        start,
        end,
        details: ActivityDetails::default(),
    };
    // An application in progress.
    let mut application = fields(
        ActivityKind::JobApplication,
        "Butikkmedarbeider hos Demo Mat",
        Some(job),
        day(-10),
        day(20),
    );
    application.details.employer = "Demo Mat (oppdiktet)".into();
    application.details.position = "Butikkmedarbeider 60 %".into();
    application.details.stage = Some(ApplicationStage::Interview);
    let app = cases::add_activity(ctx, &kari, c, application).await?;
    cases::change_status(ctx, &vera, c, app, 1, ActivityStatus::Planned, "").await?;
    cases::change_status(ctx, &kari, c, app, 2, ActivityStatus::InProgress, "").await?;

    // An agreed job-search condition with an adaptation.
    let mut search = fields(
        ActivityKind::JobSearch,
        "Søke jobber hver uke",
        Some(job),
        day(-30),
        day(60),
    );
    search.details.per_week = Some(3);
    let s = cases::add_activity(ctx, &vera, c, search).await?;
    cases::propose_terms(
        ctx,
        &vera,
        c,
        s,
        1,
        Terms {
            what: "Kari søker på tre jobber i uka og viser søknadene i Vendepunkt.".into(),
            how_often: "Tre søknader hver uke".into(),
            until: day(60),
            condition: true,
            consequence: "Hvis søknadene ikke blir sendt, kan pengestøtten bli redusert. Vi snakker alltid sammen først.".into(),
            adaptation: "To søknader holder i uker med legetime.".into(),
            adaptation_reason: "Legetimene tar en hel dag på grunn av lang reisevei.".into(),
        },
    )
    .await?;
    cases::confirm_terms(ctx, &kari, c, s, 2, true).await?;

    // A measure the counselor suggests, waiting for Kari to decide.
    if let Some(club) = first_office_measures.first() {
        let mut m = fields(
            ActivityKind::Measure,
            "Jobbklubb",
            Some(job),
            day(14),
            day(70),
        );
        m.details.measure_id = Some(*club);
        cases::add_activity(ctx, &vera, c, m).await?;
    }
    // Kari's own proposal, waiting for the counselor.
    let mut own = fields(
        ActivityKind::Internship,
        "Praksis på kafeen i sentrum",
        Some(health),
        day(30),
        day(90),
    );
    own.details.employer = "Demo Kafé (oppdiktet)".into();
    cases::add_activity(ctx, &kari, c, own).await?;
    // Finished and cancelled things, for the history.
    let course = cases::add_activity(
        ctx,
        &vera,
        c,
        fields(
            ActivityKind::Education,
            "Kurs i kundeservice",
            Some(job),
            day(-60),
            day(-40),
        ),
    )
    .await?;
    cases::change_status(ctx, &kari, c, course, 1, ActivityStatus::Planned, "").await?;
    cases::change_status(
        ctx,
        &kari,
        c,
        course,
        2,
        ActivityStatus::Completed,
        "Fikk kursbevis.",
    )
    .await?;
    let physio = cases::add_activity(
        ctx,
        &kari,
        c,
        fields(
            ActivityKind::Health,
            "Fysioterapi for ryggen",
            Some(health),
            day(-20),
            None,
        ),
    )
    .await?;
    cases::change_status(ctx, &vera, c, physio, 1, ActivityStatus::Planned, "").await?;
    let meeting = cases::add_activity(
        ctx,
        &vera,
        c,
        fields(
            ActivityKind::Meeting,
            "Samtale om arbeidstid",
            None,
            day(7),
            day(7),
        ),
    )
    .await?;
    cases::decline(
        ctx,
        &kari,
        c,
        meeting,
        1,
        "Den dagen har barnet mitt fri. Kan vi ta en annen dag?",
    )
    .await?;
    if let Some(job_club) = first_office_measures.get(1) {
        cases::ask_question(
            ctx,
            &kari,
            c,
            *job_club,
            "Kan jeg jobbe bare formiddager i arbeidstreningen?",
        )
        .await?;
    }

    // The other clients: counselor-written plans in different states.
    let titles = [
        (ActivityKind::Own, "Gå tur tre ganger i uka"),
        (ActivityKind::Education, "Ta opp matematikk"),
        (ActivityKind::WageSubsidy, "Lønnstilskudd på lager"),
        (ActivityKind::CurrentJob, "Deltidsjobb i barnehage"),
        (ActivityKind::Meeting, "Oppfølgingsmøte"),
    ];
    for (i, (client, counselor)) in p.others.iter().enumerate() {
        let who = actor(store, *counselor).await?;
        let goal = cases::add_goal(
            ctx,
            &who,
            *client,
            "Komme i arbeid eller utdanning".into(),
            day(365),
        )
        .await?;
        for (n, (kind, title)) in titles.iter().enumerate().take(1 + i % titles.len()) {
            let a = cases::add_activity(
                ctx,
                &who,
                *client,
                fields(*kind, title, Some(goal), day(n as i64 * 7), None),
            )
            .await?;
            if n % 2 == 1 {
                cases::propose_terms(
                    ctx,
                    &who,
                    *client,
                    a,
                    1,
                    Terms {
                        what: format!("{title}, som avtalt i møtet."),
                        how_often: "Hver uke".into(),
                        ..Terms::default()
                    },
                )
                .await?;
            }
        }
    }
    meetings_for_kari(store, ctx.request_id, clock.now(), &kari, &vera, c).await?;
    Ok(())
}

/// A clock standing at a fixed instant (the demo's earlier meeting is played at its own time).
struct At(time::OffsetDateTime);

impl Clock for At {
    fn now(&self) -> time::OffsetDateTime {
        self.0
    }
}

/// Kari's meetings with Vera: one that took place two weeks ago (agenda from both, notes
/// shared, Kari's comment asking for a correction), one agreed for next week with points from
/// both, and one proposal waiting for Kari. All through the use cases, with their rules and
/// audit rows; the earlier meeting is played with the clock set to the days it happened, so
/// its rows carry those times.
async fn meetings_for_kari(
    store: &dyn Store,
    request_id: RequestId,
    now: time::OffsetDateTime,
    kari: &Actor,
    vera: &Actor,
    c: ClientId,
) -> Result<(), DomainError> {
    use domain::meetings::{self, Answer, ProposalInput};
    use domain::oslo;
    let at = |t| At(domain::ports::truncate_to_micros(t));
    let local = |days: i64, hour: u8, minute: u8| {
        let day = oslo::to_local(now).date() + Duration::days(days);
        let t = time::Time::from_hms(hour, minute, 0).unwrap_or(time::Time::MIDNIGHT);
        (
            format!("{}T{:02}:{:02}", day, hour, minute),
            oslo::from_local(time::PrimitiveDateTime::new(day, t)),
        )
    };
    let proposal =
        |starts_at: String, minutes: &str, mode: &str, place: &str, purpose: &str| ProposalInput {
            starts_at,
            duration_minutes: minutes.into(),
            mode: mode.into(),
            place: place.into(),
            purpose: purpose.into(),
        };

    // Two weeks ago, proposed the day before.
    let (when, start) = local(-14, 10, 0);
    let before = at(start - Duration::days(1));
    let ctx = Ctx {
        store,
        clock: &before,
        notifier: &domain::context::Silent,
        request_id,
    };
    let past = meetings::propose(
        ctx,
        vera,
        c,
        &proposal(
            when,
            "60",
            "in-person",
            "Kontoret, Storgata 1 (oppdiktet adresse)",
            "Oppfølging: jobbsøking og arbeidstid",
        ),
    )
    .await?;
    meetings::answer(ctx, kari, c, past, 1, Answer::Accept).await?;
    meetings::add_agenda_point(ctx, vera, c, past, "Hvordan det går med søknadene").await?;
    meetings::add_agenda_point(ctx, kari, c, past, "Arbeidstid som passer med barnehagen").await?;
    let after = at(start + Duration::hours(1));
    let ctx = Ctx {
        clock: &after,
        ..ctx
    };
    meetings::write_notes(
        ctx,
        vera,
        c,
        past,
        "Kari har sendt fem søknader siden sist. Hun ønsker arbeid fire dager i uka, mellom 9 og 15, så hun rekker barnehagen.\nVi avtalte at Vera sjekker om Demo Mat kan tilby deltid, og at Kari øver på intervju før neste møte.",
        true,
    )
    .await?;
    let next_day = at(start + Duration::days(1));
    let ctx = Ctx {
        clock: &next_day,
        ..ctx
    };
    meetings::comment_on_notes(
        ctx,
        kari,
        c,
        past,
        "Takk for referatet. Jeg sa tre dager i uka, ikke fire. Kan du rette det?",
        true,
    )
    .await?;

    // Next week, agreed, with points from both.
    let today = at(now);
    let ctx = Ctx {
        clock: &today,
        ..ctx
    };
    let (when, _) = local(6, 13, 0);
    let next = meetings::propose(
        ctx,
        kari,
        c,
        &proposal(when, "45", "video", "", "Forberede intervjuet hos Demo Mat"),
    )
    .await?;
    meetings::answer(ctx, vera, c, next, 1, Answer::Accept).await?;
    meetings::add_agenda_point(ctx, vera, c, next, "Øve på vanlige spørsmål i intervju").await?;
    meetings::add_agenda_point(ctx, kari, c, next, "Hva jeg skal si om ryggen min").await?;

    // A proposal from Vera that waits for Kari's answer.
    let (when, _) = local(10, 9, 30);
    meetings::propose(
        ctx,
        vera,
        c,
        &proposal(
            when,
            "30",
            "phone",
            "Vera ringer deg",
            "Kort prat om jobbklubben",
        ),
    )
    .await?;
    Ok(())
}
