-- The shared plan. Each plan item is a versioned JSON document whose shape the domain owns
-- (domain::plan::model); the store keeps versions (optimistic locking: updates name the
-- version they are based on) and an append-only history of every version.
-- Documents are TEXT, not JSONB: the database never looks inside them, and TEXT returns them
-- byte for byte as written.

CREATE TABLE plan_items (
    id UUID PRIMARY KEY,
    client_id UUID NOT NULL REFERENCES clients(id),
    kind TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX plan_items_client ON plan_items(client_id, created_at);

CREATE TABLE plan_history (
    id UUID PRIMARY KEY,
    client_id UUID NOT NULL REFERENCES clients(id),
    item_id UUID NOT NULL REFERENCES plan_items(id),
    item_kind TEXT NOT NULL,
    version BIGINT NOT NULL,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID NOT NULL REFERENCES users(id),
    actor_role TEXT NOT NULL,
    change TEXT NOT NULL,
    before TEXT,
    after TEXT NOT NULL,
    UNIQUE (item_id, version)
);
CREATE INDEX plan_history_client ON plan_history(client_id, at);

CREATE FUNCTION plan_history_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'plan_history is append-only';
END;
$$;
CREATE TRIGGER plan_history_append_only BEFORE UPDATE OR DELETE ON plan_history
    FOR EACH ROW EXECUTE FUNCTION plan_history_append_only();
CREATE TRIGGER plan_history_no_truncate BEFORE TRUNCATE ON plan_history
    FOR EACH STATEMENT EXECUTE FUNCTION plan_history_append_only();

CREATE TABLE measures (
    id UUID PRIMARY KEY,
    office_id UUID NOT NULL REFERENCES offices(id),
    version BIGINT NOT NULL CHECK (version >= 1),
    updated_at TIMESTAMPTZ NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX measures_office ON measures(office_id);
