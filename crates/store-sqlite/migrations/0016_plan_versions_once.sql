-- The plan's versions, each stored once, and plan documents compressed (issue 13: at most
-- 20 KB per client). Same version as the other store's 0016 (the parity test checks).
--
-- Until now every history row held the whole document before *and* after its change, and the
-- item row held the current version a third time. From here on every version's document is
-- stored exactly once:
-- * plan_items.data holds the current version;
-- * a history row holds `before`, the document its change replaced (NULL for version 1);
-- * the document *after* a change is the next version's `before`, or, for the item's current
--   version, the item's `data` (the store derives it when the history is read);
-- * `after` is kept only in rows converted here whose stored `after` is not what that rule
--   derives (none when the rows were written by the use cases), so no history is lost.
-- New documents are stored zstd-compressed behind a one-byte tag, a current one with a fixed
-- dictionary of the documents' structure, an earlier version against the version that
-- replaced it (crates/store-sqlite/src/plan_documents.rs); converted ones stay the JSON text
-- they were, and all are read.
--
-- A history row is identified by (item_id, version), which was unique already; its own id
-- (never shown, never referenced) goes, and so do its client_id and item_kind: they are the
-- item's, which never change. The table is clustered by (item_id, version) (WITHOUT ROWID), so
-- it needs no other index: a client's history is read through the client's items.

-- Refuse to convert rows that disagree with their item (the use cases never write such rows).
CREATE TEMP TABLE plan_history_0016_check (mismatches INTEGER NOT NULL CHECK (mismatches = 0));
INSERT INTO plan_history_0016_check
    SELECT COUNT(*) FROM plan_history h LEFT JOIN plan_items i ON i.id = h.item_id
    WHERE i.id IS NULL OR h.client_id IS NOT i.client_id OR h.item_kind IS NOT i.kind;
DROP TABLE plan_history_0016_check;

CREATE TABLE plan_history_0016 (
    item_id TEXT NOT NULL REFERENCES plan_items(id),
    version INTEGER NOT NULL CHECK (version >= 1),
    at INTEGER NOT NULL,
    actor_id TEXT NOT NULL REFERENCES users(id),
    actor_role TEXT NOT NULL,
    change TEXT NOT NULL,
    before BLOB,
    after BLOB,
    PRIMARY KEY (item_id, version)
) WITHOUT ROWID;

INSERT INTO plan_history_0016 (item_id, version, at, actor_id, actor_role, change, before, after)
SELECT h.item_id, h.version, h.at, h.actor_id, h.actor_role, h.change, h.before,
       CASE WHEN h.after IS COALESCE(n.before, CASE WHEN i.version = h.version THEN i.data END)
            THEN NULL ELSE h.after END
FROM plan_history h
JOIN plan_items i ON i.id = h.item_id
LEFT JOIN plan_history n ON n.item_id = h.item_id AND n.version = h.version + 1;

DROP TABLE plan_history;
ALTER TABLE plan_history_0016 RENAME TO plan_history;

CREATE TRIGGER plan_history_no_update BEFORE UPDATE ON plan_history
BEGIN SELECT RAISE(ABORT, 'plan_history is append-only'); END;
CREATE TRIGGER plan_history_no_delete BEFORE DELETE ON plan_history
BEGIN SELECT RAISE(ABORT, 'plan_history is append-only'); END;

-- The reminder scan can no longer look into (compressed) documents: `due` holds the due date
-- (the `end`, as `YYYY-MM-DD`) of an open activity (planned or in progress), NULL for every
-- other item, written by the store with each version from the document it is given.
DROP INDEX plan_items_due_to_remind;
ALTER TABLE plan_items ADD COLUMN due TEXT;
UPDATE plan_items SET due = json_extract(data, '$.end')
    WHERE kind = 'activity' AND json_extract(data, '$.status') IN ('planned', 'in-progress');
CREATE INDEX plan_items_due_to_remind ON plan_items(due)
    WHERE due IS NOT NULL AND reminded_due IS NOT due;

-- A client's items by client only (nine bytes less per item); the 29 or so items of a plan
-- are sorted after reading.
DROP INDEX plan_items_client;
CREATE INDEX plan_items_client ON plan_items(client_id);
