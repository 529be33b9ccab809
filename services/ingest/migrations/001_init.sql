-- Up Migration
-- Every accepted record, tokenised, as received: the landing table and the owner of partner scoping.
CREATE TABLE ingest.transactions (
  transaction_id text PRIMARY KEY,
  source         text NOT NULL,
  partner_id     text,
  region         text,
  received_at    timestamptz NOT NULL,
  record         jsonb NOT NULL
);
CREATE INDEX transactions_received ON ingest.transactions (received_at DESC, transaction_id DESC);
CREATE INDEX transactions_partner_received ON ingest.transactions (partner_id, received_at DESC, transaction_id DESC);

-- Idempotency-Key: the first response to a key is replayed for a retried request with the same body.
CREATE TABLE ingest.idempotency_keys (
  principal    text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  response     jsonb,
  created_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (principal, key)
);

-- Down Migration
DROP TABLE ingest.idempotency_keys;
DROP TABLE ingest.transactions;
