// The partner's door through the real gateway, ingest and NATS: a full batch larger than NATS max_payload is
// stored whole (Idempotency-Key still binding the whole request), and records no stage could carry are refused
// naming their field while the rest of the batch is stored.
import { randomUUID } from 'node:crypto';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { Streams, submittedTransactionId, transactionKey, type IngestSubmitReply } from '@vigil/contracts';
import { newTransaction, waitFor } from '@vigil/testing';
import { tokenFor } from '../support/api.js';
import { Suite } from '../support/suite.js';

const PAN = '5105105105105100';
const PAN_ANYWHERE = /5105[\s\-._/]*1051[\s\-._/]*0510[\s\-._/]*5100/;

let suite: Suite;
let token: string;

beforeAll(async () => {
  suite = await Suite.start({ services: ['ingest', 'gateway'] });
  token = await tokenFor(suite.gatewayUrl, 'partner-a');
}, 120_000);
afterAll(async () => {
  await suite?.stop();
});

interface Answer {
  status: number;
  text: string;
  body: IngestSubmitReply & { detail?: string; errors?: { pointer?: string; header?: string }[] };
}

async function submit(body: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${suite.gatewayUrl}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body,
  });
  const text = await response.text();
  return { status: response.status, text, body: JSON.parse(text) as Answer['body'] };
}

/** Which of partner-a's ids are stored (under their partner-scoped keys). */
const storedIds = async (ids: string[]) =>
  (
    await suite.db.query<{ transaction_id: string }>(
      'SELECT transaction_id FROM ingest.transactions WHERE transaction_id = ANY($1)',
      [ids.map((id) => transactionKey('partner-a', id))],
    )
  ).map((r) => submittedTransactionId(r.transaction_id));

const waitStored = (ids: string[]) =>
  waitFor(
    () => storedIds(ids),
    (found) => found.length === ids.length,
    { what: `${ids.length} records stored`, timeoutMs: 60_000 },
  );

async function streamMessages(): Promise<number> {
  const nc = await connect({ servers: suite.nats.url });
  try {
    return (await (await jetstreamManager(nc)).streams.info(Streams.transactions.name)).state.messages;
  } finally {
    await nc.close();
  }
}

/** A documented full batch: 1,000 records of about 1.2 KB, some 1.2 MB in all. */
const fullBatch = () =>
  Array.from({ length: 1000 }, (_, i) => newTransaction({ note: `${i} ${'n'.repeat(1100)}` }));

describe('a full batch larger than NATS max_payload', () => {
  it('is accepted whole, every record stored, and replays under its Idempotency-Key', async () => {
    const records = fullBatch();
    const body = JSON.stringify(records);
    expect(Buffer.byteLength(body)).toBeGreaterThan(1024 * 1024);
    const key = `batch-${randomUUID()}`;

    const first = await submit(body, { 'idempotency-key': key });

    expect(first.status).toBe(202);
    expect(first.body).toMatchObject({ accepted: 1000, duplicates: 0, rejected: 0 });
    expect(first.body.results.map((r) => [r.index, r.transaction_id, r.status])).toEqual(
      records.map((r, i) => [i, r.transaction_id, 'accepted']),
    );
    const ids = records.map((r) => r.transaction_id);
    await waitStored(ids);
    const messages = await streamMessages();

    const again = await submit(body, { 'idempotency-key': key });
    expect(again.status).toBe(202);
    expect(again.body).toEqual(first.body);
    expect(await streamMessages()).toBe(messages);

    // the same key with another body is a conflict, even where only a later part differs, and stores nothing
    const changed = records.map((r, i) => (i >= 900 ? { ...r, transaction_id: `${r.transaction_id}-x` } : r));
    const conflict = await submit(JSON.stringify(changed), { 'idempotency-key': key });
    expect(conflict.status).toBe(409);
    expect(await streamMessages()).toBe(messages);
    expect(await storedIds(changed.slice(900).map((r) => r.transaction_id))).toEqual([]);
  }, 180_000);
});

const withRaw = (raw: string): { id: string; json: string } => {
  const record = newTransaction();
  return { id: record.transaction_id, json: JSON.stringify(record).replace(/^\{/, `{${raw},`) };
};

interface DoorCase {
  name: string;
  json: string;
  code: string;
  field: string;
  status: 400 | 413;
}

const cases = (): DoorCase[] => [
  {
    name: 'NUL',
    json: withRaw('"note":"a\\u0000"').json,
    code: 'ingest.nul_character',
    field: '/note',
    status: 400,
  },
  {
    name: 'NUL key',
    json: withRaw('"m":{"\\u0000":1}').json,
    code: 'ingest.nul_character',
    field: '/m',
    status: 400,
  },
  {
    name: 'lone surrogate',
    json: withRaw('"note":"\\ud800"').json,
    code: 'ingest.lone_surrogate',
    field: '/note',
    status: 400,
  },
  {
    name: 'lone surrogate key',
    json: withRaw('"m":{"\\ud800":1}').json,
    code: 'ingest.lone_surrogate',
    field: '/m',
    status: 400,
  },
  {
    name: 'offset -23:59',
    json: JSON.stringify(newTransaction({ timestamp: '2026-03-01T10:00:00-23:59' })),
    code: 'ingest.timestamp_range',
    field: '/timestamp',
    status: 400,
  },
  {
    name: 'year 0000',
    json: JSON.stringify(newTransaction({ timestamp: '0000-06-01T10:00:00Z' })),
    code: 'ingest.timestamp_range',
    field: '/timestamp',
    status: 400,
  },
  {
    name: '10,000 deep',
    json: withRaw(`"deep":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`).json,
    code: 'ingest.too_deep',
    field: '/deep' + '/a'.repeat(31),
    status: 400,
  },
  {
    name: 'long value',
    json: withRaw(`"note":"${'v'.repeat(17_000)}"`).json,
    code: 'ingest.string_too_long',
    field: '/note',
    status: 400,
  },
  {
    name: 'long key',
    json: withRaw(`"${'k'.repeat(257)}":1`).json,
    code: 'ingest.key_too_long',
    field: '',
    status: 400,
  },
  {
    name: 'over 1 MB',
    json: withRaw(`"parts":${JSON.stringify(Array.from({ length: 75 }, () => 'p'.repeat(15_000)))}`).json,
    code: 'ingest.record_too_large',
    field: '',
    status: 413,
  },
  {
    name: 'card number in transaction_id',
    json: JSON.stringify(newTransaction({ transaction_id: `t-${PAN.replace(/(\d{4})(?=\d)/g, '$1_')}` })),
    code: 'ingest.card_number_in_identifier',
    field: '/transaction_id',
    status: 400,
  },
];

describe('the door through the gateway', () => {
  it('refuses each record no stage could carry, naming its field, and stores the rest of the batch', async () => {
    const good = [newTransaction(), newTransaction(), newTransaction()];
    const bad = cases();
    const body = `[${JSON.stringify(good[0])},${bad.map((c) => c.json).join(',')},${JSON.stringify(good[1])},${JSON.stringify(good[2])}]`;

    const answer = await submit(body);

    expect(answer.status).toBe(202);
    expect(answer.body).toMatchObject({ accepted: 3, rejected: bad.length });
    bad.forEach((c, i) => {
      const result = answer.body.results[i + 1]!;
      expect({
        name: c.name,
        index: result.index,
        status: result.status,
        reason: result.reasons?.[0],
      }).toEqual({
        name: c.name,
        index: i + 1,
        status: 'rejected',
        reason: expect.objectContaining({ code: c.code, field: c.field }),
      });
    });
    expect(answer.text).not.toMatch(PAN_ANYWHERE);
    await waitStored(good.map((r) => r.transaction_id));
  }, 60_000);

  it('answers one record sent alone with a 400 (413 for size) problem naming the field', async () => {
    for (const c of cases()) {
      const answer = await submit(c.json);
      expect({ name: c.name, status: answer.status, pointer: answer.body.errors?.[0]?.pointer }).toEqual({
        name: c.name,
        status: c.status,
        pointer: c.field,
      });
      expect(answer.text).not.toMatch(PAN_ANYWHERE);
    }
    const record = newTransaction();
    expect((await submit(JSON.stringify(record))).status).toBe(202);
    await waitStored([record.transaction_id]);
  }, 60_000);

  it('refuses a card number in the Idempotency-Key without echoing it, and a __proto__ key without pollution', async () => {
    const keyed = await submit(JSON.stringify(newTransaction()), { 'idempotency-key': `k-${PAN}` });
    expect(keyed.status).toBe(400);
    expect(keyed.body.errors).toEqual([expect.objectContaining({ header: 'Idempotency-Key' })]);
    expect(keyed.text).not.toMatch(PAN_ANYWHERE);
    const polluting = await submit(`[${withRaw('"__proto__":{"polluted":true}').json}]`);
    expect(polluting.status).toBe(400);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
