// A rolling upgrade under steady load: a load pod outside the release submits transactions through the edge gateway
// at a steady rate while `helm upgrade` changes the services' configuration (LOG_LEVEL), which rolls every service
// Deployment. Afterwards PostgreSQL holds every submitted transaction exactly once, stored by ingest and scored.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHART } from '../k8s/support/tools.js';
import { NAMESPACE, RELEASE, helm, kubectl } from './support/cluster.js';
import { LOAD_NAMESPACE, deleteLoadPod, runLoad, sql, startLoadPod } from './support/load.js';

const LOAD_POD = 'steady-load';

const script = readFileSync(fileURLToPath(new URL('fixtures/steady-load.ts', import.meta.url)), 'utf8');

interface LoadSummary {
  sent: number;
  accepted: number;
  retries: number;
  failed: number;
  errors: Record<string, number>;
}

describe('a rolling upgrade of the suite under steady load', () => {
  beforeAll(() => startLoadPod(LOAD_POD), 180_000);
  afterAll(() => deleteLoadPod(LOAD_POD), 120_000);

  it('loses no transaction and duplicates none, counted in PostgreSQL', async () => {
    const runId = `upgrade-${Date.now().toString(36)}`;
    const load = runLoad<LoadSummary>(LOAD_POD, script, {
      RUN_ID: runId,
      RATE: 10,
      STOP_FILE: `/tmp/stop-${runId}`,
    });
    // let the load settle before the upgrade starts, and keep it running until every Deployment has rolled
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const current = JSON.parse(await helm(['get', 'values', RELEASE, '-n', NAMESPACE, '-o', 'json'])) as {
      logLevel?: string;
    };
    const logLevel = current.logLevel === 'debug' ? 'info' : 'debug';
    const started = Date.now();
    await helm(
      ['upgrade', RELEASE, CHART, '-n', NAMESPACE, '--reuse-values', '--set', `logLevel=${logLevel}`],
      { timeoutMs: 60_000 },
    );
    await kubectl(
      [
        '-n',
        NAMESPACE,
        'rollout',
        'status',
        'deployment',
        '-l',
        `app.kubernetes.io/instance=${RELEASE}`,
        '--timeout=8m',
      ],
      { timeoutMs: 540_000 },
    );
    console.log(
      `rolled every Deployment to LOG_LEVEL=${logLevel} in ${Math.round((Date.now() - started) / 1000)} s`,
    );
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    await kubectl(['-n', LOAD_NAMESPACE, 'exec', LOAD_POD, '--', 'touch', `/tmp/stop-${runId}`]);
    const summary = await load;
    console.log(`load: ${JSON.stringify(summary)}`);
    expect(summary.failed).toBe(0);
    expect(summary.accepted).toBe(summary.sent);
    expect(summary.sent).toBeGreaterThan(100);

    // every transaction stored once by ingest and scored once
    const pattern = `%${runId}-%`;
    const deadline = Date.now() + 180_000;
    let counts = '';
    const expected = `${summary.sent}|${summary.sent}|${summary.sent}|${summary.sent}`;
    while (Date.now() < deadline) {
      counts = await sql(
        `select (select count(*) from ingest.transactions where transaction_id like '${pattern}'),` +
          ` (select count(distinct transaction_id) from ingest.transactions where transaction_id like '${pattern}'),` +
          ` (select count(*) from scorer.scores where transaction_id like '${pattern}'),` +
          ` (select count(distinct transaction_id) from scorer.scores where transaction_id like '${pattern}')`,
      );
      if (counts === expected) break;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
    console.log(`PostgreSQL (ingested, distinct, scored, distinct): ${counts}, submitted ${summary.sent}`);
    expect(counts).toBe(expected);
  }, 900_000);
});
