-- Unsent answers, so a draft survives a reload or a lost connection. Removed when sent.
CREATE TABLE drafts (
    user_id UUID NOT NULL REFERENCES users(id),
    thread_id UUID NOT NULL REFERENCES threads(id),
    body TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, thread_id)
);
