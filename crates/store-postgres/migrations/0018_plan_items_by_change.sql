-- The caseload's contact status asks, for every listed client, when its plan last changed
-- (issue 13). Indexed by (client, last change), that is one index entry per client instead
-- of every plan item's row. The same index serves the plan read's filter by client (which
-- sorts its few items itself), so it replaces the index by (client, creation): no more
-- index space per client than before. Same version as the other store's 0018 (the parity
-- test checks).
CREATE INDEX plan_items_client_changed ON plan_items(client_id, updated_at);
DROP INDEX IF EXISTS plan_items_client;
