-- Files attached to messages: checked and cleaned by the domain (PDF, PNG, JPEG; metadata
-- removed) and kept in the database, never under the web root.

CREATE TABLE attachments (
    id UUID PRIMARY KEY,
    message_id UUID NOT NULL REFERENCES messages(id),
    client_id UUID NOT NULL REFERENCES clients(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);
