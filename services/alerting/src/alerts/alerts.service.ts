import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Events, type AlertRaised, type TransactionScored } from '@vigil/contracts';
import { JetStreamPublisher } from '@vigil/messaging';
import { DeliveryWorker } from '../delivery/delivery.worker.js';
import { ALERT_SETTINGS, type AlertSettings } from './alert-settings.js';
import { AlertsRepository } from './alerts.repository.js';

/** Alertmanager-style fingerprint: a hash of the sorted labels, so the same condition maps to one alert. */
export function fingerprintOf(labels: Record<string, string>): string {
  const canonical = Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join('\n');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 32);
}

@Injectable()
export class AlertsService {
  constructor(
    @Inject(AlertsRepository) private readonly alerts: AlertsRepository,
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(DeliveryWorker) private readonly deliveries: DeliveryWorker,
    @Inject(ALERT_SETTINGS) private readonly settings: AlertSettings,
  ) {}

  /** Raises (or repeats) a high-risk alert for a score over the threshold; idempotent per transaction. */
  async onScored(scored: TransactionScored): Promise<AlertRaised | undefined> {
    if (scored.score < this.settings.scoreThreshold) return undefined;
    const t = scored.transaction;
    const labels = { alertname: 'HighRiskTransaction', region: t.region, account: t.origin.account };
    const severity = scored.score >= 0.95 ? 'critical' : 'warning';
    const summary = `${t.type} of ${t.amount} ${t.currency} from ${t.origin.account} scored ${scored.score} (${scored.reasons
      .map((r) => r.code)
      .join(', ')})`;
    const recorded = await this.alerts.record({
      fingerprint: fingerprintOf(labels),
      name: labels.alertname,
      severity,
      summary,
      labels,
      region: t.region,
      ...(t.partner_id ? { partnerId: t.partner_id } : {}),
      transactionId: t.transaction_id,
      score: scored.score,
      occurredAt: t.timestamp,
    });
    if (!recorded.openedByThis) return undefined;
    const raised: AlertRaised = {
      alert_id: recorded.alertId,
      fingerprint: fingerprintOf(labels),
      name: labels.alertname,
      severity,
      summary,
      labels,
      transaction_id: t.transaction_id,
      occurrences: Math.max(1, recorded.occurrences),
      raised_at: recorded.firstSeen,
    };
    await this.publisher.publish(Events.alertRaised, severity, raised, { msgId: recorded.alertId });
    if (this.settings.webhookUrl) {
      await this.alerts.queueDelivery(recorded.alertId, 'webhook', this.settings.webhookUrl, raised);
      this.deliveries.kick();
    }
    return raised;
  }
}
