import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';

export interface AlertCandidate {
  fingerprint: string;
  name: string;
  severity: 'critical' | 'warning' | 'info';
  summary: string;
  labels: Record<string, string>;
  region?: string;
  partnerId?: string;
  transactionId: string;
  score: number;
  occurredAt: string;
}

export interface RecordedAlert {
  alertId: string;
  occurrences: number;
  /** True when this transaction opened the alert (also on a redelivery of that transaction). */
  openedByThis: boolean;
  firstSeen: string;
}

// one open alert per fingerprint: the partial unique index settles races between replicas
const upsertAlert = sql(
  'alerting.upsert_open_alert',
  `INSERT INTO alerting.alerts (alert_id, fingerprint, name, severity, summary, labels, region, partner_id, opened_by, first_seen, last_seen)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
   ON CONFLICT (fingerprint) WHERE status <> 'resolved'
   DO UPDATE SET last_seen = GREATEST(alerting.alerts.last_seen, EXCLUDED.last_seen)
   RETURNING alert_id, opened_by, first_seen`,
);
const insertEvent = sql(
  'alerting.insert_alert_event',
  `INSERT INTO alerting.alert_events (alert_id, transaction_id, score, occurred_at) VALUES ($1, $2, $3, $4)
   ON CONFLICT DO NOTHING RETURNING transaction_id`,
);
const countOccurrence = sql(
  'alerting.count_occurrence',
  `UPDATE alerting.alerts SET occurrences = occurrences + 1 WHERE alert_id = $1 RETURNING occurrences`,
);
const readOccurrences = sql(
  'alerting.read_occurrences',
  `SELECT occurrences FROM alerting.alerts WHERE alert_id = $1`,
);
const queueDelivery = sql(
  'alerting.queue_delivery',
  `INSERT INTO alerting.deliveries (alert_id, channel, target, payload)
   SELECT $1, $2, $3, $4 WHERE NOT EXISTS (SELECT 1 FROM alerting.deliveries WHERE alert_id = $1 AND channel = $2 AND target = $3)`,
);

@Injectable()
export class AlertsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Opens or repeats the alert for a fingerprint; a transaction counts once however often it is redelivered. */
  async record(candidate: AlertCandidate): Promise<RecordedAlert> {
    return this.db.transaction(async (client) => {
      const upserted = await client.query<{ alert_id: string; opened_by: string; first_seen: Date }>(
        upsertAlert.text,
        [
          randomUUID(),
          candidate.fingerprint,
          candidate.name,
          candidate.severity,
          candidate.summary,
          JSON.stringify(candidate.labels),
          candidate.region ?? null,
          candidate.partnerId ?? null,
          candidate.transactionId,
          candidate.occurredAt,
        ],
      );
      const alert = upserted.rows[0]!;
      const inserted = await client.query(insertEvent.text, [
        alert.alert_id,
        candidate.transactionId,
        candidate.score,
        candidate.occurredAt,
      ]);
      const counted = inserted.rowCount
        ? await client.query<{ occurrences: number }>(countOccurrence.text, [alert.alert_id])
        : await client.query<{ occurrences: number }>(readOccurrences.text, [alert.alert_id]);
      return {
        alertId: alert.alert_id,
        occurrences: counted.rows[0]!.occurrences,
        openedByThis: alert.opened_by === candidate.transactionId,
        firstSeen: alert.first_seen.toISOString(),
      };
    });
  }

  /** Queues a notification once per alert, channel and target. */
  async queueDelivery(alertId: string, channel: string, target: string, payload: unknown): Promise<void> {
    await this.db.query(queueDelivery, [alertId, channel, target, JSON.stringify(payload)]);
  }
}
