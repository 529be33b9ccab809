import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { AlertSeverity, AlertSource, AlertStatus } from '@vigil/contracts';
import { Database, sql } from '@vigil/db';
import { run, type Tx } from '../db/tx.js';
import { fingerprintOf, type AlertSignal } from './signals.js';

export interface RecordedOccurrence {
  alertId: string;
  fingerprint: string;
  occurrences: number;
  /** This event opened the alert (also when it is a redelivery of that event). */
  opened: boolean;
  /** The event was recorded before: nothing changed. */
  duplicate: boolean;
  /** Opened by this event and alert.raised not yet published. */
  publishPending: boolean;
  firstSeen: string;
}

export interface AlertRow {
  alert_id: string;
  fingerprint: string;
  name: string;
  source: AlertSource;
  severity: AlertSeverity;
  status: AlertStatus;
  summary: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  region: string | null;
  occurrences: number;
  first_seen: Date;
  last_seen: Date;
  assignee: string | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  resolved_at: Date | null;
  resolved_by: string | null;
  opened_by: string;
}

export type HistoryAction =
  'opened' | 'acknowledged' | 'resolved' | 'auto_resolved' | 'escalated' | 'escalation_stopped';

export interface HistoryEntry {
  alertId: string;
  at: Date;
  action: HistoryAction;
  actor: string;
  note?: string | null;
  assignee?: string | null;
  fromStatus?: AlertStatus | null;
  toStatus?: AlertStatus | null;
}

export const ALERT_COLUMNS = `alert_id::text AS alert_id, fingerprint, name, source, severity, status, summary, labels,
  annotations, region, occurrences, first_seen, last_seen, assignee, acknowledged_at, acknowledged_by, resolved_at,
  resolved_by, opened_by`;

// one open alert per fingerprint: the partial unique index settles races between replicas
const upsertAlert = sql(
  'alerting.upsert_open_alert',
  `INSERT INTO alerting.alerts (alert_id, fingerprint, name, severity, summary, labels, region, partner_id, opened_by,
                                first_seen, last_seen, source, annotations, last_activity_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10, $11, $12, $13)
   ON CONFLICT (fingerprint) WHERE status <> 'resolved'
   DO UPDATE SET last_seen = GREATEST(alerting.alerts.last_seen, EXCLUDED.last_seen),
                 last_activity_at = GREATEST(alerting.alerts.last_activity_at, EXCLUDED.last_activity_at)
   RETURNING alert_id::text AS alert_id, opened_by, first_seen, published_at IS NULL AS unpublished`,
);
const insertEvent = sql(
  'alerting.insert_alert_event',
  `INSERT INTO alerting.alert_events (alert_id, event_key, transaction_id, score, occurred_at) VALUES ($1, $2, $3, $4, $5)
   ON CONFLICT DO NOTHING RETURNING event_key`,
);
const countOccurrence = sql(
  'alerting.count_occurrence',
  `UPDATE alerting.alerts SET occurrences = occurrences + 1 WHERE alert_id = $1 RETURNING occurrences`,
);
const readOccurrences = sql(
  'alerting.read_occurrences',
  `SELECT occurrences FROM alerting.alerts WHERE alert_id = $1`,
);
const insertHistory = sql(
  'alerting.insert_history',
  `INSERT INTO alerting.alert_history (alert_id, at, action, actor, note, assignee, from_status, to_status)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
);
const markPublished = sql(
  'alerting.mark_published',
  `UPDATE alerting.alerts SET published_at = $2 WHERE alert_id = $1 AND published_at IS NULL`,
);
const findUnpublished = sql(
  'alerting.find_unpublished',
  `SELECT ${ALERT_COLUMNS} FROM alerting.alerts
    WHERE published_at IS NULL AND last_activity_at < $1
    ORDER BY first_seen LIMIT 100`,
);
const findAlert = sql(
  'alerting.find_alert',
  `SELECT ${ALERT_COLUMNS} FROM alerting.alerts WHERE alert_id = $1`,
);

@Injectable()
export class AlertsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Opens or repeats the alert for the signal's fingerprint; an event counts once however often it is redelivered. */
  async recordOccurrence(client: Tx, signal: AlertSignal, now: Date): Promise<RecordedOccurrence> {
    const fingerprint = fingerprintOf(signal.labels);
    const [alert] = await run<{
      alert_id: string;
      opened_by: string;
      first_seen: Date;
      unpublished: boolean;
    }>(client, upsertAlert, [
      randomUUID(),
      fingerprint,
      signal.labels.alertname ?? signal.source,
      signal.severity,
      signal.summary,
      JSON.stringify(signal.labels),
      signal.region ?? null,
      signal.partnerId ?? null,
      signal.eventKey,
      signal.occurredAt,
      signal.source,
      JSON.stringify(signal.annotations ?? {}),
      now,
    ]);
    const inserted = await run(client, insertEvent, [
      alert!.alert_id,
      signal.eventKey,
      signal.transactionId ?? null,
      signal.score ?? null,
      signal.occurredAt,
    ]);
    const counted = await run<{ occurrences: number }>(
      client,
      inserted.length > 0 ? countOccurrence : readOccurrences,
      [alert!.alert_id],
    );
    const opened = alert!.opened_by === signal.eventKey;
    return {
      alertId: alert!.alert_id,
      fingerprint,
      occurrences: counted[0]!.occurrences,
      opened,
      duplicate: inserted.length === 0,
      publishPending: opened && alert!.unpublished,
      firstSeen: alert!.first_seen.toISOString(),
    };
  }

  async addHistory(client: Tx, entry: HistoryEntry): Promise<void> {
    await run(client, insertHistory, [
      entry.alertId,
      entry.at,
      entry.action,
      entry.actor,
      entry.note ?? null,
      entry.assignee ?? null,
      entry.fromStatus ?? null,
      entry.toStatus ?? null,
    ]);
  }

  async markPublished(alertId: string, at: Date): Promise<void> {
    await this.db.query(markPublished, [alertId, at]);
  }

  /** Alerts whose alert.raised a crash left unpublished (quiet for a while, so not one being published now). */
  findUnpublished(olderThan: Date): Promise<AlertRow[]> {
    return this.db.query<AlertRow>(findUnpublished, [olderThan]);
  }

  async find(alertId: string): Promise<AlertRow | undefined> {
    return (await this.db.query<AlertRow>(findAlert, [alertId]))[0];
  }
}
