-- Availability agreement and notices without content.
-- A counselor's published contact hours and channels, and (optionally) where they want their
-- own notices by e-mail.
CREATE TABLE counselor_availability (
    counselor_id UUID PRIMARY KEY REFERENCES users(id),
    contact_hours TEXT NOT NULL,
    channels TEXT NOT NULL,
    notice_email TEXT,
    updated_at TIMESTAMPTZ NOT NULL
);

-- How a client and their counselor keep in touch. E-mail address and phone number are
-- personal data: shown only to the two parties (staff views are audited).
CREATE TABLE contact_agreements (
    client_id UUID PRIMARY KEY REFERENCES clients(id),
    in_app BOOLEAN NOT NULL DEFAULT TRUE,
    email_notices BOOLEAN NOT NULL DEFAULT FALSE,
    sms_notices BOOLEAN NOT NULL DEFAULT FALSE,
    phone_calls BOOLEAN NOT NULL DEFAULT FALSE,
    email TEXT,
    phone TEXT,
    quiet_start TEXT,
    quiet_end TEXT,
    response_hours BIGINT,
    language TEXT NOT NULL DEFAULT 'nb',
    proposed_by TEXT NOT NULL CHECK (proposed_by IN ('client', 'counselor')),
    confirmed_at TIMESTAMPTZ,
    version BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The notice outbox worked by the background worker: one row per notice and channel.
CREATE TABLE notices (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    idempotency_key TEXT NOT NULL UNIQUE,
    recipient UUID NOT NULL REFERENCES users(id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms')),
    about TEXT,
    language TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'suppressed', 'failed')),
    reason TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    sent_at TIMESTAMPTZ
);
CREATE INDEX notices_due ON notices(state, next_attempt_at);
CREATE INDEX notices_throttle ON notices(recipient, channel, about, created_at);

-- Every attempt to send a notice, with its outcome.
CREATE TABLE notice_attempts (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    notice_id BIGINT NOT NULL REFERENCES notices(id),
    at TIMESTAMPTZ NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('sent', 'failed')),
    detail TEXT
);
CREATE INDEX notice_attempts_notice ON notice_attempts(notice_id, id);

-- How far the worker has read `live_events` (one row).
CREATE TABLE notice_cursor (
    id SMALLINT PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL
);
INSERT INTO notice_cursor (id, last_seq) VALUES (1, 0);
