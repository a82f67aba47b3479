//! Conformance: live events for open pages, per recipient, in order, resumable.

use super::conversation::talk;
use domain::ports::Store;

/// Live events for one recipient come in order, say what they are about, and can be resumed
/// after any seq; someone with no events is at 0.
pub async fn live_events_are_per_recipient_in_order_and_resumable(store: &dyn Store) {
    let talk = talk(store).await;
    let f = &talk.f;
    let events = store.live_events_after(f.counselor_a, 0, 10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert!(events[0].seq < events[1].seq);
    assert_eq!(
        events[0].about,
        Some(talk.thread.to_string()),
        "what the event is about"
    );
    assert_eq!(
        store
            .live_events_after(f.counselor_a, events[0].seq, 10)
            .await
            .unwrap(),
        vec![events[1].clone()]
    );
    assert_eq!(
        store.last_live_event(f.counselor_a).await.unwrap(),
        events[1].seq
    );
    assert_eq!(store.last_live_event(f.admin).await.unwrap(), 0);
}
