// The operator as a pod of the kind cluster, with the chart's RBAC, Lease and NetworkPolicies (egress to the API
// server and NATS): the example ValidationRuleSet applied with kubectl becomes Ready with a version, and a record
// sent through the edge gateway afterwards is validated under that version by the validator pods; a rule that does
// not compile is refused naming it while the running version stays; deleting the resource takes it away.
import { waitFor } from '@vigil/testing';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { call, signIn } from './support/api.js';
import {
  NAMESPACE,
  RELEASE,
  kubectl,
  kubectlJson,
  portForward,
  type PortForward,
} from './support/cluster.js';
import { sql } from './support/load.js';

const EXAMPLE = readFileSync(
  fileURLToPath(new URL('../../k8s/examples/validation-rule-set.yaml', import.meta.url)),
  'utf8',
);
const NAME = 'payments';

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface RuleSetResource {
  metadata: { generation?: number };
  status?: { observedGeneration?: number; appliedVersion?: number; conditions?: Condition[] };
}

const readyOf = (resource: RuleSetResource) => resource.status?.conditions?.find((c) => c.type === 'Ready');

const current = () =>
  kubectlJson<RuleSetResource>(['-n', NAMESPACE, 'get', 'validationruleset', NAME]).catch(() => undefined);

/** The resource once its status speaks of its latest generation and its Ready condition passes `done`. */
const settled = (done: (ready: Condition) => boolean, timeoutMs: number) =>
  waitFor(
    current,
    (r) =>
      r !== undefined &&
      r.status?.observedGeneration === r.metadata.generation &&
      readyOf(r) !== undefined &&
      done(readyOf(r)!),
    { what: `ValidationRuleSet ${NAME} settled`, timeoutMs, intervalMs: 250 },
  ) as Promise<RuleSetResource>;

describe('the operator in the kind cluster', () => {
  let gateway: PortForward;
  beforeAll(async () => {
    gateway = await portForward(`${RELEASE}-gateway`, 8080);
  }, 60_000);
  afterAll(async () => {
    gateway?.close();
    await kubectl(
      ['-n', NAMESPACE, 'delete', 'validationruleset', NAME, '--ignore-not-found', '--wait=true'],
      {
        timeoutMs: 60_000,
      },
    );
  }, 90_000);

  it('applies the example rule set to the validator pods, and refuses a rule that does not compile', async () => {
    await kubectl(['-n', NAMESPACE, 'apply', '-f', '-'], { input: EXAMPLE });
    const applied = await settled((ready) => ready.status === 'True', 60_000);
    const version = applied.status!.appliedVersion!;
    console.log(`applied: version ${version}, ${readyOf(applied)!.message}`);
    expect(version).toBeGreaterThanOrEqual(1);

    // a record validated from now on carries that version (each validator pod swaps as its watch delivers it)
    const token = await signIn(gateway.url, 'partner-a');
    const validatedUnder = async (): Promise<string | undefined> => {
      const id = `operator-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
      const submitted = await call(gateway.url, 'POST', '/v1/transactions', {
        token,
        body: {
          transaction_id: id,
          type: 'TRANSFER',
          amount: '75.00',
          currency: 'KES',
          timestamp: new Date().toISOString(),
          region: 'KE',
          channel: 'mobile_money',
          origin: { account: 'C-operator-1', balance_before: '500.00', balance_after: '425.00' },
          destination: { account: 'C-operator-2' },
        },
      });
      expect(submitted.status).toBe(202);
      const row = await waitFor(
        () => sql(`select rule_set_version from validator.results where transaction_id like '%${id}'`),
        (found) => found !== '',
        { what: `the verdict on ${id}`, timeoutMs: 30_000, intervalMs: 500 },
      );
      return row;
    };
    await waitFor(validatedUnder, (found) => found === String(version), {
      what: `a record validated under version ${version}`,
      timeoutMs: 60_000,
      intervalMs: 1_000,
    });

    // a rule that does not compile: refused, naming it; the running version stays
    const broken = EXAMPLE.replace(
      "expr: '!has(record.destination) || record.destination.account != record.origin.account'",
      "expr: 'record.origin.account <<= 1'",
    );
    expect(broken).not.toBe(EXAMPLE);
    const sentAt = Date.now();
    await kubectl(['-n', NAMESPACE, 'apply', '-f', '-'], { input: broken });
    const refused = await settled((ready) => ready.status === 'False', 30_000);
    console.log(`refused in ${Date.now() - sentAt} ms: ${readyOf(refused)!.message}`);
    expect(readyOf(refused)).toMatchObject({
      reason: 'CompileError',
      message: expect.stringContaining('parties.distinct'),
    });
    expect(refused.status!.appliedVersion).toBe(version);
    expect(await validatedUnder()).toBe(String(version));
  }, 240_000);
});
