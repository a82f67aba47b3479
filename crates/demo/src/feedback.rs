//! Invented demo feedback for `serve --demo`: a year of answers in the demo office (Nordby)
//! across three teams and four counselors, so that leader dashboards show trends and a
//! suppressed cell (Team arbeid has only four clients, so three or four answer in a quarter),
//! some clients with prompts for their counselor, and Kari (demo-client) with earlier shared
//! answers that dropped (Vera sees the prompt) and an open invitation after her meeting two
//! weeks ago. All names are invented.

use domain::DomainError;
use domain::accounts::store::NewUser;
use domain::audit::{AuditAction, DataKind, NewAuditEvent};
use domain::cases::store::NewClient;
use domain::feedback::Quarter;
use domain::feedback::instrument::{BUILTIN_ID, BUILTIN_VERSION};
use domain::feedback::responses::{Answers, CHANGE_WINDOW, ensure_builtin};
use domain::feedback::store::{InvitationRow, InviteReason, InviteState, ResponseRow};
use domain::ids::{
    AuditId, ClientId, FeedbackInvitationId, FeedbackResponseId, MeetingId, OfficeId,
    OrganisationId, RequestId, TeamId, UserId,
};
use domain::meetings::MeetingStatus;
use domain::organisation::store::NewTeam;
use domain::ports::{Clock, Store};
use domain::roles::{Role, RoleGrant};
use domain::types::{PersonName, UnitName, Username};
use time::{Duration, OffsetDateTime};

/// Who the demo already has.
pub struct DemoPeople {
    pub org: OrganisationId,
    pub office: OfficeId,
    /// Team ung, with Vera and Petter.
    pub team: TeamId,
    pub admin: UserId,
    pub vera: UserId,
    pub petter: UserId,
    pub kari_user: UserId,
    pub kari_case: ClientId,
    /// The demo password's hash, for the two extra counselors.
    pub password_hash: String,
}

const PEOPLE: [&str; 19] = [
    "Tuva Aasen",
    "Lars Bakke",
    "Hedda Eide",
    "Ali Fossum",
    "Frida Gran",
    "Sander Hovland",
    "Ylva Moen",
    "Kasper Ruud",
    "Ida Sand",
    "Noah Tangen",
    "Eline Vik",
    "Magnus Aasen",
    "Sofie Bakke",
    "Adrian Eide",
    "Vilde Fossum",
    "Jakob Gran",
    "Linnea Hovland",
    "Elias Moen",
    "Thea Ruud",
];

const HELPED: [&str; 4] = [
    "At veilederen tok seg tid til å høre på meg.",
    "Å få ordnet økonomien først.",
    "Praksisplassen jeg fant selv ble godkjent raskt.",
    "Jeg fikk vite hva som skulle skje videre.",
];
const BETTER: [&str; 4] = [
    "Svar litt raskere på meldinger.",
    "Mindre bytte av veileder.",
    "Si tidligere hva som kan gå galt.",
    "Flere valg enn bare ett kurs.",
];

fn bad(field: &'static str) -> impl Fn(domain::types::FieldError) -> DomainError {
    move |e| DomainError::invalid(field, e)
}

/// A small deterministic generator (the demo looks the same every time).
struct Dice(u64);

impl Dice {
    fn roll(&mut self, n: i64) -> i64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        ((self.0 >> 33) % n.max(1) as u64) as i64
    }
}

struct Writer<'a> {
    store: &'a dyn Store,
    office: OfficeId,
}

impl Writer<'_> {
    #[allow(clippy::too_many_arguments)]
    async fn answer(
        &self,
        client: ClientId,
        user: UserId,
        team: TeamId,
        counselor: UserId,
        at: OffsetDateTime,
        themes: [Option<i64>; 6],
        shared: bool,
        texts: Answers,
        meeting: Option<MeetingId>,
    ) -> Result<(), DomainError> {
        let invitation = FeedbackInvitationId::new();
        let quarter = Quarter::of(at).to_string();
        self.store
            .create_invitation(InvitationRow {
                id: invitation,
                client_id: client,
                office_id: self.office,
                team_id: Some(team),
                counselor_id: Some(counselor),
                quarter: quarter.clone(),
                reason: if meeting.is_some() {
                    InviteReason::Meeting
                } else {
                    InviteReason::Monthly
                },
                meeting_id: meeting,
                invited_at: at - Duration::hours(2),
                state: InviteState::Open,
                closed_at: None,
            })
            .await?;
        let mut answers = texts;
        for (i, t) in domain::feedback::Theme::ALL.iter().enumerate() {
            if let Some(v) = themes[i] {
                answers.items.insert(t.as_str().to_string(), v);
            }
        }
        self.store
            .insert_response(
                ResponseRow {
                    id: FeedbackResponseId::new(),
                    client_id: client,
                    author_id: user,
                    office_id: self.office,
                    team_id: Some(team),
                    counselor_id: Some(counselor),
                    instrument_id: BUILTIN_ID.into(),
                    instrument_version: BUILTIN_VERSION,
                    meeting_id: meeting,
                    quarter,
                    answered_at: at,
                    changeable_until: at + CHANGE_WINDOW,
                    shared_with_counselor: shared,
                    themes,
                    answers: serde_json::to_string(&answers).unwrap_or_default(),
                },
                Some(invitation),
                NewAuditEvent {
                    id: AuditId::new(),
                    at,
                    actor_id: user,
                    actor_role: Role::Client,
                    client_id: client,
                    data_kind: DataKind::Feedback,
                    action: AuditAction::Created,
                    request_id: RequestId::new(),
                    reason: None,
                    listed: Vec::new(),
                },
            )
            .await?;
        Ok(())
    }

    async fn dismissed(
        &self,
        client: ClientId,
        team: TeamId,
        counselor: UserId,
        at: OffsetDateTime,
    ) -> Result<(), DomainError> {
        let id = FeedbackInvitationId::new();
        self.store
            .create_invitation(InvitationRow {
                id,
                client_id: client,
                office_id: self.office,
                team_id: Some(team),
                counselor_id: Some(counselor),
                quarter: Quarter::of(at).to_string(),
                reason: InviteReason::Monthly,
                meeting_id: None,
                invited_at: at,
                state: InviteState::Open,
                closed_at: None,
            })
            .await?;
        self.store
            .close_invitation(
                id,
                client,
                InviteState::Dismissed,
                at + Duration::minutes(1),
            )
            .await?;
        Ok(())
    }
}

/// Fills the demo's feedback (see the module documentation).
pub async fn fill(store: &dyn Store, clock: &dyn Clock, p: &DemoPeople) -> Result<(), DomainError> {
    ensure_builtin(store, clock).await?;
    let now = clock.now();
    let w = Writer {
        store,
        office: p.office,
    };

    // Two more teams in Nordby, each with its own counselor.
    let mut teams = vec![(p.team, vec![p.vera, p.petter])];
    for (team_name, username, full) in [
        ("Team voksen", "demo-counselor-5", "Siri Solheim"),
        ("Team arbeid", "demo-counselor-6", "Omar Ottesen"),
    ] {
        let team = TeamId::new();
        store
            .create_team(NewTeam {
                id: team,
                office_id: p.office,
                name: UnitName::parse(team_name).map_err(bad("name"))?,
                created_at: now,
            })
            .await?;
        let user = NewUser {
            id: UserId::new(),
            organisation_id: p.org,
            username: Username::parse(username).map_err(bad("username"))?,
            display_name: PersonName::parse(full).map_err(bad("name"))?,
            password_hash: Some(p.password_hash.clone()),
            grants: vec![RoleGrant {
                role: Role::Counselor,
                office_id: Some(p.office),
            }],
            protected_access: vec![],
            created_at: now,
        };
        let id = user.id;
        store.create_user(user).await?;
        store.add_team_member(team, id).await?;
        teams.push((team, vec![id]));
    }

    // 8 clients in Team ung, 7 in Team voksen, 4 in Team arbeid. Each has an account that
    // cannot log in (no password): a response's author is the client's own account.
    let layout: [(usize, usize); 19] = [
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 0),
        (0, 1),
        (0, 1),
        (0, 1),
        (0, 1),
        (1, 0),
        (1, 0),
        (1, 0),
        (1, 0),
        (1, 0),
        (1, 0),
        (1, 0),
        (2, 0),
        (2, 0),
        (2, 0),
        (2, 0),
    ];
    let audit = |client: ClientId, kind, action| NewAuditEvent {
        id: AuditId::new(),
        at: now,
        actor_id: p.admin,
        actor_role: Role::Administrator,
        client_id: client,
        data_kind: kind,
        action,
        request_id: RequestId::new(),
        reason: None,
        listed: Vec::new(),
    };
    let mut dice = Dice(20_261_130);
    for (k, (full, (t, c))) in PEOPLE.iter().zip(layout).enumerate() {
        let (team, counselors) = &teams[t];
        let counselor = counselors[c];
        let user = NewUser {
            id: UserId::new(),
            organisation_id: p.org,
            username: Username::parse(&format!("demo-person-{:02}", k + 1))
                .map_err(bad("username"))?,
            display_name: PersonName::parse(full).map_err(bad("name"))?,
            password_hash: None,
            grants: vec![],
            protected_access: vec![],
            created_at: now,
        };
        let user_id = user.id;
        store.create_user(user).await?;
        let client = ClientId::new();
        store
            .create_client(
                NewClient {
                    id: client,
                    office_id: p.office,
                    user_id: Some(user_id),
                    name: PersonName::parse(full).map_err(bad("name"))?,
                    protected: false,
                    created_at: now - Duration::days(400),
                },
                audit(client, DataKind::CaseOverview, AuditAction::Created),
            )
            .await?;
        store
            .assign_counselor(
                client,
                counselor,
                audit(client, DataKind::Assignment, AuditAction::Changed),
            )
            .await?;
        // Twelve monthly checks over the past year; about two in three answered.
        for m in 0..12i64 {
            let at =
                now - Duration::days(360 - m * 30 - (k as i64 % 9)) + Duration::hours(k as i64 % 5);
            if (k as i64 + m) % 3 == 2 {
                w.dismissed(client, *team, counselor, at).await?;
                continue;
            }
            let progress = m as f64 / 11.0;
            let mut score = |theme: usize| -> Option<i64> {
                if dice.roll(12) == 0 {
                    return None; // skipped
                }
                let base: f64 = match (t, theme) {
                    // Team ung: things happen faster through the year.
                    (0, 3) => 4.0 + 4.0 * progress,
                    (0, _) => 7.0,
                    // Team voksen: knowing what happens next slips.
                    (1, 5) => 7.5 - 3.5 * progress,
                    (1, _) => 6.5 + progress,
                    _ => 6.0,
                };
                Some((base + dice.roll(3) as f64 - 1.0).round().clamp(0.0, 10.0) as i64)
            };
            let mut themes: [Option<i64>; 6] = std::array::from_fn(&mut score);
            // Two of Vera's clients had a bad last month: their counselor is prompted.
            if m == 11 && t == 0 && c == 0 && k % 2 == 1 {
                themes[0] = Some(2);
            }
            let shared = (k as i64 * 7 + m) % 10 < 7 || (m == 11 && t == 0);
            let mut texts = Answers::default();
            if dice.roll(4) == 0 {
                texts.texts.insert(
                    "helped-most".into(),
                    HELPED[dice.roll(HELPED.len() as i64) as usize].into(),
                );
            }
            if dice.roll(5) == 0 {
                texts.texts.insert(
                    "make-better".into(),
                    BETTER[dice.roll(BETTER.len() as i64) as usize].into(),
                );
            }
            w.answer(
                client, user_id, *team, counselor, at, themes, shared, texts, None,
            )
            .await?;
        }
    }

    // Kari: three earlier shared answers, the last one clearly lower (Vera is prompted), and
    // an open invitation after the meeting that took place two weeks ago.
    let kari = [
        (
            100,
            [8, 8, 7, 8, 7, 8],
            "At Vera tok seg tid til å høre på meg.",
            "",
        ),
        (70, [8, 7, 8, 7, 8, 8], "", ""),
        (
            40,
            [5, 5, 4, 6, 5, 5],
            "",
            "Det har gått tregt i det siste, og jeg vet ikke hva som skjer.",
        ),
    ];
    for (days, scores, helped, better) in kari {
        let mut texts = Answers::default();
        if !helped.is_empty() {
            texts.texts.insert("helped-most".into(), helped.into());
        }
        if !better.is_empty() {
            texts.texts.insert("make-better".into(), better.into());
        }
        w.answer(
            p.kari_case,
            p.kari_user,
            p.team,
            p.vera,
            now - Duration::days(days),
            scores.map(Some),
            true,
            texts,
            None,
        )
        .await?;
    }
    // Kari's own view of her meetings (a client's own view writes no audit row).
    let kari_actor = store
        .actor(p.kari_user)
        .await?
        .ok_or(DomainError::NotFound)?;
    let ctx = domain::context::Ctx {
        store,
        clock,
        notifier: &domain::context::Silent,
        request_id: domain::ids::RequestId::new(),
    };
    let (_, past) = domain::meetings::list(ctx, &kari_actor, p.kari_case, None).await?;
    let past_meeting = past
        .into_iter()
        .filter(|m| m.status == MeetingStatus::Accepted && m.ends_at() <= now)
        .max_by_key(|m| m.ends_at());
    store
        .create_invitation(InvitationRow {
            id: FeedbackInvitationId::new(),
            client_id: p.kari_case,
            office_id: p.office,
            team_id: Some(p.team),
            counselor_id: Some(p.vera),
            quarter: Quarter::of(now).to_string(),
            reason: InviteReason::Meeting,
            meeting_id: past_meeting.as_ref().map(|m| m.id),
            invited_at: past_meeting.map_or(now - Duration::days(1), |m| m.ends_at()),
            state: InviteState::Open,
            closed_at: None,
        })
        .await?;
    Ok(())
}
