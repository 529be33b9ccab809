-- Up Migration
-- Every score keeps the feature vector it was computed from, so a training set read back from the scores is
-- point in time: what the scorer knew when it scored, not what is known now. A vector's names are its feature
-- set's, stored once per set.
CREATE TABLE scorer.feature_sets (
  feature_set text PRIMARY KEY,
  names       text[] NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE scorer.scores
  ADD COLUMN features    float8[],
  ADD COLUMN feature_set text REFERENCES scorer.feature_sets (feature_set);
-- training and evaluation read scores by the transactions' time
CREATE INDEX scores_occurred_at ON scorer.scores (occurred_at);

-- Confirmed fraud per entity, for the risk features: a partition owner asks, for the payees and payers of a
-- batch, which of their recent transactions are known to be fraud. Keys are scoped to the partner as account
-- state is (<partner_id>~<account>, or the account alone for a record without a partner).
ALTER TABLE scorer.labels
  ADD COLUMN origin_key text GENERATED ALWAYS AS (
    CASE WHEN partner_id IS NULL THEN origin_account ELSE partner_id || '~' || origin_account END) STORED,
  ADD COLUMN destination_key text GENERATED ALWAYS AS (
    CASE WHEN partner_id IS NULL THEN destination_account ELSE partner_id || '~' || destination_account END) STORED;
CREATE INDEX labels_fraud_by_destination ON scorer.labels (destination_key, occurred_at) WHERE label = 'fraud';
CREATE INDEX labels_fraud_by_origin ON scorer.labels (origin_key, occurred_at) WHERE label = 'fraud';

-- Down Migration
DROP INDEX scorer.labels_fraud_by_origin;
DROP INDEX scorer.labels_fraud_by_destination;
ALTER TABLE scorer.labels DROP COLUMN destination_key, DROP COLUMN origin_key;
DROP INDEX scorer.scores_occurred_at;
ALTER TABLE scorer.scores DROP COLUMN feature_set, DROP COLUMN features;
DROP TABLE scorer.feature_sets;
