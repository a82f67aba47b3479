//! Live updates for open pages: a hub that wakes the Server-Sent-Events streams of a user when
//! a live event for them has been stored, and the `/events` stream itself.
//!
//! The events live in the database (`live_events`, written in the same transaction as the
//! change), so the stream only needs a wake-up: it then reads what is new after the last id it
//! sent. A page that reconnects sends `Last-Event-ID` and gets everything it missed. With
//! several instances (PostgreSQL), the wake-up travels by LISTEN/NOTIFY (`Relay`); with one
//! instance it stays in this process.

use crate::AppState;
use crate::edge::context::PageCtx;
use async_trait::async_trait;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use domain::ids::UserId;
use domain::ports::{LiveEvent, Notifier, PortResult, Store};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;

/// Wake-ups carry only the recipient; the stream reads the events from the store. Each user
/// with an open page has one watch channel, so a wake-up reaches that user's streams only
/// (not every open stream), and a stream that was busy reading still sees that something
/// happened (the watch keeps a version).
#[derive(Clone, Default)]
pub struct LiveHub {
    users: Arc<std::sync::Mutex<std::collections::HashMap<UserId, watch::Sender<u64>>>>,
    /// With several instances: publishes wake-ups to all of them (PostgreSQL NOTIFY); each
    /// instance's listener then calls [`LiveHub::wake`].
    relay: Option<Arc<dyn Notifier>>,
}

/// A stream's subscription; when the last one of a user goes, the user's channel goes too.
pub struct Subscription {
    hub: LiveHub,
    user: UserId,
    rx: watch::Receiver<u64>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        if let Ok(mut users) = self.hub.users.lock()
            && users
                .get(&self.user)
                .is_some_and(|tx| tx.receiver_count() <= 1)
        {
            users.remove(&self.user);
        }
    }
}

impl LiveHub {
    /// A hub whose wake-ups travel through `relay` to every instance.
    pub fn with_relay(relay: Arc<dyn Notifier>) -> Self {
        Self {
            relay: Some(relay),
            ..Self::default()
        }
    }
    pub fn subscribe(&self, user: UserId) -> Subscription {
        let rx = match self.users.lock() {
            Ok(mut users) => users
                .entry(user)
                .or_insert_with(|| watch::channel(0).0)
                .subscribe(),
            // A poisoned lock only loses wake-ups; the page still gets its events on reconnect.
            Err(_) => watch::channel(0).1,
        };
        Subscription {
            hub: self.clone(),
            user,
            rx,
        }
    }
    /// Wakes the streams of `recipient` in this process.
    pub fn wake(&self, recipient: UserId) {
        if let Ok(users) = self.users.lock()
            && let Some(tx) = users.get(&recipient)
        {
            tx.send_modify(|v| *v = v.wrapping_add(1));
        }
    }
    /// Users with an open stream in this process (for `/metrics` and the benchmark).
    pub fn streams(&self) -> usize {
        self.users.lock().map(|u| u.len()).unwrap_or(0)
    }
}

#[async_trait]
impl Notifier for LiveHub {
    async fn publish(&self, event: LiveEvent) -> PortResult<()> {
        match &self.relay {
            // The event is already stored; the wake-up need not hold up the response.
            Some(relay) => {
                let relay = relay.clone();
                tokio::spawn(async move {
                    if let Err(e) = relay.publish(event).await {
                        tracing::warn!(error = %e, "live wake-up not relayed");
                    }
                });
                Ok(())
            }
            None => {
                self.wake(event.recipient);
                Ok(())
            }
        }
    }
}

/// Events read per wake-up; more follow on the next round.
const BATCH: i64 = 100;

struct Stream {
    store: Arc<dyn Store>,
    sub: Subscription,
    user: UserId,
    last: i64,
    pending: std::collections::VecDeque<Event>,
}

async fn next(mut s: Stream) -> Option<(Result<Event, Infallible>, Stream)> {
    loop {
        if let Some(e) = s.pending.pop_front() {
            return Some((Ok(e), s));
        }
        match s.store.live_events_after(s.user, s.last, BATCH).await {
            Ok(events) if !events.is_empty() => {
                for e in events {
                    s.last = e.seq;
                    // First a name for the one thing it is about (`meeting-<id>`), so that a page
                    // showing that thing refreshes and pages about other things stay as they are
                    // (a needless refresh of a staff page would also write a needless audit row).
                    // It carries no id: should the stream drop between the two, the resumed
                    // stream repeats the event rather than skipping it.
                    if let Some(about) = &e.about {
                        s.pending.push_back(
                            Event::default()
                                .event(format!("{}-{about}", e.kind))
                                .data(e.kind.clone()),
                        );
                    }
                    s.pending.push_back(
                        Event::default()
                            .id(e.seq.to_string())
                            .event(e.kind.clone())
                            .data(e.kind),
                    );
                }
                continue;
            }
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(error = %e, "live events unreadable; the page will reconnect");
                return None;
            }
        }
        // Nothing new: wait for a wake-up for this user.
        if s.sub.rx.changed().await.is_err() {
            return None;
        }
    }
}

/// `GET /events`: the signed-in person's live events as Server-Sent Events. Carries no
/// content, only what kind of thing happened; the page fetches what it may see.
pub async fn events(State(state): State<AppState>, ctx: PageCtx, headers: HeaderMap) -> Response {
    let Some(actor) = ctx.actor else {
        return StatusCode::NOT_FOUND.into_response();
    };
    // Subscribe before reading, so nothing stored in between is missed.
    let sub = state.live.subscribe(actor.user_id);
    let resume = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok());
    let last = match resume {
        Some(n) => n,
        None => match state.store.last_live_event(actor.user_id).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "live events unreadable");
                return StatusCode::SERVICE_UNAVAILABLE.into_response();
            }
        },
    };
    let stream = futures_util::stream::unfold(
        Stream {
            store: state.store.clone(),
            sub,
            user: actor.user_id,
            last,
            pending: Default::default(),
        },
        next,
    );
    Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(20)))
        .into_response()
}
