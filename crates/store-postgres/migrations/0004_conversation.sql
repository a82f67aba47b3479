-- Conversation: threads between a client and the service, plain-text messages with read
-- receipts, and the live events that tell open pages something happened (resumable by seq).

CREATE TABLE threads (
    id UUID PRIMARY KEY,
    client_id UUID NOT NULL REFERENCES clients(id),
    subject TEXT NOT NULL,
    about UUID REFERENCES plan_items(id),
    created_at TIMESTAMPTZ NOT NULL,
    last_message_at TIMESTAMPTZ,
    last_author_side TEXT CHECK (last_author_side IN ('client', 'counselor')),
    no_answer_needed BOOLEAN NOT NULL DEFAULT FALSE,
    messages BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX threads_client ON threads(client_id, last_message_at);

CREATE TABLE messages (
    id UUID PRIMARY KEY,
    thread_id UUID NOT NULL REFERENCES threads(id),
    client_id UUID NOT NULL REFERENCES clients(id),
    author_id UUID NOT NULL REFERENCES users(id),
    author_side TEXT NOT NULL CHECK (author_side IN ('client', 'counselor')),
    body TEXT NOT NULL,
    sent_at TIMESTAMPTZ NOT NULL,
    read_at TIMESTAMPTZ
);
CREATE INDEX messages_thread ON messages(thread_id, sent_at);

CREATE TABLE live_events (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient UUID NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX live_events_recipient ON live_events(recipient, seq);
