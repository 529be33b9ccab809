-- Up Migration
-- Alerts from every source, with a lifecycle (acknowledge with note and assignee, resolve, auto-resolve).
ALTER TABLE alerting.alerts
  ADD COLUMN source text NOT NULL DEFAULT 'fraud'
    CHECK (source IN ('fraud', 'data_quality', 'drift', 'business', 'system')),
  ADD COLUMN annotations jsonb NOT NULL DEFAULT '{}',
  ADD COLUMN assignee text,
  ADD COLUMN acknowledged_at timestamptz,
  ADD COLUMN acknowledged_by text,
  ADD COLUMN resolved_at timestamptz,
  ADD COLUMN resolved_by text,
  -- processing time of the latest occurrence: the quiet period for auto-resolution counts from here, not from
  -- the event time of an imported record
  ADD COLUMN last_activity_at timestamptz NOT NULL DEFAULT now(),
  -- alert.raised is published after the alert commits; a sweep publishes what a crash left unpublished
  ADD COLUMN published_at timestamptz;
UPDATE alerting.alerts SET published_at = first_seen;
CREATE INDEX alerts_unpublished ON alerting.alerts (first_seen) WHERE published_at IS NULL;
CREATE INDEX alerts_quiet ON alerting.alerts (last_activity_at) WHERE status <> 'resolved';

-- An occurrence is keyed by what caused it (a transaction id, a drift or anomaly identity, a trigger firing),
-- so a redelivered event counts once.
ALTER TABLE alerting.alert_events ADD COLUMN event_key text;
UPDATE alerting.alert_events SET event_key = transaction_id;
ALTER TABLE alerting.alert_events DROP CONSTRAINT alert_events_pkey;
ALTER TABLE alerting.alert_events
  ALTER COLUMN event_key SET NOT NULL,
  ALTER COLUMN transaction_id DROP NOT NULL,
  ALTER COLUMN score DROP NOT NULL,
  ADD PRIMARY KEY (alert_id, event_key);

-- Every change of an alert: who did what, when, with which note.
CREATE TABLE alerting.alert_history (
  history_id  bigserial PRIMARY KEY,
  alert_id    uuid NOT NULL REFERENCES alerting.alerts (alert_id),
  at          timestamptz NOT NULL,
  action      text NOT NULL
    CHECK (action IN ('opened', 'acknowledged', 'resolved', 'auto_resolved', 'escalated', 'escalation_stopped')),
  actor       text NOT NULL,
  note        text,
  assignee    text,
  from_status text,
  to_status   text
);
CREATE INDEX alert_history_by_alert ON alerting.alert_history (alert_id, history_id);

-- Silences mute notifications for matching alerts between starts_at and ends_at.
CREATE TABLE alerting.silences (
  silence_id uuid PRIMARY KEY,
  matchers   jsonb NOT NULL,
  starts_at  timestamptz NOT NULL,
  ends_at    timestamptz NOT NULL,
  comment    text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expired_by text,
  CHECK (ends_at > starts_at)
);
CREATE INDEX silences_current ON alerting.silences (ends_at);

-- Notification groups (route x group_by values): flushed every group_interval, notifying only when the
-- set of firing or resolved alerts changed or repeat_interval passed.
CREATE TABLE alerting.notification_groups (
  group_key        text PRIMARY KEY,
  route_id         text NOT NULL,
  receiver         text NOT NULL,
  group_labels     jsonb NOT NULL,
  created_at       timestamptz NOT NULL,
  next_flush_at    timestamptz NOT NULL,
  last_notified_at timestamptz
);
CREATE INDEX notification_groups_due ON alerting.notification_groups (next_flush_at);

-- notified: what the receiver was last told about the alert (nothing yet, firing, resolved)
CREATE TABLE alerting.group_members (
  group_key text NOT NULL REFERENCES alerting.notification_groups (group_key) ON DELETE CASCADE,
  alert_id  uuid NOT NULL REFERENCES alerting.alerts (alert_id),
  notified  text NOT NULL DEFAULT 'none' CHECK (notified IN ('none', 'firing', 'resolved')),
  PRIMARY KEY (group_key, alert_id)
);
CREATE INDEX group_members_by_alert ON alerting.group_members (alert_id);

-- Escalation chains as durable timers: a replica claims a due row with FOR UPDATE SKIP LOCKED, queues the
-- step's notifications and moves the timer in the same transaction, so a step is neither lost nor sent twice.
CREATE TABLE alerting.escalations (
  escalation_id bigserial PRIMARY KEY,
  group_key     text NOT NULL,
  receiver      text NOT NULL,
  chain         text NOT NULL,
  step_index    integer NOT NULL DEFAULT 0,
  step_repeat   integer NOT NULL DEFAULT 0,
  next_at       timestamptz NOT NULL,
  status        text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'stopped', 'exhausted')),
  started_at    timestamptz NOT NULL,
  finished_at   timestamptz,
  stop_reason   text
);
CREATE UNIQUE INDEX escalations_one_active ON alerting.escalations (group_key, receiver) WHERE status = 'active';
CREATE INDEX escalations_due ON alerting.escalations (next_at) WHERE status = 'active';

-- Deliveries become notifications of a group, an escalation step or a business trigger; dedup_key makes
-- queuing idempotent.
ALTER TABLE alerting.deliveries
  ALTER COLUMN alert_id DROP NOT NULL,
  ADD COLUMN kind text NOT NULL DEFAULT 'alert' CHECK (kind IN ('alert', 'group', 'escalation', 'trigger')),
  ADD COLUMN channel_name text NOT NULL DEFAULT 'default-webhook',
  ADD COLUMN subject text NOT NULL DEFAULT '',
  ADD COLUMN dedup_key text,
  ADD COLUMN group_key text,
  ADD COLUMN escalation_id bigint REFERENCES alerting.escalations (escalation_id),
  ADD COLUMN step_index integer,
  ADD COLUMN step_repeat integer;
ALTER TABLE alerting.deliveries ADD CONSTRAINT deliveries_channel_check CHECK (channel IN ('webhook', 'email', 'sms'));
CREATE UNIQUE INDEX deliveries_dedup ON alerting.deliveries (dedup_key);
CREATE INDEX deliveries_by_escalation ON alerting.deliveries (escalation_id);

-- Which alerts a notification was about (a group notification names several).
CREATE TABLE alerting.delivery_alerts (
  delivery_id bigint NOT NULL REFERENCES alerting.deliveries (delivery_id),
  alert_id    uuid NOT NULL REFERENCES alerting.alerts (alert_id),
  PRIMARY KEY (delivery_id, alert_id)
);
CREATE INDEX delivery_alerts_by_alert ON alerting.delivery_alerts (alert_id);

-- The audit trail: one row per attempt to send a notification, with its outcome.
CREATE TABLE alerting.notification_attempts (
  attempt_id  bigserial PRIMARY KEY,
  delivery_id bigint NOT NULL REFERENCES alerting.deliveries (delivery_id),
  attempt     integer NOT NULL,
  started_at  timestamptz NOT NULL,
  duration_ms integer NOT NULL,
  outcome     text NOT NULL CHECK (outcome IN ('delivered', 'failed')),
  status_code integer,
  error       text,
  UNIQUE (delivery_id, attempt)
);

-- Demand per interval and dimension value, counted once per transaction (demand_seen remembers it for as
-- long as a redelivery can happen).
CREATE TABLE alerting.demand_seen (
  transaction_id text PRIMARY KEY,
  seen_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX demand_seen_age ON alerting.demand_seen (seen_at);

CREATE TABLE alerting.demand_buckets (
  dimension    text NOT NULL,
  value        text NOT NULL,
  currency     text NOT NULL,
  bucket_start timestamptz NOT NULL,
  count        bigint NOT NULL,
  amount       numeric NOT NULL,
  PRIMARY KEY (dimension, value, bucket_start, currency)
);

-- One row per forecast series: the fitted model, its held-out accuracy, and how far it has been judged.
CREATE TABLE alerting.forecast_series (
  series_id       text PRIMARY KEY,
  dimension       text NOT NULL,
  value           text NOT NULL,
  metric          text NOT NULL CHECK (metric IN ('count', 'amount')),
  currency        text,
  evaluated_until timestamptz,
  model           jsonb,
  fitted_at       timestamptz,
  mape            double precision
);

-- Forecast against actual per interval (actual is NULL for intervals still to come).
CREATE TABLE alerting.forecast_points (
  series_id    text NOT NULL REFERENCES alerting.forecast_series (series_id),
  bucket_start timestamptz NOT NULL,
  actual       double precision,
  forecast     double precision NOT NULL,
  lower_bound  double precision NOT NULL,
  upper_bound  double precision NOT NULL,
  PRIMARY KEY (series_id, bucket_start)
);

-- Per trigger and series: the run of consecutive intervals meeting the condition.
CREATE TABLE alerting.trigger_state (
  trigger_id    text NOT NULL,
  series_id     text NOT NULL,
  run_start     timestamptz,
  run_length    integer NOT NULL DEFAULT 0,
  run_fired     boolean NOT NULL DEFAULT false,
  last_fired_at timestamptz,
  PRIMARY KEY (trigger_id, series_id)
);

-- A trigger fires at most once per run; the unique key holds that across replicas and restarts.
CREATE TABLE alerting.trigger_firings (
  firing_id    bigserial PRIMARY KEY,
  trigger_id   text NOT NULL,
  series_id    text NOT NULL,
  run_start    timestamptz NOT NULL,
  bucket_start timestamptz NOT NULL,
  campaign     text NOT NULL,
  fired_at     timestamptz NOT NULL,
  intervals    jsonb NOT NULL,
  UNIQUE (trigger_id, series_id, run_start)
);

-- Down Migration
DROP TABLE alerting.trigger_firings;
DROP TABLE alerting.trigger_state;
DROP TABLE alerting.forecast_points;
DROP TABLE alerting.forecast_series;
DROP TABLE alerting.demand_buckets;
DROP TABLE alerting.demand_seen;
DROP TABLE alerting.notification_attempts;
DROP TABLE alerting.delivery_alerts;
DROP INDEX alerting.deliveries_by_escalation;
DROP INDEX alerting.deliveries_dedup;
ALTER TABLE alerting.deliveries
  DROP CONSTRAINT deliveries_channel_check,
  DROP COLUMN step_repeat,
  DROP COLUMN step_index,
  DROP COLUMN escalation_id,
  DROP COLUMN group_key,
  DROP COLUMN dedup_key,
  DROP COLUMN subject,
  DROP COLUMN channel_name,
  DROP COLUMN kind;
DELETE FROM alerting.deliveries WHERE alert_id IS NULL;
ALTER TABLE alerting.deliveries ALTER COLUMN alert_id SET NOT NULL;
DROP TABLE alerting.escalations;
DROP TABLE alerting.group_members;
DROP TABLE alerting.notification_groups;
DROP TABLE alerting.silences;
DROP TABLE alerting.alert_history;
DELETE FROM alerting.alert_events WHERE transaction_id IS NULL;
UPDATE alerting.alert_events SET score = 0 WHERE score IS NULL;
ALTER TABLE alerting.alert_events
  DROP CONSTRAINT alert_events_pkey,
  ALTER COLUMN transaction_id SET NOT NULL,
  ALTER COLUMN score SET NOT NULL,
  ADD PRIMARY KEY (alert_id, transaction_id),
  DROP COLUMN event_key;
DROP INDEX alerting.alerts_quiet;
DROP INDEX alerting.alerts_unpublished;
ALTER TABLE alerting.alerts
  DROP COLUMN published_at,
  DROP COLUMN last_activity_at,
  DROP COLUMN resolved_by,
  DROP COLUMN resolved_at,
  DROP COLUMN acknowledged_by,
  DROP COLUMN acknowledged_at,
  DROP COLUMN assignee,
  DROP COLUMN annotations,
  DROP COLUMN source;
