-- How often the counselor wants to be in touch with each client (check-ins).
CREATE TABLE checkins (
    client_id TEXT PRIMARY KEY REFERENCES clients(id),
    every_days BIGINT NOT NULL CHECK (every_days > 0)
);
