-- Client feedback on the six themes (issue 5).
-- (SQLite: ids are TEXT uuids, timestamps INTEGER microseconds since the epoch, booleans 0/1.)
--
-- Instruments are data: items, scale, anchor texts in nb/nn/en and optional free-text
-- questions, stored as a JSON definition and versioned. A NULL organisation means built in
-- (Vendepunkt's own six-theme instrument); an organisation with a licence adds its own.
CREATE TABLE feedback_instruments (
    id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version > 0),
    organisation_id TEXT REFERENCES organisations(id),
    definition TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (id, version)
);

-- One answered check. The theme_* columns hold the 0–10 score of the item that measures that
-- theme (NULL = skipped, or the instrument has no item for it); they are filled by the domain
-- when the response is written, so every aggregate reads plain columns. `answers` keeps every
-- item and free-text answer keyed by item id, as the instrument version defines them.
-- office/team/counselor are those of the client when they answered: aggregates group by them.
-- `quarter` is the fixed reporting period ('2026-Q4', Oslo time).
CREATE TABLE feedback_responses (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    team_id TEXT REFERENCES teams(id),
    counselor_id TEXT REFERENCES users(id),
    instrument_id TEXT NOT NULL,
    instrument_version INTEGER NOT NULL,
    meeting_id TEXT REFERENCES meetings(id),
    quarter TEXT NOT NULL,
    answered_at INTEGER NOT NULL,
    changeable_until INTEGER NOT NULL,
    shared_with_counselor INTEGER NOT NULL,
    theme_relation INTEGER CHECK (theme_relation BETWEEN 0 AND 10),
    theme_reciprocity INTEGER CHECK (theme_reciprocity BETWEEN 0 AND 10),
    theme_choices INTEGER CHECK (theme_choices BETWEEN 0 AND 10),
    theme_time INTEGER CHECK (theme_time BETWEEN 0 AND 10),
    theme_knowledge INTEGER CHECK (theme_knowledge BETWEEN 0 AND 10),
    theme_knowledge_sharing INTEGER CHECK (theme_knowledge_sharing BETWEEN 0 AND 10),
    answers TEXT NOT NULL,
    FOREIGN KEY (instrument_id, instrument_version) REFERENCES feedback_instruments(id, version)
);
CREATE INDEX feedback_responses_office ON feedback_responses(office_id, quarter);
CREATE INDEX feedback_responses_client ON feedback_responses(client_id, answered_at);
CREATE INDEX feedback_responses_counselor ON feedback_responses(counselor_id, quarter);

-- Every time a client was asked (after a meeting, or the monthly check) and how it ended.
-- Response rates count distinct invited clients per office/team/quarter.
CREATE TABLE feedback_invitations (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    office_id TEXT NOT NULL REFERENCES offices(id),
    team_id TEXT REFERENCES teams(id),
    counselor_id TEXT REFERENCES users(id),
    quarter TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('meeting', 'monthly')),
    meeting_id TEXT REFERENCES meetings(id),
    invited_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'dismissed')),
    closed_at INTEGER
);
CREATE INDEX feedback_invitations_client ON feedback_invitations(client_id, invited_at);
CREATE INDEX feedback_invitations_office ON feedback_invitations(office_id, quarter);

-- What the client chose last time about sharing with their counselor (remembered as the
-- default for the next response; each response still carries its own choice).
CREATE TABLE feedback_preferences (
    client_id TEXT PRIMARY KEY REFERENCES clients(id),
    share_with_counselor INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

-- The counselor's record of talking with the client about how the cooperation is going,
-- written after a prompt; the client can read it.
CREATE TABLE feedback_talk_notes (
    id TEXT PRIMARY KEY,
    client_id TEXT NOT NULL REFERENCES clients(id),
    author_id TEXT NOT NULL REFERENCES users(id),
    prompt TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX feedback_talk_notes_client ON feedback_talk_notes(client_id, created_at);

-- The instrument an organisation asks with (its latest version). Without a row, the
-- built-in instrument is used.
CREATE TABLE feedback_instrument_choice (
    organisation_id TEXT PRIMARY KEY REFERENCES organisations(id),
    instrument_id TEXT NOT NULL,
    chosen_at INTEGER NOT NULL
);
