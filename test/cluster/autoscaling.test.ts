// The scorer's HorizontalPodAutoscaler on a real cluster (metrics-server reading the pods' CPU): the same stream of
// transactions is scored once with the scorer held at one replica and once with the autoscaler free to add
// replicas, which it does under the load and takes away after it; every transaction gets the same score and reason
// codes both times, as the per-account state stays correct while partitions move between replicas (the stream
// pays each payee from one account only, see fixtures/batch-load.ts). The validator is held at one replica for
// both runs: replicas judge what they pulled concurrently, so under a backlog two transactions of one account in
// two replicas' hands may be published in either order (docs/ARCHITECTURE.md, "Order in, order out"), and the
// features follow that order; what this test varies is the scorer alone.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { CHART } from '../k8s/support/tools.js';
import { NAMESPACE, RELEASE, helm, kubectlJson } from './support/cluster.js';
import { deleteLoadPod, runLoad, sql, startLoadPod } from './support/load.js';

const LOAD_POD = 'batch-load';

const script = readFileSync(fileURLToPath(new URL('fixtures/batch-load.ts', import.meta.url)), 'utf8');
const TOTAL = 4000;
/** The autoscaled run's pace: enough CPU on the scorer, for long enough, for its autoscaler to add replicas. */
const RATE = 80;
/**
 * The reference run's pace. The scores depend on the records and their order per account only (event times come
 * from the sequence number, batches go one after another, one replica of each stage), not on when they arrive, so
 * the reference need not take the autoscaled run's time.
 */
const REFERENCE_RATE = 240;

interface LoadSummary {
  total: number;
  accepted: number;
  retries: number;
  failed: number;
  seconds: number;
}

async function scorerMaxReplicas(max: number, validatorMax: number): Promise<void> {
  await helm(
    [
      'upgrade',
      RELEASE,
      CHART,
      '-n',
      NAMESPACE,
      '--reuse-values',
      '--set',
      `services.scorer.autoscaling.maxReplicas=${max}`,
      '--set',
      `services.validator.autoscaling.maxReplicas=${validatorMax}`,
      '--wait',
      '--timeout',
      '5m',
    ],
    { timeoutMs: 330_000 },
  );
}

async function replicasOf(component: string): Promise<number> {
  const deployment = await kubectlJson<{ status: { replicas?: number } }>([
    '-n',
    NAMESPACE,
    'get',
    'deployment',
    `${RELEASE}-${component}`,
  ]);
  return deployment.status.replicas ?? 0;
}

const scorerReplicas = () => replicasOf('scorer');

/** The scorer's average CPU as a percentage of its request, as its HorizontalPodAutoscaler last saw it. */
async function scorerCpuUtilization(): Promise<number | undefined> {
  const hpa = await kubectlJson<{
    status: { currentMetrics?: { resource?: { current?: { averageUtilization?: number } } }[] };
  }>(['-n', NAMESPACE, 'get', 'hpa', `${RELEASE}-scorer`]);
  return hpa.status.currentMetrics?.[0]?.resource?.current?.averageUtilization;
}

async function until(what: string, seconds: number, check: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 3000));
  }
  throw new Error(`${what}: not within ${seconds} s`);
}

const scored = async (runId: string) =>
  Number(await sql(`select count(*) from scorer.scores where transaction_id like '%${runId}-%'`));

describe('the scorer scaled by its HorizontalPodAutoscaler', () => {
  beforeAll(() => startLoadPod(LOAD_POD), 180_000);
  afterAll(async () => {
    await deleteLoadPod(LOAD_POD);
    await scorerMaxReplicas(3, 3).catch(() => undefined);
  }, 400_000);

  it('goes from 1 replica to at least 2 under load and back to 1, with the scores of a single replica', async () => {
    const stamp = Date.now().toString(36);
    const baseTime = new Date(Date.now() - 3_600_000).toISOString();
    const single = `hpa1-${stamp}`;
    const scaled = `hpa2-${stamp}`;

    // the reference: one replica, the autoscaler held at its floor
    await scorerMaxReplicas(1, 1);
    await until('the scorer at 1 replica', 180, async () => (await scorerReplicas()) === 1);
    await until('the validator at 1 replica', 180, async () => (await replicasOf('validator')) === 1);
    const reference = await runLoad<LoadSummary>(LOAD_POD, script, {
      RUN_ID: single,
      ACCOUNT_PREFIX: `C-${single}`,
      TOTAL,
      RATE: REFERENCE_RATE,
      BASE_TIME: baseTime,
    });
    console.log(`one replica: ${JSON.stringify(reference)}`);
    expect(reference.accepted).toBe(TOTAL);
    await until('the one-replica run scored', 300, async () => (await scored(single)) === TOTAL);

    // the same stream with the autoscaler free to add replicas, once the scorer idles again (so what scales it is
    // this load); the replica count is sampled throughout
    await until('the scorer idle', 300, async () => {
      const utilization = await scorerCpuUtilization();
      return utilization !== undefined && utilization < 50;
    });
    await scorerMaxReplicas(3, 1);
    const started = Date.now();
    const timeline: string[] = [];
    let peak = 1;
    let sampling = true;
    const sampler = (async () => {
      let last = -1;
      while (sampling) {
        const replicas = await scorerReplicas().catch(() => last);
        if (replicas !== last) {
          timeline.push(`${Math.round((Date.now() - started) / 1000)} s: ${replicas} replica(s)`);
          last = replicas;
        }
        peak = Math.max(peak, replicas);
        await new Promise((resolve) => setTimeout(resolve, 3000));
      }
    })();
    const load = await runLoad<LoadSummary>(LOAD_POD, script, {
      RUN_ID: scaled,
      ACCOUNT_PREFIX: `C-${scaled}`,
      TOTAL,
      RATE,
      BASE_TIME: baseTime,
    });
    console.log(`autoscaled: ${JSON.stringify(load)}`);
    await until('the autoscaled run scored', 300, async () => (await scored(scaled)) === TOTAL);
    await until('the scorer back at 1 replica', 300, async () => (await scorerReplicas()) === 1);
    sampling = false;
    await sampler;
    timeline.push(`${Math.round((Date.now() - started) / 1000)} s: ${await scorerReplicas()} replica(s)`);
    console.log(`scorer replicas over time:\n  ${timeline.join('\n  ')}`);
    expect(peak).toBeGreaterThanOrEqual(2);
    expect(await scorerReplicas()).toBe(1);

    // transaction by transaction: the same score and reason codes
    const comparison = await sql(
      'select count(*), count(*) filter (where a.score = b.score' +
        " and jsonb_path_query_array(a.reasons, '$[*].code') = jsonb_path_query_array(b.reasons, '$[*].code'))" +
        ` from scorer.scores a join scorer.scores b on b.transaction_id = replace(a.transaction_id, '${single}-', '${scaled}-')` +
        ` where a.transaction_id like '%${single}-%'`,
    );
    console.log(`pairs compared, identical: ${comparison}`);
    if (comparison !== `${TOTAL}|${TOTAL}`) {
      // which transactions differ, and in which features (positions in the stored vector)
      const differing = await sql(
        "select a.transaction_id || ' ' || a.score || ' vs ' || b.score || ' features ' ||" +
          " coalesce((select string_agg(i::text, ',') from generate_subscripts(a.features, 1) i" +
          " where a.features[i] is distinct from b.features[i]), 'none')" +
          ` from scorer.scores a join scorer.scores b on b.transaction_id = replace(a.transaction_id, '${single}-', '${scaled}-')` +
          ` where a.transaction_id like '%${single}-%' and (a.score <> b.score or a.features is distinct from b.features)` +
          ' order by a.transaction_id limit 20',
      );
      console.log(`differing pairs (first 20):\n${differing}`);
    }
    expect(comparison).toBe(`${TOTAL}|${TOTAL}`);
  }, 1_500_000);
});
