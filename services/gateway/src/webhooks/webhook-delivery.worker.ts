// Partner webhook delivery: scored transactions become outbox rows (a durable consumer, through the message
// boundary), which a dispatcher POSTs, signed, to each subscribed webhook of the transaction's own partner,
// retrying with the shared backoff policy.
import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { Consumers, submittedTransactionId, type TransactionScored } from '@vigil/contracts';
import {
  DurableConsumer,
  JetStreamPublisher,
  MessageBoundary,
  NatsClient,
  backoffMs,
} from '@vigil/messaging';
import { OpsServer, type Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { signatureOf, SIGNATURE_HEADER } from './webhook-signature.js';
import { DELIVERY_TIMEOUT_MS, WebhookSender } from './webhook-sender.js';
import { WebhooksRepository, type DueDelivery } from './webhooks.repository.js';
import { WebhookSettings } from './webhooks.settings.js';

const SPEC = Consumers.gatewayWebhooks;
/** Deliveries attempted at once by one replica. */
const BATCH = 16;
/** How often the dispatcher looks for due retries when nothing new arrived. */
const POLL_MS = 1000;
/** An attempt's lease: longer than a delivery can take, so two replicas never send the same attempt. */
const LEASE_SECONDS = Math.ceil(DELIVERY_TIMEOUT_MS / 1000) * 3;
const MAX_RETRY_SECONDS = 3600;

/** What a partner receives: one envelope per event. */
export interface WebhookEnvelope {
  id: string;
  type: 'transaction.scored';
  created_at: string;
  data: {
    transaction_id: string;
    partner_id: string;
    region: string;
    type: string;
    amount: string;
    currency: string;
    score: number;
    decision: string;
    reasons: unknown[];
    scored_at: string;
  };
}

@Injectable()
export class WebhookDeliveryWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly consumer: DurableConsumer<TransactionScored>;
  private timer: NodeJS.Timeout | undefined;
  private dispatching: Promise<void> | undefined;
  private stopped = false;

  constructor(
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(WebhooksRepository) private readonly webhooks: WebhooksRepository,
    @Inject(WebhookSender) private readonly sender: WebhookSender,
    @Inject(WebhookSettings) private readonly settings: WebhookSettings,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(JetStreamPublisher) publisher: JetStreamPublisher,
    @Inject(OpsServer) ops: OpsServer,
  ) {
    this.consumer = new DurableConsumer({
      spec: SPEC,
      nats,
      logger,
      boundary: MessageBoundary.forConsumer(SPEC, {
        publisher,
        logger,
        registry: ops.registry,
        service: 'gateway',
      }),
      handler: (scored) => this.queue(scored),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.nats.ensureConsumer(SPEC);
    await this.consumer.start();
    this.schedule(0);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.consumer.stop();
    await this.dispatching;
  }

  /** Queues the scored transaction's deliveries; a failure is retried, then dead-lettered, by the boundary. */
  private async queue(scored: TransactionScored): Promise<void> {
    const partnerId = scored.transaction.partner_id;
    if (partnerId === undefined) return;
    const queued = await this.webhooks.enqueue(
      partnerId,
      'transaction.scored',
      submittedTransactionId(scored.transaction.transaction_id),
      envelopeOf(scored, partnerId),
    );
    if (queued > 0) this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      if (this.dispatching) return this.schedule(POLL_MS);
      this.dispatching = this.dispatchDue()
        .catch((error: unknown) => this.logger.warn({ err: error }, 'webhook dispatch failed'))
        .finally(() => {
          this.dispatching = undefined;
          this.schedule(POLL_MS);
        });
    }, delayMs);
  }

  private async dispatchDue(): Promise<void> {
    for (;;) {
      const due = await this.webhooks.claimDue(BATCH, LEASE_SECONDS);
      await Promise.all(due.map((delivery) => this.attempt(delivery)));
      if (due.length < BATCH || this.stopped) return;
    }
  }

  private async attempt(delivery: DueDelivery): Promise<void> {
    const body = JSON.stringify(delivery.payload);
    const headers = {
      [SIGNATURE_HEADER]: signatureOf(delivery.secret, body, Math.floor(Date.now() / 1000)),
      'Vigil-Event-Type': delivery.event_type,
      'Vigil-Delivery-Id': delivery.delivery_id,
      'Vigil-Delivery-Attempt': String(delivery.attempts),
    };
    let statusCode: number | null = null;
    let error: string;
    try {
      ({ statusCode } = await this.sender.post(delivery.url, body, headers));
      if (statusCode >= 200 && statusCode < 300) {
        await this.webhooks.delivered(delivery.delivery_id, statusCode);
        return;
      }
      error = `receiver answered ${statusCode}`;
    } catch (cause) {
      error = cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause);
    }
    const final = delivery.attempts >= this.settings.maxAttempts;
    const retryInSeconds =
      backoffMs(delivery.attempts, { baseMs: this.settings.retryBaseMs, capMs: MAX_RETRY_SECONDS * 1000 }) /
      1000;
    await this.webhooks.attemptFailed(delivery.delivery_id, { statusCode, error, final, retryInSeconds });
    if (final) {
      this.logger.warn({ delivery: delivery.delivery_id, error }, 'webhook delivery failed for good');
    } else {
      this.schedule(retryInSeconds * 1000);
    }
  }
}

function envelopeOf(scored: TransactionScored, partnerId: string): WebhookEnvelope {
  const t = scored.transaction;
  // the partner's own id: the stream carries the pipeline key (<partner_id>~<transaction_id>)
  const transactionId = submittedTransactionId(t.transaction_id);
  return {
    id: `transaction.scored:${transactionId}`,
    type: 'transaction.scored',
    created_at: scored.scored_at,
    data: {
      transaction_id: transactionId,
      partner_id: partnerId,
      region: t.region,
      type: t.type,
      amount: t.amount,
      currency: t.currency,
      score: scored.score,
      decision: scored.decision,
      reasons: scored.reasons,
      scored_at: scored.scored_at,
    },
  };
}
