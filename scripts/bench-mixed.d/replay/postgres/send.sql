-- Raw replay of the statements POST /clients/{id}/messages/{thread} (a message in a thread) sends, for scripts/bench-mixed (PostgreSQL, pgbench -M prepared).
-- Captured by `scripts/bench-mixed --capture` from one request of the measured binary
-- (commit e5db750; log_statement = 'all'), the visitor's values replaced by
-- variables, fresh ids and times by expressions, and the audit chain hash computed as
-- domain::audit::row_hash does. GENERATED: re-capture (do not edit) whenever the pages'
-- statements change; a normal run re-captures into $BENCH_DATA and says when these differ.
\set i random(1, :visitors)
\set r random(1, 1000000000000000)
SELECT client, client_user, counselor, thread, client_th, counselor_th, office, organisation, caseload FROM bench_mixed_visitors WHERE n = :i \gset
SELECT user_id, created_at, last_seen_at FROM sessions WHERE token_hash = :counselor_th;
SELECT organisation_id, username, display_name, disabled FROM users WHERE id = :counselor;
SELECT role, office_id FROM role_grants WHERE user_id = :counselor;
SELECT office_id FROM protected_access WHERE user_id = :counselor;
SELECT id FROM clients WHERE user_id = :counselor;
SELECT c.office_id, o.organisation_id, c.assigned_counselor, c.protected
             FROM clients c JOIN offices o ON o.id = c.office_id WHERE c.id = :client;
SELECT t.id, t.client_id, t.subject, t.about, t.created_at, t.last_message_at,
        t.last_author_side, t.no_answer_needed, t.messages,
        (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id AND m.author_side = 'counselor' AND m.read_at IS NULL) AS unread_for_client,
        (SELECT COUNT(*) FROM messages m WHERE m.thread_id = t.id AND m.author_side = 'client' AND m.read_at IS NULL) AS unread_for_counselor
    FROM threads t WHERE t.id = :thread;
SELECT user_id FROM clients WHERE id = :client;
BEGIN;
INSERT INTO messages (id, thread_id, client_id, author_id, author_side, body, sent_at, read_at)
         VALUES (md5(:r::text || '-1')::uuid, :thread, :client, :counselor, 'counselor', 'Takk, da sees vi på torsdag.', now(), NULL);
DELETE FROM drafts WHERE user_id = :counselor AND thread_id = :thread;
UPDATE threads SET last_message_at = now(), last_author_side = 'counselor', messages = messages + 1,
                no_answer_needed = CASE WHEN 'counselor'::text = 'client' THEN FALSE ELSE no_answer_needed END
         WHERE id = :thread AND client_id = :client;
INSERT INTO live_events (recipient, kind, about, at) VALUES (:client_user, 'message', :thread, now());
SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE \gset a_
WITH RECURSIVE ev AS (
    SELECT u.o, md5(:r::text || '-audit-' || u.o)::uuid AS id, now() AS at, (:counselor)::uuid AS actor_id,
           ('counselor')::text AS actor_role, u.c AS client_id, ('messages')::text AS data_kind,
           ('created')::text AS action, (md5(:r::text || '-2')::uuid)::uuid AS request_id, (NULL)::text AS reason
    FROM unnest(ARRAY[:client]::uuid[]) WITH ORDINALITY AS u(c, o)
), chain AS (
    SELECT 0::bigint AS o, (:a_seq)::bigint AS seq, NULL::text AS prev_hash, (:a_hash)::text AS hash
    UNION ALL
    SELECT ev.o, chain.seq + 1, chain.hash, encode(sha256(convert_to(chain.hash || chr(31) || (chain.seq + 1)::text || chr(31) || (ev.id)::text || chr(31) || (extract(epoch from (ev.at)) * 1000000)::bigint::text || chr(31) || (ev.actor_id)::text || chr(31) || (ev.actor_role)::text || chr(31) || (ev.client_id)::text || chr(31) || (ev.data_kind)::text || chr(31) || (ev.action)::text || chr(31) || (ev.request_id)::text || chr(31) || coalesce((ev.reason)::text, '') || chr(31), 'UTF8')), 'hex')
    FROM chain JOIN ev ON ev.o = chain.o + 1
), ins AS (
    INSERT INTO audit_log (seq, id, at, actor_id, actor_role, client_id, data_kind, action, request_id, reason, prev_hash, hash)
    SELECT chain.seq, ev.id, ev.at, ev.actor_id, ev.actor_role, ev.client_id, ev.data_kind, ev.action,
           ev.request_id, ev.reason, chain.prev_hash, chain.hash
    FROM chain JOIN ev ON ev.o = chain.o
    RETURNING seq, hash
)
SELECT seq AS a_last_seq, hash AS a_last_hash FROM ins ORDER BY seq DESC LIMIT 1 \gset
COMMIT;
SELECT pg_notify('vendepunkt_live', :client_user);
