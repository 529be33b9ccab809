// Partner webhooks and their delivery outbox, in the gateway's own schema.
import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import { KeyCipher } from '../auth/key-cipher.js';

export interface WebhookRow {
  webhook_id: string;
  partner_id: string;
  url: string;
  events: string[];
  created_at: string;
}

export interface DueDelivery {
  delivery_id: string;
  event_type: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret: string;
}

/** A sealed secret opens only for the webhook it was sealed for. */
const sealContext = (webhookId: string) => `webhook:${webhookId}`;

const created = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS created_at`;

const insertWebhook = sql(
  'gateway.insert_webhook',
  `INSERT INTO gateway.webhooks (webhook_id, partner_id, url, events, secret_sealed, created_by)
   VALUES ($6, $1, $2, $3, $4, $5)
   RETURNING webhook_id::text, partner_id, url, events, ${created}`,
);

const listWebhooks = sql(
  'gateway.list_webhooks',
  `SELECT webhook_id::text, partner_id, url, events, ${created}
     FROM gateway.webhooks WHERE ($1::text IS NULL OR partner_id = $1) ORDER BY created_at, webhook_id`,
);

const deleteWebhook = sql(
  'gateway.delete_webhook',
  `DELETE FROM gateway.webhooks WHERE webhook_id = $1 AND ($2::text IS NULL OR partner_id = $2) RETURNING 1 AS deleted`,
);

// One delivery per subscribed webhook of the event's partner; a redelivered event adds nothing.
const enqueueDeliveries = sql(
  'gateway.enqueue_webhook_deliveries',
  `INSERT INTO gateway.webhook_deliveries (webhook_id, event_type, event_id, payload)
   SELECT webhook_id, $2, $3, $4 FROM gateway.webhooks WHERE partner_id = $1 AND $2 = ANY(events)
   ON CONFLICT (webhook_id, event_type, event_id) DO NOTHING
   RETURNING delivery_id`,
);

// Claims due deliveries for one attempt: the lease (next_attempt_at pushed out) keeps other replicas off
// them, and an attempt that dies with its process is retried once the lease runs out.
const claimDue = sql(
  'gateway.claim_webhook_deliveries',
  `UPDATE gateway.webhook_deliveries d
      SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)
     FROM gateway.webhooks w
    WHERE w.webhook_id = d.webhook_id
      AND d.delivery_id IN (SELECT delivery_id FROM gateway.webhook_deliveries
                             WHERE status = 'pending' AND next_attempt_at <= now()
                             ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)
   RETURNING d.delivery_id::text, d.event_type, d.payload, d.attempts, w.url, w.webhook_id::text, w.secret_sealed`,
);

const markDelivered = sql(
  'gateway.webhook_delivered',
  `UPDATE gateway.webhook_deliveries
      SET status = 'delivered', delivered_at = now(), last_status_code = $2, last_error = NULL
    WHERE delivery_id = $1`,
);

const markAttemptFailed = sql(
  'gateway.webhook_attempt_failed',
  `UPDATE gateway.webhook_deliveries
      SET status = CASE WHEN $4 THEN 'failed' ELSE 'pending' END,
          next_attempt_at = now() + make_interval(secs => $5),
          last_status_code = $2, last_error = $3
    WHERE delivery_id = $1`,
);

export interface DeliveryRow {
  delivery_id: string;
  event_type: string;
  event_id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  last_status_code: number | null;
  last_error: string | null;
  next_attempt_at: string | null;
  delivered_at: string | null;
  created_at: string;
}

const utc = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

// The webhook must be in the caller's scope; an unknown and a foreign webhook both give no rows.
const listDeliveries = sql(
  'gateway.list_webhook_deliveries',
  `SELECT d.delivery_id::text, d.event_type, d.event_id, d.status, d.attempts, d.last_status_code, d.last_error,
          CASE WHEN d.status = 'pending' THEN ${utc('d.next_attempt_at')} END AS next_attempt_at,
          ${utc('d.delivered_at')} AS delivered_at, ${utc('d.created_at')} AS created_at
     FROM gateway.webhook_deliveries d
     JOIN gateway.webhooks w ON w.webhook_id = d.webhook_id
    WHERE d.webhook_id = $1 AND ($2::text IS NULL OR w.partner_id = $2)
    ORDER BY d.created_at DESC, d.delivery_id DESC
    LIMIT $3`,
);

const webhookInScope = sql(
  'gateway.webhook_in_scope',
  `SELECT 1 AS found FROM gateway.webhooks WHERE webhook_id = $1 AND ($2::text IS NULL OR partner_id = $2)`,
);

@Injectable()
export class WebhooksRepository {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(KeyCipher) private readonly cipher: KeyCipher,
  ) {}

  async insert(webhook: {
    partnerId: string;
    url: string;
    events: string[];
    secret: string;
    createdBy: string;
  }): Promise<WebhookRow> {
    const webhookId = randomUUID();
    const [row] = await this.db.query<WebhookRow>(insertWebhook, [
      webhook.partnerId,
      webhook.url,
      webhook.events,
      this.cipher.seal(webhook.secret, sealContext(webhookId)),
      webhook.createdBy,
      webhookId,
    ]);
    return row!;
  }

  list(partnerId: string | null): Promise<WebhookRow[]> {
    return this.db.query<WebhookRow>(listWebhooks, [partnerId]);
  }

  async delete(webhookId: string, partnerId: string | null): Promise<boolean> {
    return (await this.db.query(deleteWebhook, [webhookId, partnerId])).length > 0;
  }

  async inScope(webhookId: string, partnerId: string | null): Promise<boolean> {
    return (await this.db.query(webhookInScope, [webhookId, partnerId])).length > 0;
  }

  deliveries(webhookId: string, partnerId: string | null, limit: number): Promise<DeliveryRow[]> {
    return this.db.query<DeliveryRow>(listDeliveries, [webhookId, partnerId, limit]);
  }

  async enqueue(partnerId: string, eventType: string, eventId: string, payload: unknown): Promise<number> {
    const rows = await this.db.query(enqueueDeliveries, [
      partnerId,
      eventType,
      eventId,
      JSON.stringify(payload),
    ]);
    return rows.length;
  }

  async claimDue(limit: number, leaseSeconds: number): Promise<DueDelivery[]> {
    const rows = await this.db.query<
      Omit<DueDelivery, 'secret'> & { webhook_id: string; secret_sealed: string }
    >(claimDue, [limit, leaseSeconds]);
    return rows.map(({ webhook_id: webhookId, secret_sealed: sealed, ...delivery }) => ({
      ...delivery,
      secret: this.cipher.open(sealed, sealContext(webhookId)),
    }));
  }

  async delivered(deliveryId: string, statusCode: number): Promise<void> {
    await this.db.query(markDelivered, [deliveryId, statusCode]);
  }

  async attemptFailed(
    deliveryId: string,
    failure: { statusCode: number | null; error: string; final: boolean; retryInSeconds: number },
  ): Promise<void> {
    await this.db.query(markAttemptFailed, [
      deliveryId,
      failure.statusCode,
      failure.error,
      failure.final,
      failure.retryInSeconds,
    ]);
  }
}
