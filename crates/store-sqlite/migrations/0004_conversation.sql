-- Conversation: threads between a client and the service, plain-text messages with read
-- receipts, and the live events that tell open pages something happened (resumable by seq).

CREATE TABLE threads (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    subject TEXT NOT NULL,
    about TEXT REFERENCES plan_items(id),
    created_at INTEGER NOT NULL,
    last_message_at INTEGER,
    last_author_side TEXT CHECK (last_author_side IN ('client', 'counselor')),
    no_answer_needed INTEGER NOT NULL DEFAULT 0,
    messages INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX threads_client ON threads(client_id, last_message_at);

CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    author_side TEXT NOT NULL CHECK (author_side IN ('client', 'counselor')),
    body TEXT NOT NULL,
    sent_at INTEGER NOT NULL,
    read_at INTEGER
);
CREATE INDEX messages_thread ON messages(thread_id, sent_at);

CREATE TABLE live_events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX live_events_recipient ON live_events(recipient, seq);
