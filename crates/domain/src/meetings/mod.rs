//! Meetings between a client and their counselor: either side proposes a time, a place (or
//! phone or video) and a purpose; the other side accepts or suggests another time (which
//! turns the question round). Before the meeting both sides add agenda points, the client's
//! shown first. During or after the meeting the counselor writes notes and shares them; the
//! client reads shared notes only, and may comment or ask for a correction, kept with the
//! notes. A calendar file (.ics) is available to both.
//!
//! Access: the same as the case (`ViewClientCase` to read, `ChangeClientCase` to change).
//! Staff views write an audit row; every change writes one, with a live event (kind
//! `meeting`, about the meeting's id) for the other party, in the same transaction.
//! Times that people type and read are Oslo local time ([`crate::oslo`]); stored times are UTC.

pub mod rules;
pub mod store;

pub use store::{
    AgendaPointRow, MeetingMode, MeetingNotesRow, MeetingRecord, MeetingRow, MeetingStatus,
    MeetingsStore, NotesCommentRow,
};

use crate::DomainError;
use crate::audit::{AuditAction, DataKind, change_event};
use crate::cases::{ClientAccess, grant};
use crate::context::Ctx;
use crate::ids::{AgendaPointId, ClientId, MeetingId, NotesCommentId, UserId};
use crate::oslo;
use crate::plan::Side;
use crate::plan::input::Check;
use crate::policy::{Action, ClientScope, Permit, Resource, authorize};
use crate::ports::{Conflict, LiveEvent, PortError};
use crate::roles::Actor;
use crate::types::FieldError;
use serde::Deserialize;
use time::{Date, Duration, Month, OffsetDateTime, PrimitiveDateTime, Time};

/// Shortest and longest meeting, in minutes.
pub const DURATION_MIN: i64 = 15;
pub const DURATION_MAX: i64 = 480;
/// Longest place and purpose.
pub const SHORT_TEXT_MAX: usize = 200;
/// Longest agenda point.
pub const AGENDA_MAX: usize = 500;
/// Longest notes and comment.
pub const NOTES_MAX: usize = 10_000;
pub const COMMENT_MAX: usize = 2_000;
/// Notes may be written from this long before the start ("during or after the meeting"), so
/// a counselor can write while the meeting is going on.
pub const NOTES_OPEN_BEFORE: Duration = Duration::minutes(15);
/// The live event kind for every change to a meeting.
pub const EVENT_KIND: &str = "meeting";

impl MeetingRow {
    pub fn ends_at(&self) -> OffsetDateTime {
        self.starts_at + Duration::minutes(self.duration_minutes)
    }
    /// Whether agenda points may still be added (before the start, not cancelled).
    pub fn agenda_open(&self, now: OffsetDateTime) -> bool {
        self.status != MeetingStatus::Cancelled && now < self.starts_at
    }
    /// Whether the counselor may write notes: an accepted meeting that starts within
    /// [`NOTES_OPEN_BEFORE`] or has started.
    pub fn notes_open(&self, now: OffsetDateTime) -> bool {
        self.status == MeetingStatus::Accepted && now >= self.starts_at - NOTES_OPEN_BEFORE
    }
}

// ----- input -----

/// A time typed in a `datetime-local` field (`YYYY-MM-DDTHH:MM`, seconds optional), meant as
/// Oslo local time.
pub fn parse_local(raw: &str) -> Option<PrimitiveDateTime> {
    let raw = raw.trim();
    let (d, t) = raw.split_once('T').or_else(|| raw.split_once(' '))?;
    let mut dp = d.splitn(3, '-');
    let y: i32 = dp.next()?.parse().ok()?;
    let m: u8 = dp.next()?.parse().ok()?;
    let day: u8 = dp.next()?.parse().ok()?;
    let mut tp = t.splitn(3, ':');
    let h: u8 = tp.next()?.parse().ok()?;
    let min: u8 = tp.next()?.parse().ok()?;
    let s: u8 = match tp.next() {
        Some(s) => s.split('.').next()?.parse().ok()?,
        None => 0,
    };
    let date = Date::from_calendar_date(y, Month::try_from(m).ok()?, day).ok()?;
    let time = Time::from_hms(h, min, s).ok()?;
    Some(PrimitiveDateTime::new(date, time))
}

/// The value for a `datetime-local` field showing `utc` in Oslo time.
pub fn local_input_value(utc: OffsetDateTime) -> String {
    let l = oslo::to_local(utc);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        l.year(),
        u8::from(l.month()),
        l.day(),
        l.hour(),
        l.minute()
    )
}

/// `utc` in Oslo time for reading (`2026-03-02 10:15`).
pub fn local_text(utc: OffsetDateTime) -> String {
    local_input_value(utc).replace('T', " ")
}

impl Check {
    /// A future meeting time typed in Oslo local time, within 2000–2100.
    fn meeting_time(
        &mut self,
        field: &'static str,
        raw: &str,
        now: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        if raw.trim().is_empty() {
            self.fail(field, FieldError::Required);
            return None;
        }
        let Some(local) = parse_local(raw) else {
            self.fail(field, FieldError::TimeInvalid);
            return None;
        };
        if !(2000..2100).contains(&local.year()) {
            self.fail(field, FieldError::DateOutOfRange);
            return None;
        }
        let utc = oslo::from_local(local);
        if utc <= now {
            self.fail(field, FieldError::TimeInPast);
            return None;
        }
        Some(utc)
    }

    fn duration(&mut self, field: &'static str, raw: &str) -> Option<i64> {
        if raw.trim().is_empty() {
            self.fail(field, FieldError::Required);
            return None;
        }
        match self.number::<i64>(field, raw) {
            Some(n) if (DURATION_MIN..=DURATION_MAX).contains(&n) => Some(n),
            Some(_) => {
                self.fail(field, FieldError::NumberInvalid);
                None
            }
            None => None,
        }
    }
}

/// A proposal as typed in the form.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ProposalInput {
    pub starts_at: String,
    pub duration_minutes: String,
    pub mode: String,
    pub place: String,
    pub purpose: String,
}

struct Proposal {
    starts_at: OffsetDateTime,
    duration_minutes: i64,
    mode: MeetingMode,
    place: String,
    purpose: String,
}

impl ProposalInput {
    fn parse(&self, now: OffsetDateTime) -> Result<Proposal, DomainError> {
        let mut c = Check::default();
        let starts_at = c.meeting_time("starts_at", &self.starts_at, now);
        let duration = c.duration("duration_minutes", &self.duration_minutes);
        let mode = c.choice("mode", &self.mode, MeetingMode::parse);
        let place = match mode {
            // In person needs a place; by phone or video it is optional (who calls whom).
            Some(MeetingMode::InPerson) => c.required("place", &self.place, SHORT_TEXT_MAX),
            _ => c.optional("place", &self.place, SHORT_TEXT_MAX),
        };
        let purpose = c.required("purpose", &self.purpose, SHORT_TEXT_MAX);
        let (Some(starts_at), Some(duration_minutes), Some(mode)) = (starts_at, duration, mode)
        else {
            // `finish` reports the errors collected above (there is at least one).
            return c.finish(()).and(Err(DomainError::Invalid(vec![])));
        };
        c.finish(Proposal {
            starts_at,
            duration_minutes,
            mode,
            place,
            purpose,
        })
    }
}

// ----- helpers -----

async fn scope(ctx: Ctx<'_>, client: ClientId) -> Result<ClientScope, DomainError> {
    ctx.store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)
}

/// The permit to change the case and the side the actor acts for (none: out of reach).
async fn party(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
) -> Result<(ClientScope, Permit, Side), DomainError> {
    let scope = scope(ctx, client).await?;
    let permit = authorize(actor, Action::ChangeClientCase, Resource::Client(&scope))?;
    let side = Side::of_role(permit.role).ok_or(DomainError::NotFound)?;
    Ok((scope, permit, side))
}

/// Live events for the other party (the client's account and the assigned counselor, except
/// the actor).
async fn events_for(
    ctx: Ctx<'_>,
    scope: &ClientScope,
    client: ClientId,
    actor: UserId,
    meeting: MeetingId,
) -> Result<Vec<LiveEvent>, DomainError> {
    let client_user = ctx.store.client_user(client).await?;
    Ok([client_user, scope.assigned_counselor]
        .into_iter()
        .flatten()
        .filter(|u| *u != actor)
        .map(|recipient| LiveEvent {
            recipient,
            kind: EVENT_KIND.into(),
            about: Some(meeting.to_string()),
        })
        .collect())
}

/// The meeting a change is about (read for the change, shown to nobody: the change writes
/// its own row).
async fn existing(
    ctx: Ctx<'_>,
    scope: &ClientScope,
    permit: Permit,
    meeting: MeetingId,
) -> Result<MeetingRecord, DomainError> {
    let access = ClientAccess::unaudited(scope.clone(), permit);
    ctx.store
        .read_meeting(meeting, &access)
        .await?
        .ok_or(DomainError::NotFound)
}

fn stale(e: PortError) -> DomainError {
    match e {
        PortError::Conflict(Conflict::Stale) => DomainError::StaleVersion,
        e => DomainError::Port(e),
    }
}

// ----- changes -----

/// Proposes a meeting; the other side must answer.
pub async fn propose(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    input: &ProposalInput,
) -> Result<MeetingId, DomainError> {
    let (scope, permit, side) = party(ctx, actor, client).await?;
    let now = ctx.clock.now();
    let p = input.parse(now)?;
    let id = MeetingId::new();
    let events = events_for(ctx, &scope, client, actor.user_id, id).await?;
    ctx.store
        .create_meeting(
            MeetingRow {
                id,
                client_id: client,
                proposed_by: side,
                proposed_by_user: actor.user_id,
                starts_at: p.starts_at,
                duration_minutes: p.duration_minutes,
                mode: p.mode,
                place: p.place,
                purpose: p.purpose,
                status: MeetingStatus::Proposed,
                answer_by: Some(side.other()),
                version: 1,
                created_at: now,
                updated_at: now,
            },
            change_event(
                ctx,
                actor,
                &permit,
                client,
                DataKind::Meetings,
                AuditAction::Created,
            ),
            events.clone(),
        )
        .await?;
    ctx.announce(events).await;
    Ok(id)
}

/// What the answering side does with a proposal.
#[derive(Debug, Clone)]
pub enum Answer {
    Accept,
    /// Another time (Oslo local, as typed) and duration; the question goes back.
    OtherTime {
        starts_at: String,
        duration_minutes: String,
    },
    /// Either side calls the meeting off before it starts.
    Cancel,
}

/// Accepts, suggests another time for, or cancels a meeting. Only the side that must answer
/// accepts or suggests another time; `version` is the one the form was based on.
pub async fn answer(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    meeting: MeetingId,
    version: i64,
    answer: Answer,
) -> Result<(), DomainError> {
    let (scope, permit, side) = party(ctx, actor, client).await?;
    let now = ctx.clock.now();
    let current = existing(ctx, &scope, permit, meeting).await?.meeting;
    if current.version != version {
        return Err(DomainError::StaleVersion);
    }
    let mut next = current.clone();
    next.version += 1;
    next.updated_at = now;
    match answer {
        Answer::Accept => {
            rules::check_accept(side, &current, now)?;
            next.status = MeetingStatus::Accepted;
            next.answer_by = None;
        }
        Answer::OtherTime {
            starts_at,
            duration_minutes,
        } => {
            rules::check_turn(side, &current)?;
            let mut c = Check::default();
            let t = c.meeting_time("starts_at", &starts_at, now);
            let d = c.duration("duration_minutes", &duration_minutes);
            let (Some(t), Some(d)) = (t, d) else {
                return c.finish(()).and(Err(DomainError::Invalid(vec![])));
            };
            next.starts_at = t;
            next.duration_minutes = d;
            next.answer_by = Some(side.other());
        }
        Answer::Cancel => {
            rules::check_cancel(&current, now)?;
            next.status = MeetingStatus::Cancelled;
            next.answer_by = None;
        }
    }
    let events = events_for(ctx, &scope, client, actor.user_id, meeting).await?;
    ctx.store
        .update_meeting(
            next,
            version,
            change_event(
                ctx,
                actor,
                &permit,
                client,
                DataKind::Meetings,
                AuditAction::Changed,
            ),
            events.clone(),
        )
        .await
        .map_err(stale)?;
    ctx.announce(events).await;
    Ok(())
}

/// Adds a point to the agenda, before the meeting starts.
pub async fn add_agenda_point(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    meeting: MeetingId,
    text: &str,
) -> Result<(), DomainError> {
    let (scope, permit, side) = party(ctx, actor, client).await?;
    let now = ctx.clock.now();
    let mut c = Check::default();
    let text = c.required("agenda_text", text, AGENDA_MAX);
    let text = c.finish(text)?;
    let current = existing(ctx, &scope, permit, meeting).await?.meeting;
    rules::check_agenda(&current, now)?;
    let events = events_for(ctx, &scope, client, actor.user_id, meeting).await?;
    ctx.store
        .add_agenda_point(
            AgendaPointRow {
                id: AgendaPointId::new(),
                meeting_id: meeting,
                client_id: client,
                author_id: actor.user_id,
                author_side: side,
                text,
                created_at: now,
            },
            change_event(
                ctx,
                actor,
                &permit,
                client,
                DataKind::Meetings,
                AuditAction::Created,
            ),
            events.clone(),
        )
        .await?;
    ctx.announce(events).await;
    Ok(())
}

/// The counselor writes the notes (during or after the meeting), and may share them with the
/// client. Shared notes are not changed any more; corrections go in comments.
pub async fn write_notes(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    meeting: MeetingId,
    text: &str,
    share: bool,
) -> Result<(), DomainError> {
    let (scope, permit, side) = party(ctx, actor, client).await?;
    if side != Side::Counselor {
        return Err(DomainError::Refused("meeting-notes-counselor-only"));
    }
    let now = ctx.clock.now();
    let mut c = Check::default();
    let text = c.required("notes", text, NOTES_MAX);
    let text = c.finish(text)?;
    let record = existing(ctx, &scope, permit, meeting).await?;
    rules::check_write_notes(side, &record.meeting, record.notes.as_ref(), now)?;
    // The client hears of notes only once they are shared.
    let events = if share {
        events_for(ctx, &scope, client, actor.user_id, meeting).await?
    } else {
        vec![]
    };
    let action = if record.notes.is_some() {
        AuditAction::Changed
    } else {
        AuditAction::Created
    };
    ctx.store
        .put_meeting_notes(
            MeetingNotesRow {
                meeting_id: meeting,
                client_id: client,
                author_id: actor.user_id,
                text,
                written_at: now,
                shared_at: share.then_some(now),
            },
            change_event(ctx, actor, &permit, client, DataKind::Meetings, action),
            events.clone(),
        )
        .await
        .map_err(|e| match stale(e) {
            DomainError::StaleVersion => DomainError::Refused("meeting-notes-already-shared"),
            e => e,
        })?;
    ctx.announce(events).await;
    Ok(())
}

/// A comment on shared notes, kept with them: the client's comment or request for a
/// correction, or the counselor's answer.
pub async fn comment_on_notes(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    meeting: MeetingId,
    text: &str,
    correction: bool,
) -> Result<(), DomainError> {
    let (scope, permit, side) = party(ctx, actor, client).await?;
    let now = ctx.clock.now();
    let mut c = Check::default();
    let text = c.required("comment", text, COMMENT_MAX);
    let text = c.finish(text)?;
    let record = existing(ctx, &scope, permit, meeting).await?;
    rules::check_comment(record.notes.as_ref())?;
    let events = events_for(ctx, &scope, client, actor.user_id, meeting).await?;
    ctx.store
        .add_notes_comment(
            NotesCommentRow {
                id: NotesCommentId::new(),
                meeting_id: meeting,
                client_id: client,
                author_id: actor.user_id,
                author_side: side,
                correction: correction && side == Side::Client,
                text,
                created_at: now,
            },
            change_event(
                ctx,
                actor,
                &permit,
                client,
                DataKind::Meetings,
                AuditAction::Created,
            ),
            events.clone(),
        )
        .await?;
    ctx.announce(events).await;
    Ok(())
}

// ----- views -----

/// The client's meetings: upcoming (not yet ended) first, soonest first; then past ones,
/// latest first. Staff views are audited.
pub async fn list(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<(Vec<MeetingRow>, Vec<MeetingRow>), DomainError> {
    let access = grant(
        ctx,
        actor,
        client,
        Action::ViewClientCase,
        DataKind::Meetings,
        reason,
    )
    .await?;
    let all = ctx.store.list_meetings(&access).await?;
    let now = ctx.clock.now();
    let (mut upcoming, mut past): (Vec<_>, Vec<_>) =
        all.into_iter().partition(|m| m.ends_at() > now);
    upcoming.sort_by_key(|m| (m.starts_at, m.id));
    past.sort_by_key(|m| std::cmp::Reverse((m.starts_at, m.id)));
    Ok((upcoming, past))
}

/// What a viewer may see of one meeting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MeetingView {
    pub meeting: MeetingRow,
    /// The client's points first, then the counselor's, each in the order written.
    pub agenda: Vec<AgendaPointRow>,
    /// The notes, if written and visible to this viewer (the client sees shared notes only).
    pub notes: Option<MeetingNotesRow>,
    /// Comments on the notes (present only with shared notes).
    pub comments: Vec<NotesCommentRow>,
    /// The side the viewer acts for, if they may change the case (none for a colleague
    /// reading along).
    pub side: Option<Side>,
}

/// Orders an agenda: the client's points first, then the counselor's, each oldest first.
pub fn client_first(mut agenda: Vec<AgendaPointRow>) -> Vec<AgendaPointRow> {
    agenda.sort_by_key(|p| (p.author_side != Side::Client, p.created_at, p.id));
    agenda
}

/// One meeting as `actor` may see it. Staff views are audited.
pub async fn open(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    meeting: MeetingId,
    reason: Option<&str>,
) -> Result<MeetingView, DomainError> {
    let access = grant(
        ctx,
        actor,
        client,
        Action::ViewClientCase,
        DataKind::Meetings,
        reason,
    )
    .await?;
    let side = match authorize(
        actor,
        Action::ChangeClientCase,
        Resource::Client(access.scope()),
    ) {
        Ok(p) => Side::of_role(p.role),
        Err(_) => None,
    };
    let record = ctx
        .store
        .read_meeting(meeting, &access)
        .await?
        .ok_or(DomainError::NotFound)?;
    let viewer_is_client = access.permit().role == crate::roles::Role::Client;
    let notes = record
        .notes
        .filter(|n| !viewer_is_client || n.shared_at.is_some());
    let comments = if notes.as_ref().is_some_and(|n| n.shared_at.is_some()) {
        record.comments
    } else {
        vec![]
    };
    Ok(MeetingView {
        meeting: record.meeting,
        agenda: client_first(record.agenda),
        notes,
        comments,
        side,
    })
}

// ----- calendar file (RFC 5545) -----

/// Escapes a TEXT value: backslash, semicolon, comma and newlines.
pub fn ics_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                out.push_str("\\n");
            }
            '\n' => out.push_str("\\n"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds a content line so that no line is longer than 75 octets (continuation lines start
/// with one space), never splitting a UTF-8 character; lines end with CRLF.
pub fn ics_fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > 75 {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out.push_str("\r\n");
    out
}

fn ics_time(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The calendar file for a meeting: UID, DTSTAMP, DTSTART/DTEND in UTC, SUMMARY (the
/// purpose), LOCATION (`location`: the place, or phone/video in words) and STATUS. No other
/// personal data.
pub fn ics(m: &MeetingRow, location: &str, now: OffsetDateTime) -> String {
    let status = match m.status {
        MeetingStatus::Proposed => "TENTATIVE",
        MeetingStatus::Accepted => "CONFIRMED",
        MeetingStatus::Cancelled => "CANCELLED",
    };
    let lines = [
        "BEGIN:VCALENDAR".to_string(),
        "VERSION:2.0".into(),
        "PRODID:-//Vendepunkt//Meetings//EN".into(),
        "CALSCALE:GREGORIAN".into(),
        "METHOD:PUBLISH".into(),
        "BEGIN:VEVENT".into(),
        format!("UID:{}@vendepunkt", m.id),
        format!("DTSTAMP:{}", ics_time(now)),
        format!("DTSTART:{}", ics_time(m.starts_at)),
        format!("DTEND:{}", ics_time(m.ends_at())),
        format!("SEQUENCE:{}", m.version - 1),
        format!("STATUS:{status}"),
        format!("SUMMARY:{}", ics_escape(&m.purpose)),
        format!("LOCATION:{}", ics_escape(location)),
        "END:VEVENT".into(),
        "END:VCALENDAR".into(),
    ];
    lines.iter().map(|l| ics_fold(l)).collect()
}

/// The calendar file for one meeting, for either party (staff downloads are audited like any
/// view). `location_words` turns a phone or video meeting into words in the reader's
/// language.
pub async fn calendar(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    meeting: MeetingId,
    location_words: impl Fn(MeetingMode) -> String,
) -> Result<String, DomainError> {
    let view = open(ctx, actor, client, meeting, None).await?;
    let m = &view.meeting;
    let location = match (m.mode, m.place.is_empty()) {
        (MeetingMode::InPerson, _) => m.place.clone(),
        (mode, true) => location_words(mode),
        (mode, false) => format!("{}: {}", location_words(mode), m.place),
    };
    Ok(ics(m, &location, ctx.clock.now()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            ics_escape("a\\b;c,d\ne\r\nf"),
            "a\\\\b\\;c\\,d\\ne\\nf".to_string()
        );
    }

    #[test]
    fn long_lines_are_folded_at_75_octets_without_splitting_characters() {
        let line = format!("SUMMARY:{}", "æ".repeat(100));
        let folded = ics_fold(&line);
        assert!(folded.ends_with("\r\n"));
        for l in folded.trim_end_matches("\r\n").split("\r\n") {
            assert!(l.len() <= 75, "{} octets", l.len());
        }
        let unfolded = folded.trim_end_matches("\r\n").replace("\r\n ", "");
        assert_eq!(unfolded, line);
        assert_eq!(ics_fold("SHORT:x"), "SHORT:x\r\n");
    }

    fn row() -> MeetingRow {
        MeetingRow {
            id: MeetingId::new(),
            client_id: ClientId::new(),
            proposed_by: Side::Client,
            proposed_by_user: UserId::new(),
            starts_at: datetime!(2026-06-01 08:30 UTC),
            duration_minutes: 45,
            mode: MeetingMode::InPerson,
            place: "Storgata 1, 2. etasje".into(),
            purpose: "Plan; CV, and more".into(),
            status: MeetingStatus::Accepted,
            answer_by: None,
            version: 2,
            created_at: datetime!(2026-05-01 08:30 UTC),
            updated_at: datetime!(2026-05-01 08:30 UTC),
        }
    }

    #[test]
    fn the_calendar_file_has_utc_times_and_escaped_text() {
        let m = row();
        let f = ics(&m, &m.place, datetime!(2026-05-02 10:00 UTC));
        assert!(f.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(f.ends_with("END:VCALENDAR\r\n"));
        assert!(f.contains("DTSTART:20260601T083000Z\r\n"));
        assert!(f.contains("DTEND:20260601T091500Z\r\n"));
        assert!(f.contains("DTSTAMP:20260502T100000Z\r\n"));
        assert!(f.contains(&format!("UID:{}@vendepunkt\r\n", m.id)));
        assert!(f.contains("SUMMARY:Plan\\; CV\\, and more\r\n"));
        assert!(f.contains("LOCATION:Storgata 1\\, 2. etasje\r\n"));
        assert!(!f.replace("\r\n", "").contains('\n'));
    }

    #[test]
    fn typed_times_are_oslo_local_time() {
        let now = datetime!(2026-01-10 12:00 UTC);
        let mut c = Check::default();
        assert_eq!(
            c.meeting_time("t", "2026-06-01T10:30", now),
            Some(datetime!(2026-06-01 08:30 UTC))
        );
        assert_eq!(
            c.meeting_time("t", "2026-02-01T10:30", now),
            Some(datetime!(2026-02-01 09:30 UTC))
        );
        assert_eq!(c.meeting_time("t", "2026-01-10T12:00", now), None);
        assert_eq!(c.meeting_time("t", "2101-01-01T10:00", now), None);
        assert_eq!(c.meeting_time("t", "tomorrow", now), None);
        assert_eq!(c.meeting_time("t", "2026-02-30T10:00", now), None);
        let errors = match c.finish(()) {
            Err(DomainError::Invalid(errors)) => errors,
            _ => vec![],
        };
        let codes: Vec<_> = errors.iter().map(|(_, e)| e.code()).collect();
        assert_eq!(
            codes,
            [
                "field-time-in-past",
                "field-date-out-of-range",
                "field-time-invalid",
                "field-time-invalid"
            ]
        );
        assert_eq!(
            local_input_value(datetime!(2026-06-01 08:30 UTC)),
            "2026-06-01T10:30"
        );
    }

    #[test]
    fn durations_are_between_a_quarter_and_eight_hours() {
        let mut c = Check::default();
        assert_eq!(c.duration("d", "15"), Some(15));
        assert_eq!(c.duration("d", "480"), Some(480));
        assert_eq!(c.duration("d", "14"), None);
        assert_eq!(c.duration("d", "481"), None);
        assert_eq!(c.duration("d", "x"), None);
    }

    #[test]
    fn the_clients_points_come_first() {
        let m = MeetingId::new();
        let point = |side, minute| AgendaPointRow {
            id: AgendaPointId::new(),
            meeting_id: m,
            client_id: ClientId::new(),
            author_id: UserId::new(),
            author_side: side,
            text: format!("{side:?} {minute}"),
            created_at: datetime!(2026-05-01 08:00 UTC) + Duration::minutes(minute),
        };
        let ordered = client_first(vec![
            point(Side::Counselor, 1),
            point(Side::Client, 3),
            point(Side::Counselor, 2),
            point(Side::Client, 4),
        ]);
        let texts: Vec<_> = ordered.iter().map(|p| p.text.as_str()).collect();
        assert_eq!(
            texts,
            ["Client 3", "Client 4", "Counselor 1", "Counselor 2"]
        );
    }

    #[test]
    fn notes_open_a_quarter_before_the_start() {
        let m = row();
        assert!(!m.notes_open(m.starts_at - Duration::minutes(16)));
        assert!(m.notes_open(m.starts_at - Duration::minutes(15)));
        assert!(m.notes_open(m.starts_at + Duration::days(3)));
        assert!(m.agenda_open(m.starts_at - Duration::minutes(1)));
        assert!(!m.agenda_open(m.starts_at));
    }
}
