-- Raw replay of the statements POST /clients/{id}/messages/{thread} (a message in a thread) sends, for scripts/bench-mixed (SQLite, capture.py run-sqlite).
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
SELECT t.id, t.client_id, t.subject, t.about, t.created_at, t.last_message_at, t.last_author_side, t.no_answer_needed, t.messages, (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id AND m.author_side = 'counselor' AND m.read_at IS NULL) AS unread_for_client, (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id AND m.author_side = 'client' AND m.read_at IS NULL) AS unread_for_counselor FROM threads t WHERE t.id = :thread;
SELECT user_id FROM clients WHERE id = :client;
BEGIN IMMEDIATE;
INSERT INTO messages (id, thread_id, client_id, author_id, author_side, body, sent_at, read_at) VALUES (:fresh1, :thread, :client, :actor, :side, :body, :now, NULL);
DELETE FROM drafts WHERE user_id = :actor AND thread_id = :thread;
UPDATE threads SET last_message_at = :now, last_author_side = :side, messages = messages + 1, no_answer_needed = CASE WHEN :side = 'client' THEN 0 ELSE no_answer_needed END WHERE id = :thread AND client_id = :client;
INSERT INTO live_events (recipient, kind, about, at) VALUES (:client_user, 'message', :thread, :now);
SELECT seq, hash FROM audit_head WHERE id = 1;
--@audit-row seq=:audit_seq	id=:fresh10	at=:now	actor_id=:counselor	actor_role='counselor'	client_id=:client	data_kind='messages'	action='created'	request_id=:fresh9	reason=NULL	prev_hash=:audit_prev	hash=:audit_hash
INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash) VALUES (:audit_seq, :fresh10, :now, :counselor, 'counselor', :client, 'messages', 'created', :fresh9, NULL, :audit_prev, :audit_hash);
COMMIT;
