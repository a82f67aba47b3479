-- Client feedback on the six themes (issue 5).
--
-- Instruments are data: items, scale, anchor texts in nb/nn/en and optional free-text
-- questions, stored as a JSON definition and versioned. A NULL organisation means built in
-- (Vendepunkt's own six-theme instrument); an organisation with a licence adds its own.
CREATE TABLE feedback_instruments (
    id TEXT NOT NULL,
    version BIGINT NOT NULL CHECK (version > 0),
    organisation_id UUID REFERENCES organisations(id),
    definition JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (id, version)
);

-- One answered check. The theme_* columns hold the 0–10 score of the item that measures that
-- theme (NULL = skipped, or the instrument has no item for it); they are filled by the domain
-- when the response is written, so every aggregate reads plain columns. `answers` keeps every
-- item and free-text answer keyed by item id, as the instrument version defines them.
-- office/team/counselor are those of the client when they answered: aggregates group by them.
-- `quarter` is the fixed reporting period ('2026-Q4', Oslo time).
CREATE TABLE feedback_responses (
    id UUID PRIMARY KEY,
    client_id UUID NOT NULL REFERENCES clients(id),
    author_id UUID NOT NULL REFERENCES users(id),
    office_id UUID NOT NULL REFERENCES offices(id),
    team_id UUID REFERENCES teams(id),
    counselor_id UUID REFERENCES users(id),
    instrument_id TEXT NOT NULL,
    instrument_version BIGINT NOT NULL,
    meeting_id UUID REFERENCES meetings(id),
    quarter TEXT NOT NULL,
    answered_at TIMESTAMPTZ NOT NULL,
    changeable_until TIMESTAMPTZ NOT NULL,
    shared_with_counselor BOOLEAN NOT NULL,
    theme_relation SMALLINT CHECK (theme_relation BETWEEN 0 AND 10),
    theme_reciprocity SMALLINT CHECK (theme_reciprocity BETWEEN 0 AND 10),
    theme_choices SMALLINT CHECK (theme_choices BETWEEN 0 AND 10),
    theme_time SMALLINT CHECK (theme_time BETWEEN 0 AND 10),
    theme_knowledge SMALLINT CHECK (theme_knowledge BETWEEN 0 AND 10),
    theme_knowledge_sharing SMALLINT CHECK (theme_knowledge_sharing BETWEEN 0 AND 10),
    answers JSONB NOT NULL,
    FOREIGN KEY (instrument_id, instrument_version) REFERENCES feedback_instruments(id, version)
);
CREATE INDEX feedback_responses_office ON feedback_responses(office_id, quarter);
CREATE INDEX feedback_responses_client ON feedback_responses(client_id, answered_at);
CREATE INDEX feedback_responses_counselor ON feedback_responses(counselor_id, quarter);

-- Every time a client was asked (after a meeting, or the monthly check) and how it ended.
-- Response rates count distinct invited clients per office/team/quarter.
CREATE TABLE feedback_invitations (
    id UUID PRIMARY KEY,
    client_id UUID NOT NULL REFERENCES clients(id),
    office_id UUID NOT NULL REFERENCES offices(id),
    team_id UUID REFERENCES teams(id),
    counselor_id UUID REFERENCES users(id),
    quarter TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('meeting', 'monthly')),
    meeting_id UUID REFERENCES meetings(id),
    invited_at TIMESTAMPTZ NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'answered', 'dismissed')),
    closed_at TIMESTAMPTZ
);
CREATE INDEX feedback_invitations_client ON feedback_invitations(client_id, invited_at);
CREATE INDEX feedback_invitations_office ON feedback_invitations(office_id, quarter);

-- What the client chose last time about sharing with their counselor (remembered as the
-- default for the next response; each response still carries its own choice).
CREATE TABLE feedback_preferences (
    client_id UUID PRIMARY KEY REFERENCES clients(id),
    share_with_counselor BOOLEAN NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- The counselor's record of talking with the client about how the cooperation is going,
-- written after a prompt; the client can read it.
CREATE TABLE feedback_talk_notes (
    id UUID PRIMARY KEY,
    client_id UUID NOT NULL REFERENCES clients(id),
    author_id UUID NOT NULL REFERENCES users(id),
    prompt TEXT NOT NULL,
    text TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX feedback_talk_notes_client ON feedback_talk_notes(client_id, created_at);

-- The instrument an organisation asks with (its latest version). Without a row, the
-- built-in instrument is used.
CREATE TABLE feedback_instrument_choice (
    organisation_id UUID PRIMARY KEY REFERENCES organisations(id),
    instrument_id TEXT NOT NULL,
    chosen_at TIMESTAMPTZ NOT NULL
);
