//! What the shared plan needs from storage: the [`PlanStore`] capability and the records it
//! passes. Every [`crate::ports::Store`] is one.

use crate::audit::NewAuditEvent;
use crate::cases::ClientAccess;
use crate::cases::ClientRecord;
use crate::ids::{ClientId, MeasureId, OfficeId, PlanItemId, UserId};
use crate::ports::{LiveEvent, PortResult};
use crate::roles::Role;
use async_trait::async_trait;
use time::OffsetDateTime;

/// One stored plan item: a versioned JSON document whose shape the domain owns
/// (`domain::plan::model`). `version` starts at 1 and grows by one with every change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanItemRow {
    pub id: PlanItemId,
    pub client_id: ClientId,
    pub kind: String,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub data: String,
}

/// One immutable version in a plan's history: who changed what, when, from what to what.
/// A version is identified by its item and version number.
///
/// The stores keep every version's document once: `before` is the item's document as stored
/// before the change (when writing, the store takes it from the item row, so this field
/// needs to be, and is, that same document), and `after` is read back as the next version's
/// `before` or, for the current version, the item's own document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlanHistory {
    pub client_id: ClientId,
    pub item_id: PlanItemId,
    pub item_kind: String,
    pub version: i64,
    pub at: OffsetDateTime,
    pub actor_id: UserId,
    pub actor_role: Role,
    /// What happened, as a stable code (`created`, `edited`, `agreed`, ...).
    pub change: String,
    pub before: Option<String>,
    pub after: String,
}

/// A stored history row, with the actor's display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanHistoryRow {
    pub entry: NewPlanHistory,
    pub actor_name: String,
}

/// A change to one plan item. With `expected_version` the store updates only if the stored
/// version is still that one (otherwise [`crate::ports::PortError::Conflict`] with [`crate::ports::Conflict::Stale`]); without it,
/// the item is new. The history row and the audit row are written in the same transaction.
#[derive(Debug, Clone)]
pub struct PlanWrite {
    pub item: PlanItemRow,
    pub expected_version: Option<i64>,
    pub history: NewPlanHistory,
    pub audit: NewAuditEvent,
    /// Live events for the other party (stored in the same transaction).
    pub events: Vec<LiveEvent>,
}

/// A client's plan as stored: the case header, every plan item (archived ones included) and
/// the catalogue of the client's office.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanRecord {
    pub client: ClientRecord,
    pub items: Vec<PlanItemRow>,
    pub measures: Vec<MeasureRow>,
}

/// One part of a plan a page is about; a page about a part the plan does not hold is a 404
/// with no audit row (nothing was shown).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanPart {
    Goal(PlanItemId),
    Activity(PlanItemId),
    /// An entry of the catalogue of the client's office.
    Measure(MeasureId),
}

impl PlanPart {
    /// Whether `record` holds this part (an item of the client of this kind, or an entry of
    /// the office's catalogue). The stores call this inside the read's transaction.
    pub fn is_in(&self, record: &PlanRecord) -> bool {
        use crate::plan::model::ItemKind;
        let item = |id: PlanItemId, kind: ItemKind| {
            record
                .items
                .iter()
                .any(|i| i.id == id && i.kind == kind.as_str())
        };
        match *self {
            PlanPart::Goal(id) => item(id, ItemKind::Goal),
            PlanPart::Activity(id) => item(id, ItemKind::Activity),
            PlanPart::Measure(id) => record.measures.iter().any(|m| m.id == id),
        }
    }
}

/// A catalogue entry as stored (JSON document, versioned like plan items).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeasureRow {
    pub id: MeasureId,
    pub office_id: OfficeId,
    pub version: i64,
    pub updated_at: OffsetDateTime,
    pub data: String,
}

/// The shared plan in storage: versioned items with their history, and the offices'
/// catalogues. Reads that show the plan to staff return it only after their audit row is
/// durable ("no audit, no data").
#[async_trait]
pub trait PlanStore: Send + Sync {
    /// The permit's client's plan, returned once the permit's audit row (when it has one) is
    /// durable.
    async fn read_plan(&self, access: &ClientAccess) -> PortResult<Option<PlanRecord>>;
    /// Like [`PlanStore::read_plan`] for a page about one part of the plan (a goal, an activity,
    /// a catalogue entry): the plan is returned, and the permit's audit row written, only when
    /// the plan holds `part` ([`PlanPart::is_in`]); otherwise `None` and no row.
    async fn read_plan_part(
        &self,
        access: &ClientAccess,
        part: PlanPart,
    ) -> PortResult<Option<PlanRecord>>;
    /// Inserts or updates one plan item with its history and audit rows (see [`PlanWrite`]).
    async fn write_plan_item(&self, write: PlanWrite) -> PortResult<()>;
    /// The plan's history, newest first, returned once the permit's audit row (when it has
    /// one) is durable.
    async fn plan_history(
        &self,
        access: &ClientAccess,
        limit: i64,
    ) -> PortResult<Vec<PlanHistoryRow>>;
    /// Inserts (`expected_version` `None`) or updates a catalogue entry, refusing stale writes.
    async fn put_measure(&self, row: MeasureRow, expected_version: Option<i64>) -> PortResult<()>;
    async fn measure(&self, id: MeasureId) -> PortResult<Option<MeasureRow>>;
    /// The office's catalogue, in name order of insertion (oldest first).
    async fn list_measures(&self, office: OfficeId) -> PortResult<Vec<MeasureRow>>;
}
