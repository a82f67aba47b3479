//! Who may do what with one meeting in its current state. The use cases in [`super`] call
//! these checks when a change is asked for, and [`meeting_actions`] calls the same checks to
//! decide which buttons the meeting page shows, so a shown button is one the use case accepts
//! and a hidden one is one it refuses.

use super::store::{MeetingNotesRow, MeetingRow, MeetingStatus};
use crate::DomainError;
use crate::plan::Side;
use time::OffsetDateTime;

/// Only the side that must answer accepts a proposal or suggests another time.
pub fn check_turn(side: Side, m: &MeetingRow) -> Result<(), DomainError> {
    if m.status != MeetingStatus::Proposed || m.answer_by != Some(side) {
        return Err(DomainError::Refused("meeting-not-your-turn"));
    }
    Ok(())
}

/// Accepting: the side's turn, and the time has not passed.
pub fn check_accept(side: Side, m: &MeetingRow, now: OffsetDateTime) -> Result<(), DomainError> {
    check_turn(side, m)?;
    if m.starts_at <= now {
        return Err(DomainError::Refused("meeting-time-passed"));
    }
    Ok(())
}

/// Either side calls a meeting off before it starts.
pub fn check_cancel(m: &MeetingRow, now: OffsetDateTime) -> Result<(), DomainError> {
    if m.status == MeetingStatus::Cancelled || m.starts_at <= now {
        return Err(DomainError::Refused("meeting-cannot-cancel"));
    }
    Ok(())
}

/// Agenda points are added before the start of a meeting that is not cancelled.
pub fn check_agenda(m: &MeetingRow, now: OffsetDateTime) -> Result<(), DomainError> {
    if !m.agenda_open(now) {
        return Err(DomainError::Refused("meeting-agenda-closed"));
    }
    Ok(())
}

/// The counselor writes notes from shortly before the start of an accepted meeting, until
/// they are shared.
pub fn check_write_notes(
    side: Side,
    m: &MeetingRow,
    notes: Option<&MeetingNotesRow>,
    now: OffsetDateTime,
) -> Result<(), DomainError> {
    if side != Side::Counselor {
        return Err(DomainError::Refused("meeting-notes-counselor-only"));
    }
    if !m.notes_open(now) {
        return Err(DomainError::Refused("meeting-notes-not-yet"));
    }
    if notes.is_some_and(|n| n.shared_at.is_some()) {
        return Err(DomainError::Refused("meeting-notes-already-shared"));
    }
    Ok(())
}

/// Comments (and requests for a correction) are on shared notes.
pub fn check_comment(notes: Option<&MeetingNotesRow>) -> Result<(), DomainError> {
    if notes.is_none_or(|n| n.shared_at.is_none()) {
        return Err(DomainError::Refused("meeting-notes-not-shared"));
    }
    Ok(())
}

/// What the viewer (`side`: `None` for a read-only colleague) may do with a meeting now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MeetingActions {
    /// Accept, or suggest another time.
    pub answer: bool,
    pub cancel: bool,
    /// Add agenda points, write notes or comments at all (the case is the viewer's to change).
    pub write: bool,
    pub add_agenda: bool,
    pub write_notes: bool,
    pub comment: bool,
}

pub fn meeting_actions(
    side: Option<Side>,
    m: &MeetingRow,
    notes: Option<&MeetingNotesRow>,
    now: OffsetDateTime,
) -> MeetingActions {
    let Some(side) = side else {
        return MeetingActions::default();
    };
    MeetingActions {
        answer: check_accept(side, m, now).is_ok(),
        cancel: check_cancel(m, now).is_ok(),
        write: true,
        add_agenda: check_agenda(m, now).is_ok(),
        write_notes: check_write_notes(side, m, notes, now).is_ok(),
        comment: check_comment(notes).is_ok(),
    }
}

/// Whether the viewer may propose meetings for the client (the case is theirs to change).
pub fn may_propose(side: Option<Side>) -> bool {
    side.is_some()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::{ClientId, MeetingId, UserId};
    use crate::meetings::MeetingMode;
    use time::Duration;
    use time::macros::datetime;

    const NOW: OffsetDateTime = datetime!(2026-05-02 10:00 UTC);

    /// Every state of a meeting (and its notes) the rules look at.
    fn states() -> Vec<(MeetingRow, Option<MeetingNotesRow>)> {
        let mut out = vec![];
        for status in [
            MeetingStatus::Proposed,
            MeetingStatus::Accepted,
            MeetingStatus::Cancelled,
        ] {
            for answer_by in [None, Some(Side::Client), Some(Side::Counselor)] {
                for starts in [-120, -10, 10, 120] {
                    let m = MeetingRow {
                        id: MeetingId::new(),
                        client_id: ClientId::new(),
                        proposed_by: Side::Client,
                        proposed_by_user: UserId::new(),
                        starts_at: NOW + Duration::minutes(starts),
                        duration_minutes: 45,
                        mode: MeetingMode::InPerson,
                        place: String::new(),
                        purpose: "p".into(),
                        status,
                        answer_by,
                        version: 1,
                        created_at: NOW,
                        updated_at: NOW,
                    };
                    for shared in [None, Some(false), Some(true)] {
                        let notes = shared.map(|shared| MeetingNotesRow {
                            meeting_id: m.id,
                            client_id: m.client_id,
                            author_id: UserId::new(),
                            text: "n".into(),
                            written_at: NOW,
                            shared_at: shared.then_some(NOW),
                        });
                        out.push((m.clone(), notes));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn a_meeting_shows_exactly_the_buttons_its_use_cases_accept() {
        for (m, notes) in states() {
            for side in [Some(Side::Client), Some(Side::Counselor), None] {
                let b = meeting_actions(side, &m, notes.as_ref(), NOW);
                let ok = |f: &dyn Fn(Side) -> bool| side.is_some_and(f);
                let at = format!("{side:?} {m:?} {notes:?}");
                assert_eq!(b.answer, ok(&|s| check_accept(s, &m, NOW).is_ok()), "{at}");
                assert_eq!(b.cancel, ok(&|_| check_cancel(&m, NOW).is_ok()), "{at}");
                assert_eq!(b.add_agenda, ok(&|_| check_agenda(&m, NOW).is_ok()), "{at}");
                assert_eq!(
                    b.write_notes,
                    ok(&|s| check_write_notes(s, &m, notes.as_ref(), NOW).is_ok()),
                    "{at}"
                );
                assert_eq!(
                    b.comment,
                    ok(&|_| check_comment(notes.as_ref()).is_ok()),
                    "{at}"
                );
                assert_eq!(b.write, side.is_some(), "{at}");
                // As the meeting page showed them before issue 12.
                let future = m.starts_at > NOW;
                assert_eq!(
                    b.answer,
                    side.is_some()
                        && m.status == MeetingStatus::Proposed
                        && m.answer_by == side
                        && future,
                    "{at}"
                );
                assert_eq!(
                    b.cancel,
                    side.is_some() && m.status != MeetingStatus::Cancelled && future,
                    "{at}"
                );
                assert_eq!(b.add_agenda, side.is_some() && m.agenda_open(NOW), "{at}");
            }
        }
        assert!(!may_propose(None));
        assert!(may_propose(Some(Side::Client)) && may_propose(Some(Side::Counselor)));
    }
}
