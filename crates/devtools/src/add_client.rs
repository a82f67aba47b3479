//! `vendepunkt-dev add-client`: one client with an account, in an office of the **demo**
//! organisation, followed by one of the office's counselors.
//!
//! In the product, a counselor opens a case on `/caseload/new` (`domain::cases::open_new_case`).
//! This helper remains for scripted browser tests: the test of the leader's insight needs a
//! fresh office whose clients log in and answer, set up from a script without driving the
//! counselor's form. It goes through the store port like the demo seeding does: the account,
//! the case and the assignment, each case change with its audit row (by the counselor). It
//! refuses any organisation but the demo's, so it cannot add a login to real data.

use crate::config::Config;
use crate::{Backend, Failure, OpenMode, fail, open, port};
use domain::audit::{AuditAction, DataKind, NewAuditEvent};
use domain::cases::store::NewClient;
use domain::ids::{AuditId, ClientId, RequestId};
use domain::ports::{Clock, PortError};
use domain::roles::Role;
use domain::types::{PersonName, Secret, Username};
use std::path::PathBuf;

pub struct Options {
    pub username: String,
    pub name: String,
    pub office: String,
    pub counselor: String,
    pub password_file: PathBuf,
}

pub async fn run(config: &Config, o: Options) -> Result<(), Failure> {
    let password = crate::read_password(&o.password_file)?;
    if password.is_empty() {
        return Err(fail(2, "password-file: the first line is empty"));
    }
    let backend = open(config, OpenMode::Existing).await?;
    let store = backend.store();
    let demo_organisation = match &backend {
        Backend::Sqlite(s) => {
            store_sqlite::bulk::organisation_named(s, demo::DEMO_ORGANISATION).await
        }
        Backend::Postgres(p) => {
            store_postgres::bulk::organisation_named(p, demo::DEMO_ORGANISATION).await
        }
    }
    .map_err(crate::writer::db("cannot read the organisations"))?;
    let organisation_id = demo_organisation.ok_or_else(|| {
        fail(
            2,
            "add-client works only in the demo organisation (`vendepunkt serve --demo` on an empty database)",
        )
    })?;
    let offices = store
        .list_offices(organisation_id)
        .await
        .map_err(|e| port("cannot list offices", e))?;
    let office = offices
        .iter()
        .find(|x| x.name.eq_ignore_ascii_case(o.office.trim()))
        .ok_or_else(|| {
            let names: Vec<&str> = offices.iter().map(|x| x.name.as_str()).collect();
            fail(
                2,
                format!(
                    "office: no office {:?}; choose one of: {}",
                    o.office,
                    names.join(", ")
                ),
            )
        })?;
    let counselor_name = Username::parse(&o.counselor)
        .map_err(|_| fail(2, format!("counselor: {:?} is not a username", o.counselor)))?;
    let counselor = match store
        .credentials_by_username(&counselor_name)
        .await
        .map_err(|e| port("cannot look up the counselor", e))?
    {
        Some(c) => store
            .actor(c.user_id)
            .await
            .map_err(|e| port("cannot look up the counselor", e))?,
        None => None,
    }
    .filter(|a| a.has_role_at(Role::Counselor, office.id))
    .ok_or_else(|| {
        fail(
            2,
            format!(
                "counselor: {:?} is not a counselor at {}",
                o.counselor, office.name
            ),
        )
    })?;

    let clock = web::SystemClock;
    let hasher = web::Argon2Hasher::production();
    let input = domain::organisation::NewPersonInput {
        username: o.username.clone(),
        display_name: o.name.clone(),
        password: Secret::new(password),
        // A client's role comes from the case, not from a grant.
        grants: vec![],
        protected_access: vec![],
    };
    let user =
        domain::organisation::parse_new_person(&hasher, organisation_id, &input, clock.now())
            .await
            .map_err(|e| match e {
                domain::DomainError::Invalid(list) => fail(
                    2,
                    list.iter()
                        .map(|(f, e)| format!("{}: {}", crate::cli_field(f), crate::describe(*e)))
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
                other => fail(1, format!("cannot add the client: {other}")),
            })?;
    let user_id = user.id;
    store.create_user(user).await.map_err(|e| match e {
        PortError::Conflict(_) => fail(2, format!("username: {:?} is already taken", o.username)),
        other => port("cannot create the account", other),
    })?;
    let name = PersonName::parse(&o.name).map_err(|_| fail(2, "name: not a valid name"))?;
    let client = ClientId::new();
    let audit = |kind, action| NewAuditEvent {
        id: AuditId::new(),
        at: clock.now(),
        actor_id: counselor.user_id,
        actor_role: Role::Counselor,
        client_id: client,
        data_kind: kind,
        action,
        request_id: RequestId::new(),
        reason: None,
        listed: Vec::new(),
    };
    store
        .create_client(
            NewClient {
                id: client,
                office_id: office.id,
                user_id: Some(user_id),
                name,
                protected: false,
                created_at: clock.now(),
            },
            audit(DataKind::CaseOverview, AuditAction::Created),
        )
        .await
        .map_err(|e| port("cannot open the case", e))?;
    store
        .assign_counselor(
            client,
            counselor.user_id,
            audit(DataKind::Assignment, AuditAction::Changed),
        )
        .await
        .map_err(|e| port("cannot assign the counselor", e))?;
    drop(store);
    backend.close().await;
    println!(
        "added client {} (case {client}) at {}, followed by {}",
        o.username, office.name, o.counselor
    );
    Ok(())
}
