// The controllers of the leader: one informer per custom resource kind feeding one rate-limited work queue
// (keys `<Kind>/<name>`), and a resync that queues every resource again so a change made outside Kubernetes
// (a document written by the CLI) is noticed even when no resource changed. A change in the bucket queues the
// resources of its kind at once.
import { DocumentStore, type DocumentWatch, type NatsClient } from '@vigil/messaging';
import type { Logger } from '@vigil/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { DOCUMENT_KINDS, PeakScheduleKind } from './crds/custom-resources.js';
import type { DocumentCompilers } from './documents/document-compilers.js';
import { DocumentReconciler, type DocumentResource } from './documents/document.reconciler.js';
import type { Kubernetes, ResourceInformer } from './kubernetes/kubernetes.js';
import {
  PeakScheduleReconciler,
  type PeakResource,
  type PeakTargets,
} from './peak-hours/peak-schedule.reconciler.js';
import { WorkQueue, type ProcessResult } from './reconcile/work-queue.js';

export interface OperatorOptions {
  kube: Kubernetes;
  nats: NatsClient;
  compilers: DocumentCompilers;
  peakTargets: PeakTargets;
  logger: Logger;
  registry: Registry;
  resyncIntervalMs: number;
  now?: () => Date;
}

interface Controller {
  kind: string;
  informer: ResourceInformer<DocumentResource | PeakResource>;
  reconcile(name: string): Promise<ProcessResult>;
}

export class OperatorMetrics {
  readonly reconciles: Counter<'kind' | 'result'>;
  readonly duration: Histogram<'kind'>;
  readonly leader: Gauge;

  constructor(registry: Registry, depth: () => number) {
    this.reconciles = new Counter({
      name: 'vigil_operator_reconciles_total',
      help: 'Reconcile passes by resource kind and result (ok, error)',
      labelNames: ['kind', 'result'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'vigil_operator_reconcile_seconds',
      help: 'Time one reconcile pass took',
      labelNames: ['kind'],
      buckets: [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers: [registry],
    });
    this.leader = new Gauge({
      name: 'vigil_operator_leader',
      help: '1 while this replica holds the leader lease and reconciles',
      registers: [registry],
    });
    new Gauge({
      name: 'vigil_operator_queue_depth',
      help: 'Resource keys waiting to be reconciled',
      registers: [registry],
      collect() {
        this.set(depth());
      },
    });
  }
}

export class Operator {
  private controllers: Controller[] = [];
  private watches: DocumentWatch[] = [];
  private queue?: WorkQueue;
  private resync?: NodeJS.Timeout;
  private running = false;
  readonly metrics: OperatorMetrics;

  constructor(private readonly options: OperatorOptions) {
    this.metrics = new OperatorMetrics(options.registry, () => this.queue?.depth ?? 0);
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Starts watching and reconciling (on becoming leader). */
  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.metrics.leader.set(1);
    const { kube, nats, logger } = this.options;
    const queue = new WorkQueue(
      (key) => this.process(key),
      (key, error, retryInMs) => logger.warn({ key, err: error, retryInMs }, 'reconcile failed; retrying'),
    );
    this.queue = queue;
    for (const kind of DOCUMENT_KINDS) {
      const informer = kube.informer<DocumentResource>(kind.plural);
      const store = await DocumentStore.open<unknown>(nats, kind.document, logger);
      const reconciler = new DocumentReconciler(
        kind,
        kube,
        store,
        this.options.compilers[kind.kind as keyof DocumentCompilers],
        (name) => informer.get(name, kube.namespace),
        logger,
        this.options.now,
      );
      this.controllers.push({ kind: kind.kind, informer, reconcile: (name) => reconciler.reconcile(name) });
      // a version written by anyone queues the resources of its kind
      // a version or a removal made outside Kubernetes is reported at once, not at the next resync
      const queue = () => this.queueAll(kind.kind);
      this.watches.push(store.watch(queue, { onRemoved: queue }));
    }
    const peakInformer = kube.informer<PeakResource>(PeakScheduleKind.plural);
    const peak = new PeakScheduleReconciler(
      kube,
      this.options.peakTargets,
      (name) => peakInformer.get(name, kube.namespace),
      logger,
      this.options.now,
    );
    this.controllers.push({
      kind: PeakScheduleKind.kind,
      informer: peakInformer,
      reconcile: (name) => peak.reconcile(name),
    });
    for (const controller of this.controllers) this.watch(controller);
    await Promise.all(this.controllers.map((c) => c.informer.start()));
    this.resync = setInterval(() => this.queueAll(), this.options.resyncIntervalMs);
    this.resync.unref();
    logger.info({ namespace: kube.namespace }, 'reconciling');
  }

  /** Stops reconciling (on losing leadership or shutting down); a pass in progress finishes. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.metrics.leader.set(0);
    clearInterval(this.resync);
    for (const watch of this.watches.splice(0)) watch.stop();
    const controllers = this.controllers.splice(0);
    await Promise.all(controllers.map((c) => c.informer.stop().catch(() => undefined)));
    const queue = this.queue;
    queue?.stop();
    await queue?.idle();
  }

  /** Queues every known resource (of one kind): what a resync does, and what a test clock needs. */
  queueAll(kind?: string): void {
    for (const controller of this.controllers)
      if (!kind || controller.kind === kind)
        for (const resource of controller.informer.list(this.options.kube.namespace))
          this.queue?.add(`${controller.kind}/${resource.metadata.name}`);
  }

  private watch(controller: Controller): void {
    const queue = (resource: DocumentResource | PeakResource) =>
      this.queue?.add(`${controller.kind}/${resource.metadata.name}`);
    controller.informer.on('add', queue);
    controller.informer.on('update', queue);
    controller.informer.on('delete', queue);
    controller.informer.on('error', (error: unknown) => {
      if (!this.running) return;
      this.options.logger.warn({ kind: controller.kind, err: error }, 'watch failed; restarting');
      setTimeout(() => {
        if (this.running) controller.informer.start().catch(() => undefined);
      }, 1_000).unref();
    });
  }

  private async process(key: string): Promise<ProcessResult> {
    const [kind, name] = key.split('/') as [string, string];
    const controller = this.controllers.find((c) => c.kind === kind);
    if (!controller) return;
    const end = this.metrics.duration.startTimer({ kind });
    try {
      const result = await controller.reconcile(name);
      this.metrics.reconciles.inc({ kind, result: 'ok' });
      return result;
    } catch (error) {
      this.metrics.reconciles.inc({ kind, result: 'error' });
      throw error;
    } finally {
      end();
    }
  }
}
