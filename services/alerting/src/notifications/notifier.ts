// Queues notifications as delivery rows inside the caller's transaction (an outbox): a step, a group flush or a
// trigger and its notifications commit together, and the delivery worker sends them afterwards.
import { Inject, Injectable } from '@nestjs/common';
import type { AlertNotification, CampaignTrigger } from '@vigil/contracts';
import { sql } from '@vigil/db';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import type { AlertRow } from '../alerts/alerts.repository.js';
import { run, type Tx } from '../db/tx.js';
import { PolicyService } from '../policy/policy.service.js';
import { alertRaisedOf, subjectOf, type NotificationPayload } from './notification-payloads.js';

export type DeliveryKind = 'alert' | 'group' | 'escalation' | 'trigger';

export interface NotificationRequest {
  /** Channel names from the policy. */
  channels: readonly string[];
  kind: 'group' | 'escalation' | 'trigger';
  /** Unique per notification; with channel and target it makes queuing idempotent. */
  notificationId: string;
  body: AlertNotification | CampaignTrigger;
  /** The alerts the notification is about (for `alert`-format webhooks and the audit trail). */
  alerts: readonly AlertRow[];
  groupKey?: string;
  escalation?: { id: string; stepIndex: number; stepRepeat: number };
}

const insertDelivery = sql(
  'alerting.queue_delivery',
  `INSERT INTO alerting.deliveries (alert_id, channel, target, payload, kind, channel_name, subject, dedup_key,
                                    group_key, escalation_id, step_index, step_repeat, next_attempt_at)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
   ON CONFLICT (dedup_key) DO NOTHING RETURNING delivery_id::text AS delivery_id`,
);
const linkAlerts = sql(
  'alerting.link_delivery_alerts',
  `INSERT INTO alerting.delivery_alerts (delivery_id, alert_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
);

@Injectable()
export class Notifier {
  constructor(
    @Inject(PolicyService) private readonly policy: PolicyService,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Queues one delivery per channel target (per alert for `alert`-format webhooks); returns how many. */
  async queue(client: Tx, request: NotificationRequest, now: Date): Promise<number> {
    const policy = this.policy.current();
    let queued = 0;
    for (const name of request.channels) {
      const channel = policy.channels.get(name);
      if (!channel || channel.targets.length === 0) {
        this.logger.debug({ channel: name }, 'channel has no target; nothing queued');
        continue;
      }
      for (const target of channel.targets) {
        const perAlert = channel.format === 'alert' && request.kind !== 'trigger';
        const items: { payload: NotificationPayload; alerts: readonly AlertRow[]; key: string }[] = perAlert
          ? request.alerts.map((alert) => ({
              payload: { kind: 'alert', body: alertRaisedOf(alert) },
              alerts: [alert],
              key: `${request.notificationId}:${alert.alert_id}`,
            }))
          : [
              {
                payload:
                  request.kind === 'trigger'
                    ? { kind: 'trigger', body: request.body as CampaignTrigger }
                    : { kind: 'group', body: request.body as AlertNotification },
                alerts: request.alerts,
                key: request.notificationId,
              },
            ];
        for (const item of items) {
          const kind: DeliveryKind = perAlert ? 'alert' : request.kind;
          const [row] = await run<{ delivery_id: string }>(client, insertDelivery, [
            item.alerts.length === 1 ? item.alerts[0]!.alert_id : null,
            channel.type,
            target,
            JSON.stringify(item.payload.body),
            kind,
            channel.name,
            subjectOf(item.payload).slice(0, 500),
            `${item.key}:${channel.name}:${target}`,
            request.groupKey ?? null,
            request.escalation?.id ?? null,
            request.escalation?.stepIndex ?? null,
            request.escalation?.stepRepeat ?? null,
            now,
          ]);
          if (!row) continue;
          queued++;
          if (item.alerts.length > 0)
            await run(client, linkAlerts, [row.delivery_id, item.alerts.map((a) => a.alert_id)]);
        }
      }
    }
    return queued;
  }
}
