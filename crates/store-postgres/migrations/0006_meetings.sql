-- Meetings between a client and their counselor: proposals (who proposed, who must answer,
-- version for optimistic locking), agenda points from both sides, the counselor's notes
-- (shared with the client or not yet) and comments kept with shared notes.

CREATE TABLE meetings (
    id UUID PRIMARY KEY,
    client_id UUID NOT NULL REFERENCES clients(id),
    proposed_by TEXT NOT NULL CHECK (proposed_by IN ('client', 'counselor')),
    proposed_by_user UUID NOT NULL REFERENCES users(id),
    starts_at TIMESTAMPTZ NOT NULL,
    duration_minutes BIGINT NOT NULL CHECK (duration_minutes BETWEEN 15 AND 480),
    mode TEXT NOT NULL CHECK (mode IN ('in-person', 'phone', 'video')),
    place TEXT NOT NULL,
    purpose TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('proposed', 'accepted', 'cancelled')),
    answer_by TEXT CHECK (answer_by IN ('client', 'counselor')),
    version BIGINT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX meetings_client ON meetings(client_id, starts_at);

CREATE TABLE meeting_agenda_points (
    id UUID PRIMARY KEY,
    meeting_id UUID NOT NULL REFERENCES meetings(id),
    client_id UUID NOT NULL REFERENCES clients(id),
    author_id UUID NOT NULL REFERENCES users(id),
    author_side TEXT NOT NULL CHECK (author_side IN ('client', 'counselor')),
    text TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX meeting_agenda_points_meeting ON meeting_agenda_points(meeting_id, created_at);

CREATE TABLE meeting_notes (
    meeting_id UUID PRIMARY KEY REFERENCES meetings(id),
    client_id UUID NOT NULL REFERENCES clients(id),
    author_id UUID NOT NULL REFERENCES users(id),
    text TEXT NOT NULL,
    written_at TIMESTAMPTZ NOT NULL,
    shared_at TIMESTAMPTZ
);

CREATE TABLE meeting_note_comments (
    id UUID PRIMARY KEY,
    meeting_id UUID NOT NULL REFERENCES meeting_notes(meeting_id),
    client_id UUID NOT NULL REFERENCES clients(id),
    author_id UUID NOT NULL REFERENCES users(id),
    author_side TEXT NOT NULL CHECK (author_side IN ('client', 'counselor')),
    correction BOOLEAN NOT NULL DEFAULT FALSE,
    text TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX meeting_note_comments_meeting ON meeting_note_comments(meeting_id, created_at);
