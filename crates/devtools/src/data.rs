//! Builds generated rows in memory (no I/O): the organisation's offices, counselors and
//! catalogues once, then clients in batches, each client with an account, a counselor of
//! their office, and a plan whose items carry every version in their history.
//!
//! Plan documents are the domain's own types serialized with serde_json, exactly as the use
//! cases store them, so every page can decode every generated item.

use crate::texts as t;
use domain::ids::{ClientId, MeasureId, OfficeId, OrganisationId, PlanItemId, UserId};
use domain::plan::{
    Activity, ActivityDetails, ActivityKind, ActivityStatus, Agreement, ApplicationStage,
    ContactChannel, Goal, GoalStatus, ItemKind, MeasureData, PlanDate, Preferences, Presentation,
    Question, Side, Terms, TermsProposal,
};
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use serde::Serialize;
use time::{Duration, OffsetDateTime};

/// Share of clients with a protected identity (only counselors with the special permission
/// reach them).
pub const PROTECTED_SHARE: f64 = 0.01;
/// Share of plan items that went through more than one version (two or three).
pub const MULTI_VERSION_SHARE: f64 = 1.0 / 3.0;

pub fn office_count(clients: u64) -> u64 {
    (clients / 2_500).max(2)
}

pub fn counselor_count(clients: u64) -> u64 {
    (clients / 50).max(office_count(clients))
}

pub struct Person {
    pub id: UserId,
    pub username: String,
    pub display_name: String,
    pub created_at: OffsetDateTime,
}

pub struct OfficeRow {
    pub id: OfficeId,
    pub name: String,
    pub created_at: OffsetDateTime,
}

pub struct MeasureRecord {
    pub id: MeasureId,
    pub office_id: OfficeId,
    pub updated_at: OffsetDateTime,
    pub data: String,
}

/// Rows written once, before the clients.
pub struct Setup {
    /// `Some(name)` when the organisation is new (otherwise it exists already).
    pub new_organisation: Option<String>,
    pub organisation_id: OrganisationId,
    pub now: OffsetDateTime,
    pub offices: Vec<OfficeRow>,
    pub counselors: Vec<Person>,
    /// (counselor, office): the counselor role at that office.
    pub grants: Vec<(UserId, OfficeId)>,
    /// (counselor, office): may reach protected clients there.
    pub protected_access: Vec<(UserId, OfficeId)>,
    pub measures: Vec<MeasureRecord>,
}

struct CatalogueEntry {
    id: MeasureId,
    name: &'static str,
    may_be_condition: bool,
}

struct OfficeInfo {
    id: OfficeId,
    counselors: Vec<UserId>,
    protected_counselors: Vec<UserId>,
    measures: Vec<CatalogueEntry>,
}

/// What client batches need to know about the setup.
pub struct World {
    now: OffsetDateTime,
    offices: Vec<OfficeInfo>,
    /// Cumulative office weights (offices differ in size).
    cumulative: Vec<f64>,
}

pub struct ClientRow {
    pub id: ClientId,
    pub office_id: OfficeId,
    pub user_id: UserId,
    pub name: String,
    pub protected: bool,
    pub counselor: UserId,
    pub created_at: OffsetDateTime,
}

pub struct ItemRow {
    pub id: PlanItemId,
    pub client_id: ClientId,
    pub kind: &'static str,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    /// The current version's document (JSON).
    pub data: String,
    /// `data` as the store keeps it ([`Batch::encode`]).
    pub stored: Vec<u8>,
    /// The due date of an open activity (`plan_items.due`): its `end` while planned or in
    /// progress, as the stores compute it from the document.
    pub due: Option<String>,
}

/// One version of an item, stored as the stores keep it (migration 0016): the document the
/// change replaced (`before`, none for version 1); the document after it is the next
/// version's `before`, or the item's `data` for its last version.
pub struct HistoryRow {
    pub item_id: PlanItemId,
    pub version: i64,
    pub at: OffsetDateTime,
    pub actor_id: UserId,
    pub actor_role: &'static str,
    pub change: &'static str,
    pub before: Option<String>,
    /// The document this version wrote (not written: the store derives it), against which
    /// `before` is compressed.
    pub after: String,
    /// `before` as the store keeps it ([`Batch::encode`]).
    pub stored_before: Option<Vec<u8>>,
}

/// One batch of complete clients: written in one transaction.
#[derive(Default)]
pub struct Batch {
    pub users: Vec<Person>,
    pub clients: Vec<ClientRow>,
    pub items: Vec<ItemRow>,
    pub history: Vec<HistoryRow>,
}

impl Batch {
    /// Puts every document into the form the store keeps it in: `current` for the items'
    /// documents, `replaced(before, after)` for the earlier versions (the store's
    /// `bulk::encode_plan_document` and `bulk::encode_replaced_plan_document`).
    pub fn encode(&mut self, current: fn(&str) -> Vec<u8>, replaced: fn(&str, &str) -> Vec<u8>) {
        for i in &mut self.items {
            i.stored = current(&i.data);
        }
        for h in &mut self.history {
            h.stored_before = h.before.as_deref().map(|b| replaced(b, &h.after));
        }
    }
}

fn micros(t: OffsetDateTime) -> OffsetDateTime {
    domain::ports::truncate_to_micros(t)
}

fn pick<T: Copy>(rng: &mut StdRng, list: &[T]) -> T {
    // Every list in texts.rs is non-empty; the fallback keeps this total without a panic.
    match list.choose(rng) {
        Some(v) => *v,
        None => list[0],
    }
}

fn person_name(rng: &mut StdRng) -> String {
    format!("{} {}", pick(rng, t::FIRST_NAMES), pick(rng, t::LAST_NAMES))
}

fn office_name(i: usize) -> String {
    let combos = t::PLACE_PREFIXES.len() * t::PLACE_ROOTS.len();
    let c = i % combos;
    let place = format!(
        "{}{}",
        t::PLACE_PREFIXES[c / t::PLACE_ROOTS.len()],
        t::PLACE_ROOTS[c % t::PLACE_ROOTS.len()]
    );
    match i / combos {
        0 => format!("{place} kontor"),
        d => {
            let district = t::DISTRICTS[(d - 1) % t::DISTRICTS.len()];
            let round = (d - 1) / t::DISTRICTS.len();
            if round == 0 {
                format!("{place} kontor, {district}")
            } else {
                format!("{place} kontor, {district} ({})", round + 1)
            }
        }
    }
}

fn json<T: Serialize>(v: &T) -> String {
    // Serializing these plain structs cannot fail (no maps with non-string keys).
    serde_json::to_string(v).unwrap_or_default()
}

/// Plans the offices, counselors and catalogues for `clients` clients. Numbers continue
/// after `first_office` and `first_counselor` (for `--append`).
pub fn setup(
    rng: &mut StdRng,
    clients: u64,
    organisation: Option<OrganisationId>,
    first_office: u64,
    first_counselor: u64,
    now: OffsetDateTime,
) -> (Setup, World) {
    let now = micros(now);
    let offices_n = office_count(clients) as usize;
    let counselors_n = counselor_count(clients) as usize;
    let organisation_id = organisation.unwrap_or_default();
    let founded = micros(now - Duration::days(3 * 365 + 30));
    let weights: Vec<f64> = (0..offices_n).map(|_| rng.random_range(0.5..1.5)).collect();
    let total: f64 = weights.iter().sum();
    // Counselors in proportion to office size, at least one each.
    let mut per_office: Vec<usize> = weights
        .iter()
        .map(|w| ((w / total) * counselors_n as f64).floor().max(1.0) as usize)
        .collect();
    let mut assigned: usize = per_office.iter().sum();
    let mut i = 0;
    while assigned < counselors_n {
        per_office[i % offices_n] += 1;
        assigned += 1;
        i += 1;
    }
    let mut setup = Setup {
        new_organisation: organisation.is_none().then(|| t::ORGANISATION.to_string()),
        organisation_id,
        now,
        offices: vec![],
        counselors: vec![],
        grants: vec![],
        protected_access: vec![],
        measures: vec![],
    };
    let mut infos = vec![];
    let mut counselor_no = first_counselor;
    for (o, count) in per_office.iter().enumerate() {
        let id = OfficeId::new();
        setup.offices.push(OfficeRow {
            id,
            name: office_name(first_office as usize + o),
            created_at: founded,
        });
        let mut info = OfficeInfo {
            id,
            counselors: vec![],
            protected_counselors: vec![],
            measures: vec![],
        };
        for c in 0..*count {
            let p = Person {
                id: UserId::new(),
                username: format!("gen-counselor-{counselor_no}"),
                display_name: person_name(rng),
                created_at: founded,
            };
            counselor_no += 1;
            setup.grants.push((p.id, id));
            // The first counselor or two of each office hold the special permission for
            // protected clients, who are assigned only to them.
            if c < 2 {
                setup.protected_access.push((p.id, id));
                info.protected_counselors.push(p.id);
            }
            info.counselors.push(p.id);
            setup.counselors.push(p);
        }
        let mut templates: Vec<usize> = (0..t::MEASURES.len()).collect();
        templates.shuffle(rng);
        let k = rng.random_range(8..=12).min(templates.len());
        for &m in &templates[..k] {
            let (name, description, provider, duration, eligibility, saying_no, may) =
                t::MEASURES[m];
            let no_places = rng.random_bool(0.1);
            let data = MeasureData {
                name: name.to_string(),
                description: description.to_string(),
                provider: provider.to_string(),
                duration: duration.to_string(),
                location: pick(rng, t::MEASURE_LOCATIONS).to_string(),
                eligibility: eligibility.to_string(),
                capacity: rng.random_bool(0.7).then(|| rng.random_range(5..40)),
                waiting_weeks: (!no_places && rng.random_bool(0.6))
                    .then(|| rng.random_range(0..12)),
                no_places,
                may_be_condition: may,
                saying_no: saying_no.to_string(),
                withdrawn: false,
            };
            let mid = MeasureId::new();
            setup.measures.push(MeasureRecord {
                id: mid,
                office_id: id,
                updated_at: founded,
                data: json(&data),
            });
            info.measures.push(CatalogueEntry {
                id: mid,
                name,
                may_be_condition: may,
            });
        }
        infos.push(info);
    }
    let mut cumulative = Vec::with_capacity(weights.len());
    let mut sum = 0.0;
    for w in &weights {
        sum += w;
        cumulative.push(sum);
    }
    let world = World {
        now,
        offices: infos,
        cumulative,
    };
    (setup, world)
}

impl World {
    fn office(&self, rng: &mut StdRng) -> &OfficeInfo {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let x = rng.random_range(0.0..total);
        let i = self.cumulative.partition_point(|c| *c <= x);
        &self.offices[i.min(self.offices.len() - 1)]
    }

    /// `count` complete clients numbered from `first`. Rows of different clients are
    /// interleaved, as they would be after years of use, so one client's items do not sit
    /// side by side in the table.
    pub fn batch(&self, rng: &mut StdRng, first: u64, count: u64) -> Batch {
        let mut b = Batch::default();
        for n in first..first + count {
            self.client(rng, n, &mut b);
        }
        b.items.shuffle(rng);
        b.history.shuffle(rng);
        b
    }

    fn client(&self, rng: &mut StdRng, n: u64, b: &mut Batch) {
        let office = self.office(rng);
        let protected = rng.random_bool(PROTECTED_SHARE);
        let counselor = if protected {
            pick(rng, &office.protected_counselors)
        } else {
            pick(rng, &office.counselors)
        };
        let name = person_name(rng);
        let created_at =
            micros(self.now - Duration::minutes(rng.random_range(14 * 24 * 60..3 * 365 * 24 * 60)));
        let user = Person {
            id: UserId::new(),
            username: format!("gen-client-{n}"),
            display_name: name.clone(),
            created_at,
        };
        let c = ClientCtx {
            id: ClientId::new(),
            user: user.id,
            counselor,
            created_at,
            now: self.now,
            office,
        };
        b.clients.push(ClientRow {
            id: c.id,
            office_id: office.id,
            user_id: user.id,
            name,
            protected,
            counselor,
            created_at,
        });
        b.users.push(user);
        c.plan(rng, b);
    }
}

struct ClientCtx<'a> {
    id: ClientId,
    user: UserId,
    counselor: UserId,
    created_at: OffsetDateTime,
    now: OffsetDateTime,
    office: &'a OfficeInfo,
}

/// One version of an item: the document, what happened, who did it, when.
struct Step {
    data: String,
    due: Option<String>,
    change: &'static str,
    by: Side,
}

/// A plan document, and the due date the reminders look for (only open activities have one).
trait Document: Serialize {
    fn due(&self) -> Option<String> {
        None
    }
}

impl Document for Activity {
    fn due(&self) -> Option<String> {
        matches!(
            self.status,
            ActivityStatus::Planned | ActivityStatus::InProgress
        )
        .then_some(self.end)
        .flatten()
        .map(|d| d.to_string())
    }
}
impl Document for Goal {}
impl Document for Presentation {}
impl Document for Preferences {}
impl Document for Question {}

fn date(t: OffsetDateTime) -> PlanDate {
    PlanDate(t.date())
}

fn days(rng: &mut StdRng, lo: i64, hi: i64) -> Duration {
    Duration::days(rng.random_range(lo..hi))
}

impl ClientCtx<'_> {
    /// A moment in the client's follow-up, `share` of the way from its start to now.
    fn moment(&self, rng: &mut StdRng, lo: f64, hi: f64) -> OffsetDateTime {
        let span = (self.now - self.created_at).whole_seconds().max(1) as f64;
        let s = rng.random_range(lo..hi) * span;
        micros(
            self.created_at
                + Duration::seconds(s as i64)
                + Duration::microseconds(rng.random_range(0..1_000_000)),
        )
    }

    fn versions(&self, rng: &mut StdRng) -> usize {
        if rng.random_bool(MULTI_VERSION_SHARE) {
            rng.random_range(2..=3)
        } else {
            1
        }
    }

    /// Writes the item row (at its last version) and one history row per version.
    fn push(
        &self,
        rng: &mut StdRng,
        b: &mut Batch,
        id: PlanItemId,
        kind: ItemKind,
        created_at: OffsetDateTime,
        steps: Vec<Step>,
    ) {
        let mut at = created_at;
        let mut before: Option<String> = None;
        let last = steps.len();
        for (i, step) in steps.into_iter().enumerate() {
            if i > 0 {
                let left = (self.now - at).whole_minutes().max(2);
                let gap = rng.random_range(1..left.min(30 * 24 * 60));
                at = micros(at + Duration::minutes(gap));
            }
            let (actor_id, actor_role) = match step.by {
                Side::Client => (self.user, "client"),
                Side::Counselor => (self.counselor, "counselor"),
            };
            b.history.push(HistoryRow {
                item_id: id,
                version: i as i64 + 1,
                at,
                actor_id,
                actor_role,
                change: step.change,
                before: before.take(),
                after: step.data.clone(),
                stored_before: None,
            });
            if i + 1 == last {
                b.items.push(ItemRow {
                    id,
                    client_id: self.id,
                    kind: kind.as_str(),
                    version: last as i64,
                    created_at,
                    updated_at: at,
                    data: step.data,
                    stored: vec![],
                    due: step.due,
                });
            } else {
                before = Some(step.data);
            }
        }
    }

    fn plan(&self, rng: &mut StdRng, b: &mut Batch) {
        // Self-presentation (sometimes an earlier one was archived when starting afresh).
        if rng.random_bool(0.03) {
            let p = presentation(rng);
            let archived = Presentation {
                archived: true,
                ..p.clone()
            };
            let at = self.moment(rng, 0.0, 0.02);
            let steps = vec![
                step(&p, "created", Side::Client),
                step(&archived, "archived", Side::Client),
            ];
            self.push(rng, b, PlanItemId::new(), ItemKind::Presentation, at, steps);
        }
        let p = presentation(rng);
        let mut steps = vec![step(&p, "created", Side::Client)];
        let mut cur = p;
        for _ in 1..self.versions(rng) {
            cur.strengths = format!("{} {}", cur.strengths, pick(rng, t::STRENGTHS));
            steps.push(step(&cur, "edited", Side::Client));
        }
        let at = self.moment(rng, 0.02, 0.05);
        self.push(rng, b, PlanItemId::new(), ItemKind::Presentation, at, steps);

        // Preferences and accommodations.
        let language = pick(rng, t::LANGUAGES);
        let pref = Preferences {
            contact_channel: Some(pick(rng, &ContactChannel::ALL)),
            contact_times: pick(rng, t::CONTACT_TIMES).to_string(),
            language: language.to_string(),
            interpreter: language != "norsk" && rng.random_bool(0.4),
            reading_support: rng.random_bool(0.1),
            other: pick(rng, t::OTHER_PREFERENCES).to_string(),
        };
        let by = if rng.random_bool(0.6) {
            Side::Client
        } else {
            Side::Counselor
        };
        let mut steps = vec![step(&pref, "created", by)];
        let mut cur = pref;
        for _ in 1..self.versions(rng) {
            cur.contact_channel = Some(pick(rng, &ContactChannel::ALL));
            cur.contact_times = pick(rng, t::CONTACT_TIMES).to_string();
            steps.push(step(&cur, "edited", Side::Client));
        }
        let at = self.moment(rng, 0.0, 0.05);
        self.push(rng, b, PlanItemId::new(), ItemKind::Preferences, at, steps);

        // Goals, in the client's words (some suggested by the counselor).
        let mut goals = vec![];
        for _ in 0..rng.random_range(1..=3) {
            let id = PlanItemId::new();
            let at = self.moment(rng, 0.0, 0.3);
            let steps = self.goal(rng, at);
            self.push(rng, b, id, ItemKind::Goal, at, steps);
            goals.push(id);
        }

        // Activities.
        for _ in 0..rng.random_range(5..=45) {
            let at = self.moment(rng, 0.02, 1.0);
            let steps = self.activity(rng, &goals, at);
            self.push(rng, b, PlanItemId::new(), ItemKind::Activity, at, steps);
        }

        // A question about a measure, now and then.
        if rng.random_bool(0.1)
            && let Some(m) = self.office.measures.choose(rng)
        {
            let q = Question {
                measure_id: m.id,
                text: pick(rng, t::QUESTIONS).to_string(),
                answer: None,
            };
            let mut steps = vec![step(&q, "created", Side::Client)];
            if rng.random_bool(0.6) {
                let answered = Question {
                    answer: Some(pick(rng, t::ANSWERS).to_string()),
                    ..q
                };
                steps.push(step(&answered, "answered", Side::Counselor));
            }
            let at = self.moment(rng, 0.1, 1.0);
            self.push(rng, b, PlanItemId::new(), ItemKind::Question, at, steps);
        }
    }

    fn goal(&self, rng: &mut StdRng, at: OffsetDateTime) -> Vec<Step> {
        let written_by = if rng.random_bool(0.7) {
            Side::Client
        } else {
            Side::Counselor
        };
        let status = if rng.random_bool(0.7) {
            GoalStatus::Active
        } else if rng.random_bool(0.6) {
            GoalStatus::Reached
        } else {
            GoalStatus::Dropped
        };
        let n = self.versions(rng);
        let target_date = rng.random_bool(0.6).then(|| date(at + days(rng, 90, 540)));
        let mut g = Goal {
            text: pick(rng, t::GOALS).to_string(),
            target_date,
            status: if n == 1 { status } else { GoalStatus::Active },
            written_by,
            approved_by_client: written_by == Side::Client || (n == 1 && rng.random_bool(0.75)),
        };
        let mut steps = vec![step(&g, "created", written_by)];
        if n >= 2 {
            if !g.approved_by_client {
                g.approved_by_client = true;
                steps.push(step(&g, "approved", Side::Client));
            } else {
                g.text = pick(rng, t::GOALS).to_string();
                steps.push(step(&g, "edited", Side::Client));
            }
        }
        if n == 3 {
            g.status = if status == GoalStatus::Active {
                GoalStatus::Reached
            } else {
                status
            };
            steps.push(step(&g, "status", self.either(rng)));
        }
        steps
    }

    fn either(&self, rng: &mut StdRng) -> Side {
        if rng.random_bool(0.5) {
            Side::Client
        } else {
            Side::Counselor
        }
    }

    fn terms(&self, rng: &mut StdRng, by: Side, may_condition: bool, at: OffsetDateTime) -> Terms {
        let condition = by == Side::Counselor && may_condition && rng.random_bool(0.35);
        let (adaptation, adaptation_reason) = if rng.random_bool(0.2) {
            pick(rng, t::ADAPTATIONS)
        } else {
            ("", "")
        };
        Terms {
            what: pick(rng, t::TERMS_WHAT).to_string(),
            how_often: pick(rng, t::HOW_OFTEN).to_string(),
            until: rng.random_bool(0.6).then(|| date(at + days(rng, 30, 180))),
            condition,
            consequence: if condition {
                pick(rng, t::CONSEQUENCES).to_string()
            } else {
                String::new()
            },
            adaptation: adaptation.to_string(),
            adaptation_reason: adaptation_reason.to_string(),
        }
    }

    fn activity(&self, rng: &mut StdRng, goals: &[PlanItemId], at: OffsetDateTime) -> Vec<Step> {
        const KINDS: [(ActivityKind, u32); 10] = [
            (ActivityKind::Own, 15),
            (ActivityKind::JobApplication, 20),
            (ActivityKind::JobSearch, 7),
            (ActivityKind::Education, 10),
            (ActivityKind::Internship, 7),
            (ActivityKind::WageSubsidy, 4),
            (ActivityKind::Health, 10),
            (ActivityKind::Meeting, 15),
            (ActivityKind::CurrentJob, 4),
            (ActivityKind::Measure, 8),
        ];
        let total: u32 = KINDS.iter().map(|k| k.1).sum();
        let mut x = rng.random_range(0..total);
        let mut kind = ActivityKind::Own;
        for (k, w) in KINDS {
            if x < w {
                kind = k;
                break;
            }
            x -= w;
        }
        let mut details = ActivityDetails::default();
        let mut may_condition = true;
        let title = match kind {
            ActivityKind::Own => pick(rng, t::OWN_ACTIVITIES).to_string(),
            ActivityKind::JobApplication => {
                details.employer = pick(rng, t::EMPLOYERS).to_string();
                details.position = pick(rng, t::POSITIONS).to_string();
                details.stage = Some(pick(rng, &ApplicationStage::ALL));
                format!("Søknad: {} hos {}", details.position, details.employer)
            }
            ActivityKind::JobSearch => {
                let n = rng.random_range(1..=6u8);
                details.per_week = Some(n);
                format!("Søke {n} jobber i uka")
            }
            ActivityKind::Education => pick(rng, t::EDUCATION).to_string(),
            ActivityKind::Internship => format!("Arbeidstrening hos {}", pick(rng, t::WORKPLACES)),
            ActivityKind::WageSubsidy => {
                details.employer = pick(rng, t::EMPLOYERS).to_string();
                details.position = pick(rng, t::POSITIONS).to_string();
                format!("Lønnstilskudd hos {}", details.employer)
            }
            ActivityKind::Health => pick(rng, t::HEALTH).to_string(),
            ActivityKind::Meeting => pick(rng, t::MEETINGS).to_string(),
            ActivityKind::CurrentJob => {
                details.employer = pick(rng, t::EMPLOYERS).to_string();
                details.position = pick(rng, t::POSITIONS).to_string();
                format!("Deltidsjobb som {}", details.position)
            }
            ActivityKind::Measure => match self.office.measures.choose(rng) {
                Some(m) => {
                    details.measure_id = Some(m.id);
                    may_condition = m.may_be_condition;
                    m.name.to_string()
                }
                None => pick(rng, t::OWN_ACTIVITIES).to_string(),
            },
        };
        let created_by = if rng.random_bool(0.55) {
            Side::Counselor
        } else {
            Side::Client
        };
        let start = rng.random_bool(0.8).then(|| date(at + days(rng, 0, 30)));
        let end = match start {
            Some(s) if rng.random_bool(0.6) => Some(PlanDate(s.0 + days(rng, 1, 180))),
            _ => None,
        };
        let description = if rng.random_bool(0.3) {
            String::new()
        } else {
            pick(rng, t::DESCRIPTIONS).to_string()
        };
        let mut a = Activity {
            kind,
            title,
            description,
            goal_id: if goals.is_empty() || rng.random_bool(0.25) {
                None
            } else {
                Some(pick(rng, goals))
            },
            start,
            end,
            status: ActivityStatus::Proposed,
            created_by,
            details,
            agreement: Agreement::default(),
            closing_reason: String::new(),
            declined: false,
        };
        let n = self.versions(rng);
        if n == 1 {
            // A one-version item holds its current state (as if migrated from an earlier
            // system): any status.
            a.status = match rng.random_range(0..100) {
                0..10 => ActivityStatus::Proposed,
                10..35 => ActivityStatus::Planned,
                35..55 => ActivityStatus::InProgress,
                55..88 => ActivityStatus::Completed,
                _ => ActivityStatus::Cancelled,
            };
            if a.status == ActivityStatus::Cancelled && rng.random_bool(0.5) {
                a.closing_reason = pick(rng, t::CLOSING_REASONS).to_string();
            }
            return vec![step(&a, "created", created_by)];
        }
        let other = created_by.other();
        let mut steps = vec![step(&a, "created", created_by)];
        let path = rng.random_range(0..100);
        if n == 2 {
            match path {
                0..35 => {
                    a.status = ActivityStatus::Planned;
                    steps.push(step(&a, "approved", other));
                }
                35..45 => {
                    a.status = ActivityStatus::Cancelled;
                    a.declined = true;
                    a.closing_reason = pick(rng, t::DECLINE_REASONS).to_string();
                    steps.push(step(&a, "declined", other));
                }
                45..70 => {
                    a.description = pick(rng, t::DESCRIPTIONS).to_string();
                    steps.push(step(&a, "edited", self.either(rng)));
                }
                70..88 => {
                    let by = self.either(rng);
                    a.agreement.pending = Some(TermsProposal {
                        terms: self.terms(rng, by, may_condition, at),
                        by,
                        at: micros((at + Duration::hours(rng.random_range(1..72))).min(self.now)),
                    });
                    steps.push(step(&a, "agreement-proposed", by));
                }
                _ => {
                    a.status = ActivityStatus::Cancelled;
                    steps.push(step(&a, "status", created_by));
                }
            }
            return steps;
        }
        match path {
            0..40 => {
                a.status = ActivityStatus::Planned;
                steps.push(step(&a, "approved", other));
                a.status = match rng.random_range(0..10) {
                    0..4 => ActivityStatus::InProgress,
                    4..8 => ActivityStatus::Completed,
                    _ => ActivityStatus::Cancelled,
                };
                if a.status.is_final() && rng.random_bool(0.5) {
                    a.closing_reason = pick(rng, t::CLOSING_REASONS).to_string();
                }
                steps.push(step(&a, "status", self.either(rng)));
            }
            40..80 => {
                // Terms proposed by one side, confirmed by the other. Conditions are only
                // ever proposed by the counselor, so the client is the one who confirmed
                // having seen the consequence.
                let by = if rng.random_bool(0.7) {
                    Side::Counselor
                } else {
                    Side::Client
                };
                let proposed_at =
                    micros((at + Duration::hours(rng.random_range(1..72))).min(self.now));
                let terms = self.terms(rng, by, may_condition, at);
                a.agreement.pending = Some(TermsProposal {
                    terms: terms.clone(),
                    by,
                    at: proposed_at,
                });
                steps.push(step(&a, "agreement-proposed", by));
                let agreed_at =
                    micros((proposed_at + Duration::hours(rng.random_range(1..96))).min(self.now));
                a.agreement = Agreement {
                    consequence_shown_at: terms.condition.then_some(agreed_at),
                    agreed: Some(terms),
                    agreed_at: Some(agreed_at),
                    pending: None,
                };
                a.status = ActivityStatus::Planned;
                steps.push(step(&a, "agreed", by.other()));
            }
            _ => {
                a.title = format!("{} (endret)", a.title);
                steps.push(step(&a, "edited", created_by));
                a.status = ActivityStatus::Planned;
                steps.push(step(&a, "approved", other));
            }
        }
        steps
    }
}

fn step<T: Document>(data: &T, change: &'static str, by: Side) -> Step {
    Step {
        data: json(data),
        due: data.due(),
        change,
        by,
    }
}

fn presentation(rng: &mut StdRng) -> Presentation {
    Presentation {
        about: pick(rng, t::ABOUT).to_string(),
        strengths: pick(rng, t::STRENGTHS).to_string(),
        wishes: pick(rng, t::WISHES).to_string(),
        obstacles: pick(rng, t::OBSTACLES).to_string(),
        archived: false,
    }
}
