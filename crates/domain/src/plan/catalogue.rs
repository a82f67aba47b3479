//! The office's catalogue of measures, as administrators keep it.

use super::cases::*;
use super::model::*;
use super::store::{MeasureRow, PlanStore};
use crate::DomainError;
use crate::context::Ctx;
use crate::ids::MeasureId;
use crate::organisation::OrganisationStore;
use crate::policy::{Action, Resource, authorize};
use crate::ports::{Conflict, PortError};
use crate::roles::Actor;

fn manage_catalogue(actor: &Actor) -> Result<(), DomainError> {
    authorize(
        actor,
        Action::ManageOrganisation,
        Resource::Organisation(actor.organisation_id),
    )?;
    Ok(())
}

/// The office's catalogue, for administrators.
pub async fn catalogue_for_admin<S: OrganisationStore + PlanStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    office: crate::ids::OfficeId,
) -> Result<Vec<Measure>, DomainError> {
    manage_catalogue(actor)?;
    let offices = ctx.store.list_offices(actor.organisation_id).await?;
    if !offices.iter().any(|o| o.id == office) {
        return Err(DomainError::NotFound);
    }
    ctx.store
        .list_measures(office)
        .await?
        .iter()
        .map(decode_measure)
        .collect()
}

/// Adds (`existing` `None`) or changes a catalogue entry of an office of the actor's
/// organisation. `existing` carries the id and the version the form was based on.
pub async fn put_measure<S: OrganisationStore + PlanStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    office: crate::ids::OfficeId,
    existing: Option<(MeasureId, i64)>,
    data: MeasureData,
) -> Result<MeasureId, DomainError> {
    manage_catalogue(actor)?;
    let offices = ctx.store.list_offices(actor.organisation_id).await?;
    if !offices.iter().any(|o| o.id == office) {
        return Err(DomainError::NotFound);
    }
    let (id, version, expected) = match existing {
        Some((id, v)) => {
            let stored = ctx
                .store
                .measure(id)
                .await?
                .filter(|m| m.office_id == office)
                .ok_or(DomainError::NotFound)?;
            if stored.version != v {
                return Err(DomainError::StaleVersion);
            }
            (id, v + 1, Some(v))
        }
        None => (MeasureId::new(), 1, None),
    };
    let row = MeasureRow {
        id,
        office_id: office,
        version,
        updated_at: ctx.clock.now(),
        data: encode(&data)?,
    };
    match ctx.store.put_measure(row, expected).await {
        Ok(()) => Ok(id),
        Err(PortError::Conflict(Conflict::Stale)) => Err(DomainError::StaleVersion),
        Err(e) => Err(e.into()),
    }
}

/// One catalogue entry for an administrator of its organisation.
pub async fn measure_for_admin<S: OrganisationStore + PlanStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    measure: MeasureId,
) -> Result<Measure, DomainError> {
    manage_catalogue(actor)?;
    let row = ctx
        .store
        .measure(measure)
        .await?
        .ok_or(DomainError::NotFound)?;
    let offices = ctx.store.list_offices(actor.organisation_id).await?;
    if !offices.iter().any(|o| o.id == row.office_id) {
        return Err(DomainError::NotFound);
    }
    decode_measure(&row)
}
