// The operations port: Prometheus metrics and liveness/readiness, apart from the service's own traffic.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, type Registry } from 'prom-client';
import { openMetricsRegistry } from './metrics.js';

export type ReadinessCheck = () => Promise<void>;

export class OpsServer {
  /** OpenMetrics, so histograms can carry trace-id exemplars. */
  readonly registry: Registry = openMetricsRegistry();
  private readonly checks = new Map<string, ReadinessCheck>();
  private readonly details = new Map<string, () => unknown>();
  private server?: Server;

  constructor(readonly service: string) {
    this.registry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Ready means every named dependency answered; each check should be quick and bounded. */
  addReadinessCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }

  /** Adds a field to the health answers, e.g. the configuration version a service is running with. */
  addHealthDetail(name: string, detail: () => unknown): void {
    this.details.set(name, detail);
  }

  healthDetails(): Record<string, unknown> {
    return Object.fromEntries([...this.details].map(([name, detail]) => [name, detail()]));
  }

  async readiness(): Promise<{ ready: boolean; checks: Record<string, string> }> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]) => {
        try {
          await withTimeout(check(), 2_000);
          return [name, 'ok'] as const;
        } catch (error) {
          return [name, error instanceof Error ? error.message : String(error)] as const;
        }
      }),
    );
    return { ready: entries.every(([, state]) => state === 'ok'), checks: Object.fromEntries(entries) };
  }

  async listen(port: number, host = '0.0.0.0'): Promise<number> {
    this.server = createServer((req, res) => {
      const send = (status: number, body: string, type = 'application/json') => {
        res.writeHead(status, { 'content-type': type }).end(body);
      };
      const route = async () => {
        switch (req.url) {
          case '/metrics':
            return send(200, await this.registry.metrics(), this.registry.contentType);
          case '/health/live':
            return send(
              200,
              JSON.stringify({ status: 'live', service: this.service, ...this.healthDetails() }),
            );
          case '/health/ready': {
            const result = await this.readiness();
            return send(
              result.ready ? 200 : 503,
              JSON.stringify({
                status: result.ready ? 'ready' : 'not ready',
                ...result,
                ...this.healthDetails(),
              }),
            );
          }
          case undefined:
          default:
            return send(404, JSON.stringify({ error: 'not found' }));
        }
      };
      route().catch((error: unknown) => send(500, JSON.stringify({ error: String(error) })));
    });
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject).listen(port, host, resolve);
    });
    return (this.server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]);
}
