// POST /v1/labels against a real nats-server and Postgres: who may label what (staff within their regions, a
// partner its own transactions by its own ids, as chargebacks), "not found" for anything outside the caller's
// scope without revealing it exists, 400 naming the item and field, 413 past 1,000 items, the label.recorded
// event each accepted label becomes, and the current label on GET /v1/transactions/{id}.
import { DeliverPolicy, jetstream, type JsMsg } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Events, labelMessageId, type LabelRecorded } from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, waitFor } from '@vigil/testing';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { problemOf } from './problem.js';
import { signInAll, startBackends, testGatewayEnv } from './support.js';

const PROBLEM_JSON = /^application\/problem\+json/;
const CARD_TOKEN = `tok_${'c'.repeat(32)}`;

let nats: TestNatsServer;
let db: TestDatabase;
let nc: NatsConnection;
let gateway: RunningService;
let url: string;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });
/** Every label.recorded message published, with its Nats-Msg-Id. */
const events: { subject: string; msgId: string; label: LabelRecorded }[] = [];

async function insertTransaction(key: string, partner: string | null, region: string): Promise<void> {
  const record = {
    transaction_id: key,
    type: 'CARD_PAYMENT',
    amount: '89.99',
    currency: region === 'KE' ? 'KES' : 'NGN',
    timestamp: '2026-01-01T09:30:00Z',
    region,
    origin: { account: `C-${key}` },
    destination: { account: `M-${key}` },
    merchant: { id: `M-${key}`, mcc: '5411' },
    card: { token: CARD_TOKEN, last4: '4242' },
  };
  await db.query(
    `INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record)
     VALUES ($1, 'api', $2, $3, now(), $4)`,
    [key, partner, region, JSON.stringify(record)],
  );
}

const label = (user: string, items: unknown) =>
  request(url).post('/v1/labels').set(bearer(user)).send({ items });

const eventsFor = (key: string) => events.filter((e) => e.label.transaction_id === key);
const until = (condition: () => boolean, what: string) =>
  waitFor(() => Promise.resolve(condition()), Boolean, { timeoutMs: 5000, intervalMs: 20, what });

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  gateway = await startGateway(testGatewayEnv(nats, db));
  url = gateway.url!;
  nc = await connect({ servers: nats.url });
  const consumer = await jetstream(nc).consumers.get(Events.labelRecorded.stream.name, {
    filter_subjects: [Events.labelRecorded.filter],
    deliver_policy: DeliverPolicy.All,
  });
  void (async () => {
    for await (const message of (await consumer.consume()) as AsyncIterable<JsMsg>)
      events.push({
        subject: message.subject,
        msgId: message.headers?.get('Nats-Msg-Id') ?? '',
        label: message.json<LabelRecorded>(),
      });
  })();
  await insertTransaction('ng-1', null, 'NG');
  await insertTransaction('ng-2', null, 'NG');
  await insertTransaction('ke-1', null, 'KE');
  await insertTransaction('partner-a~pa-1', 'partner-a', 'NG');
  await insertTransaction('partner-a~pa-2', 'partner-a', 'NG');
  await signInAll(url, ['fraud-ops', 'analyst-ng', 'partner-a', 'partner-b', 'sre'], tokens);
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await gateway?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

describe('POST /v1/labels', () => {
  it('records a fraud-ops label as an event carrying the transaction and the entities it concerns', async () => {
    const res = await label('fraud-ops', [
      { transaction_id: 'ng-1', label: 'fraud', note: 'account takeover confirmed by phone' },
    ]).expect(202);
    const labelledAt = (res.body as { results: { labelled_at: string }[] }).results[0]!.labelled_at;
    expect(res.body).toEqual({
      accepted: 1,
      rejected: 0,
      results: [
        {
          index: 0,
          transaction_id: 'ng-1',
          status: 'accepted',
          label: 'fraud',
          source: 'analyst',
          labelled_at: labelledAt,
        },
      ],
    });
    await until(() => eventsFor('ng-1').length === 1, 'the label event');
    const [event] = eventsFor('ng-1');
    expect(event!.subject).toBe('label.recorded.NG');
    expect(event!.label).toEqual({
      transaction_id: 'ng-1',
      label: 'fraud',
      source: 'analyst',
      note: 'account takeover confirmed by phone',
      labelled_by: { subject: 'fraud-ops', kind: 'user', role: 'fraud_ops' },
      labelled_at: labelledAt,
      region: 'NG',
      occurred_at: '2026-01-01T09:30:00Z',
      entities: {
        origin_account: 'C-ng-1',
        destination_account: 'M-ng-1',
        merchant_id: 'M-ng-1',
        card_token: CARD_TOKEN,
      },
    });
    // deduplicated per transaction, instant and principal
    expect(event!.msgId).toBe(`label.recorded:${labelMessageId(event!.label)}`);
  });

  it('rejects a transaction outside an analyst’s regions as not found, and records the rest', async () => {
    const res = await label('analyst-ng', [
      { transaction_id: 'ke-1', label: 'fraud' },
      { transaction_id: 'ng-2', label: 'legitimate', source: 'customer_report' },
    ]).expect(202);
    expect(res.body).toMatchObject({
      accepted: 1,
      rejected: 1,
      results: [
        {
          index: 0,
          transaction_id: 'ke-1',
          status: 'rejected',
          reasons: [
            {
              code: 'label.not_found',
              field: 'items[0].transaction_id',
              message: 'items[0].transaction_id: transaction ke-1 not found',
              severity: 'error',
            },
          ],
        },
        { index: 1, transaction_id: 'ng-2', status: 'accepted', source: 'customer_report' },
      ],
    });
    await until(() => eventsFor('ng-2').length === 1, 'the label event of ng-2');
    expect(eventsFor('ke-1')).toEqual([]);
  });

  it('lets a partner label its own transaction by its own id, as a chargeback', async () => {
    const res = await label('partner-a', [{ transaction_id: 'pa-1', label: 'fraud' }]).expect(202);
    expect(res.body).toMatchObject({
      accepted: 1,
      results: [{ transaction_id: 'pa-1', status: 'accepted', source: 'chargeback' }],
    });
    await until(() => eventsFor('partner-a~pa-1').length === 1, 'the partner label event');
    expect(eventsFor('partner-a~pa-1')[0]!.label).toMatchObject({
      transaction_id: 'partner-a~pa-1',
      partner_id: 'partner-a',
      source: 'chargeback',
      labelled_by: { subject: 'partner-a', role: 'partner', partner_id: 'partner-a' },
    });
    // a partner's label is a chargeback (or its own report), never an analyst's
    const analystSource = await label('partner-a', [
      { transaction_id: 'pa-2', label: 'fraud', source: 'analyst' },
    ]).expect(202);
    expect(analystSource.body).toMatchObject({
      accepted: 0,
      rejected: 1,
      results: [{ status: 'rejected', reasons: [{ code: 'label.source', field: 'items[0].source' }] }],
    });
  });

  it('answers another partner’s transaction exactly as an unknown one: not found, nothing published', async () => {
    const res = await label('partner-b', [
      { transaction_id: 'pa-1', label: 'legitimate' },
      { transaction_id: 'partner-a~pa-1', label: 'legitimate' },
      { transaction_id: 'never-sent', label: 'legitimate' },
    ]).expect(202);
    const results = (res.body as { results: { transaction_id: string; reasons: { message: string }[] }[] })
      .results;
    expect(res.body).toMatchObject({ accepted: 0, rejected: 3 });
    // the same answer, but for the id and position, whether the transaction exists for someone else or not at all
    const shapes = results.map((r, i) =>
      JSON.stringify(r)
        .replaceAll(r.transaction_id, '<id>')
        .replaceAll(`items[${i}]`, '<item>')
        .replace(/"index":\d+/, ''),
    );
    expect(new Set(shapes).size).toBe(1);
    expect(eventsFor('partner-a~pa-1')).toHaveLength(1);
  });

  it('refuses roles without labels:write', async () => {
    const res = await label('sre', [{ transaction_id: 'ng-1', label: 'fraud' }])
      .expect(403)
      .expect('content-type', PROBLEM_JSON);
    expect(res.body).toEqual(problemOf(403, expect.stringMatching(/labels:write/)));
  });

  it('answers 413 past 1,000 items and 400 naming each invalid item and field', async () => {
    const many = Array.from({ length: 1001 }, (_, i) => ({ transaction_id: `t-${i}`, label: 'fraud' }));
    const tooMany = await label('fraud-ops', many).expect(413).expect('content-type', PROBLEM_JSON);
    expect(tooMany.body).toEqual(problemOf(413, expect.stringMatching(/at most 1000 labels \(got 1001\)/)));

    const bad = await label('fraud-ops', [
      { transaction_id: 'ng-1', label: 'fraud' },
      { transaction_id: 'ng-2', label: 'suspicious' },
      { transaction_id: 'ng-2', label: 'fraud', colour: 'red' },
    ])
      .expect(400)
      .expect('content-type', PROBLEM_JSON);
    expect(bad.body).toEqual(
      problemOf(400, 'items[1].label must be one of fraud, legitimate (and 2 more invalid fields)'),
    );
    expect((bad.body as { errors: unknown[] }).errors).toEqual([
      { pointer: '/items/1/label', detail: 'items[1].label must be one of fraud, legitimate' },
      { pointer: '/items/2/colour', detail: expect.stringMatching(/^items\[2\]\.colour is not a field/) },
      {
        pointer: '/items/2/transaction_id',
        detail: 'items[2].transaction_id names ng-2 again (items[1]); label it once',
      },
    ]);
    const empty = await label('fraud-ops', []).expect(400);
    expect(empty.body).toEqual(problemOf(400, 'items is empty; send at least one label'));
    const nul = await label('fraud-ops', [
      { transaction_id: 'ng-1', label: 'fraud', note: 'a\u0000b' },
    ]).expect(400);
    expect((nul.body as { errors: unknown[] }).errors).toEqual([
      { pointer: '/items/0/note', detail: expect.stringMatching(/NUL/) },
    ]);
  });

  it('is documented in OpenAPI with an example and its permission', async () => {
    const doc = (await request(url).get('/docs-json').expect(200)).body as {
      paths: Record<string, Record<string, { description: string; requestBody: { content: object } }>>;
    };
    const post = doc.paths['/v1/labels']!.post!;
    expect(post.description).toMatch(/Permission: labels:write/);
    expect(JSON.stringify(post.requestBody.content)).toContain('"label":"fraud"');
  });
});

describe('GET /v1/transactions/{id}', () => {
  // as the scorer stores the current label (scorer/test/labels.test.ts covers the store)
  async function storeCurrentLabel(key: string, by: string, role: string): Promise<void> {
    await db.query(
      `INSERT INTO scorer.labels (transaction_id, label, source, labelled_at, labelled_by, labelled_by_kind,
                                  labelled_by_role, region, occurred_at, origin_account)
       VALUES ($1, 'fraud', 'analyst', '2026-01-08T10:00:00.123456Z', $2, 'user', $3, 'NG', '2026-01-01T09:30:00Z', 'C')`,
      [key, by, role],
    );
  }

  it('shows the current label, naming staff to operators and not to partners', async () => {
    await storeCurrentLabel('partner-a~pa-2', 'fraud-ops', 'fraud_ops');
    const staffView = await request(url)
      .get('/v1/transactions/partner-a~pa-2')
      .set(bearer('fraud-ops'))
      .expect(200);
    expect(staffView.body).toMatchObject({
      transaction_id: 'partner-a~pa-2',
      label: {
        label: 'fraud',
        source: 'analyst',
        labelled_at: '2026-01-08T10:00:00.123456Z',
        labelled_by: 'fraud-ops',
        labelled_by_role: 'fraud_ops',
      },
    });
    const partnerView = await request(url).get('/v1/transactions/pa-2').set(bearer('partner-a')).expect(200);
    expect(partnerView.body).toMatchObject({
      transaction_id: 'pa-2',
      label: { label: 'fraud', labelled_by: null, labelled_by_role: 'fraud_ops' },
    });
    // still scoped as before: another partner does not see it, label or not
    await request(url).get('/v1/transactions/pa-2').set(bearer('partner-b')).expect(404);
    const unlabelled = await request(url).get('/v1/transactions/ke-1').set(bearer('fraud-ops')).expect(200);
    expect(unlabelled.body).toMatchObject({ transaction_id: 'ke-1', label: null });
  });
});
