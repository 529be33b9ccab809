-- Up Migration
-- Each time a quarantined record is sent through again: its attempt number makes the message id of that
-- replay (<transaction id>:replay:<attempt>), so JetStream does not take it for the first submission.
CREATE TABLE ingest.replays (
  transaction_id text NOT NULL,
  attempt        integer NOT NULL,
  requested_by   text NOT NULL,
  requested_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (transaction_id, attempt)
);

-- Down Migration
DROP TABLE ingest.replays;
