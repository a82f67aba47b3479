//! Contact: the availability agreement: the counselor's published contact hours and channels, and how
//! a client and their counselor agree to keep in touch (channels for notices, e-mail address
//! and phone number, quiet hours in Oslo time, the agreed response time). Either side may
//! propose; the other confirms. Notices (`crate::notices`) follow the current agreement.
//!
//! This module parses the input (field errors named by field); the store keeps the rows.

pub mod store;

pub use store::{ContactAgreement, ContactStatus, ContactStore, CounselorAvailability};

use crate::DomainError;
use crate::audit::{AuditAction, DataKind, change_event};
use crate::cases::{ClientAccess, grant};
use crate::context::Ctx;
use crate::ids::{ClientId, UserId};
use crate::notices::QuietHours;
use crate::plan::Side;
use crate::policy::{Action, Resource, authorize};
use crate::roles::Actor;
use crate::types::{FieldError, clean_text};
use time::Time;

/// Longest contact-hours text.
pub const CONTACT_HOURS_MAX: usize = 500;

/// Ways of keeping in touch a counselor can offer or a client can choose.
pub const CHANNELS: [&str; 4] = ["messages", "email", "sms", "phone"];

/// A plausible e-mail address (something@domain.tld, no spaces), trimmed.
pub fn parse_email(raw: &str) -> Result<String, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    if s.len() > 254 {
        return Err(FieldError::TooLong);
    }
    let ok = s.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !s.contains(char::is_whitespace)
            && !domain.contains('@')
    });
    if ok {
        Ok(s.to_string())
    } else {
        Err(FieldError::InvalidCharacters)
    }
}

/// A phone number: digits, optionally a leading `+` (Norwegian numbers without one get +47).
/// Spaces are allowed and removed.
pub fn parse_phone(raw: &str) -> Result<String, FieldError> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return Err(FieldError::Required);
    }
    let digits = s.strip_prefix('+').unwrap_or(&s);
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return Err(FieldError::InvalidCharacters);
    }
    match (s.starts_with('+'), digits.len()) {
        (false, 8) => Ok(format!("+47{digits}")),
        (true, 8..=15) => Ok(s),
        (_, n) if n < 8 => Err(FieldError::TooShort),
        _ => Err(FieldError::TooLong),
    }
}

/// `HH:MM` (24-hour clock).
pub fn parse_time(raw: &str) -> Result<Time, FieldError> {
    let s = raw.trim();
    let (h, m) = s.split_once(':').ok_or(FieldError::InvalidCharacters)?;
    let h: u8 = h.parse().map_err(|_| FieldError::InvalidCharacters)?;
    let m: u8 = m.parse().map_err(|_| FieldError::InvalidCharacters)?;
    Time::from_hms(h, m, 0).map_err(|_| FieldError::InvalidCharacters)
}

/// Formats a time as `HH:MM`, as stored and shown.
pub fn format_time(t: Time) -> String {
    format!("{:02}:{:02}", t.hour(), t.minute())
}

/// Quiet hours from two optional fields: both empty means none; one alone is an error on the
/// missing one.
pub fn parse_quiet(
    start: &str,
    end: &str,
) -> Result<Option<QuietHours>, (&'static str, FieldError)> {
    match (start.trim().is_empty(), end.trim().is_empty()) {
        (true, true) => Ok(None),
        (false, true) => Err(("quiet_end", FieldError::Required)),
        (true, false) => Err(("quiet_start", FieldError::Required)),
        (false, false) => Ok(Some(QuietHours {
            start: parse_time(start).map_err(|e| ("quiet_start", e))?,
            end: parse_time(end).map_err(|e| ("quiet_end", e))?,
        })),
    }
}

/// Contact hours as published: plain text, required.
pub fn parse_contact_hours(raw: &str) -> Result<String, FieldError> {
    clean_text(raw, CONTACT_HOURS_MAX, true)
}

/// An agreed response time: 1 to 168 hours.
pub fn parse_response_hours(raw: &str) -> Result<Option<i64>, FieldError> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let h: i64 = s.parse().map_err(|_| FieldError::InvalidCharacters)?;
    if h < 1 {
        Err(FieldError::TooShort)
    } else if h > 168 {
        Err(FieldError::TooLong)
    } else {
        Ok(Some(h))
    }
}

// ----- use cases -----

/// What the contact page shows: the agreement (if any), the assigned counselor's published
/// contact hours (if any), and from which side the viewer sees it (`None`: read only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactView {
    pub agreement: Option<ContactAgreement>,
    pub hours: Option<CounselorAvailability>,
    pub side: Option<Side>,
}

/// The form a side fills in to propose how to keep in touch.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgreementInput {
    pub email_notices: bool,
    pub sms_notices: bool,
    pub phone_calls: bool,
    pub email: String,
    pub phone: String,
    pub quiet_start: String,
    pub quiet_end: String,
    pub response_hours: String,
    pub language: String,
    /// The version the form was based on (0: none yet).
    pub version: i64,
}

async fn scope_of(
    ctx: Ctx<'_>,
    client: ClientId,
) -> Result<crate::policy::ClientScope, DomainError> {
    ctx.store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)
}

/// The agreement and the counselor's hours, for the client and staff who may see the case
/// (staff views are audited; a protected client needs a reason).
pub async fn view(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<ContactView, DomainError> {
    // The agreement holds contact details, part of the case's personal data.
    let access = grant(
        ctx,
        actor,
        client,
        Action::ViewClientCase,
        DataKind::CaseOverview,
        reason,
    )
    .await?;
    let agreement = ctx.store.contact_agreement(&access).await?;
    let scope = access.scope();
    let hours = match scope.assigned_counselor {
        Some(c) => ctx.store.availability(c).await?,
        None => None,
    };
    let side = match authorize(actor, Action::ChangeClientCase, Resource::Client(scope)) {
        Ok(p) => Side::of_role(p.role),
        Err(_) => None,
    };
    Ok(ContactView {
        agreement,
        hours,
        side,
    })
}

/// A live event of kind `agreement` for the other party (the client's account or the assigned
/// counselor, whoever is not `author`).
async fn other_party(
    ctx: Ctx<'_>,
    scope: &crate::policy::ClientScope,
    client: ClientId,
    author: UserId,
) -> Result<Vec<crate::ports::LiveEvent>, DomainError> {
    let client_user = ctx.store.client_user(client).await?;
    Ok([client_user, scope.assigned_counselor]
        .into_iter()
        .flatten()
        .filter(|u| *u != author)
        .map(|recipient| crate::ports::LiveEvent {
            recipient,
            kind: "agreement".into(),
            about: Some(format!("agreement-{client}")),
        })
        .collect())
}

/// Either side proposes how to keep in touch; the other side then confirms. A change by
/// either side needs the other's confirmation again.
pub async fn propose(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    input: &AgreementInput,
) -> Result<(), DomainError> {
    let scope = scope_of(ctx, client).await?;
    let permit = authorize(actor, Action::ChangeClientCase, Resource::Client(&scope))?;
    let side = Side::of_role(permit.role).ok_or(DomainError::NotFound)?;
    let mut errors: Vec<(&'static str, FieldError)> = vec![];
    let email = if input.email.trim().is_empty() && !input.email_notices {
        None
    } else {
        parse_email(&input.email)
            .map_err(|e| errors.push(("email", e)))
            .ok()
    };
    let phone = if input.phone.trim().is_empty() && !(input.sms_notices || input.phone_calls) {
        None
    } else {
        parse_phone(&input.phone)
            .map_err(|e| errors.push(("phone", e)))
            .ok()
    };
    let quiet = parse_quiet(&input.quiet_start, &input.quiet_end)
        .map_err(|e| errors.push(e))
        .ok()
        .flatten();
    let response_hours = parse_response_hours(&input.response_hours)
        .map_err(|e| errors.push(("response_hours", e)))
        .ok()
        .flatten();
    if !errors.is_empty() {
        return Err(DomainError::Invalid(errors));
    }
    let language = match input.language.as_str() {
        l @ ("nb" | "nn" | "en") => l.to_string(),
        _ => "nb".to_string(),
    };
    let expected = (input.version > 0).then_some(input.version);
    let now = ctx.clock.now();
    let agreement = ContactAgreement {
        client_id: client,
        in_app: true,
        email_notices: input.email_notices,
        sms_notices: input.sms_notices,
        phone_calls: input.phone_calls,
        email,
        phone,
        quiet,
        response_hours,
        language,
        proposed_by: side,
        confirmed_at: None,
        version: input.version + 1,
        updated_at: now,
    };
    let audit = change_event(
        ctx,
        actor,
        &permit,
        client,
        DataKind::CaseOverview,
        AuditAction::Changed,
    );
    // The other party has an agreement to confirm: a live event, and so a notice.
    let events = other_party(ctx, &scope, client, actor.user_id).await?;
    match ctx
        .store
        .put_contact_agreement(agreement, expected, Some(audit), events.clone())
        .await
    {
        Err(crate::ports::PortError::Conflict(_)) => Err(DomainError::StaleVersion),
        other => {
            other?;
            ctx.announce(events).await;
            Ok(())
        }
    }
}

/// Only the side that did not propose an agreement confirms it, once (anything else is
/// answered as if there were nothing to confirm).
pub fn check_confirm(side: Side, a: &ContactAgreement) -> Result<(), DomainError> {
    if a.proposed_by == side || a.confirmed_at.is_some() {
        return Err(DomainError::NotFound);
    }
    Ok(())
}

/// What the viewer (`side`: `None` for a read-only colleague) may do on the contact page:
/// the same checks [`propose`] and [`confirm`] make.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ContactActions {
    pub confirm: bool,
    /// Propose an agreement (or a change to it).
    pub propose: bool,
}

pub fn contact_actions(side: Option<Side>, agreement: Option<&ContactAgreement>) -> ContactActions {
    let Some(side) = side else {
        return ContactActions::default();
    };
    ContactActions {
        confirm: agreement.is_some_and(|a| check_confirm(side, a).is_ok()),
        propose: true,
    }
}

/// The other side confirms the current proposal (`version` is the one they saw).
pub async fn confirm(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    version: i64,
) -> Result<(), DomainError> {
    let scope = scope_of(ctx, client).await?;
    let permit = authorize(actor, Action::ChangeClientCase, Resource::Client(&scope))?;
    let side = Side::of_role(permit.role).ok_or(DomainError::NotFound)?;
    let current = ctx
        .store
        .contact_agreement(&ClientAccess::unaudited(scope, permit))
        .await?
        .ok_or(DomainError::NotFound)?;
    if current.version != version {
        return Err(DomainError::StaleVersion);
    }
    check_confirm(side, &current)?;
    let now = ctx.clock.now();
    let confirmed = ContactAgreement {
        confirmed_at: Some(now),
        version: version + 1,
        updated_at: now,
        ..current
    };
    let audit = change_event(
        ctx,
        actor,
        &permit,
        client,
        DataKind::CaseOverview,
        AuditAction::Changed,
    );
    match ctx
        .store
        .put_contact_agreement(confirmed, Some(version), Some(audit), vec![])
        .await
    {
        Err(crate::ports::PortError::Conflict(_)) => Err(DomainError::StaleVersion),
        other => Ok(other?),
    }
}

/// The contact hours `actor` published, for their account page (`None` before the first
/// time); not found for anyone who has none to publish.
pub async fn own_hours<S: ContactStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
) -> Result<Option<CounselorAvailability>, DomainError> {
    if !crate::policy::may_publish_contact_hours(actor) {
        return Err(DomainError::NotFound);
    }
    Ok(ctx.store.availability(actor.user_id).await?)
}

/// A counselor publishes their contact hours and channels (and where their own notices go).
pub async fn publish_hours<S: ContactStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    contact_hours: &str,
    channels: &[String],
    notice_email: &str,
) -> Result<(), DomainError> {
    if !crate::policy::may_publish_contact_hours(actor) {
        return Err(DomainError::NotFound);
    }
    let mut errors: Vec<(&'static str, FieldError)> = vec![];
    let hours = parse_contact_hours(contact_hours)
        .map_err(|e| errors.push(("contact_hours", e)))
        .ok();
    let notice_email = if notice_email.trim().is_empty() {
        None
    } else {
        parse_email(notice_email)
            .map_err(|e| errors.push(("notice_email", e)))
            .ok()
    };
    let (Some(contact_hours), true) = (hours, errors.is_empty()) else {
        return Err(DomainError::Invalid(errors));
    };
    let channels = CHANNELS
        .iter()
        .filter(|c| channels.iter().any(|x| x == *c))
        .map(|c| c.to_string())
        .collect();
    ctx.store
        .put_availability(CounselorAvailability {
            counselor_id: actor.user_id,
            contact_hours,
            channels,
            notice_email,
            updated_at: ctx.clock.now(),
        })
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use time::macros::time;

    #[test]
    fn the_confirm_button_is_shown_exactly_when_confirm_accepts() {
        let at = time::macros::datetime!(2026-05-02 10:00 UTC);
        for proposed_by in [Side::Client, Side::Counselor] {
            for confirmed_at in [None, Some(at)] {
                let a = ContactAgreement {
                    client_id: ClientId::new(),
                    in_app: true,
                    email_notices: false,
                    sms_notices: false,
                    phone_calls: false,
                    email: None,
                    phone: None,
                    quiet: None,
                    response_hours: None,
                    language: "nb".into(),
                    proposed_by,
                    confirmed_at,
                    version: 1,
                    updated_at: at,
                };
                for side in [Some(Side::Client), Some(Side::Counselor), None] {
                    let b = contact_actions(side, Some(&a));
                    assert_eq!(
                        b.confirm,
                        side.is_some_and(|s| check_confirm(s, &a).is_ok())
                    );
                    // As the contact page showed it before issue 12.
                    assert_eq!(
                        b.confirm,
                        a.confirmed_at.is_none() && side.is_some_and(|s| s != a.proposed_by)
                    );
                    assert_eq!(b.propose, side.is_some());
                    assert!(!contact_actions(side, None).confirm);
                }
            }
        }
    }

    #[test]
    fn addresses_and_numbers_are_parsed_with_field_errors() {
        assert_eq!(parse_email(" kari@example.no ").unwrap(), "kari@example.no");
        assert!(parse_email("kari@").is_err());
        assert!(parse_email("kari example.no").is_err());
        assert_eq!(parse_email(""), Err(FieldError::Required));
        assert_eq!(parse_phone("999 99 999").unwrap(), "+4799999999");
        assert_eq!(parse_phone("+46701234567").unwrap(), "+46701234567");
        assert_eq!(parse_phone("12345"), Err(FieldError::TooShort));
        assert_eq!(parse_phone("99x99999"), Err(FieldError::InvalidCharacters));
    }

    #[test]
    fn quiet_hours_need_both_ends() {
        assert_eq!(parse_quiet("", "").unwrap(), None);
        assert_eq!(
            parse_quiet("22:00", "07:00").unwrap(),
            Some(QuietHours {
                start: time!(22:00),
                end: time!(07:00)
            })
        );
        assert_eq!(parse_quiet("22:00", "").unwrap_err().0, "quiet_end");
        assert_eq!(parse_quiet("25:00", "07:00").unwrap_err().0, "quiet_start");
        assert_eq!(format_time(time!(07:05)), "07:05");
        assert_eq!(parse_response_hours("48").unwrap(), Some(48));
        assert!(parse_response_hours("0").is_err());
        assert!(parse_response_hours("500").is_err());
    }
}
