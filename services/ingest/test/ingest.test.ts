// Ingest alone against a private nats-server and a fresh database: per-record answers, NDJSON, PaySim
// normalisation, Idempotency-Key, the landing table, card tokenisation and back-pressure when NATS is away.
import 'reflect-metadata';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  Events,
  Streams,
  compile,
  transactionSchema,
  type IngestSubmitReply,
  type Transaction,
  type TransactionAccepted,
} from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, waitFor } from '@vigil/testing';
import { startIngest } from '../src/app.js';
import { ingestEnv } from '../src/config.js';
import { newTransaction } from '@vigil/testing';

const STREAM = Streams.transactions.name;
const PAYSIM_EPOCH = '2025-06-01T00:00:00Z';
const PAN = '4539578763621486';
const PAN_IN_TEXT = /4539[ -]?5787[ -]?6362[ -]?1486/;
const conformsToTransaction = compile<Transaction>(transactionSchema);

let nats: TestNatsServer;
let db: TestDatabase;
let ingest: RunningService;
let nc: NatsConnection;
let jsm: JetStreamManager;

interface Answer<T = IngestSubmitReply> {
  status: number;
  body: T;
}
interface ErrorBody {
  statusCode: number;
  message: string;
}

async function post<T = IngestSubmitReply>(
  body: unknown,
  headers: Record<string, string> = {},
  path = '/v1/transactions',
): Promise<Answer<T>> {
  const response = await fetch(`${ingest.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as T };
}

async function postNdjson(text: string, headers: Record<string, string> = {}): Promise<Answer> {
  const response = await fetch(`${ingest.url}/v1/transactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    body: text,
  });
  return { status: response.status, body: (await response.json()) as IngestSubmitReply };
}

const streamState = async () => (await jsm.streams.info(STREAM)).state;

/** Every message published after `afterSeq`, with its subject and raw text (payload and headers). */
async function publishedAfter(afterSeq: number) {
  const { last_seq } = await streamState();
  const messages: { subject: string; accepted: TransactionAccepted; raw: string }[] = [];
  for (let seq = afterSeq + 1; seq <= last_seq; seq++) {
    const message = await jsm.streams.getMessage(STREAM, { seq });
    if (!message) continue;
    const headers = message.header;
    messages.push({
      subject: message.subject,
      accepted: message.json<TransactionAccepted>(),
      raw: [
        message.string(),
        ...(headers ? [...headers.keys()].map((key) => `${key}: ${headers.get(key)}`) : []),
      ].join('\n'),
    });
  }
  return messages;
}

async function landedRows(ids: string[]) {
  return db.query<{
    transaction_id: string;
    source: string;
    region: string | null;
    record: Record<string, unknown>;
  }>(
    `SELECT transaction_id, source, region, record FROM ingest.transactions WHERE transaction_id = ANY($1)`,
    [ids],
  );
}

async function waitLanded(ids: string[]) {
  return waitFor(
    () => landedRows(ids),
    (rows) => rows.length === new Set(ids).size,
    { what: `${new Set(ids).size} rows in ingest.transactions` },
  );
}

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
      TOKENIZATION_KEY: 'ingest-test-tokenization-key-0123456789',
      PAYSIM_EPOCH,
    }),
  );
  // this connection outlives the NATS restart below, so it reconnects for as long as it takes
  nc = await connect({ servers: nats.url, maxReconnectAttempts: -1, reconnectTimeWait: 250 });
  jsm = await jetstreamManager(nc);
}, 60_000);

afterAll(async () => {
  await ingest?.close();
  await nc?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

describe('provisioning', () => {
  it('creates the TRANSACTIONS stream and the ingest-ledger consumer by itself', async () => {
    const stream = await jsm.streams.info(STREAM);
    expect(stream.config.subjects).toEqual([...Streams.transactions.subjects]);
    const consumer = await jsm.consumers.info(STREAM, 'ingest-ledger');
    expect(consumer.config.filter_subject).toBe(Events.transactionAccepted.filter);
  });
});

describe('a JSON array', () => {
  it('gets one answer per record: accepted, rejected naming transaction_id, duplicate', async () => {
    const [first, second] = [newTransaction(), newTransaction({ currency: 'KES', region: 'KE' })];
    const missingId: Record<string, unknown> = newTransaction();
    delete missingId.transaction_id;
    const repeated = { ...first, amount: '1.00' };
    const before = await streamState();

    const { status, body } = await post([first, missingId, second, repeated]);

    expect(status).toBe(202);
    expect(body).toEqual({
      accepted: 2,
      duplicates: 1,
      rejected: 1,
      results: [
        { index: 0, transaction_id: first.transaction_id, status: 'accepted' },
        {
          index: 1,
          status: 'rejected',
          reasons: [
            {
              code: 'ingest.transaction_id',
              field: 'transaction_id',
              message: 'transaction_id is required',
              severity: 'error',
            },
          ],
        },
        { index: 2, transaction_id: second.transaction_id, status: 'accepted' },
        { index: 3, transaction_id: first.transaction_id, status: 'duplicate' },
      ],
    });
    const published = await publishedAfter(before.last_seq);
    expect(published.map((m) => [m.subject, m.accepted.transaction_id])).toEqual([
      ['txn.accepted.NG', first.transaction_id],
      ['txn.accepted.KE', second.transaction_id],
    ]);
    expect(published[0]!.accepted).toMatchObject({
      source: 'api',
      received_at: expect.any(String),
      record: { ...first, source: 'api' },
    });
  });

  it('answers a record sent again in a later request as a duplicate', async () => {
    const record = newTransaction();
    expect((await post([record])).body.accepted).toBe(1);
    const before = await streamState();
    const again = await post([{ ...record, amount: '99.00' }]);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 1, rejected: 0 });
    expect((await streamState()).messages).toBe(before.messages);
  });

  it('rejects a malformed id or a non-object, naming the problem, and publishes the rest', async () => {
    const good = newTransaction();
    const { body } = await post([newTransaction({ transaction_id: 'has spaces' }), 'text', good]);
    expect(body).toMatchObject({ accepted: 1, rejected: 2 });
    expect(body.results[0]).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'ingest.transaction_id', field: 'transaction_id' }],
    });
    expect(body.results[1]).toMatchObject({
      status: 'rejected',
      reasons: [{ code: 'ingest.not_an_object', message: 'each record must be a JSON object' }],
    });
    expect(body.results[2]).toEqual({ index: 2, transaction_id: good.transaction_id, status: 'accepted' });
  });

  it('takes a single object as a batch of one', async () => {
    const record = newTransaction();
    const { status, body } = await post(record);
    expect(status).toBe(202);
    expect(body).toEqual({
      accepted: 1,
      duplicates: 0,
      rejected: 0,
      results: [{ index: 0, transaction_id: record.transaction_id, status: 'accepted' }],
    });
  });

  it('refuses 1001 records with 413, pointing to NDJSON, and publishes none of them', async () => {
    const before = await streamState();
    const { status, body } = await post<ErrorBody>(Array.from({ length: 1001 }, () => newTransaction()));
    expect(status).toBe(413);
    expect(body.statusCode).toBe(413);
    expect(body.message).toMatch(/at most 1000 records per request/);
    expect(body.message).toMatch(/NDJSON/);
    expect((await streamState()).messages).toBe(before.messages);
  });

  it('takes exactly 1000 records', async () => {
    const { status, body } = await post(Array.from({ length: 1000 }, () => newTransaction()));
    expect(status).toBe(202);
    expect(body.accepted).toBe(1000);
  });
});

describe('NDJSON', () => {
  it('refuses an Idempotency-Key with a clear 400 instead of ignoring it, and publishes nothing', async () => {
    const before = await streamState();
    const { status, body } = await postNdjson(`${JSON.stringify(newTransaction())}\n`, {
      'idempotency-key': 'k-1',
    });
    expect(status).toBe(400);
    expect(body).toMatchObject({
      message: expect.stringMatching(/Idempotency-Key applies to JSON requests/),
    });
    expect((await streamState()).messages).toBe(before.messages);
  });

  it('streams 2500 lines: 2499 accepted, the line that is not JSON rejected by its line number', async () => {
    const records = Array.from({ length: 2500 }, () => newTransaction());
    const lines = records.map((r) => JSON.stringify(r));
    const badLine = 1234;
    lines[badLine - 1] = `{"transaction_id": "${records[badLine - 1]!.transaction_id}", "amount": `;
    const before = await streamState();

    const { status, body } = await postNdjson(`${lines.join('\n')}\n`);

    expect(status).toBe(202);
    expect(body).toMatchObject({ accepted: 2499, duplicates: 0, rejected: 1 });
    expect(body.results).toHaveLength(2500);
    expect(body.results.map((r) => r.index)).toEqual(records.map((_, i) => i));
    const rejected = body.results.filter((r) => r.status === 'rejected');
    expect(rejected).toEqual([
      {
        index: badLine - 1,
        status: 'rejected',
        reasons: [{ code: 'ingest.not_json', message: `line ${badLine} is not JSON`, severity: 'error' }],
      },
    ]);
    const acceptedIds = records.filter((_, i) => i !== badLine - 1).map((r) => r.transaction_id);
    expect(body.results.filter((r) => r.status === 'accepted').map((r) => r.transaction_id)).toEqual(
      acceptedIds,
    );
    expect((await streamState()).messages).toBe(before.messages + 2499);
    expect(await waitLanded(acceptedIds)).toHaveLength(2499);
  });

  it('counts lines as the client wrote them: blank lines and CRLF included', async () => {
    const [a, b] = [newTransaction(), newTransaction()];
    const text = `${JSON.stringify(a)}\r\n\r\nnot json at all\r\n${JSON.stringify(b)}\r\n`;
    const { body } = await postNdjson(text);
    expect(body).toMatchObject({ accepted: 2, rejected: 1 });
    const [bad] = body.results.filter((r) => r.status === 'rejected');
    expect(bad).toEqual({
      index: 1,
      status: 'rejected',
      reasons: [{ code: 'ingest.not_json', message: 'line 3 is not JSON', severity: 'error' }],
    });
    expect(JSON.stringify(bad)).not.toContain('not json at all');
  });
});

describe('PaySim records', () => {
  // PaySim's first rows, as an exporter writes them: money as JSON numbers, or as the file's text
  const payment = {
    step: 1,
    type: 'PAYMENT',
    amount: 9839.64,
    nameOrig: 'C1231006815',
    oldbalanceOrg: 170136.0,
    newbalanceOrig: 160296.36,
    nameDest: 'M1979787155',
    oldbalanceDest: 0.0,
    newbalanceDest: 0.0,
    isFraud: 0,
    isFlaggedFraud: 0,
  };
  const fraudTransfer = {
    step: '3',
    type: 'TRANSFER',
    amount: '181.00',
    nameOrig: 'C1305486145',
    oldbalanceOrg: '181.0',
    newbalanceOrig: '0.0',
    nameDest: 'C553264065',
    oldbalanceDest: '0.0',
    newbalanceDest: '0.0',
    isFraud: '1',
    isFlaggedFraud: '0',
  };
  const nigerianCashOut = {
    step: 743,
    type: 'CASH_OUT',
    amount: 2500.5,
    nameOrig: 'C9000000001',
    oldbalanceOrg: '2500.50',
    newbalanceOrig: 0,
    nameDest: 'C9000000002',
    oldbalanceDest: 10,
    newbalanceDest: 2510.5,
    isFraud: true,
    isFlaggedFraud: false,
    currency: 'NGN',
    region: 'NG',
  };
  let reply: Answer;
  let published: Map<string, { subject: string; accepted: TransactionAccepted }>;

  beforeAll(async () => {
    const before = await streamState();
    reply = await post([payment, fraudTransfer, nigerianCashOut]);
    published = new Map(
      (await publishedAfter(before.last_seq)).map((m) => [m.accepted.transaction_id, m] as const),
    );
  });

  const recordOf = (index: number) => {
    const id = reply.body.results[index]!.transaction_id!;
    return { id, ...published.get(id)! };
  };

  it('accepts every row under a derived, deterministic ps- id', () => {
    expect(reply.status).toBe(202);
    expect(reply.body).toMatchObject({ accepted: 3, duplicates: 0, rejected: 0 });
    for (const result of reply.body.results) expect(result.transaction_id).toMatch(/^ps-[0-9a-f]{24}$/);
    expect(published.size).toBe(3);
  });

  it('normalises a row with JSON-number money to decimal strings, balances and labels', () => {
    const { id, subject, accepted } = recordOf(0);
    expect(subject).toBe('txn.accepted.KE');
    expect(accepted.record).toEqual({
      transaction_id: id,
      type: 'PAYMENT',
      amount: '9839.64',
      currency: 'KES',
      region: 'KE',
      timestamp: '2025-06-01T01:00:00.000Z',
      channel: 'mobile_money',
      source: 'api',
      origin: { account: 'C1231006815', balance_before: '170136', balance_after: '160296.36' },
      destination: { account: 'M1979787155', balance_before: '0', balance_after: '0' },
      labels: { is_fraud: false, is_flagged_fraud: false, step: 1 },
    });
  });

  it('normalises a row with text money and text flags the same way', () => {
    const { accepted } = recordOf(1);
    expect(accepted.record).toMatchObject({
      type: 'TRANSFER',
      amount: '181',
      timestamp: '2025-06-01T03:00:00.000Z',
      origin: { account: 'C1305486145', balance_before: '181', balance_after: '0' },
      destination: { account: 'C553264065', balance_before: '0', balance_after: '0' },
      labels: { is_fraud: true, is_flagged_fraud: false, step: 3 },
    });
  });

  it('keeps a currency and region the row carries, and counts steps in hours from PAYSIM_EPOCH', () => {
    const { subject, accepted } = recordOf(2);
    expect(subject).toBe('txn.accepted.NG');
    expect(accepted.record).toMatchObject({
      amount: '2500.5',
      currency: 'NGN',
      region: 'NG',
      timestamp: new Date(Date.parse(PAYSIM_EPOCH) + 743 * 3_600_000).toISOString(),
      origin: { balance_before: '2500.5', balance_after: '0' },
      destination: { balance_before: '10', balance_after: '2510.5' },
      labels: { is_fraud: true, step: 743 },
    });
  });

  it('publishes records that conform to the transaction schema', () => {
    for (const { accepted } of published.values())
      expect(conformsToTransaction(accepted.record) ? [] : conformsToTransaction.reasons()).toEqual([]);
  });

  it('answers the same rows posted again as duplicates of the same ids, whichever way money is written', async () => {
    const paymentAsText = {
      ...payment,
      amount: '9839.64',
      oldbalanceOrg: '170136.0',
      newbalanceOrig: '160296.36',
      oldbalanceDest: '0.0',
      newbalanceDest: '0.0',
    };
    const before = await streamState();
    const again = await post([payment, paymentAsText, fraudTransfer, nigerianCashOut]);
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 4, rejected: 0 });
    const ids = reply.body.results.map((r) => r.transaction_id);
    expect(again.body.results.map((r) => r.transaction_id)).toEqual([ids[0], ...ids]);
    expect((await streamState()).messages).toBe(before.messages);
  });

  it('uses a transaction_id the row carries instead of deriving one', async () => {
    const id = `ps-explicit-${Date.now().toString(36)}`;
    const { body } = await post({ ...payment, step: 2, transaction_id: id });
    expect(body.results).toEqual([{ index: 0, transaction_id: id, status: 'accepted' }]);
  });

  it('rejects money that is not an exact decimal, naming the column, instead of rounding it', async () => {
    const { body } = await post([
      { ...payment, amount: 0.1 + 0.2 },
      { ...payment, oldbalanceOrg: '1e5' },
    ]);
    expect(body).toMatchObject({ accepted: 0, rejected: 2 });
    expect(body.results[0]!.reasons).toEqual([
      expect.objectContaining({
        code: 'paysim.decimal',
        field: 'amount',
        message: expect.stringMatching(/decimal places/),
      }),
    ]);
    expect(body.results[1]!.reasons).toEqual([
      expect.objectContaining({ code: 'paysim.decimal', field: 'oldbalanceOrg' }),
    ]);
  });

  it('rejects a row without a usable step instead of placing it at the epoch', async () => {
    const { body } = await post([
      { ...payment, step: '' },
      { ...payment, step: null },
      { ...payment, step: -1 },
      { ...payment, step: 1.5 },
    ]);
    expect(body).toMatchObject({ accepted: 0, rejected: 4 });
    for (const result of body.results)
      expect(result.reasons).toEqual([expect.objectContaining({ code: 'paysim.step', field: 'step' })]);
  });

  it('rejects a row missing a money column, naming it', async () => {
    const { newbalanceDest: _dropped, ...row } = payment;
    const { body } = await post([{ ...row, step: 5 }]);
    expect(body.results[0]!.reasons).toEqual([
      expect.objectContaining({ code: 'paysim.required', field: 'newbalanceDest' }),
    ]);
  });
});

describe('Idempotency-Key', () => {
  it('replays the first answer for the same key and body without publishing again', async () => {
    const records = [newTransaction(), newTransaction()];
    const key = `key-${records[0]!.transaction_id}`;
    const first = await post(records, { 'idempotency-key': key });
    expect(first.status).toBe(202);
    expect(first.body.accepted).toBe(2);
    const before = await streamState();

    const replay = await post(records, { 'idempotency-key': key });

    expect(replay.status).toBe(202);
    // a second submission would have answered "duplicate"; the replay is the first answer itself
    expect(replay.body).toEqual(first.body);
    expect(await streamState()).toMatchObject({ messages: before.messages, last_seq: before.last_seq });
  });

  it('answers 409 to the same key with a different body, publishing nothing', async () => {
    const key = `key-conflict-${Date.now().toString(36)}`;
    expect((await post([newTransaction()], { 'idempotency-key': key })).status).toBe(202);
    const before = await streamState();
    const conflict = await post<ErrorBody>([newTransaction()], { 'idempotency-key': key });
    expect(conflict.status).toBe(409);
    expect(conflict.body.message).toMatch(/Idempotency-Key was already used with a different request body/);
    expect((await streamState()).messages).toBe(before.messages);
  });

  it('treats a new key with the same body as a new submission, deduplicated by transaction id', async () => {
    const records = [newTransaction()];
    await post(records, { 'idempotency-key': `key-a-${Date.now().toString(36)}` });
    const other = await post(records, { 'idempotency-key': `key-b-${Date.now().toString(36)}` });
    expect(other.body).toMatchObject({ accepted: 0, duplicates: 1 });
  });
});

describe('the landing table', () => {
  it('holds each accepted record exactly once, the first one sent', async () => {
    const records = [newTransaction(), newTransaction({ currency: 'KES', region: 'KE' }), newTransaction()];
    const ids = records.map((r) => r.transaction_id);
    await post([...records, { ...records[0]!, amount: '1.00' }]);
    await post(records);
    const rows = await waitLanded(ids);
    expect(rows.map((r) => r.transaction_id).sort()).toEqual([...ids].sort());
    const first = rows.find((r) => r.transaction_id === ids[0])!;
    expect(first).toMatchObject({ source: 'api', region: 'NG', record: { amount: '125.50' } });
    expect(rows.find((r) => r.transaction_id === ids[1])!.region).toBe('KE');
  });

  it('records the source a client names in the query string', async () => {
    const record = newTransaction();
    await post([record], {}, '/v1/transactions?source=bulk-upload');
    const [row] = await waitLanded([record.transaction_id]);
    expect(row).toMatchObject({ source: 'bulk-upload', record: { source: 'bulk-upload' } });
  });
});

describe('card numbers', () => {
  it('never reach the stream or the landing table: token and last four instead', async () => {
    const card = newTransaction({
      type: 'CARD_PAYMENT',
      channel: 'card',
      currency: 'USD',
      region: 'US',
      card: { number: PAN, holder: 'Ada Obi' },
      merchant: { id: 'm-1', mcc: '5411' },
      note: `customer typed ${PAN.replace(/(\d{4})(?=\d)/g, '$1 ')} here`,
    });
    const topLevel = { ...newTransaction({ currency: 'USD', region: 'US' }), card_number: PAN };
    const before = await streamState();

    const reply = await post([card, topLevel]);

    expect(reply.body.accepted).toBe(2);
    expect(JSON.stringify(reply.body)).not.toMatch(PAN_IN_TEXT);
    const published = await publishedAfter(before.last_seq);
    expect(published).toHaveLength(2);
    for (const message of published) {
      expect(message.raw).not.toMatch(PAN_IN_TEXT);
      expect(message.accepted.record.card).toEqual(
        expect.objectContaining({ token: expect.stringMatching(/^tok_[0-9a-f]{32}$/), last4: '1486' }),
      );
    }
    const [cardMessage, topLevelMessage] = published;
    expect(cardMessage!.accepted.record).toMatchObject({ card: { holder: 'Ada Obi' } });
    expect(cardMessage!.accepted.record.card).not.toHaveProperty('number');
    expect(topLevelMessage!.accepted.record).not.toHaveProperty('card_number');
    // the same card under the same key gives the same token, so the scorer can follow it
    expect((cardMessage!.accepted.record.card as { token: string }).token).toBe(
      (topLevelMessage!.accepted.record.card as { token: string }).token,
    );
    expect(conformsToTransaction(cardMessage!.accepted.record)).toBe(true);

    const rows = await waitLanded([card.transaction_id, topLevel.transaction_id]);
    expect(JSON.stringify(rows)).not.toMatch(PAN_IN_TEXT);
  });
});

describe('when NATS goes away', () => {
  it('answers 503 (not a hang, not a 500) and, after NATS is back, a retry loses nothing', async () => {
    const records = [newTransaction(), newTransaction({ currency: 'KES', region: 'KE' }), newTransaction()];
    const ids = records.map((r) => r.transaction_id);
    const key = `key-outage-${Date.now().toString(36)}`;
    const before = await streamState();

    await nats.stop();
    const started = Date.now();
    const during = await post<ErrorBody>(records, { 'idempotency-key': key });
    const waited = Date.now() - started;

    expect(during.status).toBe(503);
    expect(during.body).toEqual({
      statusCode: 503,
      message: expect.stringMatching(/^transaction stream unavailable, retry later/),
    });
    // the publisher retries for 30 s before giving up; a hang would run into the test timeout
    expect(waited).toBeGreaterThanOrEqual(25_000);
    expect(waited).toBeLessThan(45_000);

    await nats.restart();
    const reachable = (probe: () => Promise<unknown>) =>
      probe().then(
        () => true,
        () => false,
      );
    await waitFor(
      async () => (await reachable(() => ingest.platform.nats.ping())) && (await reachable(streamState)),
      (up) => up,
      { what: 'ingest and this test to reconnect to NATS and JetStream', timeoutMs: 30_000 },
    );

    // the failed request gave its Idempotency-Key back, so the client's retry is a fresh submission
    const retried = await post(records, { 'idempotency-key': key });
    expect(retried.status).toBe(202);
    expect(retried.body.rejected).toBe(0);
    expect(retried.body.accepted + retried.body.duplicates).toBe(records.length);
    expect(retried.body.results.map((r) => [r.transaction_id, r.status])).toEqual(
      ids.map((id): [string, unknown] => [id, expect.stringMatching(/^(accepted|duplicate)$/)]),
    );

    // each record is in the stream exactly once and reaches the landing table
    const published = await publishedAfter(before.last_seq);
    expect(published.map((m) => m.accepted.transaction_id).sort()).toEqual([...ids].sort());
    expect(await waitLanded(ids)).toHaveLength(records.length);

    // and the service keeps working
    const after = newTransaction();
    expect((await post([after])).body.accepted).toBe(1);
    await waitLanded([after.transaction_id]);
  }, 150_000);
});

describe('across the whole file', () => {
  it('has landed every accepted message exactly once', async () => {
    const { messages } = await streamState();
    const [{ rows, ids }] = (await waitFor(
      () =>
        db.query<{ rows: number; ids: number }>(
          `SELECT count(*)::int AS rows, count(DISTINCT transaction_id)::int AS ids FROM ingest.transactions`,
        ),
      ([counts]) => counts!.rows === messages,
      { what: 'the landing table to catch up with the stream' },
    )) as [{ rows: number; ids: number }];
    expect(rows).toBe(messages);
    expect(ids).toBe(rows);
  });
});
