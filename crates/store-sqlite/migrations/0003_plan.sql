-- The shared plan. Each plan item is a versioned JSON document whose shape the domain owns
-- (domain::plan::model); the store keeps versions (optimistic locking: updates name the
-- version they are based on) and an append-only history of every version.

CREATE TABLE plan_items (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    kind TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX plan_items_client ON plan_items(client_id, created_at);

CREATE TABLE plan_history (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    item_id TEXT NOT NULL REFERENCES plan_items(id),
    item_kind TEXT NOT NULL,
    version INTEGER NOT NULL,
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users(id),
    actor_role TEXT NOT NULL,
    change TEXT NOT NULL,
    before TEXT,
    after TEXT NOT NULL,
    UNIQUE (item_id, version)
);
CREATE INDEX plan_history_client ON plan_history(client_id, at);

CREATE TRIGGER plan_history_no_update BEFORE UPDATE ON plan_history
BEGIN SELECT RAISE(ABORT, 'plan_history is append-only'); END;
CREATE TRIGGER plan_history_no_delete BEFORE DELETE ON plan_history
BEGIN SELECT RAISE(ABORT, 'plan_history is append-only'); END;

CREATE TABLE measures (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    version INTEGER NOT NULL CHECK (version >= 1),
    updated_at INTEGER NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX measures_office ON measures(office_id);
