-- Files attached to messages: checked and cleaned by the domain (PDF, PNG, JPEG; metadata
-- removed) and kept in the database, never under the web root.

CREATE TABLE attachments (
    id TEXT PRIMARY KEY,
    message_id TEXT NOT NULL REFERENCES messages(id),
    client_id TEXT NOT NULL REFERENCES clients(id),
    name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    data BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX attachments_message ON attachments(message_id);
