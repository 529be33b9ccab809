// Raises alerts from every source: records the occurrence, routes a new alert into notification groups in the
// same transaction, then publishes alert.raised (deduplicated by alert id, swept up later if this fails).
import { Inject, Injectable } from '@nestjs/common';
import { Events, type AlertRaised } from '@vigil/contracts';
import { Database } from '@vigil/db';
import { JetStreamPublisher } from '@vigil/messaging';
import { Clock } from '../clock/clock.js';
import { WorkSignals } from '../clock/work-signals.js';
import type { Tx } from '../db/tx.js';
import { GroupingService } from '../grouping/grouping.service.js';
import { alertRaisedOf } from '../notifications/notification-payloads.js';
import { AlertingMetrics } from './alerting-metrics.js';
import { AlertsRepository, type AlertRow, type RecordedOccurrence } from './alerts.repository.js';
import type { AlertSignal } from './signals.js';

@Injectable()
export class AlertsService {
  constructor(
    @Inject(Database) private readonly db: Database,
    @Inject(AlertsRepository) private readonly alerts: AlertsRepository,
    @Inject(GroupingService) private readonly grouping: GroupingService,
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WorkSignals) private readonly signals: WorkSignals,
    @Inject(AlertingMetrics) private readonly metrics: AlertingMetrics,
  ) {}

  /** Idempotent per event: a redelivered event changes nothing but may publish what a crash left unpublished. */
  async raise(signal: AlertSignal): Promise<RecordedOccurrence> {
    const now = this.clock.now();
    const recorded = await this.db.transaction((client) => this.raiseIn(client, signal, now), 'raise alert');
    if (recorded.opened && !recorded.duplicate) this.metrics.alertOpened(signal.source, signal.severity);
    await this.afterCommit(recorded, signal);
    return recorded;
  }

  /** For callers that raise an alert as part of their own transaction; call afterCommit once it committed. */
  async raiseIn(client: Tx, signal: AlertSignal, now: Date): Promise<RecordedOccurrence> {
    const recorded = await this.alerts.recordOccurrence(client, signal, now);
    if (recorded.opened && !recorded.duplicate) {
      await this.alerts.addHistory(client, {
        alertId: recorded.alertId,
        at: now,
        action: 'opened',
        actor: signal.source,
        toStatus: 'open',
      });
      await this.grouping.route(client, recorded.alertId, signal, now);
    }
    return recorded;
  }

  async afterCommit(recorded: RecordedOccurrence, signal: AlertSignal): Promise<void> {
    if (recorded.opened && !recorded.duplicate) this.signals.kick('groups');
    if (!recorded.publishPending) return;
    const raised: AlertRaised = {
      alert_id: recorded.alertId,
      fingerprint: recorded.fingerprint,
      name: signal.labels.alertname ?? signal.source,
      severity: signal.severity,
      summary: signal.summary,
      labels: signal.labels,
      ...(signal.transactionId ? { transaction_id: signal.transactionId } : {}),
      occurrences: Math.max(1, recorded.occurrences),
      raised_at: recorded.firstSeen,
      source: signal.source,
      status: 'open',
    };
    await this.publish(raised);
  }

  /** Publishes what a crash between commit and publish left behind. */
  async publishUnpublished(quietFor: number): Promise<number> {
    const pending = await this.alerts.findUnpublished(new Date(this.clock.now().getTime() - quietFor));
    for (const alert of pending) await this.publish(raisedOf(alert));
    return pending.length;
  }

  private async publish(raised: AlertRaised): Promise<void> {
    await this.publisher.publish(Events.alertRaised, raised.severity, raised, { msgId: raised.alert_id });
    await this.alerts.markPublished(raised.alert_id, this.clock.now());
  }
}

const raisedOf = (alert: AlertRow): AlertRaised => ({ ...alertRaisedOf(alert), status: 'open' });
