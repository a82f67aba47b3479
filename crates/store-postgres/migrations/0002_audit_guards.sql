-- The head of the audit chain only moves forward and is never removed, so resetting it
-- (to hide rows deleted from the end) needs the triggers disabled first, like editing a row.
-- Row triggers do not fire on TRUNCATE, so TRUNCATE gets its own statement triggers.

CREATE FUNCTION audit_head_forward_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Separate tests: NEW and OLD are not set for DELETE and TRUNCATE.
    IF TG_OP <> 'UPDATE' THEN
        RAISE EXCEPTION 'audit_head only moves forward';
    END IF;
    IF NEW.seq < OLD.seq OR NEW.id <> OLD.id THEN
        RAISE EXCEPTION 'audit_head only moves forward';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE OR DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_forward_only();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_head_forward_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
