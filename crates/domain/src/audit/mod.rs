//! The audit trail: one row every time staff are shown a client's personal data and every
//! time it changes. Rows carry no content, only who, whose, what kind, what, when and why.
//!
//! Rows are append-only and hash-chained: each row's hash covers its own fields and the hash
//! of the row before it, and the store keeps the head (last seq and hash) in a separate row,
//! which the database moves with every inserted row (migration 0014). [`verify_trail`]
//! recomputes the chain over every row of the table and compares it with the head, so an
//! edited, inserted or deleted row, and a row left after the head, is detected.
//!
//! A list of clients shown to staff is one row ([`list_view_event`], [`DataKind::ClientList`])
//! however many clients it names: the store keeps the clients listed beside the row (migration
//! 0017) and [`row_hash`] covers them, so a change to who was listed is detected as well.

use crate::ports::PortError;
use sha2::{Digest, Sha256};

pub mod access_log;
pub mod store;

pub use store::{AccessLogEntry, AuditRow, AuditStore, NewAuditEvent};

/// The audit row for a change (or creation) `actor` makes to `client`'s data of `kind`, under
/// the policy's `permit`; views get theirs from [`crate::cases::access::grant`]. The one place
/// (with `grant`) where a use case's audit row is put together.
pub fn change_event<S: ?Sized>(
    ctx: crate::context::Ctx<'_, S>,
    actor: &crate::roles::Actor,
    permit: &crate::policy::Permit,
    client: crate::ids::ClientId,
    kind: DataKind,
    action: AuditAction,
) -> NewAuditEvent {
    NewAuditEvent {
        id: crate::ids::AuditId::new(),
        at: ctx.clock.now(),
        actor_id: actor.user_id,
        actor_role: permit.role,
        client_id: client,
        data_kind: kind,
        action,
        request_id: ctx.request_id,
        reason: None,
        listed: Vec::new(),
    }
}

/// The `client_id` of a [`DataKind::ClientList`] row, which is about no one client (the
/// clients listed are in its `listed`): the nil id, which no client has.
pub const LISTED_CLIENTS: crate::ids::ClientId = crate::ids::ClientId(uuid::Uuid::nil());

/// The one row for a list of clients shown to `actor`, acting as `role`: a
/// [`DataKind::ClientList`] view naming every client listed (each once), or `None` when the
/// list is empty. However long the list, it is one row in the chain; the store keeps the
/// names listed beside it (`audit_list_entries`), and the row's hash covers them.
pub fn list_view_event<S: ?Sized>(
    ctx: crate::context::Ctx<'_, S>,
    actor: &crate::roles::Actor,
    role: crate::roles::Role,
    clients: impl IntoIterator<Item = crate::ids::ClientId>,
) -> Option<NewAuditEvent> {
    let mut listed: Vec<crate::ids::ClientId> = clients.into_iter().collect();
    if listed.is_empty() {
        return None;
    }
    listed.sort_unstable();
    listed.dedup();
    Some(NewAuditEvent {
        id: crate::ids::AuditId::new(),
        at: ctx.clock.now(),
        actor_id: actor.user_id,
        actor_role: role,
        client_id: LISTED_CLIENTS,
        data_kind: DataKind::ClientList,
        action: AuditAction::Viewed,
        request_id: ctx.request_id,
        reason: None,
        listed,
    })
}

/// The hash "before" the first row.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// What kind of data was shown or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// Name, office, counselor: the case header.
    CaseOverview,
    /// A line in a list of clients (name): one row per client listed, as list views were
    /// written before migration 0017. Still read and shown; no longer written.
    ClientListEntry,
    /// A list of clients (their names) shown at once: one row for the whole list, the
    /// clients listed in its `listed` (migration 0017).
    ClientList,
    /// Who is assigned as counselor.
    Assignment,
    /// The shared plan: self-presentation, preferences, goals, activities, agreements.
    Plan,
    /// The plan's history (every earlier version).
    PlanHistory,
    /// Conversation threads and messages.
    Messages,
    /// Meetings: proposals, agendas, notes and comments on them.
    Meetings,
    /// The client's feedback answers shared with the counselor, and talk notes.
    Feedback,
    /// The client's user account (name, username, disabled or not), as administrators see
    /// and change it (a new password, disable, enable).
    Account,
}

impl DataKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            DataKind::CaseOverview => "case-overview",
            DataKind::ClientListEntry => "client-list-entry",
            DataKind::ClientList => "client-list",
            DataKind::Assignment => "assignment",
            DataKind::Plan => "plan",
            DataKind::PlanHistory => "plan-history",
            DataKind::Messages => "messages",
            DataKind::Meetings => "meetings",
            DataKind::Feedback => "feedback",
            DataKind::Account => "account",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::CaseOverview,
            Self::ClientListEntry,
            Self::ClientList,
            Self::Assignment,
            Self::Plan,
            Self::PlanHistory,
            Self::Messages,
            Self::Meetings,
            Self::Feedback,
            Self::Account,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuditAction {
    Viewed,
    Created,
    Changed,
}

impl AuditAction {
    pub fn as_str(&self) -> &'static str {
        match self {
            AuditAction::Viewed => "viewed",
            AuditAction::Created => "created",
            AuditAction::Changed => "changed",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Viewed, Self::Created, Self::Changed]
            .into_iter()
            .find(|a| a.as_str() == s)
    }
}

/// The hash of a row at `seq` whose predecessor's hash is `prev_hash`. Fields are joined with
/// the unit separator, which none of them can contain, so the encoding is unambiguous.
///
/// A [`DataKind::ClientList`] row (and any row that names clients in `listed`) has one more
/// field: the clients listed, sorted and joined by commas, so a name added to, removed from
/// or changed in a listing changes its hash. Every other row hashes as it did before
/// migration 0017, so a trail written before it verifies unchanged.
pub fn row_hash(prev_hash: &str, seq: i64, e: &NewAuditEvent) -> String {
    let at_micros = e.at.unix_timestamp_nanos() / 1_000;
    let mut fields = vec![
        prev_hash.to_string(),
        seq.to_string(),
        e.id.to_string(),
        at_micros.to_string(),
        e.actor_id.to_string(),
        e.actor_role.as_str().to_string(),
        e.client_id.to_string(),
        e.data_kind.as_str().to_string(),
        e.action.as_str().to_string(),
        e.request_id.to_string(),
        e.reason
            .as_ref()
            .map(|r| r.as_str().to_string())
            .unwrap_or_default(),
    ];
    if e.data_kind == DataKind::ClientList || !e.listed.is_empty() {
        let mut listed = e.listed.clone();
        listed.sort_unstable();
        let listed: Vec<String> = listed.iter().map(|c| c.to_string()).collect();
        fields.push(listed.join(","));
    }
    let mut h = Sha256::new();
    for f in fields {
        h.update(f.as_bytes());
        h.update([0x1f]);
    }
    hex::encode(h.finalize())
}

/// Appends `event` after (`prev_seq`, `prev_hash`): returns the new row. The clients listed
/// are put in order and each named once, as the store keeps them.
pub fn chain(prev_seq: i64, prev_hash: &str, mut event: NewAuditEvent) -> AuditRow {
    event.listed.sort_unstable();
    event.listed.dedup();
    let seq = prev_seq + 1;
    let hash = row_hash(prev_hash, seq, &event);
    AuditRow {
        seq,
        event,
        prev_hash: prev_hash.to_string(),
        hash,
    }
}

/// What is wrong with a chain.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainBreak {
    #[error("row {seq}: expected sequence number {expected} (a row was deleted or inserted)")]
    Gap { seq: i64, expected: i64 },
    #[error("row {seq}: does not link to the row before it (a row was deleted or inserted)")]
    BrokenLink { seq: i64 },
    #[error("row {seq}: its contents do not match its hash (the row was altered)")]
    Altered { seq: i64 },
    #[error(
        "the chain ends at row {last_seq}, but the recorded head is row {head_seq} (rows were deleted or the head was altered)"
    )]
    HeadMismatch { last_seq: i64, head_seq: i64 },
    #[error(
        "row {seq} is after the recorded head (row {head_seq}): it was added without moving the head, so it is not part of the chain"
    )]
    AfterHead { seq: i64, head_seq: i64 },
}

/// Incremental verifier, so millions of rows can be checked page by page.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    last_seq: i64,
    last_hash: String,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self {
            last_seq: 0,
            last_hash: GENESIS_HASH.to_string(),
        }
    }
}

impl ChainVerifier {
    pub fn last_seq(&self) -> i64 {
        self.last_seq
    }

    /// Checks the next row.
    pub fn check(&mut self, row: &AuditRow) -> Result<(), ChainBreak> {
        let expected = self.last_seq + 1;
        if row.seq != expected {
            return Err(ChainBreak::Gap {
                seq: row.seq,
                expected,
            });
        }
        if row.prev_hash != self.last_hash {
            return Err(ChainBreak::BrokenLink { seq: row.seq });
        }
        if row_hash(&row.prev_hash, row.seq, &row.event) != row.hash {
            return Err(ChainBreak::Altered { seq: row.seq });
        }
        self.last_seq = row.seq;
        self.last_hash = row.hash.clone();
        Ok(())
    }

    /// Checks that the chain ends where the store's head says it does.
    pub fn finish(&self, head_seq: i64, head_hash: &str) -> Result<i64, ChainBreak> {
        if head_seq != self.last_seq || head_hash != self.last_hash {
            return Err(ChainBreak::HeadMismatch {
                last_seq: self.last_seq,
                head_seq,
            });
        }
        Ok(self.last_seq)
    }
}

/// What [`verify_trail`] found: an intact trail of `rows` rows whose head hash is
/// `head_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub rows: i64,
    pub head_hash: String,
}

/// Why [`verify_trail`] did not finish with an intact trail.
#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error("{0}")]
    Broken(#[from] ChainBreak),
    #[error("cannot read the audit trail: {0}")]
    Port(#[from] PortError),
}

/// Checks every row of the audit table against the chain and the head, `page` rows at a time
/// (memory bounded, one pass over the rows, read-only; safe while the server runs):
///
/// * every row, from the lowest seq in the table (a row numbered below 1 fails as a gap), must
///   link onto the one before it and match its hash;
/// * no row may lie after the head. The head is read again once every row has been read: a
///   row the server commits meanwhile is committed together with its head (the same INSERT
///   moves it), so a row that is still past that head was added without moving it;
/// * the head must be the last row, with its hash. Rows appended after that head are left
///   for the next run.
///
/// `progress(checked_up_to, head_seq)` is called after every page.
pub async fn verify_trail<S: AuditStore + ?Sized>(
    store: &S,
    page: i64,
    progress: &mut (dyn FnMut(i64, i64) + Send),
) -> Result<Verified, VerifyError> {
    let (mut head_seq, _) = store.audit_head().await?;
    let mut verifier = ChainVerifier::default();
    let mut after = i64::MIN;
    loop {
        let rows = store.audit_rows(after, page).await?;
        let Some(last) = rows.last() else { break };
        after = last.seq;
        for row in &rows {
            if let Err(e) = verifier.check(row) {
                if row.seq > head_seq {
                    // Past the head read at the start: a newer head may cover it.
                    head_seq = store.audit_head().await?.0;
                    if row.seq > head_seq {
                        return Err(ChainBreak::AfterHead {
                            seq: row.seq,
                            head_seq,
                        }
                        .into());
                    }
                }
                return Err(e.into());
            }
        }
        progress(verifier.last_seq(), head_seq.max(verifier.last_seq()));
    }
    // Every row has been read; this head is at least as new as the last of them.
    let (head_seq, head_hash) = store.audit_head().await?;
    if head_seq < verifier.last_seq() {
        return Err(ChainBreak::AfterHead {
            seq: head_seq + 1,
            head_seq,
        }
        .into());
    }
    // Rows committed after the last page and before this head (or missing: finish says so).
    while verifier.last_seq() < head_seq {
        let rows = store.audit_rows(verifier.last_seq(), page).await?;
        if rows.is_empty() {
            break;
        }
        for row in rows.iter().take_while(|r| r.seq <= head_seq) {
            verifier.check(row)?;
        }
        if rows.last().is_some_and(|r| r.seq >= head_seq) {
            break;
        }
    }
    let rows = verifier.finish(head_seq, &head_hash)?;
    Ok(Verified { rows, head_hash })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{AuditId, ClientId, RequestId, UserId};
    use crate::roles::Role;
    use time::macros::datetime;

    fn event(n: u8) -> NewAuditEvent {
        NewAuditEvent {
            id: AuditId::new(),
            at: datetime!(2026-01-02 03:04:05.123456 UTC),
            actor_id: UserId::new(),
            actor_role: Role::Counselor,
            client_id: ClientId::new(),
            data_kind: if n.is_multiple_of(2) {
                DataKind::CaseOverview
            } else {
                DataKind::ClientListEntry
            },
            action: AuditAction::Viewed,
            request_id: RequestId::new(),
            reason: None,
            listed: Vec::new(),
        }
    }

    fn build(n: u8) -> Vec<AuditRow> {
        let mut rows = Vec::new();
        let (mut seq, mut hash) = (0, GENESIS_HASH.to_string());
        for i in 0..n {
            let row = chain(seq, &hash, event(i));
            seq = row.seq;
            hash = row.hash.clone();
            rows.push(row);
        }
        rows
    }

    fn verify(rows: &[AuditRow], head: (i64, &str)) -> Result<i64, ChainBreak> {
        let mut v = ChainVerifier::default();
        for r in rows {
            v.check(r)?;
        }
        v.finish(head.0, head.1)
    }

    fn fixed(kind: DataKind, client: &str, listed: &[&str]) -> NewAuditEvent {
        let id = |s: &str| s.parse::<uuid::Uuid>().unwrap_or_default();
        NewAuditEvent {
            id: AuditId(id("0190a3c4-0000-7000-8000-00000000000a")),
            at: datetime!(2026-01-02 03:04:05.123456 UTC),
            actor_id: UserId(id("0190a3c4-0000-7000-8000-00000000000b")),
            actor_role: Role::Counselor,
            client_id: ClientId(id(client)),
            data_kind: kind,
            action: AuditAction::Viewed,
            request_id: RequestId(id("0190a3c4-0000-7000-8000-00000000000d")),
            reason: None,
            listed: listed.iter().map(|c| ClientId(id(c))).collect(),
        }
    }

    /// The expected hashes are SHA-256 over the fields joined by 0x1f, computed outside Rust:
    /// an ordinary row hashes exactly as before migration 0017 (old trails keep verifying),
    /// and a list row adds the sorted clients listed as one more field.
    #[test]
    fn ordinary_rows_hash_as_before_and_list_rows_cover_the_clients_listed() {
        let opening = fixed(
            DataKind::CaseOverview,
            "0190a3c4-0000-7000-8000-00000000000c",
            &[],
        );
        assert_eq!(
            row_hash(GENESIS_HASH, 1, &opening),
            "805a4300095732d8589cbaca0d351fd32859ca160fc05c7957579bed85ae3d37"
        );
        let (one, two) = (
            "0190a3c4-0000-7000-8000-000000000001",
            "0190a3c4-0000-7000-8000-000000000002",
        );
        let nil = "00000000-0000-0000-0000-000000000000";
        let list = fixed(DataKind::ClientList, nil, &[two, one]);
        let want = "d6c8a013b1a9ab6bbfb5f413777450978f172cb1d7bd1d34136b8bdc6dea8203";
        assert_eq!(row_hash(GENESIS_HASH, 1, &list), want, "in any order");
        assert_eq!(list.client_id, LISTED_CLIENTS);
        for changed in [
            fixed(DataKind::ClientList, nil, &[one]),
            fixed(
                DataKind::ClientList,
                nil,
                &[one, two, "0190a3c4-0000-7000-8000-000000000003"],
            ),
            fixed(
                DataKind::ClientList,
                nil,
                &[one, "0190a3c4-0000-7000-8000-000000000003"],
            ),
            fixed(DataKind::ClientList, nil, &[]),
        ] {
            assert_ne!(
                row_hash(GENESIS_HASH, 1, &changed),
                want,
                "{:?}",
                changed.listed
            );
        }
        // Clients attached to an ordinary row change its hash too.
        let mut attached = opening.clone();
        attached.listed = vec![ClientId(one.parse().unwrap_or_default())];
        assert_ne!(
            row_hash(GENESIS_HASH, 1, &attached),
            row_hash(GENESIS_HASH, 1, &opening)
        );
    }

    #[test]
    fn a_list_row_with_a_client_removed_from_its_listing_is_detected() {
        let mut rows = build(3);
        let last = rows
            .last()
            .map(|r| (r.seq, r.hash.clone()))
            .unwrap_or_default();
        let mut list = fixed(
            DataKind::ClientList,
            "00000000-0000-0000-0000-000000000000",
            &[],
        );
        list.listed = vec![ClientId::new(), ClientId::new(), ClientId::new()];
        let row = chain(last.0, &last.1, list);
        let head = (row.seq, row.hash.clone());
        rows.push(row);
        assert_eq!(verify(&rows, (head.0, &head.1)), Ok(4));
        rows[3].event.listed.pop();
        assert_eq!(
            verify(&rows, (head.0, &head.1)),
            Err(ChainBreak::Altered { seq: 4 })
        );
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let rows = build(5);
        let last = rows
            .last()
            .map(|r| (r.seq, r.hash.clone()))
            .unwrap_or_default();
        assert_eq!(verify(&rows, (last.0, &last.1)), Ok(5));
    }

    #[test]
    fn an_altered_row_is_detected() {
        let mut rows = build(5);
        let last = rows
            .last()
            .map(|r| (r.seq, r.hash.clone()))
            .unwrap_or_default();
        rows[2].event.actor_role = Role::Leader;
        assert_eq!(
            verify(&rows, (last.0, &last.1)),
            Err(ChainBreak::Altered { seq: 3 })
        );
    }

    #[test]
    fn a_deleted_row_is_detected_in_the_middle_and_at_the_end() {
        let rows = build(5);
        let last = rows
            .last()
            .map(|r| (r.seq, r.hash.clone()))
            .unwrap_or_default();
        let mut middle = rows.clone();
        middle.remove(1);
        assert_eq!(
            verify(&middle, (last.0, &last.1)),
            Err(ChainBreak::Gap {
                seq: 3,
                expected: 2
            })
        );
        let mut tail = rows;
        tail.pop();
        assert!(matches!(
            verify(&tail, (last.0, &last.1)),
            Err(ChainBreak::HeadMismatch { .. })
        ));
    }

    #[test]
    fn an_inserted_row_is_detected() {
        let mut rows = build(3);
        let last = rows
            .last()
            .map(|r| (r.seq, r.hash.clone()))
            .unwrap_or_default();
        // A forged row renumbered into place still fails to link.
        let mut forged = chain(1, "deadbeef", event(9));
        forged.seq = 2;
        rows.insert(1, forged);
        for (i, r) in rows.iter_mut().enumerate() {
            r.seq = i as i64 + 1;
        }
        assert!(verify(&rows, (last.0, &last.1)).is_err());
    }
}
