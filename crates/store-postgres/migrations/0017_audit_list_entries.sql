-- A list view is one audit row (issue 13). Before this migration a caseload of N clients
-- wrote N `client-list-entry` rows, one INSERT each while holding the chain's head. From here
-- on a list of clients shown to staff is one `client-list` row in the chain (its client_id the
-- nil id, as it is about no one client) and one side row per client listed, written in the
-- same statement (`WITH a AS (INSERT INTO audit_log …) INSERT INTO audit_list_entries …`).
-- The row's hash covers the clients listed (sorted), so `audit verify` reads them back from
-- here and names the row if a client was added, removed or changed. Old `client-list-entry`
-- rows stay as they are and are still shown: history is not rewritten.
--
-- The primary key (client_id, seq) is how the client's access log finds her listings; the
-- index on seq is how `audit verify` reads the side rows of a page of the chain.
-- Same version as the other store's 0017 (the parity test checks).

CREATE TABLE audit_list_entries (
    client_id UUID NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (client_id, seq)
);
CREATE INDEX audit_list_entries_seq ON audit_list_entries(seq);

-- Append-only, like audit_log (0001, 0002).
CREATE FUNCTION audit_list_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_list_entries is append-only';
END;
$$;
CREATE TRIGGER audit_list_entries_no_update BEFORE UPDATE ON audit_list_entries
    FOR EACH ROW EXECUTE FUNCTION audit_list_entries_append_only();
CREATE TRIGGER audit_list_entries_no_delete BEFORE DELETE ON audit_list_entries
    FOR EACH ROW EXECUTE FUNCTION audit_list_entries_append_only();
CREATE TRIGGER audit_list_entries_no_truncate BEFORE TRUNCATE ON audit_list_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_list_entries_append_only();

-- A side row belongs to a `client-list` row of the chain: checked once per statement over
-- its new rows (after the statement, so the list row inserted by the same statement's CTE is
-- seen). What is not checked here, as on SQLite: a client added to an earlier listing is
-- accepted; `vendepunkt audit verify` names that row as altered.
CREATE FUNCTION audit_list_entries_belong_to_a_list() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (
        SELECT 1 FROM added n
        WHERE NOT EXISTS (
            SELECT 1 FROM audit_log a WHERE a.seq = n.seq AND a.data_kind = 'client-list'))
    THEN
        RAISE EXCEPTION 'audit_list_entries: a listed client belongs to a client-list row of audit_log';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_list_entries_belong_to_a_list AFTER INSERT ON audit_list_entries
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION audit_list_entries_belong_to_a_list();
