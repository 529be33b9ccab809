import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { DeliveryKind } from '../notifications/notifier.js';
import type { ChannelType } from '../policy/policy.js';

export interface DueDelivery {
  delivery_id: string;
  kind: DeliveryKind;
  channel: ChannelType;
  channel_name: string;
  target: string;
  subject: string;
  payload: object;
  attempts: number;
}

// a claimed row is leased: another replica will not take it until the lease runs out
const claimDue = sql(
  'alerting.claim_due_deliveries',
  `UPDATE alerting.deliveries d SET next_attempt_at = $1::timestamptz + make_interval(secs => $2), attempts = d.attempts + 1
    WHERE d.delivery_id IN (
      SELECT delivery_id FROM alerting.deliveries
       WHERE status = 'pending' AND next_attempt_at <= $1
       ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED)
   RETURNING d.delivery_id::text AS delivery_id, d.kind, d.channel, d.channel_name, d.target, d.subject, d.payload,
             d.attempts`,
);
// the attempt joins the audit trail in the same statement that settles the delivery
const settle = sql(
  'alerting.settle_delivery_attempt',
  `WITH attempt AS (
     INSERT INTO alerting.notification_attempts (delivery_id, attempt, started_at, duration_ms, outcome, status_code, error)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (delivery_id, attempt) DO NOTHING)
   UPDATE alerting.deliveries
      SET status = $8, last_error = $7, next_attempt_at = $9,
          delivered_at = CASE WHEN $8 = 'delivered' THEN $3::timestamptz + make_interval(secs => $4 / 1000.0) END
    WHERE delivery_id = $1`,
);
// the breaker held the attempt back: it does not count, the delivery waits for the endpoint's reset
const defer = sql(
  'alerting.defer_delivery',
  `UPDATE alerting.deliveries SET attempts = attempts - 1, next_attempt_at = $2, last_error = $3 WHERE delivery_id = $1`,
);

export interface AttemptOutcome {
  attempt: number;
  startedAt: Date;
  durationMs: number;
  outcome: 'delivered' | 'failed';
  statusCode?: number;
  error?: string;
  status: 'delivered' | 'pending' | 'failed';
  nextAttemptAt: Date;
}

@Injectable()
export class DeliveriesRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  claimDue(now: Date, leaseSeconds: number, limit: number): Promise<DueDelivery[]> {
    return this.db.query<DueDelivery & Record<string, unknown>>(claimDue, [now, leaseSeconds, limit]);
  }

  async settle(deliveryId: string, outcome: AttemptOutcome): Promise<void> {
    await this.db.query(settle, [
      deliveryId,
      outcome.attempt,
      outcome.startedAt,
      outcome.durationMs,
      outcome.outcome,
      outcome.statusCode ?? null,
      outcome.error ?? null,
      outcome.status,
      outcome.nextAttemptAt,
    ]);
  }

  async defer(deliveryId: string, until: Date, reason: string): Promise<void> {
    await this.db.query(defer, [deliveryId, until, reason]);
  }
}
