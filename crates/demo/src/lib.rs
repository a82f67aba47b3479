//! Invented demo data for `vendepunkt serve --demo`, in one place and behind one entry point,
//! [`seed`]: an organisation with two offices, a team, several counselors, about 30 clients
//! with varied situations and one protected client, and the accounts `demo-client`,
//! `demo-counselor`, `demo-leader` and `demo-admin`. All names are invented.
//!
//! The seeding goes through the domain's public API (use cases where there are any, the
//! `Store` port for the organisation and its people), so the demo has the same history and
//! audit rows as real use. The parts, called in this order by [`seed`]:
//!
//! * this file: the organisation, offices, team, staff and clients;
//! * [`plan`]: measures and plans, meetings;
//! * [`conversation`]: contact agreement, threads, an attachment;
//! * [`feedback`]: a year of client feedback.
//!
//! [`clock`] is the shifted development clock for `serve --demo --clock-shift-days N`.

pub mod clock;
pub mod conversation;
pub mod feedback;
pub mod plan;

pub use clock::ShiftedClock;

use domain::DomainError;
use domain::accounts::store::NewUser;
use domain::audit::{AuditAction, DataKind, NewAuditEvent};
use domain::cases::store::NewClient;
use domain::ids::{AuditId, ClientId, OfficeId, OrganisationId, RequestId, TeamId, UserId};
use domain::organisation::store::{NewOffice, NewOrganisation, NewTeam};
use domain::ports::{Clock, PasswordHasher, Store};
use domain::roles::{Role, RoleGrant};
use domain::types::{PersonName, Secret, UnitName, Username};

pub const DEMO_PASSWORD: &str = "vendepunkt-demo";
/// The demo organisation's name (`vendepunkt-dev add-client` works only there).
pub const DEMO_ORGANISATION: &str = "Demo kommune (oppdiktet)";

const FIRST: [&str; 16] = [
    "Aksel", "Ingrid", "Jonas", "Sara", "Mohammed", "Nora", "Emil", "Leah", "Tobias", "Amina",
    "Henrik", "Julie", "Oskar", "Maja", "Filip", "Selma",
];
const LAST: [&str; 8] = [
    "Berg", "Hansen", "Lund", "Haugen", "Dahl", "Solberg", "Strand", "Nilsen",
];

fn name(s: &str) -> Result<PersonName, DomainError> {
    PersonName::parse(s).map_err(|e| DomainError::invalid("name", e))
}

fn unit(s: &str) -> Result<UnitName, DomainError> {
    UnitName::parse(s).map_err(|e| DomainError::invalid("name", e))
}

fn username(s: &str) -> Result<Username, DomainError> {
    Username::parse(s).map_err(|e| DomainError::invalid("username", e))
}

/// Seeds the demo organisation if the database holds no organisation yet. Returns whether it
/// seeded anything.
pub async fn seed(
    store: &dyn Store,
    clock: &dyn Clock,
    hasher: &dyn PasswordHasher,
    cleaner: &dyn domain::conversation::attachments::FileCleaner,
) -> Result<bool, DomainError> {
    if store.organisation_count().await? > 0 {
        return Ok(false);
    }
    let now = clock.now();
    let hash = hasher.hash(&Secret::new(DEMO_PASSWORD)).await?;
    let org = OrganisationId::new();
    store
        .create_organisation(NewOrganisation {
            id: org,
            name: unit(DEMO_ORGANISATION)?,
            created_at: now,
        })
        .await?;
    let north = OfficeId::new();
    let south = OfficeId::new();
    for (id, n) in [(north, "Nordby kontor"), (south, "Sørvik kontor")] {
        store
            .create_office(NewOffice {
                id,
                organisation_id: org,
                name: unit(n)?,
                created_at: now,
            })
            .await?;
    }
    let team = TeamId::new();
    store
        .create_team(NewTeam {
            id: team,
            office_id: north,
            name: unit("Team ung")?,
            created_at: now,
        })
        .await?;

    let person = |u: &str,
                  n: &str,
                  grants: Vec<RoleGrant>,
                  protected: Vec<OfficeId>|
     -> Result<NewUser, DomainError> {
        Ok(NewUser {
            id: UserId::new(),
            organisation_id: org,
            username: username(u)?,
            display_name: name(n)?,
            password_hash: Some(hash.clone()),
            grants,
            protected_access: protected,
            created_at: now,
        })
    };
    let at = |role, office: OfficeId| {
        vec![RoleGrant {
            role,
            office_id: Some(office),
        }]
    };

    let admin = person(
        "demo-admin",
        "Ada Administrator",
        vec![RoleGrant {
            role: Role::Administrator,
            office_id: None,
        }],
        vec![],
    )?;
    let admin_id = admin.id;
    store.create_user(admin).await?;
    store
        .create_user(person(
            "demo-leader",
            "Liv Leder",
            at(Role::Leader, north),
            vec![],
        )?)
        .await?;

    let counselor = person(
        "demo-counselor",
        "Vera Veileder",
        at(Role::Counselor, north),
        vec![],
    )?;
    let counselor_id = counselor.id;
    store.create_user(counselor).await?;
    store.add_team_member(team, counselor_id).await?;
    let mut counselors = vec![(counselor_id, north)];
    for (u, n, office, protected) in [
        ("demo-counselor-2", "Petter Pedersen", north, true),
        ("demo-counselor-3", "Hanne Holm", south, false),
        ("demo-counselor-4", "Ravi Rasmussen", south, false),
    ] {
        let p = person(
            u,
            n,
            at(Role::Counselor, office),
            if protected { vec![office] } else { vec![] },
        )?;
        let id = p.id;
        counselors.push((id, office));
        store.create_user(p).await?;
        if office == north {
            store.add_team_member(team, id).await?;
        }
    }

    let audit = |client_id: ClientId, data_kind, action| NewAuditEvent {
        id: AuditId::new(),
        at: now,
        actor_id: admin_id,
        actor_role: Role::Administrator,
        client_id,
        data_kind,
        action,
        request_id: RequestId::new(),
        reason: None,
        listed: Vec::new(),
    };

    // The demo client, with an account, followed up by demo-counselor.
    let me = person("demo-client", "Kari Demo", vec![], vec![])?;
    let me_id = me.id;
    store.create_user(me).await?;
    let my_case = ClientId::new();
    store
        .create_client(
            NewClient {
                id: my_case,
                office_id: north,
                user_id: Some(me_id),
                name: name("Kari Demo")?,
                protected: false,
                created_at: now,
            },
            audit(my_case, DataKind::CaseOverview, AuditAction::Created),
        )
        .await?;
    store
        .assign_counselor(
            my_case,
            counselor_id,
            audit(my_case, DataKind::Assignment, AuditAction::Changed),
        )
        .await?;

    // About 30 more clients spread over the counselors; one protected.
    let mut others = vec![];
    for i in 0..30usize {
        let (c_id, office) = counselors[i % counselors.len()];
        let protected = i == 1; // assigned to demo-counselor-2, who holds the permission
        let full = format!(
            "{} {}",
            FIRST[i % FIRST.len()],
            LAST[(i * 3 + i / 8) % LAST.len()]
        );
        let id = ClientId::new();
        store
            .create_client(
                NewClient {
                    id,
                    office_id: office,
                    user_id: None,
                    name: name(&full)?,
                    protected,
                    created_at: now,
                },
                audit(id, DataKind::CaseOverview, AuditAction::Created),
            )
            .await?;
        // A few clients wait for a counselor to be assigned.
        if i % 10 != 9 {
            store
                .assign_counselor(
                    id,
                    c_id,
                    audit(id, DataKind::Assignment, AuditAction::Changed),
                )
                .await?;
            others.push((id, c_id));
        }
    }
    crate::plan::fill(
        store,
        clock,
        &crate::plan::DemoPeople {
            admin: admin_id,
            client_user: me_id,
            client_case: my_case,
            counselor: counselor_id,
            others: others.clone(),
            offices: vec![north, south],
        },
    )
    .await?;
    crate::conversation::fill(store, clock, cleaner, me_id, my_case, counselor_id, &others).await?;
    // A year of client feedback in Nordby (issue 5).
    crate::feedback::fill(
        store,
        clock,
        &crate::feedback::DemoPeople {
            org,
            office: north,
            team,
            admin: admin_id,
            vera: counselor_id,
            petter: counselors[1].0,
            kari_user: me_id,
            kari_case: my_case,
            password_hash: hash.clone(),
        },
    )
    .await?;
    // The demo's invented past is history, not news: it sends no notices.
    let mut last = store.notice_cursor().await?;
    loop {
        let batch = store.notice_events_after(last, 500).await?;
        match batch.last() {
            Some(e) => last = e.seq,
            None => break,
        }
    }
    store.enqueue_notices(last, vec![]).await?;
    Ok(true)
}
