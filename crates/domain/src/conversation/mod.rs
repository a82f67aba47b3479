//! Conversation between a client and their counselor: threads with a subject (optionally about
//! a plan item), plain-text messages, read receipts, and who is waiting for whom — worked out
//! from the messages themselves, not set by hand.
//!
//! Access: the same as the case (`ViewClientCase` to read, `ChangeClientCase` to write). Staff
//! reading a thread write an audit row; every message writes one. Every message and read
//! receipt also writes a live event for the other party, in the same transaction, so open
//! pages learn of it (and can resume after a dropped connection from the event's sequence).

pub mod attachments;
pub mod checkins;
pub mod store;

use crate::DomainError;
use crate::audit::{AuditAction, DataKind, change_event};
use crate::cases::grant;
use crate::context::Ctx;
use crate::conversation::attachments::FileCleaner;
use crate::conversation::store::{
    AttachmentFile, NewAttachment, NewMessage, NewThread, ThreadRecord, ThreadSummary,
};
use crate::ids::{AttachmentId, ClientId, MessageId, PlanItemId, ThreadId, UserId};
use crate::plan::Side;
use crate::policy::{Action, Permit, Resource, authorize};
use crate::ports::LiveEvent;
use crate::roles::Actor;
use crate::types::{FieldError, clean_text};
pub use store::ConversationStore;
use time::{Duration, OffsetDateTime};

/// Longest subject.
pub const SUBJECT_MAX: usize = 120;
/// Longest message body.
pub const BODY_MAX: usize = 5000;
/// How long the service has to answer before a thread is overdue, unless the counselor has
/// agreed another response time with the client (the availability agreement).
pub const DEFAULT_RESPONSE_TIME: Duration = Duration::days(2);

/// Who a thread waits for, and since when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Waiting {
    /// Nobody: no messages, or the counselor marked that no answer is needed.
    Nobody,
    /// The client wrote last: the service owes an answer, due at `due`.
    ForService {
        since: OffsetDateTime,
        due: OffsetDateTime,
    },
    /// The counselor wrote last: the client may answer (no deadline for the client).
    ForClient { since: OffsetDateTime },
}

impl Waiting {
    /// Worked out from the last message and the "no answer needed" mark.
    pub fn of(t: &ThreadSummary, response_time: Duration) -> Waiting {
        match (t.last_author_side, t.last_message_at) {
            (_, None) | (None, _) => Waiting::Nobody,
            (Some(Side::Client), Some(at)) if !t.no_answer_needed => Waiting::ForService {
                since: at,
                due: at + response_time,
            },
            (Some(Side::Client), Some(_)) => Waiting::Nobody,
            (Some(Side::Counselor), Some(at)) => Waiting::ForClient { since: at },
        }
    }
    pub fn overdue(&self, now: OffsetDateTime) -> bool {
        matches!(self, Waiting::ForService { due, .. } if *due < now)
    }
}

fn permit_for(
    actor: &Actor,
    action: Action,
    scope: &crate::policy::ClientScope,
) -> Result<(Permit, Option<Side>), DomainError> {
    let permit = authorize(actor, action, Resource::Client(scope))?;
    Ok((permit, Side::of_role(permit.role)))
}

async fn scope(ctx: Ctx<'_>, client: ClientId) -> Result<crate::policy::ClientScope, DomainError> {
    ctx.store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)
}

/// The people who should hear of a message by `author`: the client's account (if any) and
/// the assigned counselor, except the author.
fn recipients(
    scope: &crate::policy::ClientScope,
    client_user: Option<UserId>,
    author: UserId,
) -> Vec<UserId> {
    [client_user, scope.assigned_counselor]
        .into_iter()
        .flatten()
        .filter(|u| *u != author)
        .collect()
}

fn parse_body(raw: &str) -> Result<String, FieldError> {
    clean_text(raw, BODY_MAX, true)
}

/// A file as uploaded, before any check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Most files on one message.
pub const MAX_FILES: usize = 3;

/// Checks every upload and rebuilds it from its content (see [`crate::conversation::attachments::clean`]);
/// any refusal refuses them all.
async fn check_files(
    cleaner: &dyn FileCleaner,
    files: &[Upload],
) -> Result<Vec<NewAttachment>, FieldError> {
    if files.len() > MAX_FILES {
        return Err(FieldError::AttachmentTooLarge);
    }
    let mut out = Vec::with_capacity(files.len());
    for f in files {
        let clean = crate::conversation::attachments::clean(cleaner, &f.name, &f.bytes).await?;
        out.push(NewAttachment {
            id: AttachmentId::new(),
            name: clean.name,
            content_type: clean.kind.content_type().to_string(),
            bytes: clean.bytes,
        });
    }
    Ok(out)
}

/// Starts a thread with its first message.
#[allow(clippy::too_many_arguments)] // the ports, who, where, and the message's fields
pub async fn start_thread(
    ctx: Ctx<'_>,
    cleaner: &dyn FileCleaner,
    actor: &Actor,
    client: ClientId,
    subject: &str,
    body: &str,
    about: Option<PlanItemId>,
    files: &[Upload],
) -> Result<ThreadId, DomainError> {
    let scope = scope(ctx, client).await?;
    let (permit, side) = permit_for(actor, Action::ChangeClientCase, &scope)?;
    let side = side.ok_or(DomainError::NotFound)?;
    let mut errors = vec![];
    let subject = clean_text(subject, SUBJECT_MAX, false).map_err(|e| errors.push(("subject", e)));
    let body = parse_body(body).map_err(|e| errors.push(("body", e)));
    let attachments = check_files(cleaner, files)
        .await
        .map_err(|e| errors.push(("attachment", e)));
    let (Ok(subject), Ok(body), Ok(attachments)) = (subject, body, attachments) else {
        return Err(DomainError::Invalid(errors));
    };
    let now = ctx.clock.now();
    let thread = ThreadId::new();
    let client_user = ctx.store.client_user(client).await?;
    let events: Vec<LiveEvent> = recipients(&scope, client_user, actor.user_id)
        .into_iter()
        .map(|r| LiveEvent {
            recipient: r,
            kind: "message".into(),
            about: Some(thread.to_string()),
        })
        .collect();
    ctx.store
        .create_thread(
            NewThread {
                id: thread,
                client_id: client,
                subject,
                about,
                created_at: now,
            },
            NewMessage {
                id: MessageId::new(),
                thread_id: thread,
                client_id: client,
                author_id: actor.user_id,
                author_side: side,
                body,
                sent_at: now,
                attachments,
            },
            change_event(
                ctx,
                actor,
                &permit,
                client,
                DataKind::Messages,
                AuditAction::Created,
            ),
            events.clone(),
        )
        .await?;
    ctx.announce(events).await;
    Ok(thread)
}

/// Answers in a thread.
pub async fn send_message(
    ctx: Ctx<'_>,
    cleaner: &dyn FileCleaner,
    actor: &Actor,
    client: ClientId,
    thread: ThreadId,
    body: &str,
    files: &[Upload],
) -> Result<MessageId, DomainError> {
    let scope = scope(ctx, client).await?;
    let (permit, side) = permit_for(actor, Action::ChangeClientCase, &scope)?;
    let side = side.ok_or(DomainError::NotFound)?;
    let mut errors = vec![];
    let body = parse_body(body).map_err(|e| errors.push(("body", e)));
    let attachments = check_files(cleaner, files)
        .await
        .map_err(|e| errors.push(("attachment", e)));
    let (Ok(body), Ok(attachments)) = (body, attachments) else {
        return Err(DomainError::Invalid(errors));
    };
    let existing = ctx
        .store
        .thread_summary(thread)
        .await?
        .filter(|t| t.client_id == client)
        .ok_or(DomainError::NotFound)?;
    let id = MessageId::new();
    let client_user = ctx.store.client_user(client).await?;
    let events: Vec<LiveEvent> = recipients(&scope, client_user, actor.user_id)
        .into_iter()
        .map(|r| LiveEvent {
            recipient: r,
            kind: "message".into(),
            about: Some(thread.to_string()),
        })
        .collect();
    ctx.store
        .add_message(
            NewMessage {
                id,
                thread_id: existing.id,
                client_id: client,
                author_id: actor.user_id,
                author_side: side,
                body,
                sent_at: ctx.clock.now(),
                attachments,
            },
            change_event(
                ctx,
                actor,
                &permit,
                client,
                DataKind::Messages,
                AuditAction::Created,
            ),
            events.clone(),
        )
        .await?;
    ctx.announce(events).await;
    Ok(id)
}

/// The client's threads, newest activity first (staff views are audited).
pub async fn threads(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    reason: Option<&str>,
) -> Result<Vec<ThreadSummary>, DomainError> {
    let access = grant(
        ctx,
        actor,
        client,
        Action::ViewClientCase,
        DataKind::Messages,
        reason,
    )
    .await?;
    Ok(ctx.store.list_threads(&access).await?)
}

/// One thread with its messages. Opening it as one of the two parties marks the other
/// party's messages as read (a read receipt, announced to them live).
pub async fn open_thread(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    thread: ThreadId,
    reason: Option<&str>,
) -> Result<(ThreadRecord, Option<Side>), DomainError> {
    let access = grant(
        ctx,
        actor,
        client,
        Action::ViewClientCase,
        DataKind::Messages,
        reason,
    )
    .await?;
    let scope = access.scope();
    // Only a party to the conversation gives read receipts (not a colleague reading along).
    let side = match authorize(actor, Action::ChangeClientCase, Resource::Client(scope)) {
        Ok(p) => Side::of_role(p.role),
        Err(_) => None,
    };
    let client_user = ctx.store.client_user(client).await?;
    let events: Vec<LiveEvent> = match side {
        Some(_) => recipients(scope, client_user, actor.user_id)
            .into_iter()
            .map(|r| LiveEvent {
                recipient: r,
                kind: "read".into(),
                about: Some(thread.to_string()),
            })
            .collect(),
        None => vec![],
    };
    let now = ctx.clock.now();
    let record = ctx
        .store
        .read_thread(thread, &access, side, now, events.clone())
        .await?
        .ok_or(DomainError::NotFound)?;
    // Announce the read receipt only if this opening marked something read.
    let newly_read = record
        .messages
        .iter()
        .any(|m| Some(m.author_side) != side && m.read_at == Some(now));
    if newly_read {
        ctx.announce(events).await;
    }
    Ok((record, side))
}

/// The counselor marks (or unmarks) that a thread needs no answer.
pub async fn set_no_answer_needed(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    thread: ThreadId,
    no_answer_needed: bool,
) -> Result<(), DomainError> {
    let scope = scope(ctx, client).await?;
    let (permit, side) = permit_for(actor, Action::ChangeClientCase, &scope)?;
    if side != Some(Side::Counselor) {
        return Err(DomainError::Refused("plan-not-yours-to-change"));
    }
    ctx.store
        .thread_summary(thread)
        .await?
        .filter(|t| t.client_id == client)
        .ok_or(DomainError::NotFound)?;
    ctx.store
        .set_no_answer_needed(
            thread,
            no_answer_needed,
            change_event(
                ctx,
                actor,
                &permit,
                client,
                DataKind::Messages,
                AuditAction::Changed,
            ),
        )
        .await?;
    Ok(())
}

/// Keeps the actor's unsent answer in a thread (an empty one removes it). Only the parties
/// to the conversation have drafts; a draft is theirs alone and is removed when they send.
pub async fn save_draft(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    thread: ThreadId,
    body: &str,
) -> Result<(), DomainError> {
    let scope = scope(ctx, client).await?;
    let (_, side) = permit_for(actor, Action::ChangeClientCase, &scope)?;
    side.ok_or(DomainError::NotFound)?;
    if body.chars().count() > BODY_MAX {
        return Err(DomainError::invalid("body", FieldError::TooLong));
    }
    ctx.store
        .thread_summary(thread)
        .await?
        .filter(|t| t.client_id == client)
        .ok_or(DomainError::NotFound)?;
    Ok(ctx
        .store
        .save_draft(actor.user_id, thread, body, ctx.clock.now())
        .await?)
}

/// The actor's own draft in a thread, if any.
pub async fn draft<S: ConversationStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    thread: ThreadId,
) -> Result<Option<String>, DomainError> {
    Ok(ctx.store.draft(actor.user_id, thread).await?)
}

/// How long the service has to answer this client: the response time agreed in the
/// confirmed contact agreement, or [`DEFAULT_RESPONSE_TIME`]. For a page about the client's
/// conversation, whose view already wrote its audit row (so this read writes none).
pub async fn response_time<S: crate::contact::ContactStore + crate::cases::CasesStore + ?Sized>(
    ctx: Ctx<'_, S>,
    actor: &Actor,
    client: ClientId,
) -> Result<Duration, DomainError> {
    let scope = ctx
        .store
        .client_scope(client)
        .await?
        .ok_or(DomainError::NotFound)?;
    let permit = authorize(actor, Action::ViewClientCase, Resource::Client(&scope))?;
    let access = crate::cases::ClientAccess::unaudited(scope, permit);
    let agreement = ctx.store.contact_agreement(&access).await?;
    Ok(agreement
        .filter(|a| a.confirmed_at.is_some())
        .and_then(|a| a.response_hours)
        .filter(|h| *h > 0)
        .map(Duration::hours)
        .unwrap_or(DEFAULT_RESPONSE_TIME))
}

/// An attachment for download (staff downloads are audited like any view).
pub async fn attachment(
    ctx: Ctx<'_>,
    actor: &Actor,
    client: ClientId,
    id: AttachmentId,
) -> Result<AttachmentFile, DomainError> {
    // No reason here: opening a protected client's files needs the case opened with a reason
    // first (`grant` answers `ReasonRequired`).
    let access = grant(
        ctx,
        actor,
        client,
        Action::ViewClientCase,
        DataKind::Messages,
        None,
    )
    .await?;
    ctx.store
        .attachment(id, &access)
        .await?
        .ok_or(DomainError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(side: Option<Side>, at: Option<OffsetDateTime>, no_answer: bool) -> ThreadSummary {
        ThreadSummary {
            id: ThreadId::new(),
            client_id: ClientId::new(),
            subject: "s".into(),
            about: None,
            created_at: OffsetDateTime::UNIX_EPOCH,
            last_message_at: at,
            last_author_side: side,
            no_answer_needed: no_answer,
            messages: 1,
            unread_for_client: 0,
            unread_for_counselor: 0,
        }
    }

    #[test]
    fn waiting_is_worked_out_from_the_last_message() {
        let t0 = OffsetDateTime::UNIX_EPOCH;
        let day = Duration::days(1);
        let w = Waiting::of(&summary(Some(Side::Client), Some(t0), false), 2 * day);
        assert_eq!(
            w,
            Waiting::ForService {
                since: t0,
                due: t0 + 2 * day
            }
        );
        assert!(!w.overdue(t0 + day));
        assert!(w.overdue(t0 + 3 * day));
        assert_eq!(
            Waiting::of(&summary(Some(Side::Counselor), Some(t0), false), day),
            Waiting::ForClient { since: t0 }
        );
        assert_eq!(
            Waiting::of(&summary(Some(Side::Client), Some(t0), true), day),
            Waiting::Nobody,
            "a thread marked as needing no answer waits for nobody"
        );
    }
}
