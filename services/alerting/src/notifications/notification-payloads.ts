// The bodies channels send: a group notification (Alertmanager-like), one alert (the alert.raised shape), or a
// campaign trigger; and the one-line subject that e-mail, SMS and the audit trail show.
import type { AlertNotification, AlertRaised, CampaignTrigger } from '@vigil/contracts';
import type { AlertRow } from '../alerts/alerts.repository.js';

export type NotificationPayload =
  | { kind: 'group'; body: AlertNotification }
  | { kind: 'alert'; body: AlertRaised }
  | { kind: 'trigger'; body: CampaignTrigger };

type NotifiedAlert = AlertNotification['alerts'][number];

export function notifiedAlertOf(alert: AlertRow): NotifiedAlert {
  return {
    alert_id: alert.alert_id,
    fingerprint: alert.fingerprint,
    name: alert.name,
    source: alert.source,
    severity: alert.severity,
    status: alert.status,
    summary: alert.summary,
    labels: alert.labels,
    annotations: alert.annotations,
    occurrences: alert.occurrences,
    first_seen: alert.first_seen.toISOString(),
    last_seen: alert.last_seen.toISOString(),
    ...(alert.assignee ? { assignee: alert.assignee } : {}),
  };
}

/** The alert.raised event of an alert; `alert`-format webhooks post this, one alert per request. */
export function alertRaisedOf(alert: AlertRow): AlertRaised {
  return {
    alert_id: alert.alert_id,
    fingerprint: alert.fingerprint,
    name: alert.name,
    severity: alert.severity,
    summary: alert.summary,
    labels: alert.labels,
    // fraud alerts are opened by a transaction, whose id is the opening event's key
    ...(alert.source === 'fraud' ? { transaction_id: alert.opened_by } : {}),
    occurrences: Math.max(1, alert.occurrences),
    raised_at: alert.first_seen.toISOString(),
    source: alert.source,
    status: alert.status,
  };
}

const SEVERITY_ORDER = { critical: 0, warning: 1, info: 2 } as const;

export function subjectOf(payload: NotificationPayload): string {
  switch (payload.kind) {
    case 'alert': {
      const alert = payload.body;
      const state = alert.status === 'resolved' ? 'RESOLVED' : (alert.severity ?? 'warning').toUpperCase();
      return `[${state}] ${alert.name}: ${alert.summary}`;
    }
    case 'trigger': {
      const trigger = payload.body;
      const direction = trigger.condition === 'above_upper' ? 'above' : 'below';
      return `[CAMPAIGN] ${trigger.campaign}: ${trigger.series_id} ${direction} forecast for ${trigger.for_intervals} intervals`;
    }
    case 'group': {
      const body = payload.body;
      const firing = body.alerts.filter((a) => a.status !== 'resolved');
      const worst = [...firing].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity])[0];
      const state =
        body.status === 'resolved'
          ? 'RESOLVED'
          : `${(worst?.severity ?? 'warning').toUpperCase()}:${firing.length}`;
      const names = [...new Set(body.alerts.map((a) => a.name))].join(', ');
      const step = body.escalation
        ? ` (escalation step ${body.escalation.step}/${body.escalation.steps})`
        : '';
      const only = body.alerts.length === 1 ? `: ${body.alerts[0]!.summary}` : '';
      return `[${state}] ${names}${step}${only}`;
    }
  }
}

/** Plain-text rendering for e-mail bodies and SMS. */
export function textOf(payload: NotificationPayload): string {
  switch (payload.kind) {
    case 'alert':
      return `${subjectOf(payload)}\nlabels: ${labelsText(payload.body.labels)}\nalert ${payload.body.alert_id}`;
    case 'trigger': {
      const body = payload.body;
      const rows = body.intervals.map(
        (i) =>
          `  ${i.bucket_start}  actual ${i.actual ?? '-'}  forecast ${i.forecast.toFixed(1)}  band ${i.lower.toFixed(1)}..${i.upper.toFixed(1)}`,
      );
      return [subjectOf(payload), `trigger ${body.trigger_id}, series ${body.series_id}`, ...rows].join('\n');
    }
    case 'group': {
      const body = payload.body;
      const lines = [subjectOf(payload), ''];
      if (body.escalation)
        lines.push(
          `Escalation "${body.escalation.chain}", step ${body.escalation.step} of ${body.escalation.steps}` +
            ` (notice ${body.escalation.repeat}): nobody has acknowledged yet.`,
          '',
        );
      for (const alert of body.alerts) {
        lines.push(
          `- [${alert.status === 'resolved' ? 'RESOLVED' : alert.severity.toUpperCase()}] ${alert.summary}`,
        );
        lines.push(`  source ${alert.source}, labels ${labelsText(alert.labels)}`);
        lines.push(
          `  alert ${alert.alert_id}${alert.occurrences ? `, ${alert.occurrences} occurrences` : ''}`,
        );
      }
      lines.push('', `Acknowledge an alert to stop its escalation: POST /v1/alerts/<alert id>/acknowledge`);
      return lines.join('\n');
    }
  }
}

/** alertname first, then by name: stored labels (jsonb) come back in no meaningful order. */
const labelsText = (labels: Record<string, string>) =>
  Object.keys(labels)
    .sort((a, b) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : a.localeCompare(b)))
    .map((key) => `${key}=${labels[key]}`)
    .join(', ');

export interface GroupNotificationInput {
  notificationId: string;
  receiver: string;
  groupKey: string;
  groupLabels: Record<string, string>;
  firing: readonly AlertRow[];
  resolved: readonly AlertRow[];
  escalation?: AlertNotification['escalation'];
  sentAt: Date;
}

export function groupNotificationOf(input: GroupNotificationInput): AlertNotification {
  return {
    version: '1',
    notification_id: input.notificationId,
    receiver: input.receiver,
    status: input.firing.length > 0 ? 'firing' : 'resolved',
    group_key: input.groupKey,
    group_labels: input.groupLabels,
    ...(input.escalation ? { escalation: input.escalation } : {}),
    alerts: [...input.firing, ...input.resolved].map(notifiedAlertOf),
    sent_at: input.sentAt.toISOString(),
  };
}
