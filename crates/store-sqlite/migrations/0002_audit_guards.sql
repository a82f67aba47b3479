-- The head of the audit chain only moves forward and is never removed, so resetting it
-- (to hide rows deleted from the end) needs the triggers dropped first, like editing a row.

CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
WHEN NEW.seq < OLD.seq OR NEW.id <> OLD.id
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;

CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN SELECT RAISE(ABORT, 'audit_head only moves forward'); END;
