-- Up Migration
-- An alert per fingerprint while it is open; repeats of the same condition add occurrences, not alerts.
CREATE TABLE alerting.alerts (
  alert_id    uuid PRIMARY KEY,
  fingerprint text NOT NULL,
  name        text NOT NULL,
  severity    text NOT NULL CHECK (severity IN ('critical', 'warning', 'info')),
  summary     text NOT NULL,
  labels      jsonb NOT NULL,
  status      text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'acknowledged', 'resolved')),
  region      text,
  partner_id  text,
  opened_by   text NOT NULL,
  occurrences integer NOT NULL DEFAULT 0,
  first_seen  timestamptz NOT NULL,
  last_seen   timestamptz NOT NULL
);
CREATE UNIQUE INDEX alerts_one_open_per_fingerprint ON alerting.alerts (fingerprint) WHERE status <> 'resolved';
CREATE INDEX alerts_recent ON alerting.alerts (last_seen DESC, alert_id DESC);

-- What caused each occurrence; the primary key makes a redelivered score count once.
CREATE TABLE alerting.alert_events (
  alert_id       uuid NOT NULL REFERENCES alerting.alerts (alert_id),
  transaction_id text NOT NULL,
  score          numeric(5, 4) NOT NULL,
  occurred_at    timestamptz NOT NULL,
  PRIMARY KEY (alert_id, transaction_id)
);

-- Durable notification attempts: retried with backoff across restarts, every attempt recorded.
CREATE TABLE alerting.deliveries (
  delivery_id     bigserial PRIMARY KEY,
  alert_id        uuid NOT NULL REFERENCES alerting.alerts (alert_id),
  channel         text NOT NULL,
  target          text NOT NULL,
  payload         jsonb NOT NULL,
  status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts        integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  delivered_at    timestamptz,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_due ON alerting.deliveries (next_attempt_at) WHERE status = 'pending';

-- Down Migration
DROP TABLE alerting.deliveries;
DROP TABLE alerting.alert_events;
DROP TABLE alerting.alerts;
