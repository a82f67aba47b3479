//! `vendepunkt admin create-user`: a staff account from the command line (the feedback
//! commands of `vendepunkt admin` are in `feedback_cli.rs`). No rules of its own: the domain
//! parses and validates the person and the grant (`domain::organisation::staff_grant`, the
//! same rule as the people page), the store refuses a taken username.

use super::{AdminCommand, Backend, Failure, OpenMode, fail, open, port};
use crate::config::Config;
use domain::ports::{Clock, PortError};
use std::io::Write;
use std::path::PathBuf;

pub async fn run(config: Config, command: AdminCommand) -> Result<(), Failure> {
    let AdminCommand::CreateUser {
        username,
        name,
        role,
        office,
        organisation,
        password_file,
        password_stdin,
    } = command
    else {
        return super::feedback_cli::run(config, command).await;
    };
    let role = domain::roles::Role::parse(&role)
        .filter(|r| domain::organisation::ASSIGNABLE_ROLES.contains(r))
        .ok_or_else(|| {
            fail(
                2,
                format!(
                    "role: unknown role {role:?}; use counselor, leader, moderator, partner or administrator (clients are added through a case)"
                ),
            )
        })?;
    let password = read_password(password_file, password_stdin)?;
    let backend = open(&config, OpenMode::Migrate).await?;
    let store = backend.store();
    let organisation_id = choose_organisation(&backend, organisation.as_deref()).await?;
    let offices = store
        .list_offices(organisation_id)
        .await
        .map_err(|e| port("cannot list offices", e))?;
    // The staff-grant rule is the domain's (`staff_grant`, also used by the people page);
    // here only the office named on the command line is looked up.
    let needs_office = domain::organisation::needs_office(role);
    if !needs_office && office.is_some() {
        return Err(fail(
            2,
            "office: administrators act for the whole organisation; leave out --office",
        ));
    }
    let found = match &office {
        Some(o) => offices
            .iter()
            .find(|x| x.name.eq_ignore_ascii_case(o.trim()) || x.id.to_string() == o.trim()),
        None if needs_office && offices.len() == 1 => offices.first(),
        None => None,
    };
    let grant = domain::organisation::staff_grant(role, found.map(|o| o.id)).map_err(|_| {
        let names = offices
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        match &office {
            Some(o) => fail(
                2,
                format!("office: no office {o:?}; choose one of: {names}"),
            ),
            None => fail(2, format!("office: choose one with --office: {names}")),
        }
    })?;
    let no_password = password.is_empty();
    let input = domain::organisation::NewPersonInput {
        username: username.clone(),
        display_name: name,
        password: domain::types::Secret::new(password),
        grants: vec![grant],
        protected_access: vec![],
    };
    let hasher = web::Argon2Hasher::production();
    let user = domain::organisation::parse_new_person(
        &hasher,
        organisation_id,
        &input,
        web::SystemClock.now(),
    )
    .await
    .map_err(|e| match e {
        domain::DomainError::Invalid(list) => fail(
            2,
            list.iter()
                .map(|(f, e)| format!("{}: {}", cli_field(f), describe(*e)))
                .collect::<Vec<_>>()
                .join("; "),
        ),
        other => fail(1, format!("cannot create the account: {other}")),
    })?;
    let id = user.id;
    store.create_user(user).await.map_err(|e| match e {
        PortError::Conflict(_) => fail(2, format!("username: {username:?} is already taken")),
        other => port("cannot create the account", other),
    })?;
    drop(store);
    backend.close().await;
    println!("created {} {username} (id {id})", role.as_str());
    if no_password {
        println!(
            "no password was given: the account can log in only through a linked identity provider"
        );
    }
    Ok(())
}

fn read_password(file: Option<PathBuf>, stdin: bool) -> Result<String, Failure> {
    let text = if let Some(p) = file {
        std::fs::read_to_string(&p).map_err(|e| {
            fail(
                2,
                format!("password-file: cannot read {}: {e}", p.display()),
            )
        })?
    } else if stdin {
        use std::io::IsTerminal;
        if std::io::stdin().is_terminal() {
            eprint!("Password (shown as you type; prefer --password-file): ");
            let _ = std::io::stderr().flush();
        }
        let mut s = String::new();
        std::io::stdin()
            .read_line(&mut s)
            .map_err(|e| fail(2, format!("password-stdin: {e}")))?;
        s
    } else {
        String::new()
    };
    // Only the line ending goes: spaces may be part of a passphrase.
    Ok(text
        .lines()
        .next()
        .unwrap_or_default()
        .trim_end_matches('\r')
        .to_string())
}

pub async fn choose_organisation(
    backend: &Backend,
    wanted: Option<&str>,
) -> Result<domain::ids::OrganisationId, Failure> {
    let all = backend.organisations().await?;
    let chosen = match wanted {
        Some(w) => all
            .iter()
            .find(|(id, name)| id == w.trim() || name.eq_ignore_ascii_case(w.trim()))
            .ok_or_else(|| {
                fail(
                    2,
                    format!(
                        "organisation: no organisation {w:?}; there is: {}",
                        all.iter()
                            .map(|(_, n)| n.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })?,
        None => match all.as_slice() {
            [only] => only,
            [] => {
                return Err(fail(
                    1,
                    "no organisation yet: run `vendepunkt serve` and complete /setup first",
                ));
            }
            _ => {
                return Err(fail(
                    2,
                    "organisation: there are several; choose one with --organisation",
                ));
            }
        },
    };
    chosen.0.parse().map_err(|_| {
        fail(
            1,
            format!("organisation id {:?} is not a valid id", chosen.0),
        )
    })
}

/// Form field names as the command-line flags that fill them.
fn cli_field(field: &str) -> &str {
    match field {
        "display_name" => "name",
        "roles" => "role",
        other => other,
    }
}

fn describe(e: domain::types::FieldError) -> &'static str {
    use domain::types::FieldError::*;
    match e {
        Required => "required",
        TooLong => "too long",
        TooShort => "too short",
        InvalidCharacters => "has characters that are not allowed",
        PasswordTooShort => "the password needs at least 12 characters",
        PasswordTooLong => "the password can have at most 256 characters",
        PasswordTooCommon => "this password is too common; choose another",
        PasswordContainsUsername => "the password cannot contain the username",
        DateInvalid => "is not a date (use YYYY-MM-DD)",
        DateOutOfRange => "is outside the years 2000 to 2100",
        EndBeforeStart => "is before the start",
        NotAChoice => "is not one of the choices",
        NumberInvalid => "is not a valid number",
        MustConfirm => "must be confirmed",
        AttachmentTooLarge => "is too large",
        AttachmentType => "is not a PDF, PNG or JPEG file",
        AttachmentName => "has a file name that is not allowed",
        AttachmentPixels => "is a picture with too many pixels",
        AttachmentEncrypted => "is a password-protected PDF",
        TimeInvalid => "is not a date and time",
        TimeInPast => "is in the past",
        UsernameTaken => "is already taken",
        ProtectedNotAllowed => "cannot be protected at this office",
    }
}
