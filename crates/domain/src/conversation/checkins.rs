//! Check-ins: a counselor sets, per client, how often they want to be in touch; the caseload
//! lists the clients nobody has been in touch with for longer than that (no message and no
//! plan change, either way), so nobody goes quiet unnoticed.

use crate::DomainError;
use crate::audit::{AuditAction, DataKind, change_event};
use crate::cases::store::ClientSummary;
use crate::contact::ContactStatus;
use crate::context::Ctx;
use crate::ids::ClientId;
use crate::plan::Side;
use crate::policy::{Action, Resource, authorize};
use crate::roles::Actor;
use time::{Duration, OffsetDateTime};

/// The choices offered, in days.
pub const CHOICES: [i64; 4] = [7, 14, 30, 60];

/// Sets (or with `None` clears) how often the assigned counselor wants to be in touch.
pub async fn set_frequency(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    every_days: Option<i64>,
) -> Result<(), DomainError> {
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    let permit = authorize(actor, Action::ChangeClientCase, Resource::Client(&scope))?;
    if Side::of_role(permit.role) != Some(Side::Counselor) {
        return Err(DomainError::NotFound);
    }
    if every_days.is_some_and(|d| !CHOICES.contains(&d)) {
        return Err(DomainError::invalid(
            "every_days",
            crate::types::FieldError::NotAChoice,
        ));
    }
    let audit = change_event(
        ctx,
        actor,
        &permit,
        client,
        DataKind::Messages,
        AuditAction::Changed,
    );
    Ok(ctx
        .store
        .set_checkin_frequency(client, every_days, audit)
        .await?)
}

/// A client of the caseload nobody has been in touch with for longer than agreed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quiet {
    pub client: ClientSummary,
    pub every_days: i64,
    /// Whole days since the last message or plan change (`None`: never).
    pub days_quiet: Option<i64>,
}

/// From the caseload the counselor has just been shown (and whose listing was audited), the
/// clients that have gone quiet for longer than their check-in frequency, longest first.
pub async fn gone_quiet<S: crate::contact::ContactStore + ?Sized>(
    ctx: Ctx<'_, S>,
    caseload: &[ClientSummary],
) -> Result<Vec<Quiet>, DomainError> {
    let ids: Vec<ClientId> = caseload.iter().map(|c| c.id).collect();
    let statuses = ctx.store.contact_status(&ids).await?;
    let now = ctx.clock.now();
    let mut out: Vec<Quiet> = statuses
        .into_iter()
        .filter_map(|s| quiet(&s, now).map(|d| (s, d)))
        .filter_map(|(s, days_quiet)| {
            let client = caseload.iter().find(|c| c.id == s.client_id)?.clone();
            Some(Quiet {
                client,
                every_days: s.every_days?,
                days_quiet,
            })
        })
        .collect();
    out.sort_by_key(|q| std::cmp::Reverse(q.days_quiet.unwrap_or(i64::MAX)));
    Ok(out)
}

/// `Some(days quiet)` when the client is overdue for a check-in.
fn quiet(s: &ContactStatus, now: OffsetDateTime) -> Option<Option<i64>> {
    let every = s.every_days?;
    match s.last_contact {
        None => Some(None),
        Some(last) if now - last > Duration::days(every) => Some(Some((now - last).whole_days())),
        Some(_) => None,
    }
}

/// The client's check-in frequency, for the counselor's form.
pub async fn frequency(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
) -> Result<Option<i64>, DomainError> {
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    authorize(actor, Action::ViewClientCase, Resource::Client(&scope))?;
    Ok(ctx
        .store
        .contact_status(&[client])
        .await?
        .first()
        .and_then(|s| s.every_days))
}

/// The language a check-in message to this client should be written in, from the language
/// the client gave in their preferences ("nb", "nn" or "en"; bokmål when nothing fits). For
/// the client's counselor only.
pub async fn client_language(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
) -> Result<&'static str, DomainError> {
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    let permit = authorize(actor, Action::ChangeClientCase, Resource::Client(&scope))?;
    // Read to pick the notice's language, shown to nobody: the check-in writes its own row.
    let access = crate::cases::ClientAccess::unaudited(scope, permit);
    let record = ctx
        .store
        .read_plan(&access)
        .await?
        .ok_or(DomainError::NotFound)?;
    let language = record
        .items
        .iter()
        .filter(|i| i.kind == crate::plan::ItemKind::Preferences.as_str())
        .filter_map(|i| serde_json::from_str::<crate::plan::Preferences>(&i.data).ok())
        .map(|p| p.language.to_lowercase())
        .next()
        .unwrap_or_default();
    Ok(if language.contains("nynorsk") {
        "nn"
    } else if language.contains("english") || language.contains("engelsk") {
        "en"
    } else {
        "nb"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_quiet_only_past_the_agreed_frequency() {
        let now = OffsetDateTime::UNIX_EPOCH + Duration::days(100);
        let s = |every: Option<i64>, days_ago: Option<i64>| ContactStatus {
            client_id: ClientId::new(),
            every_days: every,
            last_contact: days_ago.map(|d| now - Duration::days(d)),
        };
        assert_eq!(quiet(&s(Some(14), Some(20)), now), Some(Some(20)));
        assert_eq!(quiet(&s(Some(14), Some(10)), now), None);
        assert_eq!(quiet(&s(Some(14), None), now), Some(None), "never in touch");
        assert_eq!(quiet(&s(None, Some(300)), now), None, "no frequency set");
    }
}
