// Fans scored transactions and raised alerts out to the live feed's clients, each seeing only its scope.
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Subscription } from '@nats-io/transport-node';
import { Events, type AlertRaised, type TransactionScored } from '@vigil/contracts';
import { NatsClient } from '@vigil/messaging';
import type { Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { may, readScopeOf, type Permission, type Principal } from '../auth/principal.js';
import { transactionIdsOf } from '../transactions/transaction-ids.js';

export type FeedEventName = 'transaction.scored' | 'alert.raised';

export interface FeedEvent {
  name: FeedEventName;
  /** The transaction or alert id: lets a client tell a repeat from a new event. */
  id: string;
  partnerId: string | null;
  region: string | null;
  data: unknown;
}

export type FeedListener = (event: FeedEvent) => void;

/** The permission that reading each kind of event takes through the API: the feed grants no more. */
const PERMISSION_OF: Readonly<Record<FeedEventName, Permission>> = {
  'transaction.scored': 'transactions:read',
  'alert.raised': 'alerts:read',
};

/**
 * Whether a principal may see an event: the permission its kind takes elsewhere in the API (scored
 * transactions need transactions:read, alerts alerts:read), then the read scope (partner, regions).
 */
export function visibleTo(principal: Principal, event: FeedEvent): boolean {
  if (!may(principal, PERMISSION_OF[event.name])) return false;
  const scope = readScopeOf(principal);
  if (scope.partnerId !== null && event.partnerId !== scope.partnerId) return false;
  if (scope.regions !== null && (event.region === null || !scope.regions.includes(event.region)))
    return false;
  return true;
}

/**
 * The event as a visible principal knows it: a partner reads its transactions by its own ids (the stream
 * carries pipeline keys, transaction-ids.ts), everyone else by the key.
 */
export function shownTo(principal: Principal, event: FeedEvent): FeedEvent {
  if (event.name !== 'transaction.scored') return event;
  const ids = transactionIdsOf(readScopeOf(principal));
  const id = ids.shown(event.id);
  return id === event.id
    ? event
    : { ...event, id, data: ids.recordShown(event.data as Record<string, unknown>) };
}

/**
 * One core NATS subscription per event kind for the whole process, opened with the first client: the
 * feed shows what happens from now on, so it needs no durable consumer and leaves no state in JetStream.
 */
@Injectable()
export class FeedService implements OnModuleDestroy {
  private readonly listeners = new Set<FeedListener>();
  private subscriptions: Subscription[] = [];

  constructor(
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Calls the listener with every event until the returned function is called. */
  async listen(listener: FeedListener): Promise<() => void> {
    this.listeners.add(listener);
    if (this.subscriptions.length === 0) {
      this.subscriptions = [
        this.nats.connection.subscribe(Events.transactionScored.filter, {
          callback: (error, msg) => {
            if (!error) this.publish(scoredEvent(msg.json<unknown>()));
          },
        }),
        this.nats.connection.subscribe(Events.alertRaised.filter, {
          callback: (error, msg) => {
            if (!error) this.publish(alertEvent(msg.json<unknown>()));
          },
        }),
      ];
      // the subscriptions are live on the server before the client is told it is connected
      await this.nats.connection.flush();
    }
    return () => this.listeners.delete(listener);
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
    this.subscriptions = [];
    this.listeners.clear();
  }

  private publish(event: FeedEvent | undefined): void {
    if (!event) return;
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.logger.warn({ err: error }, 'feed listener failed');
      }
    }
  }
}

function scoredEvent(payload: unknown): FeedEvent | undefined {
  if (!Events.transactionScored.validate(payload)) return undefined;
  const scored: TransactionScored = payload;
  return {
    name: 'transaction.scored',
    id: scored.transaction.transaction_id,
    partnerId: scored.transaction.partner_id ?? null,
    region: scored.transaction.region,
    data: {
      transaction_id: scored.transaction.transaction_id,
      partner_id: scored.transaction.partner_id ?? null,
      region: scored.transaction.region,
      type: scored.transaction.type,
      amount: scored.transaction.amount,
      currency: scored.transaction.currency,
      score: scored.score,
      decision: scored.decision,
      reasons: scored.reasons,
      scored_at: scored.scored_at,
    },
  };
}

function alertEvent(payload: unknown): FeedEvent | undefined {
  if (!Events.alertRaised.validate(payload)) return undefined;
  const alert: AlertRaised = payload;
  return {
    name: 'alert.raised',
    id: alert.alert_id,
    partnerId: null,
    region: alert.labels.region ?? null,
    data: alert,
  };
}
