-- A summary of settled quarters for the anonymous feedback figures (issue 5, the leader
-- dashboard at scale). For each office and quarter it holds exactly the raw group rows that
-- `domain::feedback::grouping` defines and the suppression rule consumes — the office, each
-- team (team_id NULL: clients in no team) and each counselor — and no client ids.
--
-- A quarter is shown only once settled, and nothing writes into a settled quarter except
-- retention deletion. The invariant is defended here, not assumed: every insert, delete or
-- grouping-relevant update of a feedback response or invitation removes the summary of its
-- office and quarter in the same transaction (the triggers below), so a late write (clock
-- skew) or a deleted client is never silently kept or lost; the next view rebuilds it.
CREATE TABLE feedback_quarter_summaries (
    office_id TEXT NOT NULL REFERENCES offices(id),
    quarter TEXT NOT NULL,
    built_at INTEGER NOT NULL,
    PRIMARY KEY (office_id, quarter)
);

-- One raw group. n_* clients, s_* sum of the clients' mean scores, c_* distinct counselors,
-- u_* clients with an unshared answer; per measure: r reached, a answered, 0–5 the themes.
CREATE TABLE feedback_quarter_groups (
    office_id TEXT NOT NULL,
    quarter TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('office', 'team', 'counselor')),
    unit_id TEXT,
    n_r INTEGER NOT NULL, s_r REAL NOT NULL, c_r INTEGER NOT NULL, u_r INTEGER NOT NULL,
    n_a INTEGER NOT NULL, s_a REAL NOT NULL, c_a INTEGER NOT NULL, u_a INTEGER NOT NULL,
    n_0 INTEGER NOT NULL, s_0 REAL NOT NULL, c_0 INTEGER NOT NULL, u_0 INTEGER NOT NULL,
    n_1 INTEGER NOT NULL, s_1 REAL NOT NULL, c_1 INTEGER NOT NULL, u_1 INTEGER NOT NULL,
    n_2 INTEGER NOT NULL, s_2 REAL NOT NULL, c_2 INTEGER NOT NULL, u_2 INTEGER NOT NULL,
    n_3 INTEGER NOT NULL, s_3 REAL NOT NULL, c_3 INTEGER NOT NULL, u_3 INTEGER NOT NULL,
    n_4 INTEGER NOT NULL, s_4 REAL NOT NULL, c_4 INTEGER NOT NULL, u_4 INTEGER NOT NULL,
    n_5 INTEGER NOT NULL, s_5 REAL NOT NULL, c_5 INTEGER NOT NULL, u_5 INTEGER NOT NULL,
    FOREIGN KEY (office_id, quarter) REFERENCES feedback_quarter_summaries(office_id, quarter)
        ON DELETE CASCADE
);
CREATE INDEX feedback_quarter_groups_office ON feedback_quarter_groups(office_id, quarter);

CREATE TRIGGER feedback_responses_summary_insert AFTER INSERT ON feedback_responses
BEGIN
    DELETE FROM feedback_quarter_summaries
    WHERE office_id = NEW.office_id AND quarter = NEW.quarter;
END;
CREATE TRIGGER feedback_responses_summary_delete AFTER DELETE ON feedback_responses
BEGIN
    DELETE FROM feedback_quarter_summaries
    WHERE office_id = OLD.office_id AND quarter = OLD.quarter;
END;
CREATE TRIGGER feedback_responses_summary_update AFTER UPDATE OF client_id, office_id, team_id,
    counselor_id, quarter, shared_with_counselor, theme_relation, theme_reciprocity,
    theme_choices, theme_time, theme_knowledge, theme_knowledge_sharing ON feedback_responses
BEGIN
    DELETE FROM feedback_quarter_summaries
    WHERE (office_id = OLD.office_id AND quarter = OLD.quarter)
       OR (office_id = NEW.office_id AND quarter = NEW.quarter);
END;
CREATE TRIGGER feedback_invitations_summary_insert AFTER INSERT ON feedback_invitations
BEGIN
    DELETE FROM feedback_quarter_summaries
    WHERE office_id = NEW.office_id AND quarter = NEW.quarter;
END;
CREATE TRIGGER feedback_invitations_summary_delete AFTER DELETE ON feedback_invitations
BEGIN
    DELETE FROM feedback_quarter_summaries
    WHERE office_id = OLD.office_id AND quarter = OLD.quarter;
END;
CREATE TRIGGER feedback_invitations_summary_update AFTER UPDATE OF client_id, office_id,
    team_id, counselor_id, quarter ON feedback_invitations
BEGIN
    DELETE FROM feedback_quarter_summaries
    WHERE (office_id = OLD.office_id AND quarter = OLD.quarter)
       OR (office_id = NEW.office_id AND quarter = NEW.quarter);
END;
