-- Up Migration
-- Refused requests are counted, not logged one by one: one row per minute, principal, client address, route,
-- permission, status and reason, with how many there were and when the first and last came. A flood of
-- refusals (a scanner, a client with a revoked key) writes a handful of rows instead of one per request.
CREATE TABLE gateway.access_denial_windows (
  id             bigserial PRIMARY KEY,
  window_start   timestamptz NOT NULL,
  subject        text,
  kind           text,
  role           text,
  method         text NOT NULL,
  -- the route as the router matched it (/v1/transactions/:id), so that made-up paths add no rows
  path           text NOT NULL,
  permission     text,
  status         smallint NOT NULL,
  reason         text NOT NULL,
  remote_address text,
  count          bigint NOT NULL CHECK (count > 0),
  first_seen     timestamptz NOT NULL,
  last_seen      timestamptz NOT NULL,
  -- the request id of the latest refusal counted in the row, to find it in the logs
  request_id     text
);
CREATE UNIQUE INDEX access_denial_windows_key ON gateway.access_denial_windows
  (window_start, subject, kind, role, method, path, permission, status, reason, remote_address) NULLS NOT DISTINCT;
CREATE INDEX access_denial_windows_last_seen ON gateway.access_denial_windows (last_seen DESC);

-- the rows written one per request so far, folded into their windows
INSERT INTO gateway.access_denial_windows
  (window_start, subject, kind, role, method, path, permission, status, reason, remote_address,
   count, first_seen, last_seen, request_id)
SELECT date_trunc('minute', at), subject, kind, role, method, path, permission, status, reason, remote_address,
       count(*), min(at), max(at), (array_agg(request_id ORDER BY at DESC, id DESC))[1]
  FROM gateway.access_denials
 GROUP BY 1, subject, kind, role, method, path, permission, status, reason, remote_address
 ORDER BY min(id);
DROP TABLE gateway.access_denials;
ALTER TABLE gateway.access_denial_windows RENAME TO access_denials;
ALTER INDEX gateway.access_denial_windows_key RENAME TO access_denials_key;
ALTER INDEX gateway.access_denial_windows_last_seen RENAME TO access_denials_last_seen;
ALTER SEQUENCE gateway.access_denial_windows_id_seq RENAME TO access_denials_id_seq;
ALTER INDEX gateway.access_denial_windows_pkey RENAME TO access_denials_pkey;

-- Revocation: every replica reads the clients and token families revoked lately, every few seconds.
CREATE INDEX refresh_tokens_revoked_at ON gateway.refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX oauth_clients_revoked_at ON gateway.oauth_clients (revoked_at) WHERE revoked_at IS NOT NULL;

-- Down Migration
DROP INDEX gateway.oauth_clients_revoked_at;
DROP INDEX gateway.refresh_tokens_revoked_at;
ALTER TABLE gateway.access_denials RENAME TO access_denial_windows;
ALTER INDEX gateway.access_denials_pkey RENAME TO access_denial_windows_pkey;
ALTER SEQUENCE gateway.access_denials_id_seq RENAME TO access_denial_windows_id_seq;
CREATE TABLE gateway.access_denials (
  id             bigserial PRIMARY KEY,
  at             timestamptz NOT NULL DEFAULT now(),
  subject        text,
  kind           text,
  role           text,
  method         text NOT NULL,
  path           text NOT NULL,
  permission     text,
  status         smallint NOT NULL,
  reason         text NOT NULL,
  remote_address text,
  request_id     text
);
CREATE INDEX access_denials_at ON gateway.access_denials (at DESC);
INSERT INTO gateway.access_denials (at, subject, kind, role, method, path, permission, status, reason, remote_address, request_id)
SELECT last_seen, subject, kind, role, method, path, permission, status, reason, remote_address, request_id
  FROM gateway.access_denial_windows ORDER BY id;
DROP TABLE gateway.access_denial_windows;
