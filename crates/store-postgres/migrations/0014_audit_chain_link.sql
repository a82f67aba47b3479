-- The audit trail grows only at its head (issue 11). Before this migration a plain INSERT
-- could put a row after the head without moving it: the server's next append then collided
-- with it (every audited request failed) and `audit verify`, which stopped at the head, did
-- not see it. From here on the database itself keeps the head and the last row together:
--
-- * audit_log_extends_the_chain (BEFORE INSERT): a row is accepted only as the next link
--   after the head — seq = head seq + 1, prev_hash = head hash — while the head is the last
--   row (its row exists with its hash, nothing lies after it). The head row is locked first,
--   so concurrent appenders, and anyone inserting by hand, queue behind each other.
-- * audit_log_moves_the_head (AFTER INSERT): the same INSERT moves the head onto the new
--   row, so the stores never write the head themselves and a row can never be left after the
--   head. Row-level AFTER triggers run at the end of their statement, so a multi-row INSERT
--   is refused from its second row on: the stores insert one row per statement.
-- * audit_head_forward_only (the function of 0002's triggers, replaced): the head moves one
--   row forward at a time and only onto the row that links to it; no skipping ahead, no
--   other hash. Its one row is never inserted, deleted or truncated.
--
-- What is not checked here, as on SQLite: that a row's hash matches its content (a linked
-- row with a wrong hash is accepted and moves the head); `vendepunkt audit verify` names it.
-- Rows already in the table are not touched: an intact chain stays intact.

CREATE FUNCTION audit_log_extends_the_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq BIGINT;
    head_hash TEXT;
BEGIN
    SELECT seq, hash INTO head_seq, head_hash FROM audit_head WHERE id = 1 FOR UPDATE;
    IF NEW.seq IS DISTINCT FROM head_seq + 1
        OR NEW.prev_hash IS DISTINCT FROM head_hash
        OR (head_seq <> 0 AND NOT EXISTS (
            SELECT 1 FROM audit_log WHERE seq = head_seq AND hash = head_hash))
        OR EXISTS (SELECT 1 FROM audit_log WHERE seq > head_seq)
    THEN
        RAISE EXCEPTION 'audit_log only accepts the row that extends the chain (seq = head seq + 1, prev_hash = head hash)';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_log_extends_the_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_extends_the_chain();

CREATE FUNCTION audit_log_moves_the_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_log_moves_the_head AFTER INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_moves_the_head();

CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Separate tests: NEW and OLD are not set for DELETE and TRUNCATE.
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit_head only moves forward';
    END IF;
    IF NEW.id <> OLD.id
        OR NEW.seq IS DISTINCT FROM OLD.seq + 1
        OR NOT EXISTS (
            SELECT 1 FROM audit_log
            WHERE seq = NEW.seq AND hash = NEW.hash AND prev_hash = OLD.hash)
    THEN
        RAISE EXCEPTION 'audit_head only moves forward, one row at a time, onto the row that extends the chain';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
