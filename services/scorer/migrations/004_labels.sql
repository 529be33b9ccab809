-- Up Migration
-- Fraud labels from analysts, fraud-ops and partners (chargebacks), stored from the label.recorded events.
-- Every label is kept in label_history; labels holds the current one per transaction: the latest by labelled_at.

CREATE TABLE scorer.label_history (
  transaction_id      text NOT NULL,
  labelled_at         timestamptz NOT NULL,
  labelled_by         text NOT NULL,
  labelled_by_kind    text NOT NULL,
  labelled_by_role    text NOT NULL,
  label               text NOT NULL CHECK (label IN ('fraud', 'legitimate')),
  source              text NOT NULL,
  note                text,
  partner_id          text,
  region              text NOT NULL,
  occurred_at         timestamptz NOT NULL,
  origin_account      text NOT NULL,
  destination_account text,
  merchant_id         text,
  card_token          text,
  stream_seq          bigint NOT NULL,
  recorded_at         timestamptz NOT NULL DEFAULT now(),
  -- one label per transaction, instant and principal: the event's message id, so a redelivery is stored once
  PRIMARY KEY (transaction_id, labelled_at, labelled_by)
);

CREATE TABLE scorer.labels (
  transaction_id      text PRIMARY KEY,
  label               text NOT NULL CHECK (label IN ('fraud', 'legitimate')),
  source              text NOT NULL,
  note                text,
  labelled_at         timestamptz NOT NULL,
  labelled_by         text NOT NULL,
  labelled_by_kind    text NOT NULL,
  labelled_by_role    text NOT NULL,
  partner_id          text,
  region              text NOT NULL,
  occurred_at         timestamptz NOT NULL,
  origin_account      text NOT NULL,
  destination_account text,
  merchant_id         text,
  card_token          text,
  -- how many labels the transaction has had, this one included
  versions            integer NOT NULL DEFAULT 1
);
-- training sets and backtests read labels by the transactions' time
CREATE INDEX labels_occurred_at ON scorer.labels (occurred_at);

-- Down Migration
DROP TABLE scorer.labels;
DROP TABLE scorer.label_history;
