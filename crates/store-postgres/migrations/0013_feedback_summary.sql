-- A summary of settled quarters for the anonymous feedback figures (issue 5, the leader
-- dashboard at scale). For each office and quarter it holds exactly the raw group rows that
-- `domain::feedback::grouping` defines and the suppression rule consumes — the office, each
-- team (unit_id NULL: clients in no team) and each counselor — and no client ids.
--
-- A quarter is shown only once settled, and nothing writes into a settled quarter except
-- retention deletion. The invariant is defended here, not assumed: every insert, delete or
-- grouping-relevant update of a feedback response or invitation removes the summary of its
-- office and quarter in the same transaction (the triggers below), so a late write (clock
-- skew) or a deleted client is never silently kept or lost; the next view rebuilds it.
-- Builders and the triggers take the same transaction-level advisory lock per office and
-- quarter, so a summary built concurrently with such a write cannot miss it.
CREATE TABLE feedback_quarter_summaries (
    office_id UUID NOT NULL REFERENCES offices(id),
    quarter TEXT NOT NULL,
    built_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (office_id, quarter)
);

-- One raw group. n_* clients, s_* sum of the clients' mean scores, c_* distinct counselors,
-- u_* clients with an unshared answer; per measure: r reached, a answered, 0–5 the themes.
CREATE TABLE feedback_quarter_groups (
    office_id UUID NOT NULL,
    quarter TEXT NOT NULL,
    scope TEXT NOT NULL CHECK (scope IN ('office', 'team', 'counselor')),
    unit_id UUID,
    n_r BIGINT NOT NULL, s_r DOUBLE PRECISION NOT NULL, c_r BIGINT NOT NULL, u_r BIGINT NOT NULL,
    n_a BIGINT NOT NULL, s_a DOUBLE PRECISION NOT NULL, c_a BIGINT NOT NULL, u_a BIGINT NOT NULL,
    n_0 BIGINT NOT NULL, s_0 DOUBLE PRECISION NOT NULL, c_0 BIGINT NOT NULL, u_0 BIGINT NOT NULL,
    n_1 BIGINT NOT NULL, s_1 DOUBLE PRECISION NOT NULL, c_1 BIGINT NOT NULL, u_1 BIGINT NOT NULL,
    n_2 BIGINT NOT NULL, s_2 DOUBLE PRECISION NOT NULL, c_2 BIGINT NOT NULL, u_2 BIGINT NOT NULL,
    n_3 BIGINT NOT NULL, s_3 DOUBLE PRECISION NOT NULL, c_3 BIGINT NOT NULL, u_3 BIGINT NOT NULL,
    n_4 BIGINT NOT NULL, s_4 DOUBLE PRECISION NOT NULL, c_4 BIGINT NOT NULL, u_4 BIGINT NOT NULL,
    n_5 BIGINT NOT NULL, s_5 DOUBLE PRECISION NOT NULL, c_5 BIGINT NOT NULL, u_5 BIGINT NOT NULL,
    FOREIGN KEY (office_id, quarter) REFERENCES feedback_quarter_summaries(office_id, quarter)
        ON DELETE CASCADE
);
CREATE INDEX feedback_quarter_groups_office ON feedback_quarter_groups(office_id, quarter);

-- The advisory lock key of one office-quarter.
CREATE FUNCTION feedback_summary_key(o UUID, q TEXT) RETURNS BIGINT
    LANGUAGE sql IMMUTABLE AS $$ SELECT hashtextextended(o::text || '/' || q, 0) $$;

-- Statement level (bulk inserts and retention deletes touch few office-quarters): the
-- changed rows are the transition table `changed`.
CREATE FUNCTION feedback_summary_forget_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(k)
    FROM (SELECT DISTINCT feedback_summary_key(office_id, quarter) AS k FROM changed ORDER BY 1) x;
    DELETE FROM feedback_quarter_summaries s
    USING (SELECT DISTINCT office_id, quarter FROM changed) x
    WHERE s.office_id = x.office_id AND s.quarter = x.quarter;
    RETURN NULL;
END $$;

CREATE FUNCTION feedback_summary_forget_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(feedback_summary_key(OLD.office_id, OLD.quarter));
    DELETE FROM feedback_quarter_summaries
    WHERE office_id = OLD.office_id AND quarter = OLD.quarter;
    IF NEW.office_id <> OLD.office_id OR NEW.quarter <> OLD.quarter THEN
        PERFORM pg_advisory_xact_lock(feedback_summary_key(NEW.office_id, NEW.quarter));
        DELETE FROM feedback_quarter_summaries
        WHERE office_id = NEW.office_id AND quarter = NEW.quarter;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER feedback_responses_summary_insert AFTER INSERT ON feedback_responses
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION feedback_summary_forget_changed();
CREATE TRIGGER feedback_responses_summary_delete AFTER DELETE ON feedback_responses
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION feedback_summary_forget_changed();
CREATE TRIGGER feedback_responses_summary_update AFTER UPDATE OF client_id, office_id, team_id,
    counselor_id, quarter, shared_with_counselor, theme_relation, theme_reciprocity,
    theme_choices, theme_time, theme_knowledge, theme_knowledge_sharing ON feedback_responses
    FOR EACH ROW EXECUTE FUNCTION feedback_summary_forget_row();
CREATE TRIGGER feedback_invitations_summary_insert AFTER INSERT ON feedback_invitations
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION feedback_summary_forget_changed();
CREATE TRIGGER feedback_invitations_summary_delete AFTER DELETE ON feedback_invitations
    REFERENCING OLD TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION feedback_summary_forget_changed();
CREATE TRIGGER feedback_invitations_summary_update AFTER UPDATE OF client_id, office_id,
    team_id, counselor_id, quarter ON feedback_invitations
    FOR EACH ROW EXECUTE FUNCTION feedback_summary_forget_row();
