//! Who may change what in a plan: one table. The access policy first decides whether someone
//! may change the client's case at all (the client themself, or the assigned counselor); this
//! table then decides what each side may do. `docs/PLAN.md` holds the same table, and a test
//! keeps the two equal.

use super::model::{
    Activity, ActivityKind, ActivityStatus, Goal, GoalStatus, MeasureData, TermsProposal,
};
use crate::DomainError;
use crate::roles::Role;
use serde::{Deserialize, Serialize};

/// The two parties to a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Side {
    Client,
    Counselor,
}

impl Side {
    pub fn other(&self) -> Side {
        match self {
            Side::Client => Side::Counselor,
            Side::Counselor => Side::Client,
        }
    }
    pub fn as_str(&self) -> &'static str {
        match self {
            Side::Client => "client",
            Side::Counselor => "counselor",
        }
    }
    /// The side a permit's role acts for (staff other than counselors never change plans).
    pub fn of_role(role: Role) -> Option<Side> {
        match role {
            Role::Client => Some(Side::Client),
            Role::Counselor => Some(Side::Counselor),
            _ => None,
        }
    }
}

/// Operations on a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlanOp {
    WritePresentation,
    StartAfresh,
    EditPreferences,
    AddGoal,
    EditGoalWording,
    ApproveGoalWording,
    SetGoalStatus,
    AddActivity,
    EditActivity,
    ChangeActivityStatus,
    ApproveProposedActivity,
    ProposeVoluntaryAgreement,
    ProposeCondition,
    ConfirmAgreement,
    ProposeTermsChange,
    ConfirmTermsChange,
    SuggestMeasure,
    MarkInterestInMeasure,
    DeclineSuggestedMeasure,
    AskAboutMeasure,
    AnswerQuestion,
}

/// `(operation, client may, counselor may, the rule in words)`.
pub const RULES: &[(PlanOp, bool, bool, &str)] = &[
    (
        PlanOp::WritePresentation,
        true,
        false,
        "The self-presentation is the client's own words; the counselor reads it.",
    ),
    (
        PlanOp::StartAfresh,
        true,
        false,
        "Only the client archives their earlier self-presentation and starts afresh.",
    ),
    (
        PlanOp::EditPreferences,
        true,
        true,
        "Either side records practical preferences and accommodations.",
    ),
    (
        PlanOp::AddGoal,
        true,
        true,
        "A counselor's wording counts once the client approves it.",
    ),
    (
        PlanOp::EditGoalWording,
        true,
        false,
        "Only the client changes the wording of a goal.",
    ),
    (
        PlanOp::ApproveGoalWording,
        true,
        false,
        "The client approves a wording the counselor suggested.",
    ),
    (
        PlanOp::SetGoalStatus,
        true,
        true,
        "Either side marks a goal reached or dropped, or active again.",
    ),
    (
        PlanOp::AddActivity,
        true,
        true,
        "Either side proposes an activity; it starts as proposed.",
    ),
    (
        PlanOp::EditActivity,
        true,
        true,
        "Either side edits an activity that is neither agreed nor completed or cancelled.",
    ),
    (
        PlanOp::ChangeActivityStatus,
        true,
        true,
        "Along the allowed moves only; closing an agreed activity needs a reason.",
    ),
    (
        PlanOp::ApproveProposedActivity,
        true,
        true,
        "The side that did not propose an activity approves it (proposed to planned).",
    ),
    (
        PlanOp::ProposeVoluntaryAgreement,
        true,
        true,
        "Either side proposes voluntary terms; the other side confirms.",
    ),
    (
        PlanOp::ProposeCondition,
        false,
        true,
        "Only the counselor proposes a condition, and must state the consequence.",
    ),
    (
        PlanOp::ConfirmAgreement,
        true,
        true,
        "Only the side that did not propose confirms; the client confirms having seen the consequence.",
    ),
    (
        PlanOp::ProposeTermsChange,
        true,
        true,
        "Changing agreed terms is a new proposal; the old terms hold until it is confirmed.",
    ),
    (
        PlanOp::ConfirmTermsChange,
        true,
        true,
        "Only the side that did not propose the change confirms or rejects it.",
    ),
    (
        PlanOp::SuggestMeasure,
        false,
        true,
        "The counselor suggests a measure; the client sees alternatives and consequences first.",
    ),
    (
        PlanOp::MarkInterestInMeasure,
        true,
        false,
        "The client marks interest in a measure, or proposes their own arrangement.",
    ),
    (
        PlanOp::DeclineSuggestedMeasure,
        true,
        false,
        "The client may decline a suggested measure, with a reason.",
    ),
    (
        PlanOp::AskAboutMeasure,
        true,
        false,
        "The client asks a question about a measure.",
    ),
    (
        PlanOp::AnswerQuestion,
        false,
        true,
        "The counselor answers the client's question.",
    ),
];

/// Whether `side` may do `op` (the table above).
pub fn may(side: Side, op: PlanOp) -> bool {
    RULES
        .iter()
        .find(|(o, ..)| *o == op)
        .is_some_and(|(_, client, counselor, _)| match side {
            Side::Client => *client,
            Side::Counselor => *counselor,
        })
}

/// The refusal for an operation the table does not give `side`.
pub fn require(side: Side, op: PlanOp) -> Result<(), DomainError> {
    if may(side, op) {
        Ok(())
    } else {
        Err(DomainError::Refused("plan-not-yours-to-change"))
    }
}

// ----- the rules for one item in its current state -----
//
// Each `check_*` is the part of a use case's decision that depends only on who acts and on
// the stored item (not on the form's input or the version). The use cases in
// [`super::cases`] call them when a change is asked for, and the `*_actions` functions
// below call the same checks to decide which buttons a page shows, so a shown button is one
// the use case accepts and a hidden one is one it refuses.

/// Completed and cancelled activities are read-only.
pub fn check_open(a: &Activity) -> Result<(), DomainError> {
    if a.status.is_final() {
        Err(DomainError::Refused("plan-read-only"))
    } else {
        Ok(())
    }
}

/// The client approves a goal wording the counselor suggested.
pub fn check_approve_goal(side: Side, g: &Goal) -> Result<(), DomainError> {
    require(side, PlanOp::ApproveGoalWording)?;
    if g.approved_by_client {
        return Err(DomainError::Refused("plan-already-approved"));
    }
    Ok(())
}

/// Either side moves a goal to another status.
pub fn check_goal_status(side: Side, g: &Goal, to: GoalStatus) -> Result<(), DomainError> {
    require(side, PlanOp::SetGoalStatus)?;
    if g.status == to {
        return Err(DomainError::Refused("plan-transition-not-allowed"));
    }
    Ok(())
}

/// A new activity of `kind` (a measure is the client's interest or the counselor's
/// suggestion).
pub fn check_add_activity(side: Side, kind: ActivityKind) -> Result<(), DomainError> {
    require(side, PlanOp::AddActivity)?;
    if kind == ActivityKind::Measure {
        require(
            side,
            match side {
                Side::Client => PlanOp::MarkInterestInMeasure,
                Side::Counselor => PlanOp::SuggestMeasure,
            },
        )?;
    }
    Ok(())
}

/// Editing an activity's fields (agreed activities change their terms by proposal; only a
/// job application's stage may still move on, see [`super::cases::edit_activity`]).
pub fn check_edit_activity(side: Side, a: &Activity) -> Result<(), DomainError> {
    require(side, PlanOp::EditActivity)?;
    check_open(a)
}

/// Moving an activity to status `to`: along the allowed moves; a proposal is approved (to
/// planned) only by the side that did not propose it.
pub fn check_status_change(
    side: Side,
    a: &Activity,
    to: ActivityStatus,
) -> Result<(), DomainError> {
    require(side, PlanOp::ChangeActivityStatus)?;
    check_open(a)?;
    if !a.status.may_become(to) {
        return Err(DomainError::Refused("plan-transition-not-allowed"));
    }
    if a.status == ActivityStatus::Proposed && to == ActivityStatus::Planned {
        require(side, PlanOp::ApproveProposedActivity)?;
        if a.created_by == side {
            return Err(DomainError::Refused("plan-approve-own-proposal"));
        }
    }
    Ok(())
}

/// Declining a proposal: only the side that did not propose it.
pub fn check_decline(side: Side, a: &Activity) -> Result<(), DomainError> {
    if a.kind == ActivityKind::Measure && side == Side::Client {
        require(side, PlanOp::DeclineSuggestedMeasure)?;
    } else {
        require(side, PlanOp::ChangeActivityStatus)?;
    }
    if a.status != ActivityStatus::Proposed || a.created_by == side {
        return Err(DomainError::Refused("plan-transition-not-allowed"));
    }
    Ok(())
}

/// Proposing terms (`condition`: as a condition) for an activity linked to `measure`.
pub fn check_propose_terms(
    side: Side,
    a: &Activity,
    condition: bool,
    measure: Option<&MeasureData>,
) -> Result<(), DomainError> {
    check_open(a)?;
    require(
        side,
        if a.is_agreed() {
            PlanOp::ProposeTermsChange
        } else {
            PlanOp::ProposeVoluntaryAgreement
        },
    )?;
    if condition {
        require(side, PlanOp::ProposeCondition)?;
        if measure.is_some_and(|m| !m.may_be_condition) {
            return Err(DomainError::Refused("plan-measure-voluntary-only"));
        }
    }
    Ok(())
}

/// Confirming proposed terms: only the side that did not propose them. Returns the proposal.
pub fn check_confirm_terms(side: Side, a: &Activity) -> Result<&TermsProposal, DomainError> {
    check_open(a)?;
    let pending = a
        .agreement
        .pending
        .as_ref()
        .ok_or(DomainError::Refused("plan-nothing-to-confirm"))?;
    require(
        side,
        if a.is_agreed() {
            PlanOp::ConfirmTermsChange
        } else {
            PlanOp::ConfirmAgreement
        },
    )?;
    if pending.by == side {
        return Err(DomainError::Refused("plan-confirm-own-proposal"));
    }
    Ok(pending)
}

/// Turning proposed terms down (or, for the proposer, withdrawing them). Returns the
/// proposal.
pub fn check_reject_terms(side: Side, a: &Activity) -> Result<&TermsProposal, DomainError> {
    require(side, PlanOp::ConfirmTermsChange)?;
    check_open(a)?;
    a.agreement
        .pending
        .as_ref()
        .ok_or(DomainError::Refused("plan-nothing-to-confirm"))
}

// ----- what a page offers: the buttons -----

/// What the viewer may do with the plan as a whole (`side` is `None` for a read-only view).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanActions {
    /// Any change at all (otherwise the page says it is read only).
    pub change: bool,
    pub add_goal: bool,
    pub add_activity: bool,
    pub edit_preferences: bool,
    pub answer_questions: bool,
}

pub fn plan_actions(side: Option<Side>) -> PlanActions {
    let may = |op| side.is_some_and(|s| may(s, op));
    PlanActions {
        change: side.is_some(),
        add_goal: may(PlanOp::AddGoal),
        add_activity: side.is_some_and(|s| {
            ActivityKind::ALL
                .into_iter()
                .any(|k| check_add_activity(s, k).is_ok())
        }),
        edit_preferences: may(PlanOp::EditPreferences),
        answer_questions: may(PlanOp::AnswerQuestion),
    }
}

/// What the viewer may do with one goal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GoalActions {
    pub approve: bool,
    pub edit: bool,
    /// The statuses the goal may be set to, in display order.
    pub statuses: Vec<GoalStatus>,
}

pub fn goal_actions(side: Option<Side>, g: &Goal) -> GoalActions {
    let Some(side) = side else {
        return GoalActions::default();
    };
    GoalActions {
        approve: check_approve_goal(side, g).is_ok(),
        edit: require(side, PlanOp::EditGoalWording).is_ok(),
        statuses: GoalStatus::ALL
            .into_iter()
            .filter(|s| check_goal_status(side, g, *s).is_ok())
            .collect(),
    }
}

/// What the viewer may do with one activity; `measure` is the catalogue entry it is linked
/// to, if any.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ActivityActions {
    /// Approve a proposal with one click (no terms waiting to be confirmed first).
    pub approve: bool,
    /// Edit the activity's fields (agreed terms change by proposal instead).
    pub edit: bool,
    pub decline: bool,
    pub propose_terms: bool,
    pub propose_condition: bool,
    pub confirm_terms: bool,
    pub reject_terms: bool,
    /// The statuses the activity may be moved to, in display order.
    pub next: Vec<ActivityStatus>,
}

pub fn activity_actions(
    side: Option<Side>,
    a: &Activity,
    measure: Option<&MeasureData>,
) -> ActivityActions {
    let Some(side) = side else {
        return ActivityActions::default();
    };
    ActivityActions {
        approve: a.agreement.pending.is_none()
            && check_status_change(side, a, ActivityStatus::Planned).is_ok(),
        edit: !a.is_agreed() && check_edit_activity(side, a).is_ok(),
        decline: check_decline(side, a).is_ok(),
        propose_terms: check_propose_terms(side, a, false, measure).is_ok(),
        propose_condition: check_propose_terms(side, a, true, measure).is_ok(),
        confirm_terms: check_confirm_terms(side, a).is_ok(),
        reject_terms: check_reject_terms(side, a).is_ok(),
        next: a
            .status
            .next()
            .into_iter()
            .filter(|s| check_status_change(side, a, *s).is_ok())
            .collect(),
    }
}

/// What the viewer may do on a measure's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MeasureActions {
    /// Mark interest (client) or suggest it (counselor).
    pub choose: bool,
    /// Ask a question about it.
    pub ask: bool,
}

pub fn measure_actions(side: Option<Side>) -> MeasureActions {
    let Some(side) = side else {
        return MeasureActions::default();
    };
    MeasureActions {
        choose: check_add_activity(side, ActivityKind::Measure).is_ok(),
        ask: require(side, PlanOp::AskAboutMeasure).is_ok(),
    }
}

/// The table as Markdown, as it appears in `docs/PLAN.md`.
pub fn rules_markdown() -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    let mut out = String::from("| operation | client | counselor | rule |\n|---|---|---|---|\n");
    for (op, client, counselor, words) in RULES {
        out.push_str(&format!(
            "| {op:?} | {} | {} | {words} |\n",
            yes_no(*client),
            yes_no(*counselor)
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    #[test]
    fn every_operation_has_exactly_one_rule() {
        use std::collections::HashSet;
        let ops: HashSet<_> = RULES.iter().map(|(o, ..)| *o).collect();
        assert_eq!(ops.len(), RULES.len(), "an operation appears twice");
        assert_eq!(RULES.len(), 21, "an operation has no rule");
    }

    #[test]
    fn only_the_counselor_sets_conditions_and_only_the_client_writes_their_words() {
        assert!(!may(Side::Client, PlanOp::ProposeCondition));
        assert!(may(Side::Counselor, PlanOp::ProposeCondition));
        assert!(!may(Side::Counselor, PlanOp::WritePresentation));
        assert!(!may(Side::Counselor, PlanOp::EditGoalWording));
    }

    use super::super::model::{Agreement, Terms};

    const SIDES: [Option<Side>; 3] = [Some(Side::Client), Some(Side::Counselor), None];

    fn measure(may_be_condition: bool) -> MeasureData {
        MeasureData {
            may_be_condition,
            ..Default::default()
        }
    }

    /// Every stored state of an activity the rules look at.
    fn activities() -> Vec<Activity> {
        let mut out = vec![];
        for kind in [ActivityKind::Own, ActivityKind::Measure] {
            for status in ActivityStatus::ALL {
                for created_by in [Side::Client, Side::Counselor] {
                    for agreed in [false, true] {
                        for pending in [None, Some(Side::Client), Some(Side::Counselor)] {
                            out.push(Activity {
                                kind,
                                title: "t".into(),
                                description: String::new(),
                                goal_id: None,
                                start: None,
                                end: None,
                                status,
                                created_by,
                                details: Default::default(),
                                agreement: Agreement {
                                    agreed: agreed.then(Terms::default),
                                    agreed_at: None,
                                    consequence_shown_at: None,
                                    pending: pending.map(|by| TermsProposal {
                                        terms: Terms::default(),
                                        by,
                                        at: time::OffsetDateTime::UNIX_EPOCH,
                                    }),
                                },
                                closing_reason: String::new(),
                                declined: false,
                            });
                        }
                    }
                }
            }
        }
        out
    }

    fn goals() -> Vec<Goal> {
        let mut out = vec![];
        for status in GoalStatus::ALL {
            for approved_by_client in [false, true] {
                out.push(Goal {
                    text: "g".into(),
                    target_date: None,
                    status,
                    written_by: Side::Counselor,
                    approved_by_client,
                });
            }
        }
        out
    }

    #[test]
    fn an_activity_shows_exactly_the_buttons_its_use_cases_accept() {
        let (yes, no) = (measure(true), measure(false));
        for a in activities() {
            for side in SIDES {
                for m in [None, Some(&yes), Some(&no)] {
                    let b = activity_actions(side, &a, m);
                    let ok = |f: &dyn Fn(Side) -> bool| side.is_some_and(f);
                    let at = format!("{side:?} {a:?} {m:?}");
                    for to in ActivityStatus::ALL {
                        assert_eq!(
                            b.next.contains(&to),
                            ok(&|s| check_status_change(s, &a, to).is_ok()),
                            "status {to:?}: {at}"
                        );
                    }
                    assert_eq!(b.decline, ok(&|s| check_decline(s, &a).is_ok()), "{at}");
                    assert_eq!(
                        b.propose_terms,
                        ok(&|s| check_propose_terms(s, &a, false, m).is_ok()),
                        "{at}"
                    );
                    assert_eq!(
                        b.propose_condition,
                        ok(&|s| check_propose_terms(s, &a, true, m).is_ok()),
                        "{at}"
                    );
                    assert_eq!(
                        b.confirm_terms,
                        ok(&|s| check_confirm_terms(s, &a).is_ok()),
                        "{at}"
                    );
                    assert_eq!(
                        b.reject_terms,
                        ok(&|s| check_reject_terms(s, &a).is_ok()),
                        "{at}"
                    );
                    // The edit form is not offered for agreed terms (they change by
                    // proposal); otherwise it follows the use case.
                    assert_eq!(
                        b.edit,
                        !a.is_agreed() && ok(&|s| check_edit_activity(s, &a).is_ok()),
                        "{at}"
                    );
                    // One-click approval is the move to planned, when no terms wait first.
                    assert_eq!(
                        b.approve,
                        a.agreement.pending.is_none()
                            && ok(&|s| check_status_change(s, &a, ActivityStatus::Planned).is_ok()),
                        "{at}"
                    );
                    if b.propose_condition {
                        assert!(b.propose_terms, "{at}");
                    }
                }
            }
        }
    }

    /// The buttons the web computed itself before issue 12, kept as a test: moving the
    /// decision into the domain changed nothing a viewer sees on an open activity.
    #[test]
    fn the_activity_buttons_are_the_ones_the_pages_showed_before() {
        let yes = measure(true);
        let no = measure(false);
        for a in activities() {
            for side in SIDES {
                for m in [None, Some(&yes), Some(&no)] {
                    let b = activity_actions(side, &a, m);
                    let open = !a.status.is_final();
                    let at = format!("{side:?} {a:?} {m:?}");
                    assert_eq!(b.edit, side.is_some() && open && !a.is_agreed(), "{at}");
                    assert_eq!(
                        b.decline,
                        side.is_some()
                            && a.status == ActivityStatus::Proposed
                            && Some(a.created_by) != side,
                        "{at}"
                    );
                    assert_eq!(b.propose_terms, side.is_some() && open, "{at}");
                    assert_eq!(
                        b.propose_condition,
                        b.propose_terms
                            && side == Some(Side::Counselor)
                            && m.is_none_or(|m| m.may_be_condition),
                        "{at}"
                    );
                    assert_eq!(
                        b.approve,
                        a.status == ActivityStatus::Proposed
                            && a.agreement.pending.is_none()
                            && side == Some(a.created_by.other()),
                        "{at}"
                    );
                    let before: Vec<_> = if side.is_some() {
                        a.status
                            .next()
                            .into_iter()
                            .filter(|s| {
                                !(a.status == ActivityStatus::Proposed
                                    && *s == ActivityStatus::Planned
                                    && Some(a.created_by) == side)
                            })
                            .collect()
                    } else {
                        vec![]
                    };
                    assert_eq!(b.next, before, "{at}");
                    if let (true, Some(p)) = (open, &a.agreement.pending) {
                        assert_eq!(b.confirm_terms, side.is_some() && Some(p.by) != side);
                        assert_eq!(b.reject_terms, side.is_some());
                    }
                }
            }
        }
    }

    #[test]
    fn a_goal_shows_exactly_the_buttons_its_use_cases_accept() {
        for g in goals() {
            for side in SIDES {
                let b = goal_actions(side, &g);
                let at = format!("{side:?} {g:?}");
                assert_eq!(
                    b.approve,
                    side.is_some_and(|s| check_approve_goal(s, &g).is_ok()),
                    "{at}"
                );
                assert_eq!(
                    b.edit,
                    side.is_some_and(|s| may(s, PlanOp::EditGoalWording)),
                    "{at}"
                );
                for to in GoalStatus::ALL {
                    assert_eq!(
                        b.statuses.contains(&to),
                        side.is_some_and(|s| check_goal_status(s, &g, to).is_ok()),
                        "{to:?} {at}"
                    );
                }
                // As the pages showed them before issue 12.
                let is_client = side == Some(Side::Client);
                assert_eq!(b.approve, is_client && !g.approved_by_client, "{at}");
                assert_eq!(b.edit, is_client, "{at}");
                let others: Vec<_> = GoalStatus::ALL
                    .into_iter()
                    .filter(|s| side.is_some() && *s != g.status)
                    .collect();
                assert_eq!(b.statuses, others, "{at}");
            }
        }
    }

    /// Every operation of the table: where a page offers it, the button follows the table.
    #[test]
    fn every_operation_is_offered_only_to_the_side_the_table_allows() {
        let proposed = |created_by: Side| {
            activities()
                .into_iter()
                .find(|a| {
                    a.status == ActivityStatus::Proposed
                        && a.created_by == created_by
                        && !a.is_agreed()
                        && a.agreement.pending.is_none()
                        && a.kind == ActivityKind::Measure
                })
                .expect("a proposal")
        };
        for (op, ..) in RULES {
            for side in [Side::Client, Side::Counselor] {
                let p = plan_actions(Some(side));
                let other = proposed(side.other());
                let b = activity_actions(Some(side), &other, None);
                let offered = match op {
                    // The self-presentation form is the client's own page, not a button.
                    PlanOp::WritePresentation | PlanOp::StartAfresh => continue,
                    PlanOp::EditPreferences => p.edit_preferences,
                    PlanOp::AddGoal => p.add_goal,
                    PlanOp::EditGoalWording => goal_actions(Some(side), &goals()[0]).edit,
                    PlanOp::ApproveGoalWording => goal_actions(Some(side), &goals()[0]).approve,
                    PlanOp::SetGoalStatus => {
                        !goal_actions(Some(side), &goals()[0]).statuses.is_empty()
                    }
                    PlanOp::AddActivity => p.add_activity,
                    PlanOp::EditActivity => b.edit,
                    PlanOp::ChangeActivityStatus => !b.next.is_empty(),
                    PlanOp::ApproveProposedActivity => b.approve,
                    PlanOp::ProposeVoluntaryAgreement => b.propose_terms,
                    PlanOp::ProposeCondition => b.propose_condition,
                    PlanOp::ConfirmAgreement | PlanOp::ConfirmTermsChange => {
                        let mut a = other.clone();
                        a.agreement.agreed =
                            (*op == PlanOp::ConfirmTermsChange).then(Terms::default);
                        a.agreement.pending = Some(TermsProposal {
                            terms: Terms::default(),
                            by: side.other(),
                            at: time::OffsetDateTime::UNIX_EPOCH,
                        });
                        activity_actions(Some(side), &a, None).confirm_terms
                    }
                    PlanOp::ProposeTermsChange => {
                        let mut a = other.clone();
                        a.agreement.agreed = Some(Terms::default());
                        activity_actions(Some(side), &a, None).propose_terms
                    }
                    PlanOp::SuggestMeasure | PlanOp::MarkInterestInMeasure => {
                        let kind_op = match side {
                            Side::Client => PlanOp::MarkInterestInMeasure,
                            Side::Counselor => PlanOp::SuggestMeasure,
                        };
                        if kind_op != *op {
                            continue;
                        }
                        measure_actions(Some(side)).choose
                    }
                    PlanOp::DeclineSuggestedMeasure => {
                        if side == Side::Counselor {
                            continue; // the counselor declines under ChangeActivityStatus
                        }
                        b.decline
                    }
                    PlanOp::AskAboutMeasure => measure_actions(Some(side)).ask,
                    PlanOp::AnswerQuestion => p.answer_questions,
                };
                assert_eq!(offered, may(side, *op), "{op:?} for {side:?}");
            }
        }
        assert_eq!(plan_actions(None), PlanActions::default());
        assert_eq!(measure_actions(None), MeasureActions::default());
    }

    #[test]
    fn the_documented_table_is_the_table_in_force() {
        let doc =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/PLAN.md"))
                .unwrap_or_default();
        assert!(
            doc.contains(&rules_markdown()),
            "docs/PLAN.md must contain the table printed by rules_markdown():\n{}",
            rules_markdown()
        );
    }
}
