// Schema registry and drift: a registration that breaks the source's compatibility mode is refused with the
// reason; a source that starts sending an unknown field has that change announced exactly once, however many
// records carry it, however many replicas see it, and across restarts; announcements come at most once per
// source and window, and one record with 10,000 unknown fields stores and announces a bounded amount.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Documents, Events, type SchemaDriftDetected, type SchemaRegistration } from '@vigil/contracts';
import { DocumentStore } from '@vigil/messaging';
import { waitFor } from '@vigil/testing';
import { stringify } from 'yaml';
import { runSchemas } from '../src/cli/schemas.command.js';
import { ValidatorHarness, logger, newTransaction } from './support.js';

let h: ValidatorHarness;
const WINDOW_MS = 1_000;
const env = { DQ_EVALUATE_INTERVAL_MS: 200, DRIFT_ANNOUNCE_WINDOW_MS: WINDOW_MS };
const folder = mkdtempSync(join(tmpdir(), 'vigil-schemas-'));

beforeAll(async () => {
  h = await ValidatorHarness.start(env);
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
/** Every change announced, with the source and subject of its announcement. */
const announcedChanges = async () =>
  (await driftEvents()).flatMap((e) =>
    e.data.changes.map((c) => ({ subject: e.subject, source: e.data.source, ...c })),
  );
const announcedOf = (field: string) =>
  waitFor(announcedChanges, (all) => all.some((c) => c.field === field), { what: `${field} announced` });

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
    await h.startReplica(env);
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
    await announcedOf('loyalty_tier');
    const events = (await driftEvents()).filter((e) =>
      e.data.changes.some((c) => c.field === 'loyalty_tier'),
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toEqual({
      subject: 'dq.drift.partner-a',
      data: {
        source: 'partner-a',
        window_start: expect.any(String),
        changes: [
          {
            change: 'unknown_field',
            field: 'loyalty_tier',
            schema_version: 2,
            expected: 'absent',
            actual: 'string',
            transaction_id: expect.stringMatching(/^t-/),
          },
        ],
        more_changes: { unknown_field: 0, type_changed: 0, missing_field: 0 },
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
    await h.startValidator(env);
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
    await sleep(2 * WINDOW_MS);
    expect((await announcedChanges()).filter((c) => c.field === 'loyalty_tier')).toHaveLength(1);
  });

  it('announces a changed type and a missing field, each once', async () => {
    const numberAmount = Array.from({ length: 5 }, () => ({ ...newTransaction(), amount: 125.5 }));
    const noChannel = Array.from({ length: 5 }, () => {
      const record: Record<string, unknown> = newTransaction();
      delete record.region;
      return record;
    });
    await h.accept([...numberAmount, ...noChannel], { source: 'partner-a' });
    await waitFor(
      announcedChanges,
      (all) => all.some((c) => c.change === 'type_changed') && all.some((c) => c.change === 'missing_field'),
      { what: 'both changes announced' },
    );
    await sleep(2 * WINDOW_MS);
    const changes = await announcedChanges();
    expect(changes.filter((c) => c.change === 'type_changed')).toEqual([
      expect.objectContaining({ field: 'amount', expected: 'string', actual: 'number' }),
    ]);
    expect(changes.filter((c) => c.change === 'missing_field')).toEqual([
      expect.objectContaining({ field: 'region', expected: 'present', actual: 'absent' }),
    ]);
  });

  it('holds a source without a registered schema to the transaction contract', async () => {
    await h.accept([newTransaction({ promo_code: 'X1' })], { source: 'unregistered' });
    const changes = await announcedOf('promo_code');
    const promo = changes.find((c) => c.field === 'promo_code')!;
    expect(promo).toMatchObject({ subject: 'dq.drift.unregistered', change: 'unknown_field' });
    expect(promo.schema_version).toBeUndefined();
  });
});

describe('drift storms', () => {
  const withFields = (prefix: string, count: number): Record<string, unknown> => {
    const record: Record<string, unknown> = { ...newTransaction() };
    for (let i = 0; i < count; i++) record[`${prefix}${i}`] = i;
    return record;
  };
  const stormEvents = async (source: string) =>
    (await driftEvents()).filter((e) => e.data.source === source).map((e) => e.data);
  const rowsOf = async (source: string) =>
    (
      await h.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM validator.schema_drift WHERE source = $1`,
        [source],
      )
    )[0]!.n;

  it('stores 20 changes of a record with 10,000 unknown fields and announces them once, counting the rest', async () => {
    const record = withFields('x_', 10_000);
    await h.accept([record], { source: 'storm-a' });
    await waitFor(
      () => stormEvents('storm-a'),
      (events) => events.length > 0,
      { what: 'the storm announced' },
    );
    await sleep(3 * WINDOW_MS);
    const events = await stormEvents('storm-a');
    expect(events).toHaveLength(1);
    expect(events[0]!.changes).toHaveLength(20);
    expect(events[0]!.changes.every((c) => c.change === 'unknown_field' && c.field.startsWith('x_'))).toBe(
      true,
    );
    expect(events[0]!.more_changes).toEqual({ unknown_field: 9_980, type_changed: 0, missing_field: 0 });
    expect(events[0]!.transaction_id).toBe(record.transaction_id);
    expect(await rowsOf('storm-a')).toBe(20);
    expect(
      await h.query(
        `SELECT listed, new_changes, unrecorded FROM validator.drift_announcements WHERE source = $1`,
        ['storm-a'],
      ),
    ).toEqual([{ listed: 20, new_changes: 20, unrecorded: '9980' }]);
    expect(
      await h.query(
        `SELECT sum(changes)::int AS left FROM validator.schema_drift_unrecorded WHERE source = $1`,
        ['storm-a'],
      ),
    ).toEqual([{ left: 0 }]);
  });

  it('announces a source at most once per window, each listing at most 50 changes, however many records drift', async () => {
    const records = Array.from({ length: 40 }, (_, r) => withFields(`r${r}_`, 250));
    const started = Date.now();
    await h.accept(records, { source: 'storm-b' });
    await waitFor(
      async () => {
        const events = await stormEvents('storm-b');
        return events.reduce((sum, e) => sum + e.changes.length + e.more_changes.unknown_field, 0);
      },
      (announced) => announced === 40 * 250,
      { what: 'every change of the storm announced or counted' },
    );
    const windows = Math.ceil((Date.now() - started) / WINDOW_MS) + 1;
    const events = await stormEvents('storm-b');
    expect(new Set(events.map((e) => e.window_start)).size).toBe(events.length);
    expect(events.length).toBeLessThanOrEqual(windows);
    expect(events.every((e) => e.changes.length <= 50)).toBe(true);
    expect(await rowsOf('storm-b')).toBe(40 * 20);
  });
});
