-- The audit trail grows only at its head (issue 11). Before this migration a plain INSERT
-- could put a row after the head without moving it: the server's next append then collided
-- with it (every audited request failed) and `audit verify`, which stopped at the head, did
-- not see it. From here on the database itself keeps the head and the last row together.
-- The rules are the same as on SQLite:
--
-- * An INSERT is accepted only if its rows extend the chain from the head: seq head + 1,
--   head + 2, … without gaps, each prev_hash the hash of the row before it (the first one the
--   head's hash), while the head was the last row (its row exists with its hash, nothing lay
--   after it). The same INSERT moves the head onto its last row, so the stores never write the
--   head themselves and a row can never be left after the head.
-- * The head moves only forward, onto the last row of the trail, with that row's hash: no
--   skipping ahead to a seq that does not exist, no other hash. Its one row is never inserted,
--   deleted or truncated (0002).
--
-- Here it is checked once per statement, over the statement's new rows (a transition table),
-- and the head is updated once per statement: updating the one head row once per audit row
-- would leave hundreds of dead versions of it in every transaction that audits a caseload.
-- The stores insert a transaction's rows in one statement. The head row is locked first, so
-- concurrent appenders, and anyone inserting by hand, queue behind each other.
--
-- What is not checked here, as on SQLite: that a row's hash matches its content (a linked
-- row with a wrong hash is accepted and moves the head); `vendepunkt audit verify` names it.
-- Rows already in the table are not touched: an intact chain stays intact.

CREATE FUNCTION audit_log_extends_the_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    head_seq BIGINT;
    head_hash TEXT;
    last_seq BIGINT;
    last_hash TEXT;
BEGIN
    SELECT seq, hash INTO last_seq, last_hash FROM added ORDER BY seq DESC LIMIT 1;
    IF NOT FOUND THEN
        RETURN NULL; -- an INSERT of no rows
    END IF;
    SELECT seq, hash INTO head_seq, head_hash FROM audit_head WHERE id = 1 FOR UPDATE;
    IF EXISTS (
            SELECT 1 FROM (
                SELECT seq, prev_hash,
                       row_number() OVER (ORDER BY seq) AS n,
                       lag(hash) OVER (ORDER BY seq) AS hash_before
                FROM added
            ) a
            WHERE a.seq <> head_seq + a.n
               OR a.prev_hash IS DISTINCT FROM COALESCE(a.hash_before, head_hash))
        -- The new rows are seq head + 1 … last_seq; any other row after the head would have a
        -- higher seq. max(seq) is one step down the primary key.
        OR (SELECT max(seq) FROM audit_log) <> last_seq
        OR (head_seq <> 0 AND NOT EXISTS (
            SELECT 1 FROM audit_log WHERE seq = head_seq AND hash = head_hash))
    THEN
        RAISE EXCEPTION 'audit_log: new rows must extend the chain from the head (seq = head seq + 1, prev_hash = head hash, and so on)';
    END IF;
    UPDATE audit_head SET seq = last_seq, hash = last_hash WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_log_extends_the_chain AFTER INSERT ON audit_log
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_extends_the_chain();

CREATE OR REPLACE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Separate tests: NEW and OLD are not set for DELETE and TRUNCATE.
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit_head only moves forward';
    END IF;
    IF NEW.id <> OLD.id
        OR NEW.seq <= OLD.seq
        OR NOT EXISTS (SELECT 1 FROM audit_log WHERE seq = NEW.seq AND hash = NEW.hash)
        OR (SELECT max(seq) FROM audit_log) <> NEW.seq
    THEN
        RAISE EXCEPTION 'audit_head only moves forward, onto the last row of the trail with its hash';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_no_insert BEFORE INSERT ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
