// Runs a worker for every partition this replica holds a lease on, and restarts a partition whose
// worker failed by giving its lease back (it is claimed again with a new epoch and fresh state). A worker
// fails only when fenced or when its consumer cannot start: bad events and transient errors it handles itself.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  Events,
  Requests,
  SCORER_CONSUMER,
  scorerDecideSubject,
  type TransactionValidated,
} from '@vigil/contracts';
import type { Subscription } from '@nats-io/transport-node';
import { trace } from '@opentelemetry/api';
import {
  JetStreamPublisher,
  MessageBoundary,
  NatsClient,
  messagingMetricsOf,
  serveRequests,
  type ResponderDeps,
} from '@vigil/messaging';
import { OpsServer, type Logger } from '@vigil/observability';
import { LOGGER } from '@vigil/runtime';
import { Counter, Gauge } from 'prom-client';
import { PolicyService } from '../policy/policy.service.js';
import { ScoringEngine } from '../scoring/scoring.engine.js';
import { SCORER_SETTINGS, type ScorerSettings } from '../scorer-settings.js';
import { PartitionLeases, type PartitionOwner } from './partition-leases.js';
import { PartitionRepository } from './partition.repository.js';
import { PartitionWorker } from './partition.worker.js';

@Injectable()
export class PartitionsService implements PartitionOwner, OnApplicationBootstrap, OnApplicationShutdown {
  private readonly workers = new Map<number, PartitionWorker>();
  /** Each owned partition's subscription to its decision requests: only the owner answers for a partition. */
  private readonly deciding = new Map<number, Subscription>();
  private readonly responder: ResponderDeps;
  private leases: PartitionLeases | undefined;
  private readonly member: string;
  private readonly scored: Counter;
  private readonly boundary: MessageBoundary<TransactionValidated>;

  constructor(
    @Inject(NatsClient) private readonly nats: NatsClient,
    @Inject(JetStreamPublisher) private readonly publisher: JetStreamPublisher,
    @Inject(PartitionRepository) private readonly repository: PartitionRepository,
    @Inject(ScoringEngine) private readonly engine: ScoringEngine,
    @Inject(PolicyService) private readonly policies: PolicyService,
    @Inject(OpsServer) ops: OpsServer,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(SCORER_SETTINGS) private readonly settings: ScorerSettings,
  ) {
    this.member = settings.memberId ?? `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
    this.scored = new Counter({
      name: 'vigil_scorer_scored_total',
      help: 'Transactions scored and published',
      registers: [ops.registry],
    });
    // ordered consumers are not redelivered: maxDeliver does not apply, a transient failure retries in place
    this.boundary = new MessageBoundary(
      SCORER_CONSUMER,
      Events.transactionValidated,
      Number.POSITIVE_INFINITY,
      {
        publisher,
        logger,
        registry: ops.registry,
        service: 'scorer',
      },
    );
    this.responder = {
      tracer: trace.getTracer('scorer'),
      logger,
      metrics: messagingMetricsOf(ops.registry),
    };
    const workers = this.workers;
    new Gauge({
      name: 'vigil_scorer_partitions_owned',
      help: 'Account partitions this replica scores',
      registers: [ops.registry],
      collect() {
        this.set(workers.size);
      },
    });
    new Gauge({
      name: 'vigil_scorer_partition_stalled_seconds',
      help: 'Seconds the batch in hand of each owned partition has waited to commit; 0 while it flows',
      labelNames: ['partition'],
      registers: [ops.registry],
      collect() {
        this.reset();
        for (const [partition, worker] of workers) this.set({ partition }, worker.stalledSeconds());
      },
    });
    ops.addReadinessCheck('scoring-policy', () => {
      this.policies.current();
      return Promise.resolve();
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.policies.start(this.settings.modelsDir);
    this.leases = new PartitionLeases(this.nats, this.member, this.settings.leaseTtlMs, this, this.logger);
    await this.leases.start();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.leases?.stop();
  }

  owned(): number[] {
    return [...this.workers.keys()].sort((a, b) => a - b);
  }

  acquired(partition: number, epoch: number): void {
    const worker = new PartitionWorker(partition, epoch, {
      nats: this.nats,
      publisher: this.publisher,
      repository: this.repository,
      engine: this.engine,
      boundary: this.boundary,
      logger: this.logger,
      owner: this.member,
      onScored: (count) => this.scored.inc(count),
    });
    this.workers.set(partition, worker);
    this.deciding.get(partition)?.unsubscribe();
    this.deciding.set(
      partition,
      serveRequests(
        this.nats,
        Requests.scorerDecide,
        (validated) => worker.decide(validated),
        this.responder,
        scorerDecideSubject(partition),
      ),
    );
    worker.done.catch(async (error: unknown) => {
      if (this.workers.get(partition) !== worker) return;
      this.workers.delete(partition);
      this.stopDeciding(partition);
      this.logger.error(
        { err: error, partition, epoch },
        'partition worker failed; giving the partition back',
      );
      await this.leases?.surrender(partition);
    });
  }

  private stopDeciding(partition: number): void {
    this.deciding.get(partition)?.unsubscribe();
    this.deciding.delete(partition);
  }

  async released(partition: number, graceful: boolean): Promise<void> {
    const worker = this.workers.get(partition);
    if (!worker) return;
    this.workers.delete(partition);
    this.stopDeciding(partition);
    if (!graceful) this.logger.warn({ partition }, 'partition lost; its uncommitted batch is abandoned');
    await worker.stop();
  }
}
