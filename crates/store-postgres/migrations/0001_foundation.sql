-- Foundation: organisation, people, sessions, clients, audit trail.
-- Same version, tables and columns as store-sqlite's 0001 (the parity test checks).

CREATE TABLE organisations (
    id UUID PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE offices (
    id UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX offices_organisation ON offices(organisation_id);

CREATE TABLE teams (
    id UUID PRIMARY KEY,
    office_id UUID NOT NULL REFERENCES offices(id),
    name TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE users (
    id UUID PRIMARY KEY,
    organisation_id UUID NOT NULL REFERENCES organisations(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    disabled BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX users_organisation ON users(organisation_id);

CREATE TABLE team_members (
    team_id UUID NOT NULL REFERENCES teams(id),
    user_id UUID NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);

CREATE TABLE role_grants (
    user_id UUID NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    office_id UUID REFERENCES offices(id)
);
CREATE INDEX role_grants_user ON role_grants(user_id);

CREATE TABLE protected_access (
    user_id UUID NOT NULL REFERENCES users(id),
    office_id UUID NOT NULL REFERENCES offices(id),
    PRIMARY KEY (user_id, office_id)
);

CREATE TABLE external_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id UUID NOT NULL REFERENCES users(id),
    PRIMARY KEY (issuer, subject)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id UUID NOT NULL REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL,
    last_seen_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE failed_logins (
    key TEXT NOT NULL,
    at TIMESTAMPTZ NOT NULL
);
CREATE INDEX failed_logins_key_at ON failed_logins(key, at);

CREATE TABLE known_devices (
    user_id UUID NOT NULL REFERENCES users(id),
    device_hash TEXT NOT NULL,
    last_used_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE clients (
    id UUID PRIMARY KEY,
    office_id UUID NOT NULL REFERENCES offices(id),
    user_id UUID UNIQUE REFERENCES users(id),
    name TEXT NOT NULL,
    protected BOOLEAN NOT NULL DEFAULT FALSE,
    assigned_counselor UUID REFERENCES users(id),
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX clients_office_name ON clients(office_id, name);
CREATE INDEX clients_counselor_name ON clients(assigned_counselor, name);

CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    id UUID NOT NULL UNIQUE,
    at TIMESTAMPTZ NOT NULL,
    actor_id UUID NOT NULL,
    actor_role TEXT NOT NULL,
    client_id UUID NOT NULL,
    data_kind TEXT NOT NULL,
    action TEXT NOT NULL,
    request_id UUID NOT NULL,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_client_at ON audit_log(client_id, at);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The audit trail is append-only.
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
