-- Raw replay of the statements GET /clients/{id} (the counselor opens a client) sends, for scripts/bench-mixed (SQLite, capture.py run-sqlite).
-- Captured by `scripts/bench-mixed --capture` from one request of the measured binary
-- (commit e5db750; the server's sqlx statement log, VENDEPUNKT_LOG=sqlx::query=debug), the visitor's values replaced by
-- variables, fresh ids and times by expressions, and the audit chain hash computed as
-- domain::audit::row_hash does. GENERATED: re-capture (do not edit) whenever the pages'
-- statements change; a normal run re-captures into $BENCH_DATA and says when these differ.
SELECT user_id, created_at, last_seen_at FROM sessions WHERE token_hash = :actor_th;
SELECT organisation_id, username, display_name, disabled FROM users WHERE id = :actor;
SELECT role, office_id FROM role_grants WHERE user_id = :actor;
SELECT office_id FROM protected_access WHERE user_id = :actor;
SELECT id FROM clients WHERE user_id = :actor;
SELECT c.office_id, o.organisation_id, c.assigned_counselor, c.protected FROM clients c JOIN offices o ON o.id = c.office_id WHERE c.id = :client;
SELECT c.name, c.office_id, o.name AS office_name, c.assigned_counselor, u.display_name AS counselor_name, c.protected, c.created_at FROM clients c JOIN offices o ON o.id = c.office_id LEFT JOIN users u ON u.id = c.assigned_counselor WHERE c.id = :client;
SELECT id, client_id, kind, version, created_at, updated_at, data FROM plan_items WHERE client_id = :client ORDER BY created_at, id;
SELECT id, office_id, version, updated_at, data FROM measures WHERE office_id = :office ORDER BY id;
BEGIN IMMEDIATE;
SELECT seq, hash FROM audit_head WHERE id = 1;
--@audit-row seq=:audit_seq	id=:fresh10	at=:now	actor_id=:counselor	actor_role='counselor'	client_id=:client	data_kind='plan'	action='viewed'	request_id=:fresh9	reason=NULL	prev_hash=:audit_prev	hash=:audit_hash
INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash) VALUES (:audit_seq, :fresh10, :now, :counselor, 'counselor', :client, 'plan', 'viewed', :fresh9, NULL, :audit_prev, :audit_hash);
COMMIT;
