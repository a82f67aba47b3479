//! Use cases of the shared plan. Each asks the access policy first (may this person see or
//! change this client's case at all), then the plan's own rules ([`super::rules`]), then
//! writes one item with its history and audit rows in one transaction.

use super::input::{ActivityFields, parse_reason};
use super::model::*;
use super::rules::{
    PlanOp, Side, check_add_activity, check_approve_goal, check_decline, check_edit_activity,
    check_goal_status, check_status_change, require,
};
use super::store::{
    MeasureRow, NewPlanHistory, PlanItemRow, PlanPart, PlanRecord, PlanStore, PlanWrite,
};
use crate::DomainError;
use crate::audit::{AuditAction, DataKind, change_event};
use crate::cases::ClientRecord;
use crate::cases::{CasesStore, ClientAccess, grant};
use crate::context::Ctx;
use crate::ids::{ClientId, MeasureId, PlanItemId};
use crate::policy::{Action, ClientScope, Permit, Resource, authorize};
use crate::ports::{Conflict, PortError};
use crate::roles::{Actor, Role};
use crate::types::FieldError;
use serde::Serialize;
use serde::de::DeserializeOwned;

/// A plan as shown to one person.
#[derive(Debug, Clone)]
pub struct PlanView {
    pub client: ClientRecord,
    /// The viewer's side when they may change the plan; `None` means read only.
    pub side: Option<Side>,
    pub presentation: Option<Item<Presentation>>,
    pub archived_presentations: Vec<Item<Presentation>>,
    pub preferences: Option<Item<Preferences>>,
    pub goals: Vec<Item<Goal>>,
    pub activities: Vec<Item<Activity>>,
    pub questions: Vec<Item<Question>>,
    pub measures: Vec<Measure>,
    /// The policy's view of the client the plan was granted on (for a further decision on
    /// the same page without another lookup, e.g. [`crate::feedback::asking::current_invitation_on`]).
    scope: ClientScope,
}

impl PlanView {
    /// The scope the view was granted on (looked up once per page).
    pub(crate) fn scope(&self) -> &ClientScope {
        &self.scope
    }
    pub fn goal(&self, id: PlanItemId) -> Option<&Item<Goal>> {
        self.goals.iter().find(|g| g.id == id)
    }
    pub fn activity(&self, id: PlanItemId) -> Option<&Item<Activity>> {
        self.activities.iter().find(|a| a.id == id)
    }
    pub fn measure(&self, id: MeasureId) -> Option<&Measure> {
        self.measures.iter().find(|m| m.id == id)
    }
    /// Activities serving `goal`, and how many of those are completed.
    pub fn progress(&self, goal: PlanItemId) -> (usize, usize) {
        let linked: Vec<_> = self
            .activities
            .iter()
            .filter(|a| a.data.goal_id == Some(goal) && a.data.status != ActivityStatus::Cancelled)
            .collect();
        let done = linked
            .iter()
            .filter(|a| a.data.status == ActivityStatus::Completed)
            .count();
        (done, linked.len())
    }
    /// Activities waiting for `side` (to approve, or to confirm terms).
    pub fn waiting_for(&self, side: Side) -> Vec<&Item<Activity>> {
        self.activities
            .iter()
            .filter(|a| a.data.waiting_for() == Some(side))
            .collect()
    }
    /// Open questions (not yet answered).
    pub fn open_questions(&self) -> Vec<&Item<Question>> {
        self.questions
            .iter()
            .filter(|q| q.data.answer.is_none())
            .collect()
    }
}

pub(super) fn decode<T: DeserializeOwned>(row: &PlanItemRow) -> Result<Item<T>, DomainError> {
    let data = serde_json::from_str(&row.data)
        .map_err(|e| PortError::Failure(format!("plan item {} unreadable: {e}", row.id)))?;
    Ok(Item {
        id: row.id,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        data,
    })
}

pub(super) fn decode_measure(row: &MeasureRow) -> Result<Measure, DomainError> {
    let data = serde_json::from_str(&row.data)
        .map_err(|e| PortError::Failure(format!("measure {} unreadable: {e}", row.id)))?;
    Ok(Measure {
        id: row.id,
        office_id: row.office_id,
        version: row.version,
        data,
    })
}

pub(super) fn encode<T: Serialize>(data: &T) -> Result<String, DomainError> {
    serde_json::to_string(data).map_err(|e| PortError::Failure(e.to_string()).into())
}

/// Builds the view from stored rows (unreadable rows are an error, not silently dropped).
pub(super) fn assemble(
    record: PlanRecord,
    scope: &ClientScope,
    side: Option<Side>,
) -> Result<PlanView, DomainError> {
    let mut view = PlanView {
        scope: scope.clone(),
        client: record.client,
        side,
        presentation: None,
        archived_presentations: vec![],
        preferences: None,
        goals: vec![],
        activities: vec![],
        questions: vec![],
        measures: vec![],
    };
    for row in &record.items {
        match ItemKind::parse(&row.kind) {
            Some(ItemKind::Presentation) => {
                let p: Item<Presentation> = decode(row)?;
                if p.data.archived {
                    view.archived_presentations.push(p);
                } else {
                    view.presentation = Some(p);
                }
            }
            Some(ItemKind::Preferences) => view.preferences = Some(decode(row)?),
            Some(ItemKind::Goal) => view.goals.push(decode(row)?),
            Some(ItemKind::Activity) => view.activities.push(decode(row)?),
            Some(ItemKind::Question) => view.questions.push(decode(row)?),
            None => {
                return Err(
                    PortError::Failure(format!("unknown plan item kind {}", row.kind)).into(),
                );
            }
        }
    }
    for m in &record.measures {
        view.measures.push(decode_measure(m)?);
    }
    Ok(view)
}

/// Whether `actor` may change the client's plan, and as which side.
pub(super) async fn change_permit<S: CasesStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    client: ClientId,
) -> Result<(Permit, Side, ClientScope), DomainError> {
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    let permit = authorize(actor, Action::ChangeClientCase, Resource::Client(&scope))?;
    let side = Side::of_role(permit.role).ok_or(DomainError::NotFound)?;
    Ok((permit, side, scope))
}

/// The client's plan as `actor` may see it. Staff views write their audit row in the same
/// transaction as the read; a protected client needs `reason`.
pub async fn view_plan<S: CasesStore + PlanStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<PlanView, DomainError> {
    view_plan_where(ctx, actor, client, reason, None).await
}

/// The client's plan for a page about one part of it (a goal, an activity, a catalogue
/// entry). A part the plan does not hold is [`DomainError::NotFound`] with no audit row: the
/// store checks it in the transaction that would write the row.
pub async fn view_plan_part<S: CasesStore + PlanStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
    part: PlanPart,
) -> Result<PlanView, DomainError> {
    view_plan_where(ctx, actor, client, reason, Some(part)).await
}

async fn view_plan_where<S: CasesStore + PlanStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
    part: Option<PlanPart>,
) -> Result<PlanView, DomainError> {
    let access = grant(
        ctx,
        actor,
        client,
        Action::ViewClientCase,
        DataKind::Plan,
        reason,
    )
    .await?;
    // Whether this viewer may also change it (same-office colleagues read only), decided on
    // the same scope (one lookup less per page).
    let side = authorize(
        actor,
        Action::ChangeClientCase,
        Resource::Client(access.scope()),
    )
    .ok()
    .and_then(|p| Side::of_role(p.role));
    let record = match part {
        None => ctx.store.read_plan(&access).await?,
        Some(part) => ctx.store.read_plan_part(&access, part).await?,
    }
    .ok_or(DomainError::NotFound)?;
    assemble(record, access.scope(), side)
}

/// The client's own plan (their home).
pub async fn own_plan<S: CasesStore + PlanStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
) -> Result<PlanView, DomainError> {
    let client = actor.own_client.ok_or(DomainError::NotFound)?;
    view_plan(ctx, actor, client, None).await
}

/// One entry of the plan's history, ready to be put into words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub at: time::OffsetDateTime,
    pub actor_name: String,
    pub actor_role: Role,
    pub item_kind: String,
    pub change: String,
    pub title: String,
    pub fields: Vec<super::history::FieldChange>,
}

/// The plan's history, newest first, for both parties (staff reads are audited).
pub async fn plan_history<S: CasesStore + PlanStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<Vec<HistoryEntry>, DomainError> {
    let access = grant(
        ctx,
        actor,
        client,
        Action::ViewClientCase,
        DataKind::PlanHistory,
        reason,
    )
    .await?;
    let rows = ctx.store.plan_history(&access, 1000).await?;
    Ok(rows.into_iter().map(super::history::describe).collect())
}

/// What a write changes: the item (new or an existing version) and its new data.
pub(super) struct Change<'a, T> {
    pub(super) client: ClientId,
    pub(super) kind: ItemKind,
    /// `None` for a new item.
    pub(super) before: Option<&'a Item<T>>,
    pub(super) id: PlanItemId,
    pub(super) data: &'a T,
    pub(super) change: &'static str,
}

/// Whether a change asks something of the other party: a new goal or activity to approve, or
/// terms to confirm.
pub(super) fn waits_for_other<T>(c: &Change<'_, T>) -> bool {
    matches!(c.change, "agreement-proposed" | "terms-proposed")
        || (c.change == "created" && matches!(c.kind, ItemKind::Goal | ItemKind::Activity))
}

/// Writes one item with its history row and audit row; a stale version is refused.
pub(super) async fn save<T: Serialize>(
    ctx: Ctx<'_>,
    actor: &Actor,
    permit: &Permit,
    scope: &ClientScope,
    c: Change<'_, T>,
) -> Result<PlanItemId, DomainError> {
    let now = ctx.clock.now();
    let after = encode(c.data)?;
    // The other party hears of the change (their open page, and a notice if agreed).
    let other = match Side::of_role(permit.role) {
        Some(Side::Client) => scope.assigned_counselor,
        _ => ctx.store.client_user(c.client).await?,
    };
    let events: Vec<crate::ports::LiveEvent> = other
        .filter(|u| *u != actor.user_id)
        .map(|recipient| crate::ports::LiveEvent {
            recipient,
            // Proposals wait for the other party (and so get a notice); other changes only
            // refresh open pages.
            kind: if waits_for_other(&c) {
                "plan-waiting".into()
            } else {
                "plan".into()
            },
            about: Some(c.id.to_string()),
        })
        .into_iter()
        .collect();
    let (version, created_at, before, action) = match c.before {
        Some(b) => (
            b.version + 1,
            b.created_at,
            Some(encode(&b.data)?),
            AuditAction::Changed,
        ),
        None => (1, now, None, AuditAction::Created),
    };
    let write = PlanWrite {
        item: PlanItemRow {
            id: c.id,
            client_id: c.client,
            kind: c.kind.as_str().to_string(),
            version,
            created_at,
            updated_at: now,
            data: after.clone(),
        },
        expected_version: c.before.map(|b| b.version),
        history: NewPlanHistory {
            client_id: c.client,
            item_id: c.id,
            item_kind: c.kind.as_str().to_string(),
            version,
            at: now,
            actor_id: actor.user_id,
            actor_role: permit.role,
            change: c.change.to_string(),
            before,
            after,
        },
        audit: change_event(ctx, actor, permit, c.client, DataKind::Plan, action),
        events: events.clone(),
    };
    match ctx.store.write_plan_item(write).await {
        Ok(()) => {
            ctx.announce(events).await;
            Ok(c.id)
        }
        Err(PortError::Conflict(Conflict::Stale)) => Err(DomainError::StaleVersion),
        Err(e) => Err(e.into()),
    }
}

/// Loads the plan for a change (not shown to anyone, so not audited as a view; the change
/// writes its own audit row).
pub(super) async fn load<S: PlanStore + ?Sized>(
    ctx: Ctx<'_, S>,
    scope: &ClientScope,
    permit: Permit,
    side: Side,
) -> Result<PlanView, DomainError> {
    let access = ClientAccess::unaudited(scope.clone(), permit);
    let record = ctx
        .store
        .read_plan(&access)
        .await?
        .ok_or(DomainError::NotFound)?;
    assemble(record, scope, Some(side))
}

/// The stored item at the version the user's form was based on; an older version is stale.
pub(super) fn at_version<T>(item: Option<&Item<T>>, version: i64) -> Result<&Item<T>, DomainError> {
    let item = item.ok_or(DomainError::NotFound)?;
    if item.version != version {
        return Err(DomainError::StaleVersion);
    }
    Ok(item)
}

/// Writes or rewrites the client's self-presentation.
pub async fn save_presentation(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    version: Option<i64>,
    data: Presentation,
) -> Result<PlanItemId, DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::WritePresentation)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = match (&plan.presentation, version) {
        (Some(p), Some(v)) => Some(at_version(Some(p), v)?),
        (Some(_), None) => return Err(DomainError::StaleVersion),
        (None, Some(_)) => return Err(DomainError::StaleVersion),
        (None, None) => None,
    };
    let id = before.map(|b| b.id).unwrap_or_default();
    let change = if before.is_some() {
        "edited"
    } else {
        "created"
    };
    let c = Change {
        client,
        kind: ItemKind::Presentation,
        before,
        id,
        data: &data,
        change,
    };
    save(ctx, actor, &permit, &scope, c).await
}

/// Archives the current self-presentation so the client can start afresh.
pub async fn start_afresh(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    version: i64,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::StartAfresh)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.presentation.as_ref(), version)?;
    let data = Presentation {
        archived: true,
        ..before.data.clone()
    };
    let c = Change {
        client,
        kind: ItemKind::Presentation,
        before: Some(before),
        id: before.id,
        data: &data,
        change: "archived",
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

pub async fn save_preferences(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    version: Option<i64>,
    data: Preferences,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::EditPreferences)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = match (&plan.preferences, version) {
        (Some(p), Some(v)) => Some(at_version(Some(p), v)?),
        (None, None) => None,
        _ => return Err(DomainError::StaleVersion),
    };
    let c = Change {
        client,
        kind: ItemKind::Preferences,
        before,
        id: before.map(|b| b.id).unwrap_or_default(),
        data: &data,
        change: if before.is_some() {
            "edited"
        } else {
            "created"
        },
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

pub async fn add_goal(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    text: String,
    target_date: Option<PlanDate>,
) -> Result<PlanItemId, DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::AddGoal)?;
    let data = Goal {
        text,
        target_date,
        status: GoalStatus::Active,
        written_by: side,
        approved_by_client: side == Side::Client,
    };
    let c = Change {
        client,
        kind: ItemKind::Goal,
        before: None,
        id: PlanItemId::new(),
        data: &data,
        change: "created",
    };
    save(ctx, actor, &permit, &scope, c).await
}

/// The client rewords a goal (which makes the wording theirs).
pub async fn edit_goal(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    goal: PlanItemId,
    version: i64,
    text: String,
    target_date: Option<PlanDate>,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::EditGoalWording)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.goal(goal), version)?;
    let data = Goal {
        text,
        target_date,
        approved_by_client: true,
        ..before.data.clone()
    };
    let c = Change {
        client,
        kind: ItemKind::Goal,
        before: Some(before),
        id: goal,
        data: &data,
        change: "edited",
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

/// The client approves a wording the counselor suggested.
pub async fn approve_goal(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    goal: PlanItemId,
    version: i64,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::ApproveGoalWording)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.goal(goal), version)?;
    check_approve_goal(side, &before.data)?;
    let data = Goal {
        approved_by_client: true,
        ..before.data.clone()
    };
    let c = Change {
        client,
        kind: ItemKind::Goal,
        before: Some(before),
        id: goal,
        data: &data,
        change: "approved",
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

pub async fn set_goal_status(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    goal: PlanItemId,
    version: i64,
    status: GoalStatus,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::SetGoalStatus)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.goal(goal), version)?;
    check_goal_status(side, &before.data, status)?;
    let data = Goal {
        status,
        ..before.data.clone()
    };
    let c = Change {
        client,
        kind: ItemKind::Goal,
        before: Some(before),
        id: goal,
        data: &data,
        change: "status",
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

/// Checks references of an activity's fields against the plan (the goal must be this
/// client's, the measure must be in the catalogue of the client's office).
pub(super) fn check_references(plan: &PlanView, f: &ActivityFields) -> Result<(), DomainError> {
    if let Some(g) = f.goal_id
        && plan.goal(g).is_none()
    {
        return Err(DomainError::invalid("goal_id", FieldError::NotAChoice));
    }
    if let Some(m) = f.details.measure_id
        && plan.measure(m).is_none_or(|m| m.data.withdrawn)
    {
        return Err(DomainError::invalid("measure_id", FieldError::NotAChoice));
    }
    Ok(())
}

/// Proposes a new activity; it starts as proposed and waits for the other side.
pub async fn add_activity(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    fields: ActivityFields,
) -> Result<PlanItemId, DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    check_add_activity(side, fields.kind)?;
    let plan = load(ctx, &scope, permit, side).await?;
    check_references(&plan, &fields)?;
    let data = Activity {
        kind: fields.kind,
        title: fields.title,
        description: fields.description,
        goal_id: fields.goal_id,
        start: fields.start,
        end: fields.end,
        status: ActivityStatus::Proposed,
        created_by: side,
        details: fields.details,
        agreement: Agreement::default(),
        closing_reason: String::new(),
        declined: false,
    };
    let c = Change {
        client,
        kind: ItemKind::Activity,
        before: None,
        id: PlanItemId::new(),
        data: &data,
        change: "created",
    };
    save(ctx, actor, &permit, &scope, c).await
}

/// Edits an activity that is neither final nor agreed (agreed terms change by proposal). A
/// job application's stage may always move on while the activity is open.
pub async fn edit_activity(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    activity: PlanItemId,
    version: i64,
    fields: ActivityFields,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::EditActivity)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.activity(activity), version)?;
    check_edit_activity(side, &before.data)?;
    check_references(&plan, &fields)?;
    if fields.kind != before.data.kind {
        return Err(DomainError::invalid("kind", FieldError::NotAChoice));
    }
    let data = if before.data.is_agreed() {
        let only_stage = Activity {
            details: ActivityDetails {
                stage: fields.details.stage,
                ..before.data.details.clone()
            },
            ..before.data.clone()
        };
        let unchanged_otherwise = ActivityFields {
            details: ActivityDetails {
                stage: before.data.details.stage,
                ..fields.details.clone()
            },
            ..fields
        } == fields_of(&before.data);
        if !unchanged_otherwise {
            return Err(DomainError::Refused("plan-agreed-needs-proposal"));
        }
        only_stage
    } else {
        Activity {
            title: fields.title,
            description: fields.description,
            goal_id: fields.goal_id,
            start: fields.start,
            end: fields.end,
            details: fields.details,
            ..before.data.clone()
        }
    };
    if data == before.data {
        return Ok(());
    }
    let c = Change {
        client,
        kind: ItemKind::Activity,
        before: Some(before),
        id: activity,
        data: &data,
        change: "edited",
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

/// The form fields of a stored activity (to prefill an edit form).
pub fn fields_of(a: &Activity) -> ActivityFields {
    ActivityFields {
        kind: a.kind,
        title: a.title.clone(),
        description: a.description.clone(),
        goal_id: a.goal_id,
        start: a.start,
        end: a.end,
        details: a.details.clone(),
    }
}

/// Moves an activity along the allowed status transitions. A proposal is approved (to
/// planned) only by the side that did not propose it; closing an agreed activity needs a
/// reason.
pub async fn change_status(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    activity: PlanItemId,
    version: i64,
    to: ActivityStatus,
    reason: &str,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    require(side, PlanOp::ChangeActivityStatus)?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.activity(activity), version)?;
    let a = &before.data;
    check_status_change(side, a, to)?;
    // A reason is required to close an agreed activity, and kept whenever one is given.
    let closing_reason = if to.is_final() && (a.is_agreed() || !reason.trim().is_empty()) {
        parse_reason(reason)?
    } else {
        String::new()
    };
    let data = Activity {
        status: to,
        closing_reason,
        ..a.clone()
    };
    let change = if a.status == ActivityStatus::Proposed && to == ActivityStatus::Planned {
        "approved"
    } else {
        "status"
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

/// The side that did not propose an activity says no to it, with a reason (a client
/// declining a suggested measure; a counselor declining a client's proposal).
pub async fn decline(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    activity: PlanItemId,
    version: i64,
    reason: &str,
) -> Result<(), DomainError> {
    let (permit, side, scope) = change_permit(ctx, actor, client).await?;
    let plan = load(ctx, &scope, permit, side).await?;
    let before = at_version(plan.activity(activity), version)?;
    let a = &before.data;
    check_decline(side, a)?;
    let data = Activity {
        status: ActivityStatus::Cancelled,
        closing_reason: parse_reason(reason)?,
        declined: true,
        ..a.clone()
    };
    let c = Change {
        client,
        kind: ItemKind::Activity,
        before: Some(before),
        id: activity,
        data: &data,
        change: "declined",
    };
    save(ctx, actor, &permit, &scope, c).await.map(|_| ())
}

pub use super::agreements::*;
pub use super::catalogue::*;
