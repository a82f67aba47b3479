-- The audit trail grows only at its head (issue 11). Before this migration a plain INSERT
-- could put a row after the head without moving it: the server's next append then collided
-- with it (every audited request failed) and `audit verify`, which stopped at the head, did
-- not see it. From here on the database itself keeps the head and the last row together:
--
-- * audit_log_extends_the_chain: a row is accepted only as the next link after the head —
--   seq = head seq + 1, prev_hash = head hash — while the head is the last row (its row
--   exists with its hash, nothing lies after it) and its id is new (INSERT OR REPLACE would
--   otherwise delete the row holding that id without firing the delete trigger).
-- * audit_log_moves_the_head: the same INSERT moves the head onto the new row, so the stores
--   never write the head themselves and a row can never be left after the head.
-- * audit_head_forward_only (replacing 0002's): the head moves one row forward at a time and
--   only onto the row that links to it; no skipping ahead, no other hash. The head's one row
--   is never replaced either (INSERT OR REPLACE on it would bypass the update trigger).
--
-- What SQL cannot check here: SQLite has no SHA-256, so a linked row whose hash does not
-- match its content is accepted (and moves the head); `vendepunkt audit verify` names it.
-- Rows already in the table are not touched: an intact chain stays intact.

CREATE TRIGGER audit_log_extends_the_chain BEFORE INSERT ON audit_log
WHEN NOT EXISTS (
    SELECT 1 FROM audit_head h
    WHERE h.id = 1
      AND NEW.seq = h.seq + 1
      AND NEW.prev_hash = h.hash
      AND (h.seq = 0 OR EXISTS (SELECT 1 FROM audit_log l WHERE l.seq = h.seq AND l.hash = h.hash))
      AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.seq > h.seq)
      AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.id = NEW.id)
)
BEGIN
    SELECT RAISE(ABORT, 'audit_log only accepts the row that extends the chain (seq = head seq + 1, prev_hash = head hash)');
END;

CREATE TRIGGER audit_log_moves_the_head AFTER INSERT ON audit_log
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
END;

DROP TRIGGER audit_head_forward_only;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NOT (
    NEW.id = OLD.id
    AND NEW.seq = OLD.seq + 1
    AND EXISTS (
        SELECT 1 FROM audit_log
        WHERE seq = NEW.seq AND hash = NEW.hash AND prev_hash = OLD.hash
    )
)
BEGIN
    SELECT RAISE(ABORT, 'audit_head only moves forward, one row at a time, onto the row that extends the chain');
END;

CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head only moves forward: its one row is never replaced');
END;
