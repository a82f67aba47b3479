//! The counselor's picture of one client who shares: the shared responses over time, the
//! shared free text, a gentle prompt when something seems wrong, and the notes of talks.
//!
//! Only the assigned counselor sees it ([`Action::ViewSharedFeedback`]); everyone else gets
//! the same 404 as for a client that does not exist, and no audit row. Each view writes an
//! audit row, durable before the read is returned. Responses the client did not share are
//! never read for staff: the page shows nothing about them, not even that they exist.
//!
//! The prompt rule ([`prompt_for`]): on the latest shared response, the mean of the answered
//! themes is at least [`DROP`] points below the mean of the previous (up to three) shared
//! responses, or any theme is at most [`LOW`]. It is shown until the counselor records a talk
//! after that response.

use super::Theme;
use super::responses::{OwnResponse, with_instruments};
use super::store::{ResponseRow, TalkNote, TalkNoteRow};
use crate::DomainError;
use crate::audit::{AuditAction, DataKind, change_event};
use crate::context::Ctx;
use crate::ids::{ClientId, TalkNoteId};
use crate::policy::{Action, Permit, Resource, authorize};
use crate::roles::Actor;
use crate::types::{FieldError, clean_text};

/// A drop of this many points (of 10) in the mean prompts a talk.
pub const DROP: f64 = 2.0;
/// A theme at or below this prompts a talk.
pub const LOW: i64 = 3;
/// How many earlier shared responses the latest is compared with.
pub const COMPARE_WITH: usize = 3;
/// Longest talk note.
pub const TALK_MAX: usize = 2000;

/// Why the counselor is prompted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Prompt {
    /// The total dropped markedly.
    Drop,
    /// A theme is very low.
    Low,
}

impl Prompt {
    pub fn as_str(self) -> &'static str {
        match self {
            Prompt::Drop => "drop",
            Prompt::Low => "low",
        }
    }
}

/// The mean of the answered themes of a response (`None` if every theme was skipped).
pub fn mean(r: &ResponseRow) -> Option<f64> {
    let scores: Vec<i64> = r.themes.iter().flatten().copied().collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<i64>() as f64 / scores.len() as f64)
}

/// The prompt rule on shared responses, oldest first (see the module documentation). A low
/// theme is named before a drop.
pub fn prompt_for(shared: &[ResponseRow]) -> Option<Prompt> {
    let (latest, earlier) = shared.split_last()?;
    if latest.themes.iter().flatten().any(|s| *s <= LOW) {
        return Some(Prompt::Low);
    }
    let now = mean(latest)?;
    let before: Vec<f64> = earlier
        .iter()
        .rev()
        .filter_map(mean)
        .take(COMPARE_WITH)
        .collect();
    if before.is_empty() {
        return None;
    }
    let avg = before.iter().sum::<f64>() / before.len() as f64;
    (now <= avg - DROP).then_some(Prompt::Drop)
}

/// What the counselor sees.
pub struct Picture {
    pub client_name: String,
    /// Shared responses only, oldest first.
    pub responses: Vec<OwnResponse>,
    /// The prompt, unless a talk was recorded after the latest shared response.
    pub prompt: Option<Prompt>,
    pub talks: Vec<TalkNote>,
}

async fn permit(ctx: Ctx<'_>, actor: &Actor, client: ClientId) -> Result<Permit, DomainError> {
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    Ok(authorize(
        actor,
        Action::ViewSharedFeedback,
        Resource::Client(&scope),
    )?)
}

/// The picture of `client` for their assigned counselor (a protected client needs `reason`).
pub async fn picture(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<Picture, DomainError> {
    let access = crate::cases::grant(
        ctx,
        actor,
        client,
        Action::ViewSharedFeedback,
        DataKind::Feedback,
        reason,
    )
    .await?;
    let rows = ctx.store.feedback_responses(&access, true).await?;
    let talks = ctx.store.talk_notes(client).await?;
    // The name on the page, covered by the view's one row.
    let record = ctx
        .store
        .read_client(&access.covered())
        .await?
        .ok_or(DomainError::NotFound)?;
    let talked_after_latest = match rows.last() {
        Some(latest) => talks
            .iter()
            .any(|t| t.note.created_at >= latest.answered_at),
        None => true,
    };
    let prompt = prompt_for(&rows).filter(|_| !talked_after_latest);
    Ok(Picture {
        client_name: record.name,
        responses: with_instruments(ctx.store, rows).await?,
        prompt,
        talks,
    })
}

/// The client's first name, for the prompt ("Talk with Kari about …").
pub fn first_name(full: &str) -> &str {
    full.split_whitespace().next().unwrap_or(full)
}

/// Records that the counselor talked with the client about how the cooperation is going. The
/// client reads it on their feedback page.
pub async fn record_talk(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    prompt: Option<Prompt>,
    text: &str,
) -> Result<TalkNoteId, DomainError> {
    let permit = permit(ctx, actor, client).await?;
    let text = clean_text(text, TALK_MAX, true).map_err(|e| DomainError::invalid("talk", e))?;
    let id = TalkNoteId::new();
    ctx.store
        .add_talk_note(
            TalkNoteRow {
                id,
                client_id: client,
                author_id: actor.user_id,
                prompt: prompt.map_or("none", Prompt::as_str).to_string(),
                text,
                created_at: ctx.clock.now(),
            },
            change_event(
                ctx,
                actor,
                &permit,
                client,
                DataKind::Feedback,
                AuditAction::Created,
            ),
        )
        .await?;
    Ok(id)
}

/// Parses the prompt code posted with a talk note.
pub fn parse_prompt(s: &str) -> Result<Option<Prompt>, DomainError> {
    match s {
        "drop" => Ok(Some(Prompt::Drop)),
        "low" => Ok(Some(Prompt::Low)),
        "" | "none" => Ok(None),
        _ => Err(DomainError::invalid("talk", FieldError::NotAChoice)),
    }
}

/// A theme's scores over the responses (oldest first), skipping unanswered ones.
pub fn series(responses: &[OwnResponse], theme: Theme) -> Vec<i64> {
    responses
        .iter()
        .filter_map(|r| r.row.theme(theme))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::ids::{FeedbackResponseId, OfficeId, UserId};
    use time::macros::datetime;

    fn r(themes: [Option<i64>; 6]) -> ResponseRow {
        ResponseRow {
            id: FeedbackResponseId::new(),
            client_id: ClientId::new(),
            author_id: UserId::new(),
            office_id: OfficeId::new(),
            team_id: None,
            counselor_id: None,
            instrument_id: "x".into(),
            instrument_version: 1,
            meeting_id: None,
            quarter: "2026-Q1".into(),
            answered_at: datetime!(2026-01-01 10:00 UTC),
            changeable_until: datetime!(2026-01-01 10:30 UTC),
            shared_with_counselor: true,
            themes,
            answers: "{}".into(),
        }
    }

    fn all(n: i64) -> [Option<i64>; 6] {
        [Some(n); 6]
    }

    #[test]
    fn a_marked_drop_against_the_previous_three_prompts_a_talk() {
        // Previous three average 8; the latest 6 is exactly 2 below.
        let rows = [r(all(2 + 4)), r(all(8)), r(all(7)), r(all(9)), r(all(6))];
        assert_eq!(prompt_for(&rows), Some(Prompt::Drop));
        // 6.5 is only 1.5 below: no prompt.
        let rows = [
            r(all(8)),
            r(all(8)),
            r(all(8)),
            r([Some(6), Some(7), Some(6), Some(7), None, None]),
        ];
        assert_eq!(prompt_for(&rows), None);
        // Only the previous three count: an old high score does not make a drop.
        let rows = [r(all(10)), r(all(6)), r(all(6)), r(all(6)), r(all(5))];
        assert_eq!(prompt_for(&rows), None);
    }

    #[test]
    fn a_very_low_theme_prompts_even_the_first_time_and_skips_do_not() {
        assert_eq!(
            prompt_for(&[r([Some(9), Some(3), None, None, None, None])]),
            Some(Prompt::Low)
        );
        assert_eq!(
            prompt_for(&[r([Some(9), Some(4), None, None, None, None])]),
            None
        );
        assert_eq!(prompt_for(&[r(all(8)), r([None; 6])]), None);
        assert_eq!(prompt_for(&[]), None);
    }

    #[test]
    fn the_first_name_is_the_first_word() {
        assert_eq!(first_name("Kari Demo"), "Kari");
        assert_eq!(first_name("Kari"), "Kari");
    }
}
