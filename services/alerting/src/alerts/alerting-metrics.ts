// Alerting as Prometheus metrics: alerts opened, escalation steps sent and notification outcomes per channel.
import { Inject, Injectable } from '@nestjs/common';
import { OpsServer } from '@vigil/observability';
import { Counter } from 'prom-client';

const OUTCOMES = ['delivered', 'retry', 'failed', 'circuit_open'] as const;
export type NotificationOutcome = (typeof OUTCOMES)[number];

@Injectable()
export class AlertingMetrics {
  private readonly raised: Counter<'source' | 'severity'>;
  private readonly escalationSteps: Counter<'chain' | 'step'>;
  private readonly notifications: Counter<'channel' | 'outcome'>;

  constructor(@Inject(OpsServer) ops: OpsServer) {
    this.raised = new Counter({
      name: 'vigil_alerts_raised_total',
      help: 'Alerts opened (a new alert, not a repeat of an open one), by source and severity',
      labelNames: ['source', 'severity'],
      registers: [ops.registry],
    });
    this.escalationSteps = new Counter({
      name: 'vigil_alerting_escalation_steps_total',
      help: 'Escalation steps sent, by escalation chain and step number',
      labelNames: ['chain', 'step'],
      registers: [ops.registry],
    });
    this.notifications = new Counter({
      name: 'vigil_alerting_notifications_total',
      help: 'Notification attempts by channel type and outcome (delivered, retry, failed: given up, circuit_open: deferred)',
      labelNames: ['channel', 'outcome'],
      registers: [ops.registry],
    });
    // every channel and outcome from the start, so a rate over them is defined before the first notification
    for (const channel of ['webhook', 'email', 'sms'])
      for (const outcome of OUTCOMES) this.notifications.inc({ channel, outcome }, 0);
  }

  alertOpened(source: string, severity: string): void {
    this.raised.inc({ source, severity });
  }

  escalationStep(chain: string, step: number): void {
    this.escalationSteps.inc({ chain, step: String(step) });
  }

  notification(channel: string, outcome: NotificationOutcome): void {
    this.notifications.inc({ channel, outcome });
  }
}
