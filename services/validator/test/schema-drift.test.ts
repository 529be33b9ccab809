// Schema registry and drift: a registration that breaks the source's compatibility mode is refused with the
// reason; a source that starts sending an unknown field raises exactly one drift event for that change,
// however many records carry it, however many replicas see it, and across restarts.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Documents, Events, type SchemaDriftDetected, type SchemaRegistration } from '@vigil/contracts';
import { DocumentStore } from '@vigil/messaging';
import { waitFor } from '@vigil/testing';
import { stringify } from 'yaml';
import { runSchemas } from '../src/cli/schemas.command.js';
import { ValidatorHarness, logger, newTransaction } from './support.js';

let h: ValidatorHarness;
const folder = mkdtempSync(join(tmpdir(), 'vigil-schemas-'));

beforeAll(async () => {
  h = await ValidatorHarness.start({ DQ_EVALUATE_INTERVAL_MS: 200 });
});
afterAll(async () => {
  await h?.stop();
});

async function schemas(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runSchemas(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { NATS_URL: h.nats.url },
  });
  return { code, stdout, stderr };
}

function schemaFile(name: string, registration: SchemaRegistration): string {
  const file = join(folder, `${name}.yaml`);
  writeFileSync(file, stringify(registration));
  return file;
}

/** What partner-a sends today: the native transaction shape. */
const partnerA = (extra: SchemaRegistration['fields'] = {}): SchemaRegistration => ({
  source: 'partner-a',
  compatibility: 'BACKWARD',
  fields: {
    transaction_id: { type: 'string', required: true },
    type: { type: 'string', required: true },
    amount: { type: 'string', required: true },
    currency: { type: 'string', required: true },
    timestamp: { type: 'string', required: true },
    region: { type: 'string', required: true },
    channel: { type: 'string' },
    source: { type: 'string' },
    origin: { type: 'object', required: true },
    'origin.account': { type: 'string', required: true },
    'origin.balance_before': { type: 'string' },
    'origin.balance_after': { type: 'string' },
    destination: { type: 'object' },
    'destination.account': { type: 'string', required: true },
    ...extra,
  },
});

const driftEvents = () => h.messages<SchemaDriftDetected>(Events.schemaDriftDetected);

describe('registering schemas', () => {
  it('registers a first version and a compatible second one', async () => {
    expect(
      await schemas('register', '-f', schemaFile('v1', partnerA()), '--by', 'integration'),
    ).toMatchObject({
      code: 0,
      stdout: 'registered partner-a version 1 (registry version 1)\n',
    });
    const v2 = partnerA({ fee: { type: 'string' } });
    expect(await schemas('check', '-f', schemaFile('v2', v2))).toMatchObject({
      code: 0,
      stdout: 'partner-a: compatible; it would be version 2\n',
    });
    expect(await schemas('register', '-f', schemaFile('v2', v2))).toMatchObject({ code: 0 });
    expect((await schemas('list')).stdout).toBe('partner-a\tBACKWARD\tversion 2\t15 fields\n');
  });

  it('refuses an incompatible version with the reasons, and keeps the registry as it was', async () => {
    const breaking = partnerA({
      fee: { type: 'string' },
      merchant_ref: { type: 'string', required: true },
      amount: { type: 'number', required: true },
    });
    const refused = await schemas('register', '-f', schemaFile('breaking', breaking));
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(
      'refused: partner-a must stay BACKWARD compatible with its latest version',
    );
    expect(refused.stderr).toContain(
      'merchant_ref is new and required, but records of the previous version do not have it',
    );
    expect(refused.stderr).toContain(
      'amount changes type from string to number: previous records do not fit',
    );
    const store = await DocumentStore.open(h.client, Documents.schemaRegistry, logger);
    expect((await store.current())!.document.sources['partner-a']!.versions.map((v) => v.version)).toEqual([
      1, 2,
    ]);
  });

  it('says what is wrong with a schema file that is not one', async () => {
    const file = join(folder, 'bad.yaml');
    writeFileSync(file, 'source: partner-a\nfields:\n  amount: { type: money }\n');
    const refused = await schemas('register', '-f', file);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/fields\.amount\.type/);
  });
});

describe('drift on the stream', () => {
  it('announces a new field once for a batch of many records, across two replicas', async () => {
    await waitFor(
      () => h.health(),
      (health) => (health.schema_registry as { version: number }).version === 2,
      {
        what: 'the validator on registry version 2',
      },
    );
    await h.startReplica({ DQ_EVALUATE_INTERVAL_MS: 200 });
    const batch = Array.from({ length: 300 }, (_, i) =>
      i >= 100 && i < 200 ? newTransaction({ loyalty_tier: 'gold' }) : newTransaction(),
    );
    await h.accept(batch, { source: 'partner-a' });
    await waitFor(
      () =>
        h.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM validator.results WHERE transaction_id = ANY($1)`,
          [batch.map((r) => r.transaction_id)],
        ),
      (rows) => rows[0]!.n === batch.length,
      { what: 'every record judged' },
    );
    const events = (await driftEvents()).filter((e) => e.data.field === 'loyalty_tier');
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      subject: 'dq.drift.partner-a',
      data: {
        source: 'partner-a',
        schema_version: 2,
        change: 'unknown_field',
        field: 'loyalty_tier',
        expected: 'absent',
        actual: 'string',
        detected_at: expect.any(String),
        transaction_id: expect.stringMatching(/^t-/),
      },
    });
    const [row] = await waitFor(
      () =>
        h.query<{ occurrences: string }>(
          `SELECT occurrences FROM validator.schema_drift WHERE source = 'partner-a' AND field = 'loyalty_tier'`,
        ),
      (rows) => rows[0]?.occurrences === '100',
      { what: 'all 100 occurrences counted' },
    );
    expect(row).toEqual({ occurrences: '100' });
  });

  it('does not announce the same change again after a restart', async () => {
    await h.stopValidator();
    await h.startValidator({ DQ_EVALUATE_INTERVAL_MS: 200 });
    const more = Array.from({ length: 20 }, () => newTransaction({ loyalty_tier: 'silver' }));
    await h.accept(more, { source: 'partner-a' });
    await waitFor(
      () =>
        h.query<{ occurrences: string }>(
          `SELECT occurrences FROM validator.schema_drift WHERE source = 'partner-a' AND field = 'loyalty_tier'`,
        ),
      (rows) => rows[0]?.occurrences === '120',
      { what: 'the new occurrences counted' },
    );
    expect((await driftEvents()).filter((e) => e.data.field === 'loyalty_tier')).toHaveLength(1);
  });

  it('announces a changed type and a missing field, each once', async () => {
    const numberAmount = Array.from({ length: 5 }, () => ({ ...newTransaction(), amount: 125.5 }));
    const noChannel = Array.from({ length: 5 }, () => {
      const record: Record<string, unknown> = newTransaction();
      delete record.region;
      return record;
    });
    await h.accept([...numberAmount, ...noChannel], { source: 'partner-a' });
    const events = await waitFor(
      driftEvents,
      (all) =>
        all.some((e) => e.data.change === 'type_changed') &&
        all.some((e) => e.data.change === 'missing_field'),
      { what: 'both drift events' },
    );
    expect(events.filter((e) => e.data.change === 'type_changed')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ field: 'amount', expected: 'string', actual: 'number' }),
      }),
    ]);
    expect(events.filter((e) => e.data.change === 'missing_field')).toEqual([
      expect.objectContaining({
        data: expect.objectContaining({ field: 'region', expected: 'present', actual: 'absent' }),
      }),
    ]);
  });

  it('holds a source without a registered schema to the transaction contract', async () => {
    await h.accept([newTransaction({ promo_code: 'X1' })], { source: 'unregistered' });
    const events = await waitFor(driftEvents, (all) => all.some((e) => e.data.source === 'unregistered'), {
      what: 'drift of the unregistered source',
    });
    expect(events.find((e) => e.data.source === 'unregistered')!.data).toMatchObject({
      change: 'unknown_field',
      field: 'promo_code',
    });
    expect(events.find((e) => e.data.source === 'unregistered')!.data.schema_version).toBeUndefined();
  });
});
