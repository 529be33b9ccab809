// Sends queued notifications with retries and backoff. State lives in Postgres, so a restart resumes where it stopped.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import { LOGGER } from '@vigil/runtime';
import type { Logger } from '@vigil/observability';
import { ALERT_SETTINGS, type AlertSettings } from '../alerts/alert-settings.js';

const LEASE_SECONDS = 30;
const POLL_MS = 1_000;

interface DueDelivery {
  delivery_id: string;
  channel: string;
  target: string;
  payload: unknown;
  attempts: number;
}

// a claimed row is leased: another replica will not take it until the lease runs out
const claimDue = sql(
  'alerting.claim_due_deliveries',
  `UPDATE alerting.deliveries d SET next_attempt_at = now() + make_interval(secs => $1), attempts = d.attempts + 1
   WHERE d.delivery_id IN (
     SELECT delivery_id FROM alerting.deliveries
     WHERE status = 'pending' AND next_attempt_at <= now()
     ORDER BY next_attempt_at LIMIT 20 FOR UPDATE SKIP LOCKED)
   RETURNING d.delivery_id, d.channel, d.target, d.payload, d.attempts`,
);
const markDelivered = sql(
  'alerting.mark_delivered',
  `UPDATE alerting.deliveries SET status = 'delivered', delivered_at = now(), last_error = NULL WHERE delivery_id = $1`,
);
const markFailedAttempt = sql(
  'alerting.mark_failed_attempt',
  `UPDATE alerting.deliveries
   SET last_error = $2,
       status = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END,
       next_attempt_at = now() + make_interval(secs => $4)
   WHERE delivery_id = $1`,
);

/** Seconds before attempt n+1: 1, 2, 4, ... capped at 5 minutes. */
export const retryDelaySeconds = (attempts: number): number => Math.min(2 ** (attempts - 1), 300);

@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(ALERT_SETTINGS) private readonly settings: AlertSettings,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** Work was queued: look now rather than at the next poll. */
  kick(): void {
    if (!this.running) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.running = this.runOnce()
        .catch((error: unknown) => this.logger.warn({ error: String(error) }, 'delivery pass failed'))
        .finally(() => {
          this.running = undefined;
          this.schedule(POLL_MS);
        });
    }, delayMs);
  }

  private async runOnce(): Promise<void> {
    for (;;) {
      const due = await this.db.query<DueDelivery>(claimDue, [LEASE_SECONDS]);
      if (due.length === 0 || this.stopped) return;
      await Promise.all(due.map((delivery) => this.deliver(delivery)));
    }
  }

  private async deliver(delivery: DueDelivery): Promise<void> {
    try {
      const response = await fetch(delivery.target, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'vigil-alerting' },
        body: JSON.stringify(delivery.payload),
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) throw new Error(`webhook answered ${response.status}`);
      await this.db.query(markDelivered, [delivery.delivery_id]);
      this.logger.info({ delivery: delivery.delivery_id, attempts: delivery.attempts }, 'alert delivered');
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      await this.db.query(markFailedAttempt, [
        delivery.delivery_id,
        message,
        this.settings.maxDeliveryAttempts,
        retryDelaySeconds(delivery.attempts),
      ]);
      this.logger.warn(
        { delivery: delivery.delivery_id, attempts: delivery.attempts, error: message },
        'alert delivery failed',
      );
    }
  }
}
