-- Raw replay of the statements GET /caseload (the counselor's caseload) sends, for scripts/bench-mixed (PostgreSQL, pgbench -M prepared).
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
SELECT id, name, office_id, assigned_counselor, protected FROM clients
                 WHERE office_id = :office AND ('f' OR NOT protected) AND (NOT 't' OR assigned_counselor = :counselor)
                 ORDER BY name, id;
BEGIN;
SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE \gset a_
WITH RECURSIVE ev AS (
    SELECT u.o, md5(:r::text || '-audit-' || u.o)::uuid AS id, now() AS at, (:counselor)::uuid AS actor_id,
           ('counselor')::text AS actor_role, u.c AS client_id, ('client-list-entry')::text AS data_kind,
           ('viewed')::text AS action, (md5(:r::text || '-1')::uuid)::uuid AS request_id, (NULL)::text AS reason
    FROM unnest(:caseload::uuid[]) WITH ORDINALITY AS u(c, o)
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
SELECT c.id,
                    (SELECT every_days FROM checkins k WHERE k.client_id = c.id) AS every_days,
                    GREATEST((SELECT MAX(last_message_at) FROM threads t WHERE t.client_id = c.id),
                             (SELECT MAX(updated_at) FROM plan_items p WHERE p.client_id = c.id)) AS last_contact
             FROM clients c WHERE c.id = ANY(:caseload);
