-- The audit trail grows only at its head (issue 11). Before this migration a plain INSERT
-- could put a row after the head without moving it: the server's next append then collided
-- with it (every audited request failed) and `audit verify`, which stopped at the head, did
-- not see it. From here on the database itself keeps the head and the last row together.
-- The rules are the same as on PostgreSQL:
--
-- * An INSERT is accepted only if its rows extend the chain from the head: seq head + 1,
--   head + 2, … without gaps, each prev_hash the hash of the row before it (the first one the
--   head's hash), while the head was the last row (its row exists with its hash, nothing lay
--   after it). The same INSERT moves the head onto its last row, so the stores never write the
--   head themselves and a row can never be left after the head.
-- * The head moves only forward, onto the last row of the trail, with that row's hash: no
--   skipping ahead to a seq that does not exist, no other hash. Its one row is never deleted
--   (0002) or replaced.
--
-- Here it is checked row by row (SQLite has only row triggers), and each row moves the head
-- at once, so the next row of the same statement is checked against it. A new row's id must
-- be new as well: INSERT OR REPLACE would otherwise delete the row holding that id without
-- firing the delete trigger; for the same reason the head refuses every INSERT.
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
      AND COALESCE((SELECT max(seq) FROM audit_log), 0) = h.seq
      AND (h.seq = 0 OR EXISTS (SELECT 1 FROM audit_log l WHERE l.seq = h.seq AND l.hash = h.hash))
      AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.id = NEW.id)
)
BEGIN
    SELECT RAISE(ABORT, 'audit_log: new rows must extend the chain from the head (seq = head seq + 1, prev_hash = head hash, and so on)');
END;

CREATE TRIGGER audit_log_moves_the_head AFTER INSERT ON audit_log
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
END;

DROP TRIGGER audit_head_forward_only;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NOT (
    NEW.id = OLD.id
    AND NEW.seq > OLD.seq
    AND EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash)
    AND (SELECT max(seq) FROM audit_log) = NEW.seq
)
BEGIN
    SELECT RAISE(ABORT, 'audit_head only moves forward, onto the last row of the trail with its hash');
END;

CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
BEGIN
    SELECT RAISE(ABORT, 'audit_head only moves forward: its one row is never replaced');
END;
