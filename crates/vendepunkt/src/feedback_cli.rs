//! `vendepunkt admin add-instrument | use-instrument | delete-feedback`: feedback
//! instruments as data, and retention of a client's feedback. No rules of their own: the
//! domain validates and decides.

use super::{AdminCommand, Failure, OpenMode, choose_organisation, fail, open, port};
use crate::config::Config;
use domain::DomainError;
use domain::feedback::responses::{self, AddInstrumentError};
use domain::ids::ClientId;

pub async fn run(config: Config, command: AdminCommand) -> Result<(), Failure> {
    match command {
        AdminCommand::AddInstrument { file, organisation } => {
            let json = std::fs::read_to_string(&file)
                .map_err(|e| fail(2, format!("cannot read {}: {e}", file.display())))?;
            let backend = open(&config, OpenMode::Migrate).await?;
            let store = backend.store();
            let org = choose_organisation(&backend, organisation.as_deref()).await?;
            let (id, version) =
                responses::add_instrument(store.as_ref(), &web::SystemClock, Some(org), &json)
                    .await
                    .map_err(|e| match e {
                        AddInstrumentError::Invalid(e) => fail(2, e.to_string()),
                        AddInstrumentError::Port(e) => port("cannot store the instrument", e),
                    })?;
            println!(
                "instrument {id} version {version} stored; ask with it: vendepunkt admin use-instrument {id}"
            );
            backend.close().await;
            Ok(())
        }
        AdminCommand::UseInstrument { id, organisation } => {
            let backend = open(&config, OpenMode::Migrate).await?;
            let store = backend.store();
            let org = choose_organisation(&backend, organisation.as_deref()).await?;
            let version = responses::use_instrument(store.as_ref(), &web::SystemClock, org, &id)
                .await
                .map_err(|e| match e {
                    DomainError::NotFound => fail(2, format!("no instrument {id:?}; add it first")),
                    e => fail(1, format!("cannot choose the instrument: {e}")),
                })?;
            println!("the organisation now asks with {id} (latest version, now {version})");
            backend.close().await;
            Ok(())
        }
        AdminCommand::DeleteFeedback { client } => {
            let client: ClientId = client
                .trim()
                .parse()
                .map_err(|_| fail(2, "client: not a case id"))?;
            let backend = open(&config, OpenMode::Migrate).await?;
            let store = backend.store();
            let d = responses::delete_client_feedback(store.as_ref(), client)
                .await
                .map_err(|e| match e {
                    DomainError::NotFound => fail(2, "client: no such case"),
                    e => fail(1, format!("cannot delete the feedback: {e}")),
                })?;
            println!(
                "deleted {} responses, {} invitations, {} sharing choices and {} talk notes",
                d.responses, d.invitations, d.preferences, d.talk_notes
            );
            backend.close().await;
            Ok(())
        }
        AdminCommand::CreateUser { .. } => Err(fail(1, "unexpected command")),
    }
}
