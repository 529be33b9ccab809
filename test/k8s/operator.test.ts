// The operator against a real API server (kwok's control plane: etcd, kube-apiserver, controller-manager),
// a real NATS JetStream server and a real validator on Postgres. Its CRDs come from the chart; resources are
// applied and read with kubectl. One operator runs in this process (with a clock the PeakSchedule test sets);
// the leader-election test starts two more as child processes and kills the leader.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  AlertingDocuments,
  Documents,
  ScoringPolicyDocument,
  type Reason,
  type RuleSet,
} from '@vigil/contracts';
import { DocumentStore, NatsClient } from '@vigil/messaging';
import { TestNatsServer, freePort, waitFor } from '@vigil/testing';
import { stringify } from 'yaml';
import { startOperator, type RunningOperator } from '../../services/operator/src/app.js';
import { operatorEnv } from '../../services/operator/src/config.js';
import { ValidatorHarness, logger, newTransaction } from '../../services/validator/test/support.js';
import { KwokCluster } from './support/kwok-cluster.js';
import { CHART, ROOT } from './support/tools.js';

const CRDS = join(CHART, 'crds');
const EXAMPLES = join(ROOT, 'k8s/examples');
const NAMESPACE = 'default';

interface Condition {
  type: string;
  status: string;
  reason: string;
  message: string;
}
interface Resource {
  metadata: { name: string; generation: number; finalizers?: string[] };
  status?: {
    appliedVersion?: number;
    observedGeneration?: number;
    active?: boolean;
    conditions?: Condition[];
  };
}

let cluster: KwokCluster;
let h: ValidatorHarness;
let operator: RunningOperator;
let rules: DocumentStore<unknown>;
/** The operator's clock: real time unless a test sets it. */
let fakeNow: Date | undefined;

const env = (overrides: Record<string, string>) =>
  operatorEnv({
    KUBECONFIG: cluster.kubeconfig,
    NATS_URL: h.nats.url,
    LOG_LEVEL: 'silent',
    OPERATOR_NAMESPACE: NAMESPACE,
    LEASE_DURATION_MS: '4000',
    RENEW_DEADLINE_MS: '3000',
    RETRY_PERIOD_MS: '500',
    RESYNC_INTERVAL_MS: '2000',
    ...overrides,
  });

beforeAll(async () => {
  [cluster, h] = await Promise.all([KwokCluster.create(1), ValidatorHarness.start()]);
  await cluster.kubectl(['apply', '-f', CRDS]);
  await cluster.kubectl(['wait', '--for=condition=Established', 'crd', '--all', '--timeout=60s']);
  operator = await startOperator(env({ METRICS_PORT: String(await freePort()) }), {
    now: () => fakeNow ?? new Date(),
  });
  await waitFor(
    () => Promise.resolve(operator.operator.isRunning),
    (running) => running,
    { what: 'the operator to lead', timeoutMs: 30_000 },
  );
  rules = await DocumentStore.open<unknown>(h.client, Documents.validationRuleSet, logger);
}, 300_000);

afterAll(async () => {
  await operator?.close();
  await h?.stop();
  await cluster?.delete();
}, 120_000);

const get = (kind: string, name: string, namespace = NAMESPACE) =>
  cluster.kubectlJson<Resource>(['get', kind, name, '-n', namespace]);
const ready = (resource: Resource) => resource.status?.conditions?.find((c) => c.type === 'Ready');

/** Waits until the resource's Ready condition speaks of its current generation and satisfies `done`. */
async function waitReady(
  kind: string,
  name: string,
  done: (condition: Condition, resource: Resource) => boolean,
  options: { timeoutMs?: number; namespace?: string } = {},
): Promise<Resource> {
  return waitFor(
    () => get(kind, name, options.namespace),
    (r) =>
      r.status?.observedGeneration === r.metadata.generation && ready(r) !== undefined && done(ready(r)!, r),
    { what: `${kind}/${name} Ready`, timeoutMs: options.timeoutMs ?? 15_000, intervalMs: 100 },
  );
}

const apply = (manifest: object, namespace = NAMESPACE) =>
  cluster.apply(stringify(manifest), ['-n', namespace]);

function ruleSet(name: string, extraRules: RuleSet['rules'] = []): object {
  return {
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'ValidationRuleSet',
    metadata: { name },
    spec: {
      name,
      rules: [
        {
          id: 'range.amount',
          kind: 'range',
          field: 'amount',
          min: '0',
          min_exclusive: true,
          message: 'amount must be positive',
        },
        ...extraRules,
      ],
    },
  };
}

const verdictOf = async (id: string) =>
  (
    await h.query<{ status: string; reasons: Reason[]; rule_set_version: string }>(
      'SELECT status, reasons, rule_set_version FROM validator.results WHERE transaction_id = $1',
      [id],
    )
  )[0];

async function validate(record: Record<string, unknown>) {
  await h.accept([record]);
  return waitFor(
    () => verdictOf(String(record.transaction_id)),
    (v) => v !== undefined,
    { what: 'a verdict' },
  );
}

describe('the API server refuses an invalid spec (kubectl apply --dry-run=server)', () => {
  const dryRun = (manifest: object) =>
    cluster.apply(stringify(manifest), ['--dry-run=server', '-n', NAMESPACE]).then(
      () => '',
      (error: Error) => error.message,
    );
  const withSpec = (spec: object) => ({ ...ruleSet('invalid'), spec });

  it('accepts every example resource', async () => {
    const output = await cluster.kubectl(['apply', '--dry-run=server', '-n', NAMESPACE, '-f', EXAMPLES]);
    expect(output).toMatch(/validationruleset.vigil.dev\/payments created \(server dry run\)/);
    expect(output).toMatch(/peakschedule.vigil.dev\/lagos-peaks created \(server dry run\)/);
  });

  it('refuses a missing field', async () => {
    expect(await dryRun(withSpec({ name: 'invalid' }))).toMatch(/spec.rules: Required value/);
  });

  it('refuses a value outside an enum', async () => {
    expect(
      await dryRun(withSpec({ name: 'invalid', rules: [{ id: 'a', kind: 'regex', field: 'amount' }] })),
    ).toMatch(/spec.rules\[0\].kind: Unsupported value: "regex"/);
  });

  it('refuses a spec a CEL validation rule fails', async () => {
    expect(await dryRun(withSpec({ name: 'invalid', rules: [{ id: 'a', kind: 'expression' }] }))).toMatch(
      /with kind expression, expr is required/,
    );
    expect(
      await dryRun({
        apiVersion: 'vigil.dev/v1alpha1',
        kind: 'ScoringPolicy',
        metadata: { name: 'invalid' },
        spec: { model: 'm', thresholds: { review: 0.9, block: 0.5 }, rules: [] },
      }),
    ).toMatch(/thresholds.review must not exceed thresholds.block/);
  });

  it('refuses two rules with one id', async () => {
    const rule = { id: 'a', kind: 'required', field: 'amount' };
    expect(await dryRun(withSpec({ name: 'invalid', rules: [rule, rule] }))).toMatch(/Duplicate value/);
  });
});

describe('ValidationRuleSet', () => {
  it('is applied to vigil-config, and kubectl get shows Ready and Version', async () => {
    const before = await rules.current();
    await apply(ruleSet('rules'));
    const applied = await waitReady('validationruleset', 'rules', (c) => c.status === 'True');
    expect(applied.status!.appliedVersion).toBe(before!.version + 1);
    expect(applied.metadata.finalizers).toContain('vigil.dev/document');
    expect(await rules.current()).toMatchObject({
      version: applied.status!.appliedVersion,
      applied_by: 'kubernetes:ValidationRuleSet/default/rules',
      document: (ruleSet('rules') as { spec: object }).spec,
    });
    const table = await cluster.kubectl(['get', 'validationrulesets', '-n', NAMESPACE]);
    expect(table).toMatch(/^NAME\s+READY\s+VERSION\s+REASON\s+AGE$/m);
    expect(table).toMatch(
      new RegExp(`^rules\\s+True\\s+${applied.status!.appliedVersion}\\s+Applied\\s+\\S+$`, 'm'),
    );
  });

  it('reports a bad CEL expression within 5 s naming the rule, keeps the running version, and applies the fix', async () => {
    const running = (await rules.current())!;
    const sentAt = Date.now();
    await apply(
      ruleSet('rules', [{ id: 'amount.cap', kind: 'expression', expr: 'decimal(record.amount) <<= 5' }]),
    );
    const refused = await waitReady('validationruleset', 'rules', (c) => c.status === 'False', {
      timeoutMs: 5_000,
    });
    expect(Date.now() - sentAt).toBeLessThan(5_000);
    expect(ready(refused)).toMatchObject({
      reason: 'CompileError',
      message: expect.stringContaining('rule amount.cap (#2)'),
    });
    expect((await rules.current())!.version).toBe(running.version);
    expect(refused.status!.appliedVersion).toBe(running.version);
    const before = await validate(newTransaction({ amount: '10.00' }));
    expect(before!.rule_set_version).toBe(String(running.version));

    await apply(
      ruleSet('rules', [
        { id: 'amount.cap', kind: 'expression', expr: 'decimal(record.amount) <= decimal("1000")' },
      ]),
    );
    const fixed = await waitReady('validationruleset', 'rules', (c) => c.status === 'True');
    expect(fixed.status!.appliedVersion).toBe(running.version + 1);
    // the validator swaps within a moment; a record validated once it has carries the new version
    const after = await waitFor(
      () => validate(newTransaction({ amount: '5000.00' })),
      (v) => v!.rule_set_version === String(running.version + 1),
      { what: 'a verdict under the new version', timeoutMs: 10_000 },
    );
    expect(after).toMatchObject({
      status: 'quarantined',
      reasons: [expect.objectContaining({ code: 'amount.cap' })],
    });
  });

  it('reports a version written outside Kubernetes instead of overwriting it, and applies again after an edit', async () => {
    const ours = (await rules.current())!;
    const byHand = await rules.apply({ name: 'by-hand', rules: [] }, 'data-engineer', ours.version);
    const reported = await waitReady('validationruleset', 'rules', (c) => c.status === 'False');
    expect(ready(reported)).toMatchObject({
      reason: 'ChangedOutsideKubernetes',
      message: expect.stringContaining(`is at version ${byHand.version}, applied by data-engineer`),
    });
    expect((await rules.current())!.version).toBe(byHand.version);

    await apply(ruleSet('rules', [{ id: 'currency.known', kind: 'required', field: 'currency' }]));
    const taken = await waitReady('validationruleset', 'rules', (c) => c.status === 'True');
    expect(taken.status!.appliedVersion).toBe(byHand.version + 1);
    expect(ready(taken)!.message).toContain(`replacing version ${byHand.version}, applied by data-engineer`);
  });

  it('reports within 5 s a document removed outside Kubernetes, and applies it again after an edit', async () => {
    const ours = (await rules.current())!;
    const removedAt = Date.now();
    expect(await rules.remove(ours.version)).toBe(true);
    // the operator's watch on the bucket sees the removal: far sooner than its 30 s resync
    const reported = await waitReady('validationruleset', 'rules', (c) => c.status === 'False', {
      timeoutMs: 5_000,
    });
    expect(Date.now() - removedAt).toBeLessThan(5_000);
    expect(ready(reported)).toMatchObject({
      reason: 'ChangedOutsideKubernetes',
      message: expect.stringContaining(
        `was removed from the bucket after this resource applied version ${ours.version}`,
      ),
    });
    expect(await rules.current()).toBeUndefined();

    await apply(
      ruleSet('rules', [
        { id: 'currency.known', kind: 'required', field: 'currency' },
        { id: 'region.known', kind: 'required', field: 'region' },
      ]),
    );
    const taken = await waitReady('validationruleset', 'rules', (c) => c.status === 'True');
    expect(taken.status!.appliedVersion).toBe(ours.version + 1);
    expect((await rules.current())!.version).toBe(ours.version + 1);
  });

  it('leaves the document to the resource that owns it', async () => {
    await apply(ruleSet('second'));
    const refused = await waitReady('validationruleset', 'second', (c) => c.status === 'False');
    expect(ready(refused)).toMatchObject({
      reason: 'Conflict',
      message: expect.stringContaining('ValidationRuleSet default/rules'),
    });
    await cluster.kubectl(['delete', 'validationruleset', 'second', '-n', NAMESPACE, '--wait=true']);
  });

  it('removes its document when deleted, and keeps it with preventDelete', async () => {
    const applied = (await get('validationruleset', 'rules')).status!.appliedVersion!;
    await cluster.kubectl([
      'delete',
      'validationruleset',
      'rules',
      '-n',
      NAMESPACE,
      '--wait=true',
      '--timeout=15s',
    ]);
    expect(await rules.current()).toBeUndefined();
    expect((await rules.history()).at(-1)!.version).toBe(applied);

    await apply({
      ...ruleSet('kept'),
      spec: { ...(ruleSet('kept') as { spec: object }).spec, preventDelete: true },
    });
    const kept = await waitReady('validationruleset', 'kept', (c) => c.status === 'True');
    await cluster.kubectl([
      'delete',
      'validationruleset',
      'kept',
      '-n',
      NAMESPACE,
      '--wait=true',
      '--timeout=15s',
    ]);
    // numbering goes on after the removal: a version names one document for good
    expect(kept.status!.appliedVersion).toBe(applied + 1);
    expect(await rules.current()).toMatchObject({
      version: kept.status!.appliedVersion,
      document: { name: 'kept' },
    });
  });
});

describe('ScoringPolicy and AlertPolicy', () => {
  const policy = (spec: object) => ({
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'ScoringPolicy',
    metadata: { name: 'fraud' },
    spec,
  });
  const goodPolicy = {
    model: 'gbdt-c68ba30f232e',
    thresholds: { review: 0.5, block: 0.9 },
    rules: [{ id: 'BIG_CASH_OUT', expression: "tx.type == 'CASH_OUT'", score: 0.4, message: 'a cash-out' }],
  };

  it('refuses an unknown model and a rule that does not parse, then applies the fix', async () => {
    const store = await DocumentStore.open<unknown>(h.client, ScoringPolicyDocument, logger);
    await apply(policy({ ...goodPolicy, model: 'gbdt-000000000000' }));
    const unknownModel = await waitReady('scoringpolicy', 'fraud', (c) => c.status === 'False', {
      timeoutMs: 5_000,
    });
    expect(ready(unknownModel)).toMatchObject({
      reason: 'CompileError',
      message: expect.stringContaining('model gbdt-000000000000 is not installed'),
    });

    await apply(
      policy({ ...goodPolicy, rules: [{ ...goodPolicy.rules[0], expression: "tx.type == 'CASH_OUT" }] }),
    );
    const badRule = await waitReady(
      'scoringpolicy',
      'fraud',
      (c) => c.status === 'False' && c.message.includes('BIG_CASH_OUT'),
    );
    expect(ready(badRule)!.message).toMatch(/rule BIG_CASH_OUT: /);
    expect(await store.current()).toBeUndefined();

    await apply(policy(goodPolicy));
    const fixed = await waitReady('scoringpolicy', 'fraud', (c) => c.status === 'True');
    expect(await store.current()).toMatchObject({
      version: fixed.status!.appliedVersion,
      document: goodPolicy,
    });
  });

  it('refuses an unknown channel and a matcher that does not compile, then applies the fix', async () => {
    const store = await DocumentStore.open<unknown>(h.client, AlertingDocuments.policy, logger);
    const alertPolicy = (spec: object) => ({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'AlertPolicy',
      metadata: { name: 'alerts' },
      spec,
    });
    const good = {
      receivers: { default: { channels: ['default-webhook'] } },
      route: { receiver: 'default', routes: [{ receiver: 'default', matchers: ['region=~"NG|KE"'] }] },
    };
    await apply(alertPolicy({ ...good, receivers: { default: { channels: ['pager'] } } }));
    const unknownChannel = await waitReady('alertpolicy', 'alerts', (c) => c.status === 'False', {
      timeoutMs: 5_000,
    });
    expect(ready(unknownChannel)).toMatchObject({
      reason: 'CompileError',
      message: expect.stringContaining('pager'),
    });

    await apply(
      alertPolicy({
        ...good,
        route: { receiver: 'default', routes: [{ receiver: 'default', matchers: ['region=~"(NG"'] }] },
      }),
    );
    const badMatcher = await waitReady(
      'alertpolicy',
      'alerts',
      (c) => c.status === 'False' && c.message.includes('(NG'),
    );
    expect(ready(badMatcher)!.reason).toBe('CompileError');

    await apply(alertPolicy(good));
    const fixed = await waitReady('alertpolicy', 'alerts', (c) => c.status === 'True');
    expect(await store.current()).toMatchObject({ version: fixed.status!.appliedVersion, document: good });
  });
});

describe('AlertPolicy secrets', () => {
  it('writes a webhook URL kept in a Secret into the document, and reports a missing Secret', async () => {
    const store = await DocumentStore.open<unknown>(h.client, AlertingDocuments.policy, logger);
    const spec = {
      channels: {
        'fraud-ops': { type: 'webhook', urlFrom: { secretKeyRef: { name: 'fraud-ops-hook', key: 'url' } } },
      },
      receivers: { default: { channels: ['fraud-ops'] } },
      route: { receiver: 'default' },
    };
    await apply({
      apiVersion: 'vigil.dev/v1alpha1',
      kind: 'AlertPolicy',
      metadata: { name: 'alerts' },
      spec,
    });
    const missing = await waitReady('alertpolicy', 'alerts', (c) => c.reason === 'SecretNotFound');
    expect(ready(missing)!.message).toBe('channels.fraud-ops.urlFrom: Secret fraud-ops-hook does not exist');

    await cluster.kubectl([
      'create',
      'secret',
      'generic',
      'fraud-ops-hook',
      '-n',
      NAMESPACE,
      '--from-literal=url=https://hooks.example.com/T0KEN',
    ]);
    // nothing about the resource changed: the resync finds the Secret
    const applied = await waitReady('alertpolicy', 'alerts', (c) => c.status === 'True');
    expect(await store.current()).toMatchObject({
      version: applied.status!.appliedVersion,
      document: { channels: { 'fraud-ops': { type: 'webhook', url: 'https://hooks.example.com/T0KEN' } } },
    });
    expect(JSON.stringify(applied.status)).not.toContain('T0KEN');
  });
});

describe('PeakSchedule', () => {
  const hpa = (name: string) => ({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: 2,
      maxReplicas: 10,
      metrics: [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    },
  });
  const floors = async () =>
    Promise.all(
      ['vigil-validator', 'vigil-scorer'].map(
        async (name) =>
          (
            await cluster.kubectlJson<{ spec: { minReplicas: number } }>([
              'get',
              'hpa',
              name,
              '-n',
              NAMESPACE,
            ])
          ).spec.minReplicas,
      ),
    );
  /** Moves the operator's clock and has it look again, as the timer it set for the window would. */
  const setClock = (at: string) => {
    fakeNow = new Date(at);
    operator.operator.queueAll('PeakSchedule');
  };

  afterAll(() => {
    fakeNow = undefined;
  });

  it('raises the HPA floors inside a window and restores them after it', async () => {
    for (const name of ['vigil-validator', 'vigil-scorer']) await apply(hpa(name));
    setClock('2026-12-07T06:59:00Z'); // Monday 07:59 in Lagos
    await cluster.apply(readFileSync(join(EXAMPLES, 'peak-schedule.yaml'), 'utf8'), ['-n', NAMESPACE]);
    const before = await waitReady('peakschedule', 'lagos-peaks', (c) => c.status === 'True');
    expect(before.status!.active).toBe(false);
    expect(await floors()).toEqual([2, 2]);

    setClock('2026-12-07T07:00:30Z'); // 08:00:30, the window is open
    await waitFor(floors, ([v, s]) => v === 4 && s === 6, { what: 'the peak floors' });
    await waitReady('peakschedule', 'lagos-peaks', (_c, r) => r.status!.active === true);
    const table = await cluster.kubectl(['get', 'peakschedules', '-n', NAMESPACE]);
    expect(table).toMatch(/^lagos-peaks\s+True\s+true\s+2026-12-07T09:00:00.000Z\s+\S+$/m);

    setClock('2026-12-07T09:00:30Z'); // 10:00:30, closed again
    await waitFor(floors, ([v, s]) => v === 2 && s === 2, { what: 'the floors restored' });
    await waitReady('peakschedule', 'lagos-peaks', (_c, r) => r.status!.active === false);
  });

  it('restores the floors when deleted inside a window', async () => {
    setClock('2026-12-08T07:30:00Z'); // Tuesday 08:30
    await waitFor(floors, ([v, s]) => v === 4 && s === 6, { what: 'the peak floors' });
    await cluster.kubectl([
      'delete',
      'peakschedule',
      'lagos-peaks',
      '-n',
      NAMESPACE,
      '--wait=true',
      '--timeout=15s',
    ]);
    expect(await floors()).toEqual([2, 2]);
  });
});

describe('leader election', () => {
  const HA = 'vigil-ha';
  let nats: TestNatsServer;
  const replicas: { name: string; process: ChildProcess; port: number }[] = [];

  afterAll(async () => {
    for (const replica of replicas) replica.process.kill('SIGKILL');
    await nats?.dispose();
  });

  async function startReplica(name: string) {
    const port = await freePort();
    const child = spawn(process.execPath, [join(ROOT, 'services/operator/dist/main.js')], {
      env: {
        ...process.env,
        KUBECONFIG: cluster.kubeconfig,
        NATS_URL: nats.url,
        LOG_LEVEL: 'warn',
        POD_NAME: name,
        OPERATOR_NAMESPACE: HA,
        METRICS_PORT: String(port),
        LEASE_DURATION_MS: '4000',
        RENEW_DEADLINE_MS: '3000',
        RETRY_PERIOD_MS: '500',
      },
      stdio: 'ignore',
    });
    replicas.push({ name, process: child, port });
    return port;
  }
  interface Lease {
    spec: { holderIdentity?: string };
  }
  const holder = async () =>
    (
      await cluster
        .kubectlJson<Lease>(['get', 'lease', 'vigil-operator', '-n', HA])
        .catch((): Lease => ({ spec: {} }))
    ).spec.holderIdentity;
  const metrics = async (port: number) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const policy = (review: number) => ({
    apiVersion: 'vigil.dev/v1alpha1',
    kind: 'ScoringPolicy',
    metadata: { name: 'ha' },
    spec: { model: 'gbdt-c68ba30f232e', thresholds: { review, block: 0.9 }, rules: [] },
  });

  it('reconciles on the leader only, and hands over within the lease time when the leader is killed', async () => {
    nats = await TestNatsServer.start();
    await cluster.kubectl(['create', 'namespace', HA]);
    const portA = await startReplica('operator-a');
    await waitFor(holder, (who) => who === 'operator-a', { what: 'operator-a to lead', timeoutMs: 30_000 });
    const portB = await startReplica('operator-b');
    await waitFor(
      () => metrics(portB).catch(() => ''),
      (m) => /vigil_operator_leader\{[^}]*\} 0/.test(m),
      { what: 'operator-b up' },
    );

    const health = async (port: number) =>
      (await fetch(`http://127.0.0.1:${port}/health/ready`)).json() as Promise<Record<string, unknown>>;
    expect(await health(portB)).toMatchObject({
      status: 'ready',
      checks: { nats: 'ok', kubernetes: 'ok' },
      identity: 'operator-b',
      leader: false,
    });
    expect(await health(portA)).toMatchObject({ identity: 'operator-a', leader: true });

    await apply(policy(0.5), HA);
    await waitReady('scoringpolicy', 'ha', (c) => c.status === 'True', { namespace: HA });
    expect(await metrics(portA)).toMatch(
      /vigil_operator_reconciles_total\{[^}]*kind="ScoringPolicy"[^}]*result="ok"[^}]*\} [1-9]/,
    );
    expect(await metrics(portB)).not.toMatch(/vigil_operator_reconciles_total\{/);
    expect(await holder()).toBe('operator-a');

    const killedAt = Date.now();
    replicas[0]!.process.kill('SIGKILL');
    await waitFor(holder, (who) => who === 'operator-b', {
      what: 'operator-b to take over',
      timeoutMs: 15_000,
      intervalMs: 100,
    });
    const handover = Date.now() - killedAt;
    // the lease lasts 4 s from the last renewal operator-b saw; it tries every 0.5 s; kubectl polls besides
    expect(handover).toBeLessThan(4_000 + 2 * 500 + 1_500);

    await apply(policy(0.6), HA);
    const reconciled = await waitReady('scoringpolicy', 'ha', (c) => c.status === 'True', { namespace: HA });
    expect(reconciled.status!.appliedVersion).toBe(2);
    expect(await metrics(portB)).toMatch(/vigil_operator_leader\{[^}]*\} 1/);
    const client = await NatsClient.connect({ url: nats.url, name: 'ha-test', logger });
    const store = await DocumentStore.open<unknown>(client, ScoringPolicyDocument, logger);
    expect(await store.current()).toMatchObject({
      version: 2,
      applied_by: 'kubernetes:ScoringPolicy/vigil-ha/ha',
    });
    await client.drain();
  });
});
