-- Up Migration
-- A decision made synchronously (POST /v1/decisions) by the owner of the paying account's partition, kept until
-- the stream stores the transaction's score: the commit that stores it takes this decision instead of its own
-- computation and deletes the row, so the stored score is the one the caller was given, once. Both sides lock
-- the transaction id (pg_advisory_xact_lock) first, so a decision either finds the stored score or is found.
CREATE TABLE scorer.decisions (
  transaction_id text PRIMARY KEY,
  decision       jsonb NOT NULL,
  features       float8[],
  decided_at     timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE scorer.decisions;
