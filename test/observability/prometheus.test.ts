// Prometheus (Debian's package) scraping the running suite with the chart's rules loaded, as an SRE's would:
// every target up, the SLO and pipeline queries answered, exemplars that lead to traces, and every metric a
// shipped dashboard reads exposed by a service or recorded by a shipped rule.
import 'reflect-metadata';
import { setTimeout as sleep } from 'node:timers/promises';
import { newAccountTakeover, newTransaction, waitFor } from '@vigil/testing';
import { postJson, tokenFor } from '../support/api.js';
import { SERVICES, Suite } from '../support/suite.js';
import {
  Jaeger,
  Prometheus,
  dashboardQueries,
  exposedNames,
  metricNamesIn,
  recordedNames,
  type Sample,
} from './support.js';

const MINUTE = 60_000;

describe('Prometheus scraping the running suite', () => {
  let suite: Suite;
  let prometheus: Prometheus;
  let jaeger: Jaeger;
  let stopping = false;
  let traffic: Promise<void> = Promise.resolve();

  beforeAll(async () => {
    // traces go to a real backend, as an SRE's suite sends them: an exemplar names a trace only when the suite
    // records traces, which it does only when something receives them
    jaeger = await Jaeger.start();
    suite = await Suite.start({
      env: Object.fromEntries(SERVICES.map((s) => [s, { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint }])),
    });
    prometheus = await Prometheus.start(
      SERVICES.map((service) => ({ job: `vigil-${service}`, port: suite.metricsPorts.get(service)! })),
    );
    const token = await tokenFor(suite.gatewayUrl, 'partner-a');
    // steady traffic while Prometheus watches, as demo traffic would be: rates need a counter to move between
    // two scrapes. Every third submission holds a record without amount, which the validator quarantines.
    let round = 0;
    traffic = (async () => {
      while (!stopping) {
        const missingAmount = newTransaction();
        delete missingAmount.amount;
        const records =
          round % 3 === 2 ? [newTransaction(), missingAmount] : [newTransaction(), newTransaction()];
        if (round % 10 === 0) records.push(...newAccountTakeover());
        round++;
        const reply = await postJson(`${suite.gatewayUrl}/v1/transactions`, records, {
          authorization: `Bearer ${token}`,
        });
        if (reply.status !== 202) throw new Error(`submission answered ${reply.status}`);
        await sleep(250);
      }
    })();
    await waitFor(
      () => suite.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM scorer.scores`),
      (rows) => rows[0]!.n >= 10,
      { what: 'records to be scored', timeoutMs: MINUTE },
    );
  }, 3 * MINUTE);

  afterAll(async () => {
    stopping = true;
    await traffic;
    await prometheus?.stop();
    await suite?.stop();
    await jaeger?.stop();
  });

  /** Polls `expr` until it answers with at least one sample satisfying `ok`. */
  const answered = (expr: string, ok: (s: Sample) => boolean = () => true) =>
    waitFor(
      () => prometheus.query(expr),
      (samples) => samples.some(ok),
      { what: `data for ${expr}`, timeoutMs: MINUTE, intervalMs: 500 },
    );

  it('scrapes every service: all five targets up', async () => {
    const targets = await waitFor(
      () =>
        prometheus.api<{ activeTargets: { labels: { job: string }; health: string; lastError: string }[] }>(
          'targets',
        ),
      (data) =>
        data.activeTargets.length === SERVICES.length && data.activeTargets.every((t) => t.health === 'up'),
      { what: 'every target up', timeoutMs: MINUTE, intervalMs: 500 },
    );
    expect(targets.activeTargets.map((t) => t.labels.job).sort()).toEqual(
      SERVICES.map((s) => `vigil-${s}`).sort(),
    );
    const up = await prometheus.query('up');
    expect(up.map((s) => [s.metric.job, s.value[1]]).sort()).toEqual(
      SERVICES.map((s) => [`vigil-${s}`, '1']).sort(),
    );
  });

  it('answers consumer lag per durable', async () => {
    const lag = await answered('vigil_jetstream_consumer_pending_messages');
    const durables = lag.map((s) => s.metric.durable);
    expect(durables).toEqual(expect.arrayContaining(['validator']));
    for (const sample of lag) expect(Number(sample.value[1])).toBeGreaterThanOrEqual(0);
  });

  it('answers the DQ pass rate per region: the valid share of judged records, below 1 where records were quarantined', async () => {
    const passRate = await answered('vigil:dq_pass_ratio:rate5m', (s) => Number(s.value[1]) < 1);
    for (const sample of passRate) {
      expect(sample.metric.region).toEqual(expect.any(String));
      expect(Number(sample.value[1])).toBeGreaterThanOrEqual(0);
      expect(Number(sample.value[1])).toBeLessThanOrEqual(1);
    }
    const quarantined = await answered('vigil:dq_quarantine_ratio:rate10m', (s) => Number(s.value[1]) > 0);
    expect(Number(quarantined[0]!.value[1])).toBeLessThan(1);
  });

  it('answers ingest latency (p99 of submissions) and the SLO ratios, with trace ids as exemplars', async () => {
    const p99 = await answered(
      'histogram_quantile(0.99, sum by (le) (rate(http_server_request_duration_seconds_bucket{http_route="/v1/transactions",http_request_method="POST"}[1m])))',
      (s) => Number(s.value[1]) > 0,
    );
    expect(Number(p99[0]!.value[1])).toBeLessThan(10);
    await answered('vigil:ingest_slow_ratio:rate5m');
    const errors = await answered('vigil:ingest_error_ratio:rate5m');
    expect(Number(errors[0]!.value[1])).toBe(0);

    const now = Date.now() / 1000;
    const exemplars = await waitFor(
      () =>
        prometheus.api<{ exemplars: { labels: Record<string, string> }[] }[]>(
          `query_exemplars?${new URLSearchParams({
            query: 'http_server_request_duration_seconds_bucket{http_route="/v1/transactions"}',
            start: String(now - 600),
            end: String(now + 60),
          }).toString()}`,
        ),
      (series) => series.some((s) => s.exemplars.length > 0),
      { what: 'exemplars on the submission histogram', timeoutMs: MINUTE, intervalMs: 500 },
    );
    const traceIds = exemplars.flatMap((s) => s.exemplars.map((e) => e.labels.trace_id));
    for (const traceId of traceIds) expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('evaluates every shipped rule without error', async () => {
    const rules = await waitFor(
      () =>
        prometheus.api<{
          groups: { name: string; rules: { name: string; health: string; lastError?: string }[] }[];
        }>('rules'),
      (data) => data.groups.every((g) => g.rules.every((r) => r.health === 'ok')),
      { what: 'every rule evaluated', timeoutMs: MINUTE, intervalMs: 500 },
    );
    expect(rules.groups.map((g) => g.name).sort()).toEqual([
      'vigil-pipeline',
      'vigil-slo-burn-rate',
      'vigil-slo-recording',
    ]);
  });

  it('has every metric that a dashboard query names, and runs every dashboard query', async () => {
    const exposed = new Set<string>(['up', ...recordedNames()]);
    for (const service of SERVICES) {
      const page = await (await fetch(`http://127.0.0.1:${suite.metricsPorts.get(service)}/metrics`)).text();
      for (const name of exposedNames(page)) exposed.add(name);
    }
    const queries = dashboardQueries();
    const missing = queries.flatMap((q) =>
      metricNamesIn(q.expr)
        .filter((name) => !exposed.has(name))
        .map((name) => `${q.file} "${q.panel}": ${name}`),
    );
    expect(missing).toEqual([]);
    for (const q of queries) {
      const expr = q.expr.replaceAll('$__rate_interval', '1m').replaceAll('$service', '.*');
      // throws on a query Prometheus refuses, naming it
      const samples = await prometheus.query(expr).catch((error: unknown) => {
        throw new Error(`${q.file} "${q.panel}": ${String(error)}`);
      });
      expect(Array.isArray(samples)).toBe(true);
    }
  });
});
