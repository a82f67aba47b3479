//! Builds generated conversation rows in memory (no I/O): threads between a client and their
//! counselor, each with its messages and read receipts, as years of use would leave them.
//!
//! * A thread belongs to one client (chosen at random among those with an account and a
//!   counselor) and starts at a random moment after the client's case was opened.
//! * It holds 1–40 messages (about 6.6 on average: many short exchanges, a few long ones); the
//!   sides mostly take turns, with minutes to days between messages, and nothing after now.
//! * Bodies are invented Norwegian sentences, 1–10 of them (about 150 bytes on average), as
//!   plain text like the use case stores it.
//! * A message is read by the other side before their next answer; the last ones are often
//!   still unread. The thread row carries what the use cases keep up to date: the number of
//!   messages, the time and side of the last one, and (now and then) "no answer needed".
//! * Ids are UUIDv7 from the time they stand for, as `MessageId::new()` would have made them
//!   then.

use crate::message_texts as t;
use rand::Rng;
use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use time::{Duration, OffsetDateTime};
use uuid::Uuid;

/// A client who can take part in a conversation.
#[derive(Clone)]
pub struct Party {
    pub client: Uuid,
    pub user: Uuid,
    pub counselor: Uuid,
    pub since: OffsetDateTime,
}

pub struct ThreadRow {
    pub id: Uuid,
    pub client: Uuid,
    pub subject: &'static str,
    pub created_at: OffsetDateTime,
    pub last_message_at: OffsetDateTime,
    pub last_side: &'static str,
    pub no_answer_needed: bool,
    pub messages: i64,
}

pub struct MessageRow {
    pub id: Uuid,
    pub thread: Uuid,
    pub client: Uuid,
    pub author: Uuid,
    pub side: &'static str,
    pub body: String,
    pub sent_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

/// Complete threads with all their messages: written in one transaction.
#[derive(Default)]
pub struct ConversationBatch {
    pub threads: Vec<ThreadRow>,
    pub messages: Vec<MessageRow>,
}

fn micros(t: OffsetDateTime) -> OffsetDateTime {
    domain::ports::truncate_to_micros(t)
}

/// A UUIDv7 for the moment `at` (what `::new()` would have returned then).
pub fn uuid_at(rng: &mut StdRng, at: OffsetDateTime) -> Uuid {
    let ms = (at.unix_timestamp_nanos() / 1_000_000).max(0) as u64;
    let random: u128 = rng.random();
    let bits = ((ms as u128) << 80)
        | (0x7u128 << 76)
        | (random & ((1u128 << 76) - 1) & !(0b11u128 << 62))
        | (0b10u128 << 62);
    Uuid::from_u128(bits)
}

/// How many messages a thread gets: many short exchanges, a few long ones (mean about 6.6).
fn thread_length(rng: &mut StdRng) -> u64 {
    match rng.random_range(0..100) {
        0..15 => 1,
        15..55 => rng.random_range(2..=4),
        55..90 => rng.random_range(5..=12),
        _ => rng.random_range(13..=40),
    }
}

/// The time until the next message: an answer takes hours to days, a follow-up by the same
/// side minutes.
fn gap(rng: &mut StdRng, same_side: bool) -> Duration {
    if same_side {
        Duration::minutes(rng.random_range(1..90))
    } else if rng.random_bool(0.7) {
        Duration::minutes(rng.random_range(10..48 * 60))
    } else {
        Duration::minutes(rng.random_range(2 * 24 * 60..10 * 24 * 60))
    }
}

fn pick(rng: &mut StdRng, list: &'static [&'static str]) -> &'static str {
    list.choose(rng).copied().unwrap_or("")
}

/// An invented message body from `side` ("client" or "counselor"), 1–10 sentences.
pub fn body(rng: &mut StdRng, side: &str) -> String {
    let (greetings, sentences, endings) = if side == "client" {
        (t::CLIENT_GREETINGS, t::CLIENT_SENTENCES, t::CLIENT_ENDINGS)
    } else {
        (
            t::COUNSELOR_GREETINGS,
            t::COUNSELOR_SENTENCES,
            t::COUNSELOR_ENDINGS,
        )
    };
    let n = match rng.random_range(0..100) {
        0..20 => 1,
        20..45 => 2,
        45..70 => 3,
        70..92 => rng.random_range(4..=6),
        _ => rng.random_range(7..=10),
    };
    let mut text = String::new();
    if rng.random_bool(0.5) {
        text.push_str(pick(rng, greetings));
        text.push('\n');
    }
    for i in 0..n {
        if i > 0 {
            text.push(if rng.random_bool(0.2) { '\n' } else { ' ' });
        }
        text.push_str(pick(rng, sentences));
    }
    if rng.random_bool(0.3) {
        text.push('\n');
        text.push_str(pick(rng, endings));
    }
    text
}

/// Makes threads for randomly chosen parties until `count` messages are made (the last
/// thread is cut short to hit the count exactly). Messages of different threads are
/// interleaved by time, as they arrive in real use.
pub fn batch(
    rng: &mut StdRng,
    parties: &[Party],
    now: OffsetDateTime,
    count: u64,
) -> ConversationBatch {
    let mut b = ConversationBatch::default();
    let mut made = 0u64;
    while made < count && !parties.is_empty() {
        let p = &parties[rng.random_range(0..parties.len())];
        let want = thread_length(rng).min(count - made);
        made += thread(rng, p, now, want, &mut b);
    }
    b.messages.sort_by_key(|m| m.sent_at);
    b
}

/// One thread of at most `want` messages (fewer if it would run past now); returns how many.
fn thread(
    rng: &mut StdRng,
    p: &Party,
    now: OffsetDateTime,
    want: u64,
    b: &mut ConversationBatch,
) -> u64 {
    let latest = now - Duration::hours(1);
    let span = (latest - p.since).whole_minutes().max(1);
    let start = micros(p.since + Duration::minutes(rng.random_range(0..span)));
    let thread_id = uuid_at(rng, start);
    let mut side: &'static str = if rng.random_bool(0.55) {
        "client"
    } else {
        "counselor"
    };
    let mut at = start;
    let first = b.messages.len();
    for n in 0..want {
        if n > 0 {
            let next_side = if rng.random_bool(0.8) {
                if side == "client" {
                    "counselor"
                } else {
                    "client"
                }
            } else {
                side
            };
            let next_at = micros(at + gap(rng, next_side == side));
            if next_at > latest {
                break;
            }
            side = next_side;
            at = next_at;
        }
        b.messages.push(MessageRow {
            id: uuid_at(rng, at),
            thread: thread_id,
            client: p.client,
            author: if side == "client" {
                p.user
            } else {
                p.counselor
            },
            side,
            body: body(rng, side),
            sent_at: at,
            read_at: None,
        });
    }
    let made = &mut b.messages[first..];
    // Read receipts: the other side read a message before they next wrote; after the last
    // answer, most messages were read some time later (unless that is still to come).
    let mut next_other: Option<OffsetDateTime> = None;
    for i in (0..made.len()).rev() {
        let m_side = made[i].side;
        let sent = made[i].sent_at;
        let read = match next_other {
            Some(reply) => {
                let before = reply - Duration::minutes(rng.random_range(1..60));
                Some(if before > sent { before } else { reply })
            }
            None if rng.random_bool(0.8) => {
                let r = sent + Duration::minutes(rng.random_range(10..2 * 24 * 60));
                (r <= now).then_some(r)
            }
            None => None,
        };
        made[i].read_at = read.map(micros);
        // For the message before this one: if it is the other side's, this message is its
        // next answer; if it is the same side's, its next answer is the one found already.
        if i > 0 && made[i - 1].side != m_side {
            next_other = Some(sent);
        }
    }
    let (last_at, last_side) = match made.last() {
        Some(m) => (m.sent_at, m.side),
        None => return 0,
    };
    let count = made.len() as u64;
    b.threads.push(ThreadRow {
        id: thread_id,
        client: p.client,
        subject: pick(rng, t::SUBJECTS),
        created_at: start,
        last_message_at: last_at,
        last_side,
        no_answer_needed: last_side == "client" && rng.random_bool(0.05),
        messages: count as i64,
    });
    count
}

/// Shuffles the parties' order (so that a batch does not favour the first clients).
pub fn shuffle(rng: &mut StdRng, parties: &mut [Party]) {
    parties.shuffle(rng);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn party(now: OffsetDateTime) -> Party {
        Party {
            client: Uuid::now_v7(),
            user: Uuid::now_v7(),
            counselor: Uuid::now_v7(),
            since: now - Duration::days(700),
        }
    }

    #[test]
    fn batches_hold_exactly_the_count_in_consistent_threads() {
        // Any instant will do: the batch is built around it (no wall clock in tests).
        let now = micros(time::macros::datetime!(2026-03-02 09:15 UTC));
        let parties: Vec<Party> = (0..20).map(|_| party(now)).collect();
        let mut rng = StdRng::seed_from_u64(7);
        let b = batch(&mut rng, &parties, now, 5_000);
        assert_eq!(b.messages.len(), 5_000);
        let total: i64 = b.threads.iter().map(|t| t.messages).sum();
        assert_eq!(total, 5_000);
        for t in &b.threads {
            let ms: Vec<&MessageRow> = b.messages.iter().filter(|m| m.thread == t.id).collect();
            assert_eq!(ms.len() as i64, t.messages);
            let last = ms.iter().max_by_key(|m| m.sent_at).unwrap();
            assert_eq!(last.sent_at, t.last_message_at);
            assert_eq!(last.side, t.last_side);
            assert!(
                ms.iter()
                    .all(|m| m.sent_at >= t.created_at && m.sent_at <= now)
            );
            assert!(
                ms.iter()
                    .all(|m| m.read_at.is_none_or(|r| r >= m.sent_at && r <= now))
            );
        }
        // Time-ordered ids, as the application makes them.
        let m = &b.messages[0];
        assert_eq!(m.id.get_version_num(), 7);
        let mean = b.messages.iter().map(|m| m.body.len()).sum::<usize>() / 5_000;
        assert!((100..400).contains(&mean), "mean body {mean} bytes");
    }
}
