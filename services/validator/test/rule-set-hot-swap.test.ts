// A rule set changed in the bucket takes effect within 2 s without a restart: records validated afterwards are
// judged by it and carry its version; a version that does not compile is refused and the previous one kept.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Documents, Events, type Reason, type RuleSet, type TransactionValidated } from '@vigil/contracts';
import { DocumentStore } from '@vigil/messaging';
import { waitFor } from '@vigil/testing';
import { stringify } from 'yaml';
import { runRules } from '../src/cli/rules.command.js';
import { DEFAULT_RULE_SET_FILE, readRuleSetFile } from '../src/rules/rule-set.file.js';
import { ValidatorHarness, logger, newTransaction } from './support.js';

let h: ValidatorHarness;
let defaults: RuleSet;
const folder = mkdtempSync(join(tmpdir(), 'vigil-rules-'));

beforeAll(async () => {
  h = await ValidatorHarness.start();
  defaults = await readRuleSetFile(DEFAULT_RULE_SET_FILE);
});
afterAll(async () => {
  await h?.stop();
});

function ruleSetFile(name: string, ruleSet: RuleSet): string {
  const file = join(folder, `${name}.yaml`);
  writeFileSync(file, stringify(ruleSet));
  return file;
}

/** Runs the rules command in-process against the test's NATS server. */
async function rules(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runRules(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NATS_URL: h.nats.url, USER: 'data-engineer' },
  });
  return { code, stdout, stderr };
}

const verdictOf = async (id: string) =>
  (
    await h.query<{ status: string; reasons: Reason[]; rule_set_version: string }>(
      `SELECT status, reasons, rule_set_version FROM validator.results WHERE transaction_id = $1`,
      [id],
    )
  )[0];

const limited: () => RuleSet = () => ({
  ...defaults,
  name: 'limited',
  rules: [
    ...defaults.rules,
    {
      id: 'amount.limit',
      kind: 'range',
      field: 'amount',
      max: '1000',
      message: 'amount above the 1000 limit',
    },
  ],
});

it('starts on the default rule set as version 1, shown in health and metrics and carried by every verdict', async () => {
  const record = newTransaction();
  await h.accept([record]);
  await waitFor(
    () => verdictOf(record.transaction_id),
    (v) => v !== undefined,
    { what: 'the first verdict' },
  );
  expect(await verdictOf(record.transaction_id)).toMatchObject({ status: 'valid', rule_set_version: '1' });
  expect(await h.health()).toMatchObject({
    rule_set: { version: 1, name: 'default', applied_by: 'validator (default rule set)' },
  });
  expect(await h.metrics()).toMatch(/^vigil_validator_rule_set_version\{service="validator"\} 1$/m);
});

it('validates, diffs and applies a file with the rules command', async () => {
  const file = ruleSetFile('limited', limited());
  const validated = await rules('validate', '-f', file);
  expect(validated).toMatchObject({ code: 0 });
  expect(validated.stdout).toContain('amount.limit (range, error)');
  expect(validated.stdout).toContain('decimal(record.amount) <= decimal("1000")');

  const diff = await rules('diff', '-f', file);
  expect(diff.code).toBe(0);
  expect(diff.stdout).toContain('against version 1');
  expect(diff.stdout).toContain('name: default -> limited');
  expect(diff.stdout).toContain('+ amount.limit (range, error)');
});

it('takes effect within 2 s of being applied, without a restart', async () => {
  const file = ruleSetFile('limited', limited());
  const appliedAt = Date.now();
  const applied = await rules('apply', '-f', file, '--by', 'data-engineer');
  expect(applied).toMatchObject({ code: 0, stdout: 'applied rule set "limited" as version 2 (was 1)\n' });

  // a record above the new limit every 50 ms, until one is held back by the new rule
  let held: { id: string; at: number } | undefined;
  for (let attempt = 0; attempt < 100 && !held; attempt++) {
    const record = newTransaction({ amount: '5000.00' });
    const sentAt = Date.now();
    await h.accept([record]);
    const verdict = await waitFor(
      () => verdictOf(record.transaction_id),
      (v) => v !== undefined,
      { what: 'a verdict' },
    );
    if (verdict!.rule_set_version === '2') held = { id: record.transaction_id, at: sentAt };
    else await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(held).toBeDefined();
  expect(held!.at - appliedAt).toBeLessThan(2_000);
  expect(await verdictOf(held!.id)).toMatchObject({
    status: 'quarantined',
    rule_set_version: '2',
    reasons: [
      expect.objectContaining({
        code: 'amount.limit',
        field: 'amount',
        expected: '<= 1000',
        actual: '5000.00',
      }),
    ],
  });

  const after = newTransaction({ amount: '10.00' });
  await h.accept([after]);
  await waitFor(
    () => verdictOf(after.transaction_id),
    (v) => v !== undefined,
    { what: 'a verdict after the change' },
  );
  expect(await verdictOf(after.transaction_id)).toMatchObject({ status: 'valid', rule_set_version: '2' });
  const validated = await waitFor(
    () => h.messages<TransactionValidated>(Events.transactionValidated),
    (msgs) => msgs.some((m) => m.data.transaction.transaction_id === after.transaction_id),
    { what: 'the validated event' },
  );
  expect(
    validated.find((m) => m.data.transaction.transaction_id === after.transaction_id)!.data.rule_set_version,
  ).toBe('2');
  expect(await h.health()).toMatchObject({
    rule_set: { version: 2, name: 'limited', applied_by: 'data-engineer' },
  });
  expect(await h.metrics()).toMatch(/^vigil_validator_rule_set_version\{service="validator"\} 2$/m);
});

it('records each applied version once, with an audit entry', async () => {
  const versions = await waitFor(
    () =>
      h.query<{ version: number; applied_by: string }>(
        `SELECT version, applied_by FROM validator.config_versions WHERE key = $1 ORDER BY version`,
        [Documents.validationRuleSet.key],
      ),
    (rows) => rows.length === 2,
    { what: 'both versions recorded' },
  );
  expect(versions).toEqual([
    { version: 1, applied_by: 'validator (default rule set)' },
    { version: 2, applied_by: 'data-engineer' },
  ]);
  const entries = await h.query<{ subject: string }>(
    `SELECT subject FROM validator.audit_log WHERE kind = 'config.applied' ORDER BY seq`,
  );
  expect(entries.map((e) => e.subject)).toEqual(['validator.rule-set@1', 'validator.rule-set@2']);
});

it('refuses a file whose CEL does not compile, naming the rule, and applies nothing', async () => {
  const broken = limited();
  broken.rules.push({ id: 'broken.expression', kind: 'expression', expr: 'record.amount > ' });
  const file = ruleSetFile('broken', broken);
  const validated = await rules('validate', '-f', file);
  expect(validated.code).toBe(1);
  expect(validated.stderr).toMatch(/rule broken\.expression \(#\d+\): .*record\.amount > /);
  expect((await rules('apply', '-f', file)).code).toBe(1);
  expect(await h.health()).toMatchObject({ rule_set: { version: 2 } });
});

it('keeps the previous version when one written to the bucket directly does not compile', async () => {
  const store = await DocumentStore.open(h.client, Documents.validationRuleSet, logger);
  const broken = limited();
  broken.rules.push({ id: 'broken.reference', kind: 'reference', field: 'currency', set: 'no_such_set' });
  expect((await store.apply(broken, 'someone', 2)).version).toBe(3);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const record = newTransaction({ amount: '5000.00' });
  await h.accept([record]);
  await waitFor(
    () => verdictOf(record.transaction_id),
    (v) => v !== undefined,
    { what: 'a verdict' },
  );
  expect(await verdictOf(record.transaction_id)).toMatchObject({
    status: 'quarantined',
    rule_set_version: '2',
  });
  expect(await h.health()).toMatchObject({ rule_set: { version: 2 } });
});
