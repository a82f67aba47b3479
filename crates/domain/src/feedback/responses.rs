//! Answering: the client fills in the organisation's instrument (every item may be skipped),
//! chooses whether their counselor may see the answers (remembered for next time), and may
//! change a response for [`CHANGE_WINDOW`] after answering. Nobody but the author ever
//! changes a response. The client sees all their own answers over time.

use super::asking::{own_access, own_scope, team_of};
use super::instrument::{BUILTIN_ID, BUILTIN_VERSION, Instrument, builtin};
use super::store::{FeedbackDeleted, InstrumentRow, ResponseRow, TalkNote};
use super::{Quarter, Theme};
use crate::DomainError;
use crate::audit::{AuditAction, DataKind, change_event};
use crate::cases::ClientAccess;
use crate::context::Ctx;
use crate::ids::{ClientId, FeedbackInvitationId, FeedbackResponseId, OrganisationId};
use crate::ports::{Clock, Conflict, PortError, Store};
use crate::roles::Actor;
use crate::types::{FieldError, clean_text};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};
use time::{Duration, OffsetDateTime};

/// How long the author may change a response after answering.
pub const CHANGE_WINDOW: Duration = Duration::minutes(30);

/// The answers of one response, as stored in `feedback_responses.answers`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    /// Score per item id (skipped items are absent).
    #[serde(default)]
    pub items: BTreeMap<String, i64>,
    /// Free text per question id (empty answers are absent).
    #[serde(default)]
    pub texts: BTreeMap<String, String>,
}

impl Answers {
    pub fn from_json(s: &str) -> Answers {
        serde_json::from_str(s).unwrap_or_default()
    }
}

/// The form as posted: `instrument` (`id@version`), `item-<id>` (a number or empty),
/// `text-<id>` and `share` (`yes` or `no`).
#[derive(Debug, Clone, Default)]
pub struct AnswerInput {
    pub fields: HashMap<String, String>,
}

impl AnswerInput {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        AnswerInput {
            fields: pairs.into_iter().collect(),
        }
    }
    pub fn get(&self, k: &str) -> &str {
        self.fields.get(k).map(String::as_str).unwrap_or("")
    }
}

/// Refusals of an answer: every field with its problem (field names as in the form), or
/// another domain error.
#[derive(Debug, thiserror::Error)]
pub enum AnswerError {
    #[error("invalid answer")]
    Fields(Vec<(String, FieldError)>),
    #[error(transparent)]
    Domain(#[from] DomainError),
}

impl From<PortError> for AnswerError {
    fn from(e: PortError) -> Self {
        AnswerError::Domain(e.into())
    }
}

/// A valid answer to `instrument`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    pub answers: Answers,
    pub share: bool,
    pub themes: [Option<i64>; 6],
}

/// Checks a posted answer against the instrument version it was given on.
pub fn parse_answer(instrument: &Instrument, input: &AnswerInput) -> Result<Parsed, AnswerError> {
    let mut errors = Vec::new();
    let mut answers = Answers::default();
    let mut themes = [None; 6];
    for item in &instrument.items {
        let field = format!("item-{}", item.id);
        let raw = input.get(&field).trim();
        if raw.is_empty() {
            continue;
        }
        match raw.parse::<i64>() {
            Ok(n) if (item.min..=item.max).contains(&n) => {
                answers.items.insert(item.id.clone(), n);
                if let Some(t) = item.theme
                    && let Some(i) = Theme::ALL.iter().position(|x| *x == t)
                {
                    themes[i] = Some(n);
                }
            }
            _ => errors.push((field, FieldError::NotAChoice)),
        }
    }
    for q in &instrument.questions {
        let field = format!("text-{}", q.id);
        let raw = input.get(&field);
        if raw.trim().is_empty() {
            continue;
        }
        match clean_text(raw, q.max_length, true) {
            Ok(t) => {
                answers.texts.insert(q.id.clone(), t);
            }
            Err(e) => errors.push((field, e)),
        }
    }
    let share = match input.get("share") {
        "yes" => Some(true),
        "no" => Some(false),
        _ => {
            errors.push(("share".into(), FieldError::NotAChoice));
            None
        }
    };
    match share {
        Some(share) if errors.is_empty() => Ok(Parsed {
            answers,
            share,
            themes,
        }),
        _ => Err(AnswerError::Fields(errors)),
    }
}

/// Stores the built-in instrument's current version if it is not there yet. Idempotent: run
/// at every start (`serve` and `migrate`) and before the first answer, so a database always
/// holds the version its responses refer to.
pub async fn ensure_builtin(store: &dyn Store, clock: &dyn Clock) -> Result<(), DomainError> {
    if store
        .instrument(BUILTIN_ID, Some(BUILTIN_VERSION))
        .await?
        .is_some()
    {
        return Ok(());
    }
    match store
        .put_instrument(InstrumentRow {
            id: BUILTIN_ID.into(),
            version: BUILTIN_VERSION,
            organisation_id: None,
            definition: builtin().to_json(),
            created_at: clock.now(),
        })
        .await
    {
        // Another instance stored it meanwhile.
        Ok(()) | Err(PortError::Conflict(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

fn decode(row: &InstrumentRow) -> Result<Instrument, DomainError> {
    let mut i = Instrument::from_json(&row.definition)
        .map_err(|e| PortError::Failure(format!("stored instrument: {e}")))?;
    i.version = row.version;
    Ok(i)
}

/// The instrument an organisation asks with: its chosen instrument's latest version, or the
/// built-in one.
pub async fn instrument_for(ctx: Ctx<'_>, org: OrganisationId) -> Result<Instrument, DomainError> {
    ensure_builtin(ctx.store, ctx.clock).await?;
    let id = ctx
        .store
        .chosen_instrument(org)
        .await?
        .unwrap_or_else(|| BUILTIN_ID.to_string());
    let row = match ctx.store.instrument(&id, None).await? {
        Some(r) => r,
        None => ctx
            .store
            .instrument(BUILTIN_ID, None)
            .await?
            .ok_or(DomainError::NotFound)?,
    };
    decode(&row)
}

/// One stored instrument version.
pub async fn instrument_version(
    store: &dyn Store,
    id: &str,
    version: i64,
) -> Result<Option<Instrument>, DomainError> {
    match store.instrument(id, Some(version)).await? {
        Some(r) => Ok(Some(decode(&r)?)),
        None => Ok(None),
    }
}

/// Adds an instrument from its JSON definition (validated): a new id gets version 1, a known
/// id the next version. Returns the stored (id, version).
pub async fn add_instrument(
    store: &dyn Store,
    clock: &dyn Clock,
    org: Option<OrganisationId>,
    json: &str,
) -> Result<(String, i64), AddInstrumentError> {
    let mut i = Instrument::from_json(json).map_err(AddInstrumentError::Invalid)?;
    let latest = store
        .instrument(&i.id, None)
        .await
        .map_err(AddInstrumentError::Port)?;
    i.version = latest.map_or(1, |r| r.version + 1);
    store
        .put_instrument(InstrumentRow {
            id: i.id.clone(),
            version: i.version,
            organisation_id: org,
            definition: i.to_json(),
            created_at: clock.now(),
        })
        .await
        .map_err(AddInstrumentError::Port)?;
    Ok((i.id, i.version))
}

#[derive(Debug, thiserror::Error)]
pub enum AddInstrumentError {
    #[error(transparent)]
    Invalid(super::instrument::InvalidInstrument),
    #[error(transparent)]
    Port(PortError),
}

/// Makes `instrument` (which must exist) the one the organisation asks with.
pub async fn use_instrument(
    store: &dyn Store,
    clock: &dyn Clock,
    org: OrganisationId,
    instrument: &str,
) -> Result<i64, DomainError> {
    let row = store
        .instrument(instrument, None)
        .await?
        .ok_or(DomainError::NotFound)?;
    store
        .choose_instrument(org, instrument, clock.now())
        .await?;
    Ok(row.version)
}

/// What the answer form needs: the instrument and the remembered sharing choice.
pub struct AnswerForm {
    pub instrument: Instrument,
    pub share: Option<bool>,
}

pub async fn answer_form(ctx: Ctx<'_>, actor: &Actor) -> Result<AnswerForm, DomainError> {
    let (client, scope) = own_scope(ctx, actor).await?;
    Ok(AnswerForm {
        instrument: instrument_for(ctx, scope.organisation_id).await?,
        share: ctx.store.feedback_preference(client).await?,
    })
}

/// The instrument a posted form was given on (`instrument` = `id@version`): it must be a
/// stored version of the organisation's instrument.
async fn posted_instrument(
    ctx: Ctx<'_>,
    org: OrganisationId,
    input: &AnswerInput,
) -> Result<Instrument, AnswerError> {
    let current = instrument_for(ctx, org).await?;
    let refused = || AnswerError::Fields(vec![("instrument".into(), FieldError::NotAChoice)]);
    let (id, version) = input
        .get("instrument")
        .split_once('@')
        .ok_or_else(refused)?;
    let version: i64 = version.parse().map_err(|_| refused())?;
    if id != current.id {
        return Err(refused());
    }
    if version == current.version {
        return Ok(current);
    }
    instrument_version(ctx.store, id, version)
        .await?
        .ok_or_else(refused)
}

/// Stores the signed-in client's answer (closing `invitation` if it is theirs and open).
pub async fn answer(
    ctx: Ctx<'_>,
    actor: &Actor,
    invitation: Option<FeedbackInvitationId>,
    input: &AnswerInput,
) -> Result<FeedbackResponseId, AnswerError> {
    let access = own_access(ctx, actor).await?;
    let (client, scope) = (access.client(), access.scope());
    let instrument = posted_instrument(ctx, scope.organisation_id, input).await?;
    let parsed = parse_answer(&instrument, input)?;
    let now = ctx.clock.now();
    // The invitation must be the client's own open one; anything else is ignored. Answering
    // without naming one (on the client's own initiative) answers the open invitation too.
    let invitation = ctx
        .store
        .feedback_invitations(client, 100)
        .await?
        .into_iter()
        .filter(|i| i.state == super::store::InviteState::Open)
        .find(|i| invitation.is_none_or(|id| i.id == id));
    let id = FeedbackResponseId::new();
    ctx.store
        .insert_response(
            ResponseRow {
                id,
                client_id: client,
                author_id: actor.user_id,
                office_id: scope.office_id,
                team_id: team_of(ctx, scope.office_id, scope.assigned_counselor).await?,
                counselor_id: scope.assigned_counselor,
                instrument_id: instrument.id.clone(),
                instrument_version: instrument.version,
                meeting_id: invitation.as_ref().and_then(|i| i.meeting_id),
                quarter: Quarter::of(now).to_string(),
                answered_at: now,
                changeable_until: now + CHANGE_WINDOW,
                shared_with_counselor: parsed.share,
                themes: parsed.themes,
                answers: serde_json::to_string(&parsed.answers).unwrap_or_default(),
            },
            invitation.map(|i| i.id),
            change_event(
                ctx,
                actor,
                access.permit(),
                client,
                DataKind::Feedback,
                AuditAction::Created,
            ),
        )
        .await?;
    Ok(id)
}

/// One of the client's own responses that may still be changed, with its instrument version.
pub async fn changeable(
    ctx: Ctx<'_>,
    actor: &Actor,
    response: FeedbackResponseId,
) -> Result<(ResponseRow, Instrument), DomainError> {
    let (row, instrument, _) = changeable_with_access(ctx, actor, response).await?;
    Ok((row, instrument))
}

/// [`changeable`], with the client's own permit (for the change's audit row).
async fn changeable_with_access(
    ctx: Ctx<'_>,
    actor: &Actor,
    response: FeedbackResponseId,
) -> Result<(ResponseRow, Instrument, ClientAccess), DomainError> {
    let access = own_access(ctx, actor).await?;
    let row = ctx
        .store
        .feedback_responses(&access, false)
        .await?
        .into_iter()
        .find(|r| r.id == response && r.author_id == actor.user_id)
        .ok_or(DomainError::NotFound)?;
    if ctx.clock.now() > row.changeable_until {
        return Err(DomainError::Refused("feedback-change-closed"));
    }
    let instrument = instrument_version(ctx.store, &row.instrument_id, row.instrument_version)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok((row, instrument, access))
}

/// Changes the client's own response inside the change window. The posted form must be for
/// the response's own instrument version.
pub async fn change(
    ctx: Ctx<'_>,
    actor: &Actor,
    response: FeedbackResponseId,
    input: &AnswerInput,
) -> Result<(), AnswerError> {
    let (row, instrument, access) = changeable_with_access(ctx, actor, response).await?;
    if input.get("instrument") != format!("{}@{}", instrument.id, instrument.version) {
        return Err(AnswerError::Fields(vec![(
            "instrument".into(),
            FieldError::NotAChoice,
        )]));
    }
    let parsed = parse_answer(&instrument, input)?;
    let client = row.client_id;
    let now = ctx.clock.now();
    let updated = ResponseRow {
        shared_with_counselor: parsed.share,
        themes: parsed.themes,
        answers: serde_json::to_string(&parsed.answers).unwrap_or_default(),
        ..row
    };
    match ctx
        .store
        .update_response(
            updated,
            now,
            change_event(
                ctx,
                actor,
                access.permit(),
                client,
                DataKind::Feedback,
                AuditAction::Changed,
            ),
        )
        .await
    {
        Ok(()) => Ok(()),
        Err(PortError::Conflict(Conflict::Stale)) => {
            Err(DomainError::Refused("feedback-change-closed").into())
        }
        Err(e) => Err(e.into()),
    }
}

/// A response with the instrument version it answered.
pub struct OwnResponse {
    pub row: ResponseRow,
    pub answers: Answers,
    pub instrument: Option<Instrument>,
}

/// Everything the client sees about their own feedback.
pub struct MyFeedback {
    /// Oldest first.
    pub responses: Vec<OwnResponse>,
    pub talks: Vec<TalkNote>,
}

pub async fn my_feedback(ctx: Ctx<'_>, actor: &Actor) -> Result<MyFeedback, DomainError> {
    let access = own_access(ctx, actor).await?;
    let rows = ctx.store.feedback_responses(&access, false).await?;
    Ok(MyFeedback {
        responses: with_instruments(ctx.store, rows).await?,
        talks: ctx.store.talk_notes(access.client()).await?,
    })
}

pub(crate) async fn with_instruments(
    store: &dyn Store,
    rows: Vec<ResponseRow>,
) -> Result<Vec<OwnResponse>, DomainError> {
    let mut cache: HashMap<(String, i64), Option<Instrument>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let key = (row.instrument_id.clone(), row.instrument_version);
        if !cache.contains_key(&key) {
            let i = instrument_version(store, &key.0, key.1).await?;
            cache.insert(key.clone(), i);
        }
        out.push(OwnResponse {
            answers: Answers::from_json(&row.answers),
            instrument: cache.get(&key).cloned().flatten(),
            row,
        });
    }
    Ok(out)
}

/// Retention: deletes all of a client's feedback (responses, invitations, the remembered
/// choice and talk notes). For the administrator's command line.
pub async fn delete_client_feedback(
    store: &dyn Store,
    client: ClientId,
) -> Result<FeedbackDeleted, DomainError> {
    store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(store.delete_feedback(client).await?)
}

/// Whether a response may still be changed at `now`.
pub fn may_change(row: &ResponseRow, author: crate::ids::UserId, now: OffsetDateTime) -> bool {
    row.author_id == author && now <= row.changeable_until
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn input(pairs: &[(&str, &str)]) -> AnswerInput {
        AnswerInput::from_pairs(
            pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn every_item_may_be_skipped_and_scores_fill_the_theme_columns() {
        let i = builtin();
        let p = parse_answer(
            &i,
            &input(&[
                ("item-relation", "7"),
                ("item-time", "0"),
                ("item-choices", ""),
                ("text-helped-most", "  Being believed "),
                ("share", "yes"),
            ]),
        )
        .unwrap();
        assert!(p.share);
        assert_eq!(p.themes, [Some(7), None, None, Some(0), None, None]);
        assert_eq!(p.answers.texts["helped-most"], "Being believed");
        let none = parse_answer(&i, &input(&[("share", "no")])).unwrap();
        assert_eq!(none.themes, [None; 6]);
        assert!(!none.share);
    }

    #[test]
    fn out_of_range_scores_long_texts_and_a_missing_choice_are_named_per_field() {
        let i = builtin();
        let long = "x".repeat(1001);
        let Err(AnswerError::Fields(e)) = parse_answer(
            &i,
            &input(&[
                ("item-relation", "11"),
                ("item-time", "-1"),
                ("item-choices", "seven"),
                ("text-make-better", &long),
            ]),
        ) else {
            panic!("accepted");
        };
        let fields: Vec<&str> = e.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(
            fields,
            [
                "item-relation",
                "item-choices",
                "item-time",
                "text-make-better",
                "share"
            ]
        );
        assert_eq!(e[3].1, FieldError::TooLong);
    }

    #[test]
    fn only_the_author_changes_and_only_inside_the_window() {
        let author = crate::ids::UserId::new();
        let at = time::macros::datetime!(2026-06-01 10:00 UTC);
        let row = ResponseRow {
            id: FeedbackResponseId::new(),
            client_id: ClientId::new(),
            author_id: author,
            office_id: crate::ids::OfficeId::new(),
            team_id: None,
            counselor_id: None,
            instrument_id: BUILTIN_ID.into(),
            instrument_version: 1,
            meeting_id: None,
            quarter: "2026-Q2".into(),
            answered_at: at,
            changeable_until: at + CHANGE_WINDOW,
            shared_with_counselor: false,
            themes: [None; 6],
            answers: "{}".into(),
        };
        assert!(may_change(&row, author, at + Duration::minutes(30)));
        assert!(!may_change(&row, author, at + Duration::minutes(31)));
        assert!(!may_change(&row, crate::ids::UserId::new(), at));
    }
}
