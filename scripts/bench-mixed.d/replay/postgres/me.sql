-- Raw replay of the statements GET /me (the client's own plan) sends, for scripts/bench-mixed (PostgreSQL, pgbench -M prepared).
-- Captured by `scripts/bench-mixed --capture` from one request of the measured binary
-- (commit e5db750; log_statement = 'all'), the visitor's values replaced by
-- variables, fresh ids and times by expressions, and the audit chain hash computed as
-- domain::audit::row_hash does. GENERATED: re-capture (do not edit) whenever the pages'
-- statements change; a normal run re-captures into $BENCH_DATA and says when these differ.
\set i random(1, :visitors)
\set r random(1, 1000000000000000)
SELECT client, client_user, counselor, thread, client_th, counselor_th, office, organisation, caseload FROM bench_mixed_visitors WHERE n = :i \gset
SELECT user_id, created_at, last_seen_at FROM sessions WHERE token_hash = :client_th;
SELECT organisation_id, username, display_name, disabled FROM users WHERE id = :client_user;
SELECT role, office_id FROM role_grants WHERE user_id = :client_user;
SELECT office_id FROM protected_access WHERE user_id = :client_user;
SELECT id FROM clients WHERE user_id = :client_user;
SELECT c.office_id, o.organisation_id, c.assigned_counselor, c.protected
             FROM clients c JOIN offices o ON o.id = c.office_id WHERE c.id = :client;
BEGIN;
SELECT c.name, c.office_id, o.name AS office_name, c.assigned_counselor, u.display_name AS counselor_name,
                    c.protected, c.created_at
             FROM clients c JOIN offices o ON o.id = c.office_id
             LEFT JOIN users u ON u.id = c.assigned_counselor
             WHERE c.id = :client;
SELECT id, client_id, kind, version, created_at, updated_at, data FROM plan_items
             WHERE client_id = :client ORDER BY created_at, id;
SELECT id, office_id, version, updated_at, data FROM measures
             WHERE office_id = :office ORDER BY id;
COMMIT;
SELECT c.office_id, o.organisation_id, c.assigned_counselor, c.protected
             FROM clients c JOIN offices o ON o.id = c.office_id WHERE c.id = :client;
SELECT id, client_id, office_id, team_id, counselor_id, quarter,
    reason, meeting_id, invited_at, state, closed_at FROM feedback_invitations WHERE client_id = :client ORDER BY invited_at DESC, id DESC LIMIT '100';
BEGIN;
SELECT id, client_id, proposed_by, proposed_by_user, starts_at, duration_minutes,
        mode, place, purpose, status, answer_by, version, created_at, updated_at
    FROM meetings WHERE client_id = :client ORDER BY starts_at, id LIMIT 500;
COMMIT;
BEGIN;
SELECT id, client_id, author_id, office_id, team_id, counselor_id,
    instrument_id, instrument_version, meeting_id, quarter, answered_at, changeable_until,
    shared_with_counselor, theme_relation, theme_reciprocity, theme_choices, theme_time,
    theme_knowledge, theme_knowledge_sharing, answers::text AS answers FROM feedback_responses WHERE client_id = :client AND (NOT 'f' OR shared_with_counselor)
             ORDER BY answered_at, id LIMIT 1000;
COMMIT;
