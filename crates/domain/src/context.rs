//! What every use case is given: the store (or only the part of it the use case needs), the
//! clock, the notifier for open pages, and the request's id for the audit rows.

use crate::ids::RequestId;
use crate::ports::{Clock, LiveEvent, Notifier, Store};

/// Context every use case that writes audit rows needs.
///
/// `S` is the store capability the use case needs; a handler holds a `Ctx` over the whole
/// [`Store`] and passes it to a use case that asks for, say, `S: PlanStore + ?Sized`.
pub struct Ctx<'a, S: ?Sized + 'a = dyn Store + 'a> {
    pub store: &'a S,
    pub clock: &'a dyn Clock,
    /// Tells open pages that something happened (after the change is committed).
    pub notifier: &'a dyn Notifier,
    pub request_id: RequestId,
}

// By hand: a derive would ask `S: Clone`, which a trait object is not.
impl<S: ?Sized> Clone for Ctx<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<S: ?Sized> Copy for Ctx<'_, S> {}

impl<S: ?Sized> Ctx<'_, S> {
    /// Announces stored live events to open pages. The events are already committed, so a
    /// failure here only delays them until the page reconnects or reloads.
    pub async fn announce(&self, events: Vec<LiveEvent>) {
        for event in events {
            if let Err(e) = self.notifier.publish(event).await {
                tracing::warn!(error = %e, "live event not announced");
            }
        }
    }
}

/// A notifier that tells nobody (command-line tools, demo seeding).
pub struct Silent;

#[async_trait::async_trait]
impl Notifier for Silent {
    async fn publish(&self, _event: LiveEvent) -> crate::ports::PortResult<()> {
        Ok(())
    }
}
