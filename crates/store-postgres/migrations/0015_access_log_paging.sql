-- The client's access log, paged (issue 11): openings, prints and changes are read by
-- (client, seq) without wading through list views, and list views are grouped per actor and
-- day from their own index. Same version as the other store's 0015 (the parity test checks).
CREATE INDEX audit_log_client_openings ON audit_log(client_id, seq)
    WHERE data_kind <> 'client-list-entry';
CREATE INDEX audit_log_client_list_views ON audit_log(client_id, seq)
    WHERE data_kind = 'client-list-entry';
