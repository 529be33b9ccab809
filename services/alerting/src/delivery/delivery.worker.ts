// Sends queued notifications with retries, exponential backoff and a circuit breaker per endpoint, recording
// every attempt. State lives in Postgres, so a restart resumes where it stopped and replicas share the work.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { AlertNotification, AlertRaised, CampaignTrigger } from '@vigil/contracts';
import { backoffMs, type BackoffPolicy } from '@vigil/messaging';
import { clientSpan, type Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { ALERT_SETTINGS, type AlertSettings } from '../alerts/alert-settings.js';
import { AlertingMetrics } from '../alerts/alerting-metrics.js';
import { AlertsService } from '../alerts/alerts.service.js';
import { Clock } from '../clock/clock.js';
import { Ticker } from '../clock/ticker.js';
import { WorkSignals } from '../clock/work-signals.js';
import type { NotificationPayload } from '../notifications/notification-payloads.js';
import type { ChannelType } from '../policy/policy.js';
import { DeliveryError, type ChannelSender } from './channels/channel.js';
import { EmailChannel } from './channels/email.channel.js';
import { SmsChannel } from './channels/sms.channel.js';
import { WebhookChannel } from './channels/webhook.channel.js';
import { CircuitBreakers, isOpenCircuit } from './circuit-breakers.js';
import { DeliveriesRepository, type DueDelivery } from './deliveries.repository.js';

/** Longer than any channel's own timeouts, so a lease never runs out under a send still in progress. */
const LEASE_SECONDS = 60;
const BATCH = 20;

/** Before attempt n+1: 1 s, 2 s, 4 s, ... capped at 5 minutes, plus up to 10% jitter so retries spread out. */
const NOTIFICATION_RETRY: BackoffPolicy = { baseMs: 1_000, capMs: 300_000, jitter: 0.1 };

export const retryDelaySeconds = (attempts: number, random = Math.random): number =>
  backoffMs(attempts, NOTIFICATION_RETRY, random) / 1000;

@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly ticker: Ticker;
  private readonly breakers: CircuitBreakers;
  private readonly senders: Record<ChannelType, ChannelSender>;

  constructor(
    @Inject(DeliveriesRepository) private readonly deliveries: DeliveriesRepository,
    @Inject(AlertsService) private readonly alerts: AlertsService,
    @Inject(Clock) private readonly clock: Clock,
    @Inject(WorkSignals) signals: WorkSignals,
    @Inject(ALERT_SETTINGS) private readonly settings: AlertSettings,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(WebhookChannel) webhook: WebhookChannel,
    @Inject(EmailChannel) email: EmailChannel,
    @Inject(SmsChannel) sms: SmsChannel,
    @Inject(AlertingMetrics) private readonly metrics: AlertingMetrics,
  ) {
    this.senders = { webhook, email, sms };
    this.breakers = new CircuitBreakers({
      volumeThreshold: settings.circuitFailures,
      resetMs: settings.circuitResetMs,
    });
    this.ticker = new Ticker('delivery', settings.pollIntervalMs, () => this.sendDue(), logger);
    signals.register('deliveries', this.ticker);
  }

  onApplicationBootstrap(): void {
    this.ticker.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.ticker.stop();
    this.breakers.shutdown();
  }

  private async sendDue(): Promise<boolean> {
    const due = await this.deliveries.claimDue(this.clock.now(), LEASE_SECONDS, BATCH);
    await Promise.all(due.map((delivery) => this.deliver(delivery)));
    return due.length === BATCH;
  }

  private async deliver(delivery: DueDelivery): Promise<void> {
    const sender = this.senders[delivery.channel];
    const payload = payloadOf(delivery);
    let endpoint: string;
    try {
      endpoint = sender.endpointOf(delivery.target);
    } catch {
      endpoint = delivery.target;
    }
    const breaker = this.breakers.for(`${delivery.channel}:${endpoint}`, sender);
    const startedAt = this.clock.now();
    const started = performance.now();
    try {
      // one span per attempt: the channel and its server, never the recipient or the message
      const result = await clientSpan(
        'alerting',
        `notify ${delivery.channel}`,
        {
          'vigil.notification.channel': delivery.channel,
          'vigil.notification.attempt': delivery.attempts,
          ...(delivery.channel === 'webhook' ? { 'server.address': hostOf(endpoint) } : {}),
        },
        () =>
          breaker.fire({
            deliveryId: delivery.delivery_id,
            channelName: delivery.channel_name,
            target: delivery.target,
            subject: delivery.subject,
            payload,
          }),
      );
      await this.deliveries.settle(delivery.delivery_id, {
        attempt: delivery.attempts,
        startedAt,
        durationMs: Math.round(performance.now() - started),
        outcome: 'delivered',
        ...(result.statusCode ? { statusCode: result.statusCode } : {}),
        status: 'delivered',
        nextAttemptAt: startedAt,
      });
      this.metrics.notification(delivery.channel, 'delivered');
      this.logger.info(
        { delivery: delivery.delivery_id, channel: delivery.channel_name, attempts: delivery.attempts },
        'notification delivered',
      );
    } catch (error) {
      if (isOpenCircuit(error)) {
        const until = new Date(startedAt.getTime() + this.breakers.resetMs);
        await this.deliveries.defer(delivery.delivery_id, until, `circuit open for ${endpoint}`);
        this.metrics.notification(delivery.channel, 'circuit_open');
        return;
      }
      await this.recordFailure(delivery, error, startedAt, Math.round(performance.now() - started));
    }
  }

  private async recordFailure(
    delivery: DueDelivery,
    error: unknown,
    startedAt: Date,
    durationMs: number,
  ): Promise<void> {
    const failure = error instanceof DeliveryError ? error : new DeliveryError(String(error), false);
    const exhausted = failure.permanent || delivery.attempts >= this.settings.maxDeliveryAttempts;
    await this.deliveries.settle(delivery.delivery_id, {
      attempt: delivery.attempts,
      startedAt,
      durationMs,
      outcome: 'failed',
      ...(failure.statusCode ? { statusCode: failure.statusCode } : {}),
      error: failure.message.slice(0, 1000),
      status: exhausted ? 'failed' : 'pending',
      nextAttemptAt: new Date(startedAt.getTime() + retryDelaySeconds(delivery.attempts) * 1000),
    });
    this.metrics.notification(delivery.channel, exhausted ? 'failed' : 'retry');
    this.logger.warn(
      {
        delivery: delivery.delivery_id,
        channel: delivery.channel_name,
        attempts: delivery.attempts,
        error: failure.message,
      },
      exhausted ? 'notification failed for good' : 'notification failed, will retry',
    );
    if (exhausted) await this.raiseNotificationFailed(delivery, failure.message);
  }

  /** A notification that could not be delivered is itself an alert (source system), routed like any other. */
  private async raiseNotificationFailed(delivery: DueDelivery, reason: string): Promise<void> {
    if (delivery.subject.includes('NotificationFailed')) return; // never about its own failures
    try {
      await this.alerts.raise({
        source: 'system',
        severity: 'warning',
        labels: { alertname: 'NotificationFailed', channel: delivery.channel_name },
        annotations: { delivery_id: delivery.delivery_id, target: delivery.target, reason },
        summary: `Notification to ${delivery.channel_name} failed after ${delivery.attempts} attempts: ${reason}`,
        eventKey: `delivery:${delivery.delivery_id}`,
        occurredAt: this.clock.now().toISOString(),
      });
    } catch (error) {
      this.logger.error(
        { delivery: delivery.delivery_id, error: String(error) },
        'could not raise NotificationFailed',
      );
    }
  }
}

function payloadOf(delivery: DueDelivery): NotificationPayload {
  switch (delivery.kind) {
    case 'alert':
      return { kind: 'alert', body: delivery.payload as AlertRaised };
    case 'trigger':
      return { kind: 'trigger', body: delivery.payload as CampaignTrigger };
    case 'group':
    case 'escalation':
      return { kind: 'group', body: delivery.payload as AlertNotification };
  }
}

/** The host of a webhook endpoint, for a span; an endpoint that is not a URL gives nothing away. */
function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).hostname;
  } catch {
    return 'unknown';
  }
}
