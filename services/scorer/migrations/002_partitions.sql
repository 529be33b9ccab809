-- Up Migration
-- Account-partitioned scoring: per-account state, partition offsets with fencing epochs, and the join
-- of feature halves computed in two partitions.

-- The per-account state of rules-1 is replaced by account_state below.
DROP TABLE scorer.inbound_transfers;

ALTER TABLE scorer.scores
  ADD COLUMN decision       text NOT NULL DEFAULT 'approve' CHECK (decision IN ('approve', 'review', 'block')),
  ADD COLUMN policy_version integer NOT NULL DEFAULT 0,
  ADD COLUMN shadow         jsonb;
ALTER TABLE scorer.scores ALTER COLUMN decision DROP DEFAULT, ALTER COLUMN policy_version DROP DEFAULT;

-- Where each partition's owner has got to in the validated stream, committed with the results of the
-- messages up to it. `epoch` fences a replica that lost its lease: it can no longer commit.
CREATE TABLE scorer.partitions (
  partition  integer PRIMARY KEY,
  epoch      bigint NOT NULL,
  last_seq   bigint NOT NULL DEFAULT 0,
  owner      text NOT NULL,
  claimed_at timestamptz NOT NULL
);

-- One row per account, written in the same transaction as the partition offset that includes it.
CREATE TABLE scorer.account_state (
  account    text PRIMARY KEY,
  state      jsonb NOT NULL,
  updated_at timestamptz NOT NULL
);

-- A transaction whose origin and destination live in different partitions is scored when the second
-- half of its features arrives; the first half waits here.
CREATE TABLE scorer.feature_halves (
  transaction_id text PRIMARY KEY,
  origin         jsonb,
  destination    jsonb,
  created_at     timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE scorer.feature_halves;
DROP TABLE scorer.account_state;
DROP TABLE scorer.partitions;
ALTER TABLE scorer.scores DROP COLUMN shadow, DROP COLUMN policy_version, DROP COLUMN decision;
CREATE TABLE scorer.inbound_transfers (
  account        text NOT NULL,
  transaction_id text NOT NULL,
  amount         numeric(22, 4) NOT NULL,
  occurred_at    timestamptz NOT NULL,
  PRIMARY KEY (account, transaction_id)
);
CREATE INDEX inbound_transfers_recent ON scorer.inbound_transfers (account, occurred_at DESC);
