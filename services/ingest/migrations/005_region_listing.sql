-- Up Migration
-- The gateway lists transactions newest first within the caller's scope and filters: a region filter (or an
-- analyst limited to one region) walks (region, received_at), a partner's region filter (partner_id, region,
-- received_at), so a page reads its rows in order instead of scanning and sorting a region's whole history.
CREATE INDEX transactions_region_received
  ON ingest.transactions (region, received_at DESC, transaction_id DESC);
CREATE INDEX transactions_partner_region_received
  ON ingest.transactions (partner_id, region, received_at DESC, transaction_id DESC);

-- Down Migration
DROP INDEX ingest.transactions_partner_region_received;
DROP INDEX ingest.transactions_region_received;
