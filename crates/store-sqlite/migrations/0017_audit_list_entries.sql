-- A list view is one audit row (issue 13). Before this migration a caseload of N clients
-- wrote N `client-list-entry` rows, one INSERT each. From here on a list of clients shown to
-- staff is one `client-list` row in the chain (its client_id the nil id, as it is about no
-- one client) and one side row per client listed, written right after it in the same
-- transaction by one INSERT (`… SELECT value FROM json_each(?)`). The row's hash covers the
-- clients listed (sorted), so `audit verify` reads them back from here and names the row if a
-- client was added, removed or changed. Old `client-list-entry` rows stay as they are and
-- are still shown: history is not rewritten.
--
-- The primary key (client_id, seq) is how the client's access log finds her listings (the
-- table is stored in that order: WITHOUT ROWID); the index on seq is how `audit verify`
-- reads the side rows of a page of the chain.
-- Same version as the other store's 0017 (the parity test checks).

CREATE TABLE audit_list_entries (
    client_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    PRIMARY KEY (client_id, seq)
) WITHOUT ROWID;
CREATE INDEX audit_list_entries_seq ON audit_list_entries(seq);

-- Append-only, like audit_log (0001).
CREATE TRIGGER audit_list_entries_no_update BEFORE UPDATE ON audit_list_entries
BEGIN SELECT RAISE(ABORT, 'audit_list_entries is append-only'); END;
CREATE TRIGGER audit_list_entries_no_delete BEFORE DELETE ON audit_list_entries
BEGIN SELECT RAISE(ABORT, 'audit_list_entries is append-only'); END;

-- A side row belongs to a `client-list` row of the chain. What is not checked here, as on
-- PostgreSQL: a client added to an earlier listing is accepted; `vendepunkt audit verify`
-- names that row as altered.
CREATE TRIGGER audit_list_entries_belong_to_a_list BEFORE INSERT ON audit_list_entries
WHEN NOT EXISTS (
    SELECT 1 FROM audit_log a WHERE a.seq = NEW.seq AND a.data_kind = 'client-list'
)
BEGIN
    SELECT RAISE(ABORT, 'audit_list_entries: a listed client belongs to a client-list row of audit_log');
END;
