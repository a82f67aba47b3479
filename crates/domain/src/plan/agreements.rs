//! Agreeing on an activity's terms (a proposal holds until the other side confirms) and the
//! client's questions about measures in the catalogue.

use super::cases::*;
use super::model::*;
use super::rules::{
    PlanOp, Side, check_confirm_terms, check_propose_terms, check_reject_terms, require,
};
use crate::DomainError;
use crate::context::Ctx;
use crate::ids::{ClientId, MeasureId, PlanItemId};
use crate::roles::Actor;
use crate::types::FieldError;

/// Proposes terms: a first agreement or a change to agreed terms. The old terms hold until
/// the other side confirms.
pub async fn propose_terms(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    activity: PlanItemId,
    version: i64,
    terms: Terms,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.activity(activity), version)?;
    let a = &before.data;
    let measure = a.details.measure_id.and_then(|m| plan.measure(m));
    check_propose_terms(side, a, terms.condition, measure.map(|m| &m.data))?;
    if a.agreement.agreed.as_ref() == Some(&terms) {
        return Err(DomainError::Refused("plan-terms-unchanged"));
    }
    let data = Activity {
        agreement: Agreement {
            pending: Some(TermsProposal {
                terms,
                by: side,
                at: ctx.clock.now(),
            }),
            ..a.agreement.clone()
        },
        ..a.clone()
    };
    let change = if a.is_agreed() {
        "terms-proposed"
    } else {
        "agreement-proposed"
    };
    let c = Change {
        client,
        kind: ItemKind::Activity,
        before: Some(before),
        id: activity,
        data: &data,
        change,
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

/// The other side confirms proposed terms. A client confirming a condition must confirm
/// having been shown its consequence (`consequence_seen`).
pub async fn confirm_terms(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    activity: PlanItemId,
    version: i64,
    consequence_seen: bool,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.activity(activity), version)?;
    let a = &before.data;
    let pending = check_confirm_terms(side, a)?;
    let now = ctx.clock.now();
    let condition = pending.terms.condition;
    if condition && side == Side::Client && !consequence_seen {
        return Err(DomainError::invalid(
            "consequence_seen",
            FieldError::MustConfirm,
        ));
    }
    let change = if a.is_agreed() {
        "terms-agreed"
    } else {
        "agreed"
    };
    let data = Activity {
        status: if a.status == ActivityStatus::Proposed {
            ActivityStatus::Planned
        } else {
            a.status
        },
        agreement: Agreement {
            agreed: Some(pending.terms.clone()),
            agreed_at: Some(now),
            // The counselor only proposes conditions, so the client is the one confirming.
            consequence_shown_at: condition.then_some(now),
            pending: None,
        },
        ..a.clone()
    };
    let c = Change {
        client,
        kind: ItemKind::Activity,
        before: Some(before),
        id: activity,
        data: &data,
        change,
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

/// The other side turns proposed terms down (a proposer may also withdraw their own); agreed
/// terms stay as they were.
pub async fn reject_terms(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    activity: PlanItemId,
    version: i64,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::ConfirmTermsChange)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.activity(activity), version)?;
    let a = &before.data;
    let pending = check_reject_terms(side, a)?;
    let change = if pending.by == side {
        "terms-withdrawn"
    } else {
        "terms-rejected"
    };
    let data = Activity {
        agreement: Agreement {
            pending: None,
            ..a.agreement.clone()
        },
        ..a.clone()
    };
    let c = Change {
        client,
        kind: ItemKind::Activity,
        before: Some(before),
        id: activity,
        data: &data,
        change,
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

/// The client asks a question about a measure in their office's catalogue.
pub async fn ask_question(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    measure: MeasureId,
    text: &str,
) -> Result<PlanItemId, DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::AskAboutMeasure)?;
    let mut check = super::input::Check::default();
    let text = check.required("question", text, super::input::LONG_MAX);
    let text = check.finish(text)?;
    let plan = load(ctx, &scope, permit, side).await?;
    if plan.measure(measure).is_none() {
        return Err(DomainError::NotFound);
    }
    let data = Question {
        measure_id: measure,
        text,
        answer: None,
    };
    let c = Change {
        client,
        kind: ItemKind::Question,
        before: None,
        id: PlanItemId::new(),
        data: &data,
        change: "created",
    };
    save(ctx, actor, &permit, &scope, c).await
}

pub async fn answer_question(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    question: PlanItemId,
    version: i64,
    answer: &str,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::AnswerQuestion)?;
    let mut check = super::input::Check::default();
    let answer = check.required("answer", answer, super::input::LONG_MAX);
    let answer = check.finish(answer)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.questions.iter().find(|q| q.id == question), version)?;
    let data = Question {
        answer: Some(answer),
        ..before.data.clone()
    };
    let c = Change {
        client,
        kind: ItemKind::Question,
        before: Some(before),
        id: question,
        data: &data,
        change: "answered",
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}
