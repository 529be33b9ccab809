-- Up Migration
-- Partner webhooks: where to POST which events, and the secret that signs them (HMAC-SHA256).
CREATE TABLE gateway.webhooks (
  webhook_id  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partner_id  text NOT NULL,
  url         text NOT NULL,
  events      text[] NOT NULL CHECK (cardinality(events) > 0),
  -- every delivery is signed with it, so it cannot be hashed: it is sealed (AES-256-GCM under a key derived
  -- from JWT_SECRET, bound to this webhook_id) and shown to the partner only once, at registration
  secret_sealed text NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_partner ON gateway.webhooks (partner_id, created_at);

-- One row per (webhook, event): an outbox the dispatcher works through, with the outcome of each attempt.
CREATE TABLE gateway.webhook_deliveries (
  delivery_id      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  webhook_id       uuid NOT NULL REFERENCES gateway.webhooks ON DELETE CASCADE,
  event_type       text NOT NULL,
  event_id         text NOT NULL,
  payload          jsonb NOT NULL,
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_status_code integer,
  last_error       text,
  delivered_at     timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (webhook_id, event_type, event_id)
);
CREATE INDEX webhook_deliveries_due ON gateway.webhook_deliveries (next_attempt_at) WHERE status = 'pending';

-- Down Migration
DROP TABLE gateway.webhook_deliveries;
DROP TABLE gateway.webhooks;
