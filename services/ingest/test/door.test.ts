// Ingest's door against a private nats-server and a fresh database: each kind of record no later stage could
// carry is refused naming its field (400, 413 for size) while the rest of its batch is published and stored.
import 'reflect-metadata';
import fc from 'fast-check';
import { inspectRecord, timestampProblem, type IngestSubmitReply } from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, newTransaction, waitFor } from '@vigil/testing';
import { startIngest } from '../src/app.js';
import { ingestEnv } from '../src/config.js';

const PAN = '4916338506082832';
const PAN_ANYWHERE = /4916[\s\-._/]*3385[\s\-._/]*0608[\s\-._/]*2832/;

let nats: TestNatsServer;
let db: TestDatabase;
let ingest: RunningService;

beforeAll(async () => {
  [nats, db] = await Promise.all([TestNatsServer.start(), TestDatabase.create()]);
  ingest = await startIngest(
    ingestEnv({
      NATS_URL: nats.url,
      DATABASE_URL: db.url,
      VIGIL_ENV: 'development',
      LOG_LEVEL: 'silent',
      METRICS_PORT: '0',
      INGEST_PORT: '0',
      INGEST_HOST: '127.0.0.1',
      TOKENIZATION_KEY: 'ingest-door-test-tokenization-key-0123',
    }),
  );
}, 60_000);

afterAll(async () => {
  await ingest?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

interface Answer {
  status: number;
  text: string;
  body: IngestSubmitReply & { statusCode?: number; message?: string; field?: string };
}

async function post(body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${ingest.url}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer['body'] };
}

const landed = async (ids: string[]) =>
  waitFor(
    () =>
      db.query<{ transaction_id: string }>(
        'SELECT transaction_id FROM ingest.transactions WHERE transaction_id = ANY($1)',
        [ids],
      ),
    (rows) => rows.length === ids.length,
    { what: `${ids.length} records stored` },
  );

/** JSON text of a valid record with one thing spliced in (its text given raw, so escapes stay as sent). */
const withRaw = (raw: string, id = newTransaction().transaction_id): string =>
  JSON.stringify(newTransaction({ transaction_id: id })).replace(/^\{/, `{${raw},`);

interface DoorCase {
  name: string;
  json: string;
  code: string;
  field: string;
  status: 400 | 413;
}

const cases = (): DoorCase[] => [
  {
    name: 'NUL in a value',
    json: withRaw('"note":"a\\u0000b"'),
    code: 'ingest.nul_character',
    field: '/note',
    status: 400,
  },
  {
    name: 'NUL in a key',
    json: withRaw('"meta":{"k\\u0000":1}'),
    code: 'ingest.nul_character',
    field: '/meta',
    status: 400,
  },
  {
    name: 'lone surrogate in a value',
    json: withRaw('"note":"x\\ud800"'),
    code: 'ingest.lone_surrogate',
    field: '/note',
    status: 400,
  },
  {
    name: 'lone surrogate in a key',
    json: withRaw('"\\udfff":1'),
    code: 'ingest.lone_surrogate',
    field: '',
    status: 400,
  },
  {
    name: 'offset beyond what Postgres stores',
    json: JSON.stringify(newTransaction({ timestamp: '2026-03-01T10:00:00-23:59' })),
    code: 'ingest.timestamp_range',
    field: '/timestamp',
    status: 400,
  },
  {
    name: 'year 0000',
    json: JSON.stringify(newTransaction({ timestamp: '0000-01-01T00:00:00Z' })),
    code: 'ingest.timestamp_range',
    field: '/timestamp',
    status: 400,
  },
  {
    name: 'nesting 10,000 deep',
    json: withRaw(`"deep":${'['.repeat(10_000)}${']'.repeat(10_000)}`),
    code: 'ingest.too_deep',
    field: '/deep' + '/0'.repeat(31),
    status: 400,
  },
  {
    name: 'an over-long value',
    json: withRaw(`"note":"${'x'.repeat(20_000)}"`),
    code: 'ingest.string_too_long',
    field: '/note',
    status: 400,
  },
  {
    name: 'an over-long key',
    json: withRaw(`"${'k'.repeat(300)}":1`),
    code: 'ingest.key_too_long',
    field: '',
    status: 400,
  },
  {
    name: 'a record over 1 MB',
    json: withRaw(`"parts":${JSON.stringify(Array.from({ length: 80 }, () => 'x'.repeat(15_000)))}`),
    code: 'ingest.record_too_large',
    field: '',
    status: 413,
  },
  {
    name: 'a card number in transaction_id',
    json: JSON.stringify(newTransaction({ transaction_id: `ref${PAN}` })),
    code: 'ingest.card_number_in_identifier',
    field: '/transaction_id',
    status: 400,
  },
  {
    name: 'a card number in source',
    json: withRaw(`"source":"shop-${PAN.replace(/(\d{4})/g, '$1.')}"`),
    code: 'ingest.card_number_in_identifier',
    field: '/source',
    status: 400,
  },
];

describe('the door, for a JSON batch', () => {
  it('refuses each record no later stage could carry, naming its field, and stores the rest', async () => {
    const good = [newTransaction(), newTransaction()];
    const bad = cases();
    // a duplicated key is read as JSON.parse reads it (the last wins): no crash, the record goes on
    const duplicateKeyId = newTransaction().transaction_id;
    const duplicateKey = withRaw(`"transaction_id":"ignored-first"`, duplicateKeyId);
    const body = `[${JSON.stringify(good[0])},${bad.map((c) => c.json).join(',')},${duplicateKey},${JSON.stringify(good[1])}]`;

    const answer = await post(body);

    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 3, rejected: bad.length });
    bad.forEach((c, i) => {
      const result = answer.body.results[i + 1]!;
      expect({ name: c.name, status: result.status, reason: result.reasons?.[0] }).toEqual({
        name: c.name,
        status: 'rejected',
        reason: expect.objectContaining({ code: c.code, field: c.field, severity: 'error' }),
      });
    });
    expect(answer.text).not.toMatch(PAN_ANYWHERE);
    await landed([good[0]!.transaction_id, good[1]!.transaction_id, duplicateKeyId]);
  }, 60_000);

  it('answers one record sent alone with 400 (413 for size) naming the field', async () => {
    for (const c of cases()) {
      const answer = await post(c.json);
      expect({ name: c.name, status: answer.status, field: answer.body.field }).toEqual({
        name: c.name,
        status: c.status,
        field: c.field,
      });
      expect(answer.text).not.toMatch(PAN_ANYWHERE);
    }
    // still serving
    const record = newTransaction();
    expect((await post(JSON.stringify(record))).status).toBe(202);
    await landed([record.transaction_id]);
  }, 60_000);

  it('refuses a body with a __proto__ key as a whole, polluting nothing', async () => {
    const answer = await post(`[${withRaw('"__proto__":{"polluted":true}')}]`);
    expect(answer.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('refuses an Idempotency-Key holding a card number without echoing it', async () => {
    const answer = await post(JSON.stringify(newTransaction()), { 'idempotency-key': `order-${PAN}` });
    expect(answer.status).toBe(400);
    expect(answer.body.message).toMatch(/Idempotency-Key/);
    expect(answer.text).not.toMatch(PAN_ANYWHERE);
  });
});

describe('the door, for NDJSON', () => {
  it('refuses each bad line naming its field, __proto__ and over-large lines included, and stores the rest', async () => {
    const good = [newTransaction(), newTransaction()];
    const bad = [
      ...cases(),
      {
        name: '__proto__ key',
        json: withRaw('"__proto__":{"polluted":true}'),
        code: 'ingest.forbidden_key',
        field: '/__proto__',
        status: 400,
      },
      {
        name: 'a line of 2 MB',
        json: withRaw(`"parts":${JSON.stringify(Array.from({ length: 140 }, () => 'x'.repeat(15_000)))}`),
        code: 'ingest.record_too_large',
        field: '',
        status: 413,
      },
    ];
    const text = [JSON.stringify(good[0]), ...bad.map((c) => c.json), JSON.stringify(good[1])].join('\n');
    const response = await fetch(`${ingest.url}/v1/transactions`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: text,
    });
    const answerText = await response.text();
    const body = JSON.parse(answerText) as IngestSubmitReply;
    expect(response.status).toBe(202);
    expect(body).toMatchObject({ accepted: 2, rejected: bad.length });
    bad.forEach((c, i) => {
      expect({ name: c.name, reason: body.results[i + 1]!.reasons?.[0] }).toEqual({
        name: c.name,
        reason: expect.objectContaining({ code: c.code, field: c.field }),
      });
    });
    expect(answerText).not.toMatch(PAN_ANYWHERE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await landed(good.map((r) => r.transaction_id));
  }, 60_000);
});

// The door and Postgres agree: generated values the door lets through are stored by Postgres, and generated
// timestamps it refuses are the ones Postgres refuses. Seeded: FC_SEED=<n> replays a run.
describe('the door against Postgres', () => {
  const runs = { seed: process.env.FC_SEED ? Number(process.env.FC_SEED) : 20261206, numRuns: 150 };
  const pad = (n: number, width: number) => String(n).padStart(width, '0');
  const timestampArb = fc
    .record({
      year: fc.integer({ min: 0, max: 9999 }),
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.integer({ min: 0, max: 32 }),
      hour: fc.oneof(fc.integer({ min: 0, max: 24 }), fc.constant(24)),
      minute: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constant(0)),
      second: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.constant(0)),
      offset: fc.option(
        fc.oneof(
          fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }),
          fc.constantFrom(15 * 60 + 59, 16 * 60, -(15 * 60 + 59), -(16 * 60), 18 * 60, -(18 * 60)),
        ),
        { nil: undefined },
      ),
    })
    .map(({ year, month, day, hour, minute, second, offset }) => {
      const zone =
        offset === undefined
          ? 'Z'
          : `${offset < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(offset) / 60), 2)}:${pad(Math.abs(offset) % 60, 2)}`;
      return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}${zone}`;
    });

  it('refuses exactly the timestamps Postgres cannot store', async () => {
    await fc.assert(
      fc.asyncProperty(timestampArb, async (timestamp) => {
        const stored = await db.query('SELECT $1::timestamptz AS t', [timestamp]).then(
          () => true,
          () => false,
        );
        const refused = timestampProblem(timestamp) !== undefined;
        // RFC 3339 has no hour 24, which Postgres reads as the next midnight: refused though storable
        const expected = /T24:/.test(timestamp) ? true : !stored;
        expect({ timestamp, refused }).toEqual({ timestamp, refused: expected });
      }),
      runs,
    );
  });

  it('lets through only records Postgres stores as jsonb, whatever their strings and keys hold', async () => {
    const text = fc.string({ unit: 'binary', maxLength: 12 }); // any code unit: NUL, lone surrogates, emoji
    const recordArb = fc.dictionary(
      text,
      fc.oneof(
        text,
        fc.integer(),
        fc.array(text, { maxLength: 3 }),
        fc.dictionary(text, text, { maxKeys: 3 }),
      ),
      { maxKeys: 5 },
    );
    await fc.assert(
      fc.asyncProperty(recordArb, async (record) => {
        if (inspectRecord(record) !== undefined) return;
        await db.query('SELECT $1::jsonb AS j', [JSON.stringify(record)]);
      }),
      runs,
    );
  });
});
