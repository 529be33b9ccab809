// The gateway against a real nats-server and Postgres: auth, RBAC and scoping, reads of the tables the
// pipeline writes (rows inserted here directly), the hand-off to ingest over NATS, and the OpenAPI document.
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
import {
  connect,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
  type Subscription,
} from '@nats-io/transport-node';
import {
  Headers,
  Requests,
  submittedTransactionId,
  transactionKey,
  type IngestSubmitReply,
} from '@vigil/contracts';
import { startTelemetry } from '@vigil/observability';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer } from '@vigil/testing';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { PasswordHasher } from '../src/auth/password-hasher.js';
import type { GatewayEnv } from '../src/config.js';
import { problemOf } from './problem.js';
import { TEST_PASSWORD, startBackends, testGatewayEnv } from './support.js';

// The gateway records its spans as it does with an OTLP endpoint (startGateway then keeps this set-up): its own
// span continues a caller's trace. Without a receiver it records none (libs/observability telemetry-off.spec.ts).
startTelemetry({
  serviceName: 'gateway',
  spanProcessors: [new SimpleSpanProcessor({ exporter: new InMemorySpanExporter() })],
});

const PASSWORD = TEST_PASSWORD;

let nats: TestNatsServer;
let db: TestDatabase;
let gateway: RunningService;
let url: string;
let env: GatewayEnv;

const tokens: Record<string, string> = {};
async function signIn(username: string, password = PASSWORD): Promise<string> {
  const res = await request(url).post('/v1/auth/token').send({ username, password }).expect(200);
  return (res.body as { access_token: string }).access_token;
}
const bearer = (username: string) => ({ Authorization: `Bearer ${tokens[username]}` });

// Factories for the rows the pipeline services would have written.
interface TxnOptions {
  id: string;
  partner: string | null;
  region: string;
  receivedAt: string;
  amount?: string;
  type?: string;
}
// a partner's rows are stored under the pipeline key <partner_id>~<transaction_id>, as ingest writes them
async function insertTransaction(o: TxnOptions): Promise<void> {
  const key = transactionKey(o.partner, o.id);
  const record = {
    transaction_id: key,
    type: o.type ?? 'TRANSFER',
    amount: o.amount ?? '125.50',
    currency: o.region === 'NG' ? 'NGN' : 'KES',
    timestamp: o.receivedAt,
    region: o.region,
    origin: { account: `acc-${o.id}` },
  };
  await db.query(
    `INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record) VALUES ($1, 'api', $2, $3, $4, $5)`,
    [key, o.partner, o.region, o.receivedAt, JSON.stringify(record)],
  );
}
async function insertVerdict(
  id: string,
  status: 'valid' | 'quarantined',
  reasons: object[],
  partner: string,
  region: string,
) {
  await db.query(
    `INSERT INTO validator.results (transaction_id, status, reasons, rule_set_version, source, partner_id, region, validated_at)
     VALUES ($1, $2, $3, 'builtin-1', 'api', $4, $5, now())`,
    [transactionKey(partner, id), status, JSON.stringify(reasons), partner, region],
  );
}
async function insertScore(id: string, score: number, reasons: object[], partner: string, region: string) {
  await db.query(
    `INSERT INTO scorer.scores (transaction_id, score, reasons, model_version, type, amount, currency, region, partner_id,
                                origin_account, occurred_at, scored_at, decision, policy_version)
     VALUES ($1, $2, $3, 'gbdt-test', 'TRANSFER', 125.50, 'NGN', $4, $5, 'acc', now(), now(),
             CASE WHEN $2::numeric >= 0.9 THEN 'block' WHEN $2::numeric >= 0.5 THEN 'review' ELSE 'approve' END, 1)`,
    [transactionKey(partner, id), score, JSON.stringify(reasons), region, partner],
  );
}

const partnerAIds: string[] = [];
const partnerBIds: string[] = [];

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  env = testGatewayEnv(nats, db);
  gateway = await startGateway(env);
  url = gateway.url!;

  // partner-a: 8 transactions in NG; a-5 and a-6 share a microsecond, a-7 is 73 µs earlier in the same millisecond
  const partnerATimes = [
    '00.000123',
    '01.000123',
    '02.000123',
    '03.000123',
    '04.000123',
    '05.000123',
    '05.000123',
    '05.000050',
  ];
  for (const [i, seconds] of partnerATimes.entries()) {
    const id = `a-${i}`;
    await insertTransaction({
      id,
      partner: 'partner-a',
      region: 'NG',
      receivedAt: `2025-03-01T12:00:${seconds}Z`,
      type: i % 2 === 0 ? 'TRANSFER' : 'CASH_OUT',
    });
    partnerAIds.push(id);
  }
  const base = Date.parse('2025-03-01T12:00:00Z');
  for (let i = 0; i < 4; i++) {
    const id = `b-${i}`;
    await insertTransaction({
      id,
      partner: 'partner-b',
      region: 'KE',
      receivedAt: new Date(base + 500 + i * 1000).toISOString(),
    });
    partnerBIds.push(id);
  }
  await insertVerdict(
    'a-0',
    'valid',
    [{ code: 'amount.round', message: 'amount is a round number', field: 'amount', severity: 'warn' }],
    'partner-a',
    'NG',
  );
  await insertScore(
    'a-0',
    0.91,
    [{ code: 'TRANSFER_THEN_CASH_OUT', message: 'cash-out of a fresh transfer', weight: 0.6 }],
    'partner-a',
    'NG',
  );
  await insertVerdict(
    'a-1',
    'quarantined',
    [{ code: 'schema.required', field: 'origin', message: 'origin is required', severity: 'error' }],
    'partner-a',
    'NG',
  );
  await insertVerdict('a-2', 'valid', [], 'partner-a', 'NG');
  await insertVerdict('b-0', 'valid', [], 'partner-b', 'KE');
  await insertScore('b-0', 0.2, [], 'partner-b', 'KE');
  // scored before ingest's ledger caught up: readable by id, with partner and region from the score
  await insertScore('late-1', 0.4, [], 'partner-a', 'NG');

  await db.query(
    `INSERT INTO alerting.alerts (alert_id, fingerprint, name, severity, summary, labels, status, region, opened_by, occurrences, first_seen, last_seen)
     SELECT gen_random_uuid(), 'fp-' || i, 'HighFraudScore', CASE WHEN i % 2 = 0 THEN 'critical' ELSE 'warning' END,
            'score above 0.9', '{"rule":"high_score"}', 'open', CASE WHEN i < 3 THEN 'NG' ELSE 'KE' END, 'txn-' || i, i + 1,
            now() - interval '1 hour', now() - (i || ' minutes')::interval
       FROM generate_series(0, 4) i`,
  );
  const regionalHash = await new PasswordHasher().hash(PASSWORD);
  await db.query(
    `INSERT INTO gateway.users (username, password_hash, role, regions) VALUES ('ke-analyst', $1, 'analyst', '{KE}')`,
    [regionalHash],
  );

  for (const user of ['admin', 'analyst', 'partner-a', 'partner-b', 'ke-analyst'])
    tokens[user] = await signIn(user);
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

describe('authentication', () => {
  it('answers 401 without a token, naming how to get one', async () => {
    const res = await request(url).get('/v1/transactions').expect(401);
    expect(res.body).toEqual(problemOf(401, expect.stringMatching(/bearer token/)));
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('answers 401 to a wrong password and to an unknown user alike', async () => {
    const wrong = await request(url)
      .post('/v1/auth/token')
      .send({ username: 'admin', password: 'wrong-password' })
      .expect(401);
    const unknown = await request(url)
      .post('/v1/auth/token')
      .send({ username: 'nobody', password: 'wrong-password' })
      .expect(401);
    expect(wrong.body).toEqual(problemOf(401, 'invalid username or password'));
    expect(unknown.body).toEqual(wrong.body);
  });

  it('answers 400 to a malformed token request', async () => {
    const missing = await request(url).post('/v1/auth/token').send({ username: 'admin' }).expect(400);
    expect(missing.body.detail).toMatch(/password is required/);
    await request(url)
      .post('/v1/auth/token')
      .set('content-type', 'application/json')
      .send('{"username":')
      .expect(400);
  });

  it('issues a bearer token with its lifetime', async () => {
    const res = await request(url)
      .post('/v1/auth/token')
      .send({ username: 'analyst', password: PASSWORD })
      .expect(200);
    expect(res.body).toEqual({
      access_token: expect.any(String),
      token_type: 'Bearer',
      expires_in: 3600,
      refresh_token: expect.stringMatching(/^vgr_/),
    });
  });

  it('answers 401 to a tampered token', async () => {
    const token = tokens['admin']!;
    const tampered = `${token.slice(0, -4)}${token.slice(-4) === 'AAAA' ? 'BBBB' : 'AAAA'}`;
    const res = await request(url).get('/v1/alerts').set('Authorization', `Bearer ${tampered}`).expect(401);
    expect(res.body.detail).toBe('access token is invalid');
  });
});

describe('role-based access', () => {
  it('refuses an analyst submitting transactions with 403', async () => {
    const res = await request(url)
      .post('/v1/transactions')
      .set(bearer('analyst'))
      .send({ transaction_id: 'x' })
      .expect(403);
    expect(res.body).toEqual(problemOf(403, expect.stringMatching(/analyst/)));
  });

  it('refuses a partner listing alerts with 403', async () => {
    await request(url).get('/v1/alerts').set(bearer('partner-a')).expect(403);
  });
});

describe('reading transactions', () => {
  // an operator reads across partners, so it names a partner's transaction by its pipeline key
  const keyA = (id: string) => transactionKey('partner-a', id);

  it('shows an analyst the score and the reasons of a scored transaction', async () => {
    const res = await request(url)
      .get(`/v1/transactions/${keyA('a-0')}`)
      .set(bearer('analyst'))
      .expect(200);
    expect(res.body).toEqual({
      transaction_id: 'partner-a~a-0',
      status: 'scored',
      score: 0.91,
      decision: 'block',
      reasons: [
        { code: 'TRANSFER_THEN_CASH_OUT', message: 'cash-out of a fresh transfer', severity: 'warn' },
        { code: 'amount.round', message: 'amount is a round number', field: 'amount', severity: 'warn' },
      ],
      region: 'NG',
      partner_id: 'partner-a',
      received_at: '2025-03-01T12:00:00.000123Z',
      amount: '125.50',
      currency: 'NGN',
      type: 'TRANSFER',
      label: null,
    });
  });

  it('reports quarantined, valid and merely accepted transactions', async () => {
    const quarantined = await request(url)
      .get(`/v1/transactions/${keyA('a-1')}`)
      .set(bearer('analyst'))
      .expect(200);
    expect(quarantined.body).toMatchObject({
      status: 'quarantined',
      score: null,
      reasons: [
        { code: 'schema.required', field: 'origin', message: 'origin is required', severity: 'error' },
      ],
    });
    expect(
      (
        await request(url)
          .get(`/v1/transactions/${keyA('a-2')}`)
          .set(bearer('analyst'))
          .expect(200)
      ).body.status,
    ).toBe('valid');
    expect(
      (
        await request(url)
          .get(`/v1/transactions/${keyA('a-3')}`)
          .set(bearer('analyst'))
          .expect(200)
      ).body.status,
    ).toBe('accepted');
    const late = await request(url).get('/v1/transactions/late-1').set(bearer('partner-a')).expect(200);
    expect(late.body).toMatchObject({
      status: 'scored',
      score: 0.4,
      partner_id: 'partner-a',
      received_at: null,
    });
    await request(url).get('/v1/transactions/never-seen').set(bearer('admin')).expect(404);
  });

  it("hides another partner's transaction from a partner as 404", async () => {
    await request(url).get('/v1/transactions/a-0').set(bearer('partner-a')).expect(200);
    const res = await request(url).get('/v1/transactions/b-0').set(bearer('partner-a')).expect(404);
    expect(res.body).toEqual(problemOf(404, 'transaction b-0 not found'));
    await request(url).get('/v1/transactions/late-1').set(bearer('partner-b')).expect(404);
  });

  it("lists only the partner's own transactions", async () => {
    const res = await request(url).get('/v1/transactions?limit=500').set(bearer('partner-a')).expect(200);
    const items = res.body.items as { transaction_id: string; partner_id: string }[];
    expect(items.map((i) => i.transaction_id).sort()).toEqual([...partnerAIds].sort());
    expect(new Set(items.map((i) => i.partner_id))).toEqual(new Set(['partner-a']));
    expect(res.body.next_cursor).toBeNull();
  });

  it('limits an analyst with region claims to those regions', async () => {
    const list = await request(url).get('/v1/transactions?limit=500').set(bearer('ke-analyst')).expect(200);
    expect(
      (list.body.items as { transaction_id: string }[])
        .map((i) => submittedTransactionId(i.transaction_id))
        .sort(),
    ).toEqual([...partnerBIds].sort());
    await request(url)
      .get(`/v1/transactions/${keyA('a-0')}`)
      .set(bearer('ke-analyst'))
      .expect(404);
    const alerts = await request(url).get('/v1/alerts').set(bearer('ke-analyst')).expect(200);
    expect(new Set((alerts.body.items as { region: string }[]).map((a) => a.region))).toEqual(
      new Set(['KE']),
    );
  });

  it('returns every row exactly once across keyset pages, newest first', async () => {
    for (const limit of [1, 3, 5]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const query: Record<string, string | number> = { limit, ...(cursor ? { cursor } : {}) };
        const res = await request(url).get('/v1/transactions').query(query).set(bearer('admin')).expect(200);
        const items = res.body.items as { transaction_id: string }[];
        expect(items.length).toBeLessThanOrEqual(limit);
        seen.push(...items.map((i) => submittedTransactionId(i.transaction_id)));
        cursor = res.body.next_cursor as string | null;
        pages++;
      } while (cursor && pages < 50);
      expect(seen).toHaveLength(partnerAIds.length + partnerBIds.length);
      expect(new Set(seen)).toEqual(new Set([...partnerAIds, ...partnerBIds]));
      // equal received_at orders by transaction_id descending; microseconds order within a millisecond
      expect(seen.slice(0, 3)).toEqual(['a-6', 'a-5', 'a-7']);
    }
  });

  it('filters by status, region, min_score, type and time range', async () => {
    const ids = async (query: Record<string, string>) =>
      (
        (await request(url).get('/v1/transactions').query(query).set(bearer('admin')).expect(200)).body
          .items as { transaction_id: string }[]
      )
        .map((i) => submittedTransactionId(i.transaction_id))
        .sort();
    expect(await ids({ status: 'scored' })).toEqual(['a-0', 'b-0']);
    expect(await ids({ min_score: '0.5' })).toEqual(['a-0']);
    expect(await ids({ region: 'KE', type: 'TRANSFER' })).toEqual(partnerBIds);
    expect(await ids({ type: 'CASH_OUT' })).toEqual(['a-1', 'a-3', 'a-5', 'a-7']);
    expect(await ids({ from: '2025-03-01T12:00:01Z', to: '2025-03-01T12:00:03Z', region: 'NG' })).toEqual([
      'a-1',
      'a-2',
    ]);
  });

  it('answers 400 naming the bad filter', async () => {
    const res = await request(url).get('/v1/transactions?limit=0').set(bearer('admin')).expect(400);
    expect(res.body).toEqual(problemOf(400, 'limit must be an integer from 1 to 500'));
    expect(
      (await request(url).get('/v1/transactions?min_score=high').set(bearer('admin')).expect(400)).body
        .detail,
    ).toMatch(/^min_score/);
    expect(
      (await request(url).get('/v1/transactions?from=monday').set(bearer('admin')).expect(400)).body.detail,
    ).toMatch(/^from/);
    expect(
      (await request(url).get('/v1/transactions?cursor=abc').set(bearer('admin')).expect(400)).body.detail,
    ).toMatch(/^cursor/);
  });
});

describe('alerts', () => {
  it('lists alerts for analysts with filters and keyset pages', async () => {
    const all = await request(url).get('/v1/alerts').set(bearer('analyst')).expect(200);
    expect(all.body.items).toHaveLength(5);
    expect(all.body.items[0]).toEqual({
      alert_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      fingerprint: 'fp-0',
      name: 'HighFraudScore',
      severity: 'critical',
      summary: 'score above 0.9',
      labels: { rule: 'high_score' },
      status: 'open',
      occurrences: 1,
      first_seen: expect.stringMatching(/Z$/),
      last_seen: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
      region: 'NG',
    });
    const critical = await request(url)
      .get('/v1/alerts?severity=critical')
      .set(bearer('analyst'))
      .expect(200);
    expect((critical.body.items as { fingerprint: string }[]).map((a) => a.fingerprint)).toEqual([
      'fp-0',
      'fp-2',
      'fp-4',
    ]);
    const first = await request(url).get('/v1/alerts?limit=2').set(bearer('admin')).expect(200);
    const second = await request(url)
      .get('/v1/alerts')
      .query({ limit: 2, cursor: first.body.next_cursor })
      .set(bearer('admin'))
      .expect(200);
    expect((second.body.items as { fingerprint: string }[]).map((a) => a.fingerprint)).toEqual([
      'fp-2',
      'fp-3',
    ]);
    expect(
      (await request(url).get('/v1/alerts?severity=high').set(bearer('admin')).expect(400)).body.detail,
    ).toMatch(/^severity/);
  });
});

describe('submitting transactions, with a stand-in for ingest on its NATS request subject', () => {
  let nc: NatsConnection;
  let standIn: Subscription | undefined;
  const received: { payload: Record<string, unknown>; headers: MsgHdrs | undefined }[] = [];

  /** What ingest's transport answers when its handler refuses a request. */
  type IngestFailure = { error: { status: number; message: string } };

  /** Replaces ingest: records what the gateway sent and answers like ingest would. */
  async function startIngestStandIn(
    answer: (payload: Record<string, unknown>) => IngestSubmitReply | IngestFailure,
  ): Promise<void> {
    standIn = nc.subscribe(Requests.ingestSubmit.subject, {
      callback: (_err, msg: Msg) => {
        const payload = JSON.parse(new TextDecoder().decode(msg.data)) as Record<string, unknown>;
        received.push({ payload, headers: msg.headers });
        msg.respond(new TextEncoder().encode(JSON.stringify(answer(payload))));
      },
    });
    await nc.flush();
  }

  beforeAll(async () => {
    nc = await connect({ servers: nats.url });
  });
  afterEach(async () => {
    standIn?.unsubscribe();
    standIn = undefined;
    received.length = 0;
    await nc.flush();
  });
  afterAll(async () => {
    await nc.close();
  });

  const accepted = (payload: Record<string, unknown>): IngestSubmitReply => {
    const records = payload.records as { transaction_id?: string }[];
    return {
      accepted: records.length,
      duplicates: 0,
      rejected: 0,
      results: records.map((r, index) => ({
        index,
        status: 'accepted' as const,
        ...(r.transaction_id ? { transaction_id: r.transaction_id } : {}),
      })),
    };
  };

  it("forwards the records with the token's partner_id, the Idempotency-Key and the trace", async () => {
    await startIngestStandIn(accepted);
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await request(url)
      .post('/v1/transactions')
      .set(bearer('partner-a'))
      .set('Idempotency-Key', 'batch-2025-03-01-1')
      .set('traceparent', `00-${traceId}-00f067aa0ba902b7-01`)
      .set('x-request-id', 'req-42')
      .send([
        { transaction_id: 'new-1', type: 'TRANSFER' },
        {
          step: 1,
          type: 'PAYMENT',
          amount: 9839.64,
          nameOrig: 'C1',
          oldbalanceOrg: 170136,
          newbalanceOrig: 160296.36,
          nameDest: 'M1',
          oldbalanceDest: 0,
          newbalanceDest: 0,
        },
      ])
      .expect(202);
    expect(res.body).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: 0,
      results: [
        { index: 0, status: 'accepted', transaction_id: 'new-1' },
        { index: 1, status: 'accepted' },
      ],
    });
    expect(res.headers['x-request-id']).toBe('req-42');
    expect(received).toHaveLength(1);
    const [{ payload, headers }] = received as [(typeof received)[number]];
    expect(payload).toEqual({
      records: [
        expect.objectContaining({ transaction_id: 'new-1' }),
        expect.objectContaining({ nameOrig: 'C1' }),
      ],
      source: 'api',
      partner_id: 'partner-a',
      idempotency_key: 'batch-2025-03-01-1',
    });
    // the gateway's span continues the caller's trace, and the NATS request continues the gateway's span
    expect(headers?.get(Headers.traceparent)).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    expect(headers?.get(Headers.traceparent)).not.toContain('00f067aa0ba902b7');
    expect(headers?.get(Headers.correlationId)).toBe('req-42');
  });

  it('sends no partner_id for an admin, and one record object as a batch of one', async () => {
    await startIngestStandIn(accepted);
    await request(url)
      .post('/v1/transactions')
      .set(bearer('admin'))
      .send({ transaction_id: 'admin-1' })
      .expect(202);
    expect(received[0]?.payload).toEqual({ records: [{ transaction_id: 'admin-1' }], source: 'api' });
  });

  it("answers with ingest's own error status and message", async () => {
    await startIngestStandIn(() => ({
      error: { status: 409, message: 'Idempotency-Key reused with a different body' },
    }));
    const res = await request(url)
      .post('/v1/transactions')
      .set(bearer('partner-b'))
      .set('Idempotency-Key', 'k1')
      .send({ transaction_id: 'x' })
      .expect(409);
    expect(res.body).toEqual(problemOf(409, 'Idempotency-Key reused with a different body'));
  });

  it('passes on a 503 from ingest with Retry-After', async () => {
    await startIngestStandIn(() => ({
      error: { status: 503, message: 'transaction stream unavailable, retry later' },
    }));
    const res = await request(url)
      .post('/v1/transactions')
      .set(bearer('partner-a'))
      .send({ transaction_id: 'x' })
      .expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body.detail).toBe('transaction stream unavailable, retry later');
  });

  it('refuses a partner submitting under another partner_id', async () => {
    await startIngestStandIn(accepted);
    await request(url)
      .post('/v1/transactions')
      .set(bearer('partner-a'))
      .send({ transaction_id: 'x', partner_id: 'partner-b' })
      .expect(403);
    expect(received).toHaveLength(0);
  });

  it('refuses only the record of a batch that names another partner_id, and forwards the others', async () => {
    await startIngestStandIn(accepted);
    const res = await request(url)
      .post('/v1/transactions')
      .set(bearer('partner-a'))
      .send([{ transaction_id: 'mine' }, { transaction_id: 'theirs', partner_id: 'partner-b' }])
      .expect(202);
    expect(res.body.rejected).toBe(1);
    expect(res.body.results[1]).toMatchObject({
      index: 1,
      status: 'rejected',
      reasons: [{ code: 'gateway.partner_id', field: '/partner_id' }],
    });
    expect(received).toHaveLength(1);
    expect(
      (received[0]!.payload.records as { transaction_id: string }[]).map((r) => r.transaction_id),
    ).toEqual(['mine']);
  });

  it('answers 413 above 1000 records, pointing to NDJSON', async () => {
    const res = await request(url)
      .post('/v1/transactions')
      .set(bearer('partner-a'))
      .send(Array.from({ length: 1001 }, (_, i) => ({ transaction_id: `bulk-${i}` })))
      .expect(413);
    expect(res.body.detail).toMatch(/NDJSON/);
  });

  it('answers 400 to a body that is not records', async () => {
    expect(
      (await request(url).post('/v1/transactions').set(bearer('partner-a')).send([1, 2]).expect(400)).body
        .detail,
    ).toBe('record 0 must be a JSON object');
    await request(url)
      .post('/v1/transactions')
      .set(bearer('partner-a'))
      .set('content-type', 'application/json')
      .send('[{')
      .expect(400);
  });

  it('answers 503 with Retry-After when no ingest responds', async () => {
    const res = await request(url)
      .post('/v1/transactions')
      .set(bearer('partner-a'))
      .send({ transaction_id: 'x' })
      .expect(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body).toEqual(problemOf(503, expect.stringMatching(/ingest is unavailable/)));
  });
});

describe('documentation and health', () => {
  it('serves an OpenAPI document listing every route with bearer auth', async () => {
    const res = await request(url).get('/docs-json').expect(200);
    const doc = res.body as {
      openapi: string;
      paths: Record<string, Record<string, { responses: object; security?: object[] }>>;
      components: { securitySchemes: object };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/.well-known/jwks.json',
      '/health',
      '/oauth/token',
      '/v1/admin/access-denials',
      '/v1/admin/oauth-clients',
      '/v1/admin/oauth-clients/{clientId}',
      '/v1/admin/reconciliation',
      '/v1/admin/signing-keys',
      '/v1/admin/signing-keys/rotate',
      '/v1/alerts',
      '/v1/alerts/{id}/acknowledge',
      '/v1/alerts/{id}/resolve',
      '/v1/alerts/{id}/silence',
      '/v1/api-keys',
      '/v1/api-keys/{keyId}',
      '/v1/auth/token',
      '/v1/data-quality',
      '/v1/data-quality/drift',
      '/v1/decisions',
      '/v1/feed',
      '/v1/forecasts',
      '/v1/labels',
      '/v1/me',
      '/v1/models/comparison',
      '/v1/quarantine',
      '/v1/quarantine/replay',
      '/v1/summary',
      '/v1/transactions',
      '/v1/transactions/export',
      '/v1/transactions/{id}',
      '/v1/webhooks',
      '/v1/webhooks/{id}',
      '/v1/webhooks/{id}/deliveries',
    ]);
    expect(doc.paths['/v1/alerts/{id}/acknowledge']!.post!.responses).toHaveProperty('409');
    expect(Object.keys(doc.paths['/v1/transactions']!).sort()).toEqual(['get', 'post']);
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
    });
    expect(doc.paths['/v1/transactions/{id}']!.get!.security).toEqual([{ bearer: [] }]);
    expect(doc.paths['/v1/transactions/{id}']!.get!.responses).toHaveProperty('200');
    await request(url).get('/docs').expect(200).expect('content-type', /html/);
    await request(url).get('/docs/swagger-ui-bundle.js').expect(200);
  });

  it('reports readiness on /health without a token', async () => {
    const res = await request(url).get('/health').expect(200);
    expect(res.body).toEqual({ status: 'ready', checks: { nats: 'ok', postgres: 'ok', started: 'ok' } });
  });
});

describe('production mode', () => {
  it('refuses to start without JWT_SECRET', async () => {
    const { JWT_SECRET: _secret, ...withoutSecret } = env;
    await expect(startGateway({ ...withoutSecret, VIGIL_ENV: 'production' })).rejects.toThrow(/JWT_SECRET/);
  });
});
