-- Availability agreement and notices without content.
-- A counselor's published contact hours and channels, and (optionally) where they want their
-- own notices by e-mail.
CREATE TABLE counselor_availability (
    counselor_id TEXT PRIMARY KEY REFERENCES users(id),
    contact_hours TEXT NOT NULL,
    channels TEXT NOT NULL,
    notice_email TEXT,
    updated_at INTEGER NOT NULL
);

-- How a client and their counselor keep in touch. E-mail address and phone number are
-- personal data: shown only to the two parties (staff views are audited).
CREATE TABLE contact_agreements (
    client_id TEXT PRIMARY KEY REFERENCES clients(id),
    in_app INTEGER NOT NULL DEFAULT 1,
    email_notices INTEGER NOT NULL DEFAULT 0,
    sms_notices INTEGER NOT NULL DEFAULT 0,
    phone_calls INTEGER NOT NULL DEFAULT 0,
    email TEXT,
    phone TEXT,
    quiet_start TEXT,
    quiet_end TEXT,
    response_hours INTEGER,
    language TEXT NOT NULL DEFAULT 'nb',
    proposed_by TEXT NOT NULL CHECK (proposed_by IN ('client', 'counselor')),
    confirmed_at INTEGER,
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The notice outbox worked by the background worker: one row per notice and channel.
CREATE TABLE notices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    idempotency_key TEXT NOT NULL UNIQUE,
    recipient TEXT NOT NULL REFERENCES users(id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    about TEXT,
    language TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'suppressed', 'failed')),
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    sent_at INTEGER
);
CREATE INDEX notices_due ON notices(state, next_attempt_at);
CREATE INDEX notices_throttle ON notices(recipient, channel, about, created_at);

-- Every attempt to send a notice, with its outcome.
CREATE TABLE notice_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'failed')),
    detail TEXT
);
CREATE INDEX notice_attempts_notice ON notice_attempts(notice_id, id);

-- How far the worker has read `live_events` (one row).
CREATE TABLE notice_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_seq INTEGER NOT NULL
);
INSERT INTO notice_cursor (id, last_seq) VALUES (1, 0);
