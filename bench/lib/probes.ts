// What the running suite shows while it works: consumer backlogs (which stage falls behind) and handle times.
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { handleTimes, type RunningSuite, type ServiceName } from './suite.ts';

const DURABLES = ['ingest-ledger', 'validator', 'scorer', 'alerting'] as const;
const STREAM = 'TRANSACTIONS';

export interface BacklogReport {
  /** Largest (pending + unacknowledged) seen per durable while sampling. */
  max: Record<string, number>;
  /** Mean over the samples. */
  mean: Record<string, number>;
  samples: number;
}

/** Samples every durable's backlog twice a second until stopped. */
export class BacklogSampler {
  private nc?: NatsConnection;
  private jsm?: JetStreamManager;
  private timer?: NodeJS.Timeout;
  private readonly max: Record<string, number> = {};
  private readonly sum: Record<string, number> = {};
  private samples = 0;
  private busy = false;

  async start(url: string): Promise<void> {
    this.nc = await connect({ servers: url, name: 'vigil-bench-probe' });
    this.jsm = await jetstreamManager(this.nc);
    this.timer = setInterval(() => void this.sample(), 500);
  }

  private async sample(): Promise<void> {
    if (this.busy || !this.jsm) return;
    this.busy = true;
    try {
      const infos = await Promise.all(DURABLES.map((d) => this.jsm!.consumers.info(STREAM, d)));
      infos.forEach((info, i) => {
        const durable = DURABLES[i]!;
        const backlog = info.num_pending + info.num_ack_pending;
        this.max[durable] = Math.max(this.max[durable] ?? 0, backlog);
        this.sum[durable] = (this.sum[durable] ?? 0) + backlog;
      });
      this.samples++;
    } catch {
      // a missed sample is fine
    } finally {
      this.busy = false;
    }
  }

  async stop(): Promise<BacklogReport> {
    clearInterval(this.timer);
    await this.nc?.close();
    const mean: Record<string, number> = {};
    for (const durable of DURABLES)
      mean[durable] = Math.round((this.sum[durable] ?? 0) / Math.max(1, this.samples));
    return { max: { ...this.max }, mean, samples: this.samples };
  }
}

export type HandleSnapshot = Map<string, { sum: number; count: number }>;

export async function snapshotHandleTimes(suite: RunningSuite): Promise<HandleSnapshot> {
  const all: HandleSnapshot = new Map();
  for (const name of ['ingest', 'validator', 'scorer', 'alerting'] as ServiceName[]) {
    const port = suite.metricsPorts.get(name)!;
    const times = await handleTimes(port).catch((): HandleSnapshot => new Map());
    for (const [consumer, value] of times) all.set(consumer, value);
  }
  return all;
}

/** Mean delivery-to-ack time per consumer between two snapshots, in ms. */
export function meanHandleMs(before: HandleSnapshot, after: HandleSnapshot): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [consumer, end] of after) {
    const start = before.get(consumer) ?? { sum: 0, count: 0 };
    const count = end.count - start.count;
    if (count > 0) result[consumer] = Math.round(((end.sum - start.sum) / count) * 1000 * 100) / 100;
  }
  return result;
}
