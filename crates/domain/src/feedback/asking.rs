//! Asking at the right moment, never nagging. The rule ([`decide`]), evaluated when the
//! client opens their pages:
//!
//! 1. An open invitation stays until the client answers or says "Not now".
//! 2. Quiet period: never within [`QUIET_AFTER`] (14 days) of the client's last answer or
//!    last "Not now" — not even after a meeting.
//! 3. After a meeting: an accepted meeting whose end has passed (within the last
//!    [`MEETING_FRESH`], and after the last invitation) brings an invitation about it.
//! 4. Otherwise at most once a month: when neither an invitation nor an answer is younger
//!    than [`MONTH`] (30 days).
//!
//! "Not now" dismisses the whole check (the invitation is closed as dismissed). Every
//! invitation is stored in `feedback_invitations` with its reason and state, so response
//! rates can be counted.

use super::Quarter;
use super::store::{InvitationRow, InviteReason, InviteState};
use crate::DomainError;
use crate::audit::DataKind;
use crate::cases::{ClientAccess, grant};
use crate::context::Ctx;
use crate::ids::{ClientId, FeedbackInvitationId, MeetingId, OfficeId, TeamId, UserId};
use crate::meetings::MeetingStatus;
use crate::meetings::store::MeetingRow;
use crate::plan::cases::PlanView;
use crate::policy::{Action, ClientScope, Resource, authorize};
use crate::roles::{Actor, Role};
use time::{Duration, OffsetDateTime};

pub const QUIET_AFTER: Duration = Duration::days(14);
pub const MONTH: Duration = Duration::days(30);
pub const MEETING_FRESH: Duration = Duration::days(14);

/// What to do now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Ask {
    /// Show this open invitation.
    Open(FeedbackInvitationId),
    /// Ask now, for this reason.
    New {
        reason: InviteReason,
        meeting: Option<MeetingId>,
    },
    /// Do not ask.
    NotNow,
}

/// The part of the asking rule the invitations alone decide: an open invitation (rule 1), or
/// the quiet period after the last "Not now" (rule 2). `None`: the meetings and the last
/// answer are needed too ([`decide`], which begins with this, so the two never disagree).
/// Most page views end here, without reading meetings or answers.
pub fn decide_on_invitations(now: OffsetDateTime, invitations: &[InvitationRow]) -> Option<Ask> {
    if let Some(open) = invitations
        .iter()
        .filter(|i| i.state == InviteState::Open)
        .max_by_key(|i| i.invited_at)
    {
        return Some(Ask::Open(open.id));
    }
    last_dismissal(invitations)
        .is_some_and(|q| now - q < QUIET_AFTER)
        .then_some(Ask::NotNow)
}

fn last_dismissal(invitations: &[InvitationRow]) -> Option<OffsetDateTime> {
    invitations
        .iter()
        .filter(|i| i.state == InviteState::Dismissed)
        .filter_map(|i| i.closed_at)
        .max()
}

/// The asking rule (see the module documentation). `invitations` in any order.
pub fn decide(
    now: OffsetDateTime,
    meetings: &[MeetingRow],
    invitations: &[InvitationRow],
    last_answer: Option<OffsetDateTime>,
) -> Ask {
    if let Some(ask) = decide_on_invitations(now, invitations) {
        return ask;
    }
    let quiet_from = last_answer.max(last_dismissal(invitations));
    if quiet_from.is_some_and(|q| now - q < QUIET_AFTER) {
        return Ask::NotNow;
    }
    let last_invite = invitations.iter().map(|i| i.invited_at).max();
    let meeting = meetings
        .iter()
        .filter(|m| m.status == MeetingStatus::Accepted)
        .filter(|m| m.ends_at() <= now && now - m.ends_at() <= MEETING_FRESH)
        .filter(|m| last_invite.is_none_or(|t| m.ends_at() > t))
        .filter(|m| !invitations.iter().any(|i| i.meeting_id == Some(m.id)))
        .max_by_key(|m| m.ends_at());
    if let Some(m) = meeting {
        return Ask::New {
            reason: InviteReason::Meeting,
            meeting: Some(m.id),
        };
    }
    let old = |t: Option<OffsetDateTime>| t.is_none_or(|t| now - t >= MONTH);
    if old(last_invite) && old(last_answer) {
        return Ask::New {
            reason: InviteReason::Monthly,
            meeting: None,
        };
    }
    Ask::NotNow
}

/// The client's team: the team of their counselor at the client's office, if any.
pub(crate) async fn team_of(
    ctx: Ctx<'_>,
    office: OfficeId,
    counselor: Option<UserId>,
) -> Result<Option<TeamId>, DomainError> {
    let Some(c) = counselor else {
        return Ok(None);
    };
    Ok(ctx
        .store
        .list_teams(office)
        .await?
        .into_iter()
        .find(|t| t.members.contains(&c))
        .map(|t| t.id))
}

/// The permit for the client's own case (the client only; their own view writes no audit
/// row).
pub(crate) async fn own_access(ctx: Ctx<'_>, actor: &Actor) -> Result<ClientAccess, DomainError> {
    let client = actor.own_client.ok_or(DomainError::NotFound)?;
    let access = grant(
        ctx,
        actor,
        client,
        Action::ChangeClientCase,
        DataKind::Feedback,
        None,
    )
    .await?;
    if access.permit().role != crate::roles::Role::Client {
        return Err(DomainError::NotFound);
    }
    Ok(access)
}

/// The client's own case scope (the client only).
pub(crate) async fn own_scope(
    ctx: Ctx<'_>,
    actor: &Actor,
) -> Result<(ClientId, ClientScope), DomainError> {
    let access = own_access(ctx, actor).await?;
    Ok((access.client(), access.scope().clone()))
}

/// Applies the asking rule for the signed-in client and returns the open invitation, if any
/// (creating it when it is time to ask).
pub async fn current_invitation(
    ctx: Ctx<'_>,
    actor: &Actor,
) -> Result<Option<InvitationRow>, DomainError> {
    let access = own_access(ctx, actor).await?;
    invitation_for(ctx, &access).await
}

/// [`current_invitation`] on the client's home, just read as `home`: the permit is decided
/// by the policy on the scope that view was granted on, without looking it up again. A view
/// of anyone else's plan, or one the policy would not leave to the client unaudited, gets
/// the full check of [`current_invitation`].
pub async fn current_invitation_on(
    ctx: Ctx<'_>,
    actor: &Actor,
    home: &PlanView,
) -> Result<Option<InvitationRow>, DomainError> {
    let scope = home.scope();
    let permit = (actor.own_client == Some(scope.client_id))
        .then(|| authorize(actor, Action::ChangeClientCase, Resource::Client(scope)).ok())
        .flatten()
        .filter(|p| p.role == Role::Client && !p.audited && !p.reason_required);
    match permit {
        Some(permit) => {
            let access = ClientAccess::unaudited(scope.clone(), permit);
            invitation_for(ctx, &access).await
        }
        None => current_invitation(ctx, actor).await,
    }
}

async fn invitation_for(
    ctx: Ctx<'_>,
    access: &ClientAccess,
) -> Result<Option<InvitationRow>, DomainError> {
    let (client, scope) = (access.client(), access.scope());
    let now = ctx.clock.now();
    let invitations = ctx.store.feedback_invitations(client, 100).await?;
    // The meetings and the last answer only when the invitations leave it open.
    let ask = match decide_on_invitations(now, &invitations) {
        Some(ask) => ask,
        None => {
            let meetings = ctx.store.list_meetings(access).await?;
            let last_answer = ctx
                .store
                .feedback_responses(access, false)
                .await?
                .iter()
                .map(|r| r.answered_at)
                .max();
            decide(now, &meetings, &invitations, last_answer)
        }
    };
    match ask {
        Ask::Open(id) => Ok(invitations.into_iter().find(|i| i.id == id)),
        Ask::NotNow => Ok(None),
        Ask::New { reason, meeting } => {
            let row = InvitationRow {
                id: FeedbackInvitationId::new(),
                client_id: client,
                office_id: scope.office_id,
                team_id: team_of(ctx, scope.office_id, scope.assigned_counselor).await?,
                counselor_id: scope.assigned_counselor,
                quarter: Quarter::of(now).to_string(),
                reason,
                meeting_id: meeting,
                invited_at: now,
                state: InviteState::Open,
                closed_at: None,
            };
            ctx.store.create_invitation(row.clone()).await?;
            Ok(Some(row))
        }
    }
}

/// "Not now": closes the client's open invitation as dismissed (the whole check).
pub async fn dismiss(
    ctx: Ctx<'_>,
    actor: &Actor,
    invitation: FeedbackInvitationId,
) -> Result<(), DomainError> {
    let (client, _) = own_scope(ctx, actor).await?;
    if ctx
        .store
        .close_invitation(invitation, client, InviteState::Dismissed, ctx.clock.now())
        .await?
    {
        Ok(())
    } else {
        Err(DomainError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;
    use crate::meetings::MeetingMode;
    use crate::plan::Side;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-06-15 12:00 UTC);

    fn meeting(starts: OffsetDateTime, status: MeetingStatus) -> MeetingRow {
        MeetingRow {
            id: MeetingId::new(),
            client_id: ClientId::new(),
            proposed_by: Side::Counselor,
            proposed_by_user: UserId::new(),
            starts_at: starts,
            duration_minutes: 60,
            mode: MeetingMode::InPerson,
            place: "Kontoret".into(),
            purpose: "Plan".into(),
            status,
            answer_by: None,
            version: 2,
            created_at: starts - Duration::days(7),
            updated_at: starts - Duration::days(6),
        }
    }

    fn invitation(
        at: OffsetDateTime,
        state: InviteState,
        meeting: Option<MeetingId>,
    ) -> InvitationRow {
        InvitationRow {
            id: FeedbackInvitationId::new(),
            client_id: ClientId::new(),
            office_id: OfficeId::new(),
            team_id: None,
            counselor_id: None,
            quarter: "2026-Q2".into(),
            reason: if meeting.is_some() {
                InviteReason::Meeting
            } else {
                InviteReason::Monthly
            },
            meeting_id: meeting,
            invited_at: at,
            state,
            closed_at: (state != InviteState::Open).then_some(at + Duration::minutes(2)),
        }
    }

    #[test]
    fn a_meeting_that_has_ended_brings_an_invitation_about_it() {
        let m = meeting(NOW - Duration::hours(3), MeetingStatus::Accepted);
        let earlier = invitation(NOW - Duration::days(20), InviteState::Answered, None);
        let got = decide(
            NOW,
            std::slice::from_ref(&m),
            &[earlier],
            Some(NOW - Duration::days(20)),
        );
        assert_eq!(
            got,
            Ask::New {
                reason: InviteReason::Meeting,
                meeting: Some(m.id)
            }
        );
        // Not before it has ended, not when it was never accepted, not about an old meeting.
        let running = meeting(NOW - Duration::minutes(30), MeetingStatus::Accepted);
        let proposed = meeting(NOW - Duration::hours(3), MeetingStatus::Proposed);
        let old = meeting(NOW - Duration::days(20), MeetingStatus::Accepted);
        let recent = invitation(NOW - Duration::days(25), InviteState::Answered, None);
        for m in [running, proposed, old] {
            assert_eq!(
                decide(
                    NOW,
                    &[m],
                    std::slice::from_ref(&recent),
                    Some(NOW - Duration::days(16))
                ),
                Ask::NotNow
            );
        }
    }

    #[test]
    fn never_within_fourteen_days_of_an_answer_or_a_dismissal_even_after_a_meeting() {
        let m = meeting(NOW - Duration::hours(3), MeetingStatus::Accepted);
        assert_eq!(
            decide(
                NOW,
                std::slice::from_ref(&m),
                &[],
                Some(NOW - Duration::days(13))
            ),
            Ask::NotNow
        );
        let dismissed = invitation(NOW - Duration::days(10), InviteState::Dismissed, None);
        assert_eq!(
            decide(NOW, std::slice::from_ref(&m), &[dismissed], None),
            Ask::NotNow
        );
        // Fifteen days after the answer the meeting counts again.
        assert!(matches!(
            decide(NOW, &[m], &[], Some(NOW - Duration::days(15))),
            Ask::New {
                reason: InviteReason::Meeting,
                ..
            }
        ));
    }

    #[test]
    fn otherwise_at_most_once_a_month_and_an_open_invitation_stays() {
        assert!(matches!(
            decide(NOW, &[], &[], None),
            Ask::New {
                reason: InviteReason::Monthly,
                ..
            }
        ));
        let asked = invitation(NOW - Duration::days(20), InviteState::Dismissed, None);
        assert_eq!(
            decide(NOW, &[], std::slice::from_ref(&asked), None),
            Ask::NotNow
        );
        let asked = invitation(NOW - Duration::days(31), InviteState::Dismissed, None);
        assert!(matches!(decide(NOW, &[], &[asked], None), Ask::New { .. }));
        assert_eq!(
            decide(NOW, &[], &[], Some(NOW - Duration::days(29))),
            Ask::NotNow
        );
        let open = invitation(NOW - Duration::days(3), InviteState::Open, None);
        assert_eq!(
            decide(NOW, &[], std::slice::from_ref(&open), None),
            Ask::Open(open.id)
        );
        // One invitation per meeting.
        let m = meeting(NOW - Duration::hours(3), MeetingStatus::Accepted);
        let about = invitation(NOW - Duration::hours(2), InviteState::Dismissed, Some(m.id));
        let mut about = about;
        about.closed_at = Some(NOW - Duration::days(15));
        about.invited_at = NOW - Duration::days(15);
        assert!(!matches!(
            decide(NOW, &[m], &[about], Some(NOW - Duration::days(40))),
            Ask::New {
                reason: InviteReason::Meeting,
                ..
            }
        ));
    }

    #[test]
    fn the_invitations_alone_decide_only_what_the_whole_rule_would() {
        // An open invitation and a recent "Not now" need no meetings or answers.
        let open = invitation(NOW - Duration::days(3), InviteState::Open, None);
        assert_eq!(
            decide_on_invitations(NOW, std::slice::from_ref(&open)),
            Some(Ask::Open(open.id))
        );
        let dismissed = invitation(NOW - Duration::days(10), InviteState::Dismissed, None);
        assert_eq!(
            decide_on_invitations(NOW, std::slice::from_ref(&dismissed)),
            Some(Ask::NotNow)
        );
        // Anything else is left to the whole rule.
        let long_ago = invitation(NOW - Duration::days(40), InviteState::Dismissed, None);
        let answered = invitation(NOW - Duration::days(5), InviteState::Answered, None);
        assert_eq!(decide_on_invitations(NOW, &[]), None);
        assert_eq!(
            decide_on_invitations(NOW, std::slice::from_ref(&long_ago)),
            None
        );
        assert_eq!(
            decide_on_invitations(NOW, std::slice::from_ref(&answered)),
            None
        );
        // Whenever the invitations decide, whatever the meetings and answers, the whole rule
        // says the same.
        let m = meeting(NOW - Duration::hours(3), MeetingStatus::Accepted);
        let sets = [
            vec![open.clone()],
            vec![dismissed.clone()],
            vec![open, dismissed, long_ago, answered],
        ];
        for invitations in &sets {
            let early = decide_on_invitations(NOW, invitations).unwrap();
            for last_answer in [
                None,
                Some(NOW - Duration::days(1)),
                Some(NOW - Duration::days(60)),
            ] {
                for meetings in [vec![], vec![m.clone()]] {
                    assert_eq!(decide(NOW, &meetings, invitations, last_answer), early);
                }
            }
        }
    }
}
