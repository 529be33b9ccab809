-- Up Migration
-- One risk score per transaction, with the reason codes behind it.
CREATE TABLE scorer.scores (
  transaction_id      text PRIMARY KEY,
  score               numeric(5, 4) NOT NULL CHECK (score BETWEEN 0 AND 1),
  reasons             jsonb NOT NULL,
  model_version       text NOT NULL,
  type                text NOT NULL,
  amount              numeric(22, 4) NOT NULL,
  currency            text NOT NULL,
  region              text NOT NULL,
  partner_id          text,
  origin_account      text NOT NULL,
  destination_account text,
  occurred_at         timestamptz NOT NULL,
  scored_at           timestamptz NOT NULL
);
CREATE INDEX scores_high_risk ON scorer.scores (scored_at DESC) WHERE score >= 0.5;

-- Per-account state: money recently received by transfer, to recognise TRANSFER followed by CASH_OUT.
CREATE TABLE scorer.inbound_transfers (
  account        text NOT NULL,
  transaction_id text NOT NULL,
  amount         numeric(22, 4) NOT NULL,
  occurred_at    timestamptz NOT NULL,
  PRIMARY KEY (account, transaction_id)
);
CREATE INDEX inbound_transfers_recent ON scorer.inbound_transfers (account, occurred_at DESC);

-- Down Migration
DROP TABLE scorer.inbound_transfers;
DROP TABLE scorer.scores;
