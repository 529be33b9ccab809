import { Inject, Injectable } from '@nestjs/common';
import type { AlertHistoryEntry, NotificationRecord } from '@vigil/contracts';
import { Database, sql } from '@vigil/db';
import { ALERT_COLUMNS, type AlertRow } from '../alerts/alerts.repository.js';
import { run, type Tx } from '../db/tx.js';

export interface ListFilters {
  status?: string;
  severity?: string;
  source?: string;
  limit: number;
  cursor?: { at: string; id: string };
}

export type ListedAlert = AlertRow & { cursor_at: string };

// the keyset cursor keeps microseconds: a millisecond cursor could skip or repeat alerts seen in the same ms
const list = sql(
  'alerting.list_alerts',
  `SELECT ${ALERT_COLUMNS}, to_char(last_seen AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
     FROM alerting.alerts
    WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR severity = $2) AND ($3::text IS NULL OR source = $3)
      AND ($4::timestamptz IS NULL OR (last_seen, alert_id) < ($4::timestamptz, $5::uuid))
    ORDER BY last_seen DESC, alert_id DESC LIMIT $6`,
);
const lock = sql(
  'alerting.lock_alert',
  `SELECT ${ALERT_COLUMNS} FROM alerting.alerts WHERE alert_id = $1 FOR UPDATE`,
);
const acknowledge = sql(
  'alerting.acknowledge_alert',
  `UPDATE alerting.alerts
      SET acknowledged_at = CASE WHEN status = 'open' THEN $2 ELSE acknowledged_at END,
          acknowledged_by = CASE WHEN status = 'open' THEN $3 ELSE acknowledged_by END,
          assignee = COALESCE($4, assignee),
          status = 'acknowledged'
    WHERE alert_id = $1
   RETURNING ${ALERT_COLUMNS}`,
);
const resolve = sql(
  'alerting.resolve_alert',
  `UPDATE alerting.alerts SET status = 'resolved', resolved_at = $2, resolved_by = $3 WHERE alert_id = $1
   RETURNING ${ALERT_COLUMNS}`,
);
const history = sql(
  'alerting.alert_history',
  `SELECT at, action, actor, note, assignee, from_status, to_status FROM alerting.alert_history
    WHERE alert_id = $1 ORDER BY history_id`,
);
const notifications = sql(
  'alerting.alert_notifications',
  `SELECT delivery_id::text AS delivery_id, kind, channel, channel_name, target, subject, status, created_at, delivered_at
     FROM alerting.deliveries
    WHERE alert_id = $1 OR delivery_id IN (SELECT delivery_id FROM alerting.delivery_alerts WHERE alert_id = $1)
    ORDER BY delivery_id LIMIT 500`,
);
const attempts = sql(
  'alerting.notification_attempts',
  `SELECT delivery_id::text AS delivery_id, attempt, started_at, outcome, status_code, error, duration_ms
     FROM alerting.notification_attempts WHERE delivery_id = ANY($1::bigint[]) ORDER BY delivery_id, attempt`,
);
// quiet alerts of each source (cutoff per source), resolved with their history and their groups told, in one statement
const autoResolve = sql(
  'alerting.auto_resolve',
  `WITH quiet AS (
     SELECT a.alert_id, a.status FROM alerting.alerts a
       JOIN unnest($1::text[], $2::timestamptz[]) AS s(source, cutoff) ON a.source = s.source
      WHERE a.status <> 'resolved' AND a.last_activity_at < s.cutoff
      ORDER BY a.last_activity_at LIMIT 200 FOR UPDATE OF a SKIP LOCKED),
   resolved AS (
     UPDATE alerting.alerts a SET status = 'resolved', resolved_at = $3, resolved_by = 'alerting'
       FROM quiet WHERE a.alert_id = quiet.alert_id RETURNING a.alert_id, quiet.status AS from_status),
   recorded AS (
     INSERT INTO alerting.alert_history (alert_id, at, action, actor, note, from_status, to_status)
     SELECT alert_id, $3, 'auto_resolved', 'alerting', 'no new occurrence within the quiet period', from_status, 'resolved'
       FROM resolved),
   told AS (
     UPDATE alerting.notification_groups g SET next_flush_at = LEAST(g.next_flush_at, $3)
       FROM alerting.group_members m WHERE m.group_key = g.group_key AND m.alert_id IN (SELECT alert_id FROM resolved))
   SELECT count(*)::int AS resolved FROM resolved`,
);

type HistoryRow = Omit<AlertHistoryEntry, 'at'> & { at: Date };
type NotificationRow = Omit<NotificationRecord, 'created_at' | 'delivered_at' | 'attempts'> & {
  created_at: Date;
  delivered_at: Date | null;
};
interface AttemptRow {
  delivery_id: string;
  attempt: number;
  started_at: Date;
  outcome: 'delivered' | 'failed';
  status_code: number | null;
  error: string | null;
  duration_ms: number;
}

@Injectable()
export class LifecycleRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  list(filters: ListFilters): Promise<ListedAlert[]> {
    return this.db.query<ListedAlert>(list, [
      filters.status ?? null,
      filters.severity ?? null,
      filters.source ?? null,
      filters.cursor?.at ?? null,
      filters.cursor?.id ?? null,
      filters.limit,
    ]);
  }

  async lock(client: Tx, alertId: string): Promise<AlertRow | undefined> {
    return (await run<AlertRow>(client, lock, [alertId]))[0];
  }

  async acknowledge(client: Tx, alertId: string, at: Date, by: string, assignee?: string): Promise<AlertRow> {
    return (await run<AlertRow>(client, acknowledge, [alertId, at, by, assignee ?? null]))[0]!;
  }

  async resolve(client: Tx, alertId: string, at: Date, by: string): Promise<AlertRow> {
    return (await run<AlertRow>(client, resolve, [alertId, at, by]))[0]!;
  }

  history(alertId: string): Promise<HistoryRow[]> {
    return this.db.query<HistoryRow & Record<string, unknown>>(history, [alertId]);
  }

  async notifications(alertId: string): Promise<NotificationRecord[]> {
    const rows = await this.db.query<NotificationRow & Record<string, unknown>>(notifications, [alertId]);
    const tried = await this.db.query<AttemptRow & Record<string, unknown>>(attempts, [
      rows.map((r) => r.delivery_id),
    ]);
    return rows.map((row) => ({
      ...row,
      created_at: row.created_at.toISOString(),
      delivered_at: row.delivered_at?.toISOString() ?? null,
      attempts: tried
        .filter((a) => a.delivery_id === row.delivery_id)
        .map((a) => ({
          attempt: a.attempt,
          started_at: a.started_at.toISOString(),
          outcome: a.outcome,
          status_code: a.status_code,
          error: a.error,
          duration_ms: a.duration_ms,
        })),
    }));
  }

  async autoResolve(cutoffs: { source: string; cutoff: Date }[], now: Date): Promise<number> {
    const [row] = await this.db.query<{ resolved: number }>(autoResolve, [
      cutoffs.map((c) => c.source),
      cutoffs.map((c) => c.cutoff),
      now,
    ]);
    return row?.resolved ?? 0;
  }
}
