-- Up Migration
-- The verdict on every record: valid (reasons are warnings) or quarantined (reasons are the errors).
CREATE TABLE validator.results (
  transaction_id   text PRIMARY KEY,
  status           text NOT NULL CHECK (status IN ('valid', 'quarantined')),
  reasons          jsonb NOT NULL DEFAULT '[]',
  rule_set_version text NOT NULL,
  source           text,
  partner_id       text,
  region           text,
  validated_at     timestamptz NOT NULL
);
CREATE INDEX results_quarantined ON validator.results (validated_at DESC) WHERE status = 'quarantined';

-- Quarantined records themselves, kept for inspection and replay after a fix.
CREATE TABLE validator.quarantine (
  transaction_id text PRIMARY KEY,
  record         jsonb NOT NULL,
  reasons        jsonb NOT NULL,
  source         text,
  partner_id     text,
  quarantined_at timestamptz NOT NULL
);

-- Down Migration
DROP TABLE validator.quarantine;
DROP TABLE validator.results;
