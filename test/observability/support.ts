// The real backends of the observability tests (Jaeger, Prometheus, promtool), found through environment
// variables that .ci/run sets, and the helpers that read what the chart ships (rules, dashboards).
import { spawn, type ChildProcess } from 'node:child_process';
import {
  accessSync,
  constants,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '@vigil/testing';
import { jaegerConfig } from '../../scripts/lib/jaeger.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const RULES_FILE = join(ROOT, 'charts/vigil/files/prometheus/rules.yaml');
export const DASHBOARDS_DIR = join(ROOT, 'charts/vigil/files/dashboards');

/** The executable named by `variable`; fails with what to do when it is missing (never skips). */
export function binary(variable: string, what: string): string {
  const path = process.env[variable];
  if (!path)
    throw new Error(
      `${variable} is not set: the observability tests need ${what}. .ci/run installs and builds it; ` +
        'see docs/observability.md ("Running the observability tests").',
    );
  try {
    accessSync(path, constants.X_OK);
  } catch {
    throw new Error(`${variable}=${path} is not an executable file (${what})`);
  }
  return path;
}

/** A child process whose output is kept for the failure message. */
class Backend {
  readonly output: string[] = [];
  private readonly exited: Promise<void>;

  constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
  ) {
    const keep = (chunk: Buffer) => this.output.push(...chunk.toString().split('\n').filter(Boolean));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(): Promise<void> {
    if (this.alive) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
    rmSync(this.dir, { recursive: true, force: true });
  }

  async waitUntilAnswering(url: string, what: string): Promise<void> {
    await waitFor(
      () =>
        this.alive
          ? fetch(url).then(
              (r) => r.ok,
              () => false,
            )
          : Promise.reject(new Error(`${what} exited:\n${this.output.slice(-20).join('\n')}`)),
      (ok) => ok,
      { what: `${what} answering at ${url}`, timeoutMs: 60_000, intervalMs: 200 },
    );
  }
}

export interface JaegerSpan {
  traceID: string;
  spanID: string;
  operationName: string;
  processID: string;
  references: { refType: 'CHILD_OF' | 'FOLLOWS_FROM'; traceID: string; spanID: string }[];
  tags: { key: string; type: string; value: unknown }[];
  startTime: number;
}

export interface JaegerTrace {
  traceID: string;
  spans: JaegerSpan[];
  processes: Record<string, { serviceName: string; tags: { key: string; value: unknown }[] }>;
}

/** Jaeger v2 with in-memory storage: OTLP/HTTP in, the query API out, on free ports. */
export class Jaeger {
  private constructor(
    private readonly backend: Backend,
    readonly otlpEndpoint: string,
    readonly queryUrl: string,
  ) {}

  static async start(): Promise<Jaeger> {
    const bin = binary('JAEGER_BIN', 'Jaeger v1.75.0 (built from the Go module proxy)');
    const [otlp, query, grpc] = [await freePort(), await freePort(), await freePort()];
    const dir = mkdtempSync(join(tmpdir(), 'vigil-jaeger-'));
    const config = join(dir, 'config.yaml');
    writeFileSync(config, jaegerConfig({ otlp, query, grpc }));
    const child = spawn(bin, [`--config=file:${config}`], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    const jaeger = new Jaeger(
      new Backend(child, dir),
      `http://127.0.0.1:${otlp}`,
      `http://127.0.0.1:${query}`,
    );
    await jaeger.backend.waitUntilAnswering(`${jaeger.queryUrl}/api/services`, 'Jaeger');
    return jaeger;
  }

  async services(): Promise<string[]> {
    return (await this.get<{ data: string[] | null }>('/api/services')).data ?? [];
  }

  /** Traces with a span of `service` that started after `sinceMs` (epoch ms). */
  async traces(service: string, sinceMs: number): Promise<JaegerTrace[]> {
    const params = new URLSearchParams({ service, start: String(sinceMs * 1000), limit: '1000' });
    return (await this.get<{ data: JaegerTrace[] | null }>(`/api/traces?${params.toString()}`)).data ?? [];
  }

  async trace(traceId: string): Promise<JaegerTrace | undefined> {
    const answer = await fetch(`${this.queryUrl}/api/traces/${traceId}`);
    if (answer.status === 404) return undefined;
    return ((await answer.json()) as { data: JaegerTrace[] }).data[0];
  }

  private async get<T>(path: string): Promise<T> {
    const answer = await fetch(`${this.queryUrl}${path}`);
    if (!answer.ok) throw new Error(`Jaeger ${path}: ${answer.status} ${await answer.text()}`);
    return (await answer.json()) as T;
  }

  stop(): Promise<void> {
    return this.backend.stop();
  }
}

export interface ScrapeTarget {
  job: string;
  port: number;
}

interface PromAnswer<T> {
  status: 'success' | 'error';
  data: T;
  error?: string;
}

export interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Debian's Prometheus scraping the given ops ports every second, with the chart's rules loaded. */
export class Prometheus {
  private constructor(
    private readonly backend: Backend,
    readonly url: string,
  ) {}

  static async start(targets: ScrapeTarget[]): Promise<Prometheus> {
    const bin = binary('PROMETHEUS_BIN', "Prometheus (Debian's prometheus package)");
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'vigil-prometheus-'));
    const config = join(dir, 'prometheus.yml');
    writeFileSync(
      config,
      JSON.stringify({
        global: { scrape_interval: '1s', evaluation_interval: '1s' },
        rule_files: [RULES_FILE],
        scrape_configs: targets.map((t) => ({
          job_name: t.job,
          // the services label their own series with `service`, as the ServiceMonitors keep them (honorLabels)
          honor_labels: true,
          static_configs: [{ targets: [`127.0.0.1:${t.port}`] }],
        })),
      }),
    );
    const child = spawn(
      bin,
      [
        `--config.file=${config}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--enable-feature=exemplar-storage',
        '--log.level=warn',
      ],
      { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const prometheus = new Prometheus(new Backend(child, dir), `http://127.0.0.1:${port}`);
    await prometheus.backend.waitUntilAnswering(`${prometheus.url}/-/ready`, 'Prometheus');
    return prometheus;
  }

  async api<T>(path: string): Promise<T> {
    const answer = await fetch(`${this.url}/api/v1/${path}`);
    const body = (await answer.json()) as PromAnswer<T>;
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? answer.status}`);
    return body.data;
  }

  async query(expr: string): Promise<Sample[]> {
    const data = await this.api<{ resultType: string; result: Sample[] }>(
      `query?${new URLSearchParams({ query: expr }).toString()}`,
    );
    return data.result;
  }

  stop(): Promise<void> {
    return this.backend.stop();
  }
}

export interface Dashboard {
  uid: string;
  title: string;
  panels: { title: string; targets?: { expr: string }[] }[];
}

/** The chart's dashboards, parsed (a file that is not JSON throws here, naming it). */
export function dashboards(): { file: string; dashboard: Dashboard }[] {
  return readdirSync(DASHBOARDS_DIR)
    .filter((file) => file.endsWith('.json'))
    .map((file) => {
      const text = readFileSync(join(DASHBOARDS_DIR, file), 'utf8');
      try {
        return { file, dashboard: JSON.parse(text) as Dashboard };
      } catch (error) {
        throw new Error(`${file} is not JSON: ${String(error)}`, { cause: error });
      }
    });
}

export const dashboardQueries = (): { file: string; panel: string; expr: string }[] =>
  dashboards().flatMap(({ file, dashboard }) =>
    dashboard.panels.flatMap((panel) =>
      (panel.targets ?? []).map((target) => ({ file, panel: panel.title, expr: target.expr })),
    ),
  );

const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
]);

/** The metric names a PromQL expression reads: identifiers that are not functions, keywords or labels. */
export function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '') // label lists
    .replace(/\$\w+/g, ''); // Grafana variables
  const names = [...bare.matchAll(/([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?/g)]
    .filter((m) => m[2] === undefined && !PROMQL_WORDS.has(m[1]!.toLowerCase()))
    .map((m) => m[1]!)
    .filter((name) => !/^\d/.test(name));
  return [...new Set(names)];
}

/** Every sample name a /metrics page (OpenMetrics or Prometheus text) can produce, with or without samples. */
export function exposedNames(page: string): Set<string> {
  const names = new Set<string>();
  for (const line of page.split('\n')) {
    const type = /^# TYPE (\S+) (\w+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      if (kind === 'counter') names.add(name.endsWith('_total') ? name : `${name}_total`);
      else if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      else if (kind === 'summary') for (const s of ['', '_sum', '_count']) names.add(name + s);
      else names.add(name);
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

/** Names the chart's rules record (vigil:...). */
export function recordedNames(): string[] {
  return [...readFileSync(RULES_FILE, 'utf8').matchAll(/- record: (\S+)/g)].map((m) => m[1]!);
}
