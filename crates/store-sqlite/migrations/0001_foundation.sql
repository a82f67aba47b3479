-- Foundation: organisation, people, sessions, clients, audit trail.
-- Ids are UUIDv7 as text; timestamps are integer microseconds since the Unix epoch (UTC).

CREATE TABLE organisations (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE offices (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX offices_organisation ON offices(organisation_id);

CREATE TABLE teams (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    organisation_id TEXT NOT NULL REFERENCES organisations(id),
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT,
    disabled INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
CREATE INDEX users_organisation ON users(organisation_id);

CREATE TABLE team_members (
    team_id TEXT NOT NULL REFERENCES teams(id),
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (team_id, user_id)
);

-- office_id is NULL for organisation-wide roles (administrator).
CREATE TABLE role_grants (
    user_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    office_id TEXT REFERENCES offices(id)
);
CREATE INDEX role_grants_user ON role_grants(user_id);

CREATE TABLE protected_access (
    user_id TEXT NOT NULL REFERENCES users(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    PRIMARY KEY (user_id, office_id)
);

-- External logins (OIDC issuer + subject) linked to a user.
CREATE TABLE external_identities (
    issuer TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    PRIMARY KEY (issuer, subject)
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users(id),
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE failed_logins (
    key TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX failed_logins_key_at ON failed_logins(key, at);

CREATE TABLE known_devices (
    user_id TEXT NOT NULL REFERENCES users(id),
    device_hash TEXT NOT NULL,
    last_used_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_hash)
);

CREATE TABLE setup_tokens (
    token_hash TEXT PRIMARY KEY,
    created_at INTEGER NOT NULL
);

CREATE TABLE clients (
    id TEXT PRIMARY KEY,
    office_id TEXT NOT NULL REFERENCES offices(id),
    user_id TEXT UNIQUE REFERENCES users(id),
    name TEXT NOT NULL,
    protected INTEGER NOT NULL DEFAULT 0,
    assigned_counselor TEXT REFERENCES users(id),
    created_at INTEGER NOT NULL
);
CREATE INDEX clients_office_name ON clients(office_id, name);
CREATE INDEX clients_counselor_name ON clients(assigned_counselor, name);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL,
    actor_role TEXT NOT NULL,
    client_id TEXT NOT NULL,
    data_kind TEXT NOT NULL,
    action TEXT NOT NULL,
    request_id TEXT NOT NULL,
    reason TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX audit_log_client_at ON audit_log(client_id, at);

CREATE TABLE audit_head (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    seq INTEGER NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The audit trail is append-only.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
