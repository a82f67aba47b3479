//! Who may change what in a plan: one table. The access policy first decides whether someone
//! may change the client's case at all (the client themself, or the assigned counselor); this
//! table then decides what each side may do. `docs/PLAN.md` holds the same table, and a test
//! keeps the two equal.

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
