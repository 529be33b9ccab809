// The gateway's public surface against a real nats-server and Postgres: problem details, rate limits,
// scoping that query parameters cannot widen, the CSV export, the live feed, webhooks and OpenAPI 3.1.
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Events, submittedTransactionId, transactionKey, type TransactionScored } from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, newTransaction, waitFor } from '@vigil/testing';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { PasswordHasher } from '../src/auth/password-hasher.js';
import type { GatewayEnv } from '../src/config.js';
import { encodeCursor } from '../src/http/query.js';
import { verifySignature } from '../src/webhooks/webhook-signature.js';
import { problemOf } from './problem.js';
import { TEST_PASSWORD, startBackends, testGatewayEnv } from './support.js';

const PASSWORD = TEST_PASSWORD;
const PROBLEM_JSON = /^application\/problem\+json/;

let nats: TestNatsServer;
let db: TestDatabase;
let nc: NatsConnection;
let gateway: RunningService;
let url: string;
let env: GatewayEnv;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });
const until = (condition: () => boolean, what: string, timeoutMs = 5000) =>
  waitFor(() => Promise.resolve(condition()), Boolean, { timeoutMs, intervalMs: 20, what });

async function insertTransaction(id: string, partner: string, region: string, receivedAt: string) {
  const record = { transaction_id: id, type: 'TRANSFER', amount: '125.50', currency: 'NGN', region };
  await db.query(
    `INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record)
     VALUES ($1, 'api', $2, $3, $4, $5)`,
    [id, partner, region, receivedAt, JSON.stringify(record)],
  );
}

// as the scorer publishes a partner's record: under its pipeline key <partner_id>~<transaction_id>
function scoredEvent(partner: string, region = 'NG'): TransactionScored {
  const transaction = newTransaction({ partner_id: partner, region });
  return {
    transaction: {
      ...transaction,
      transaction_id: transactionKey(partner, transaction.transaction_id),
    } as TransactionScored['transaction'],
    score: 0.93,
    reasons: [{ code: 'TRANSFER_THEN_CASH_OUT', message: 'cash-out of a fresh transfer' }],
    scored_at: new Date().toISOString(),
    model_version: 'gbdt-test',
    decision: 'block',
    policy_version: 1,
  };
}

async function publishScored(event: TransactionScored): Promise<void> {
  await jetstream(nc).publish(
    Events.transactionScored.subject(event.transaction.region),
    JSON.stringify(event),
    { msgID: event.transaction.transaction_id },
  );
}

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  env = testGatewayEnv(nats, db, {
    GATEWAY_WEBHOOK_RETRY_BASE_MS: 100,
    GATEWAY_FEED_HEARTBEAT_SECONDS: 1,
    // the webhook receiver below listens on loopback
    GATEWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS: true,
  });
  gateway = await startGateway(env);
  url = gateway.url!;
  nc = await connect({ servers: nats.url });

  for (let i = 0; i < 4; i++) {
    await insertTransaction(`a-${i}`, 'partner-a', 'NG', `2025-03-01T12:00:0${i}.000100Z`);
    await insertTransaction(`b-${i}`, 'partner-b', 'KE', `2025-03-01T12:00:0${i}.000200Z`);
  }
  // more rows than one export page, to walk the keyset pages
  await db.query(
    `INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record)
     SELECT 'c-' || i, 'api', 'partner-c', 'GH', timestamptz '2025-02-01T00:00:00Z' + (i % 700) * interval '1 second',
            jsonb_build_object('transaction_id', 'c-' || i, 'type', 'PAYMENT', 'amount', i || '.05', 'currency', 'GHS')
       FROM generate_series(1, 2345) i`,
  );
  await db.query(
    `INSERT INTO alerting.alerts (alert_id, fingerprint, name, severity, summary, labels, status, region, opened_by, occurrences, first_seen, last_seen)
     SELECT gen_random_uuid(), 'fp-' || i, 'HighFraudScore', 'critical', 'score above 0.9', '{}', 'open', 'NG',
            'txn-' || i, 1, now(), now() - (i || ' minutes')::interval
       FROM generate_series(0, 2) i`,
  );
  await db.query(
    `INSERT INTO gateway.users (username, password_hash, role, regions) VALUES ('ke-analyst', $1, 'analyst', '{KE}')`,
    [await new PasswordHasher().hash(PASSWORD)],
  );
  for (const user of ['admin', 'analyst', 'partner-a', 'partner-b', 'ke-analyst']) {
    const res = await request(url)
      .post('/v1/auth/token')
      .send({ username: user, password: PASSWORD })
      .expect(200);
    tokens[user] = (res.body as { access_token: string }).access_token;
  }
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await gateway?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

describe('problem details', () => {
  it('answers 400 naming each unknown parameter', async () => {
    const res = await request(url)
      .get('/v1/transactions?partner_id=partner-b&colour=red')
      .set(bearer('partner-a'))
      .expect(400)
      .expect('content-type', PROBLEM_JSON);
    expect(res.body).toEqual(
      problemOf(400, expect.stringMatching(/^unknown query parameter partner_id, colour/)),
    );
    expect(res.body).toMatchObject({
      type: 'https://vigil.dev/problems/validation',
      title: 'Bad Request',
      instance: '/v1/transactions',
      errors: [
        { parameter: 'partner_id', detail: expect.any(String) },
        { parameter: 'colour', detail: expect.any(String) },
      ],
    });
    const limit = await request(url).get('/v1/transactions?limit=0').set(bearer('admin')).expect(400);
    expect(limit.body.errors).toEqual([
      { parameter: 'limit', detail: 'limit must be an integer from 1 to 500' },
    ]);
  });

  it('answers 401 with WWW-Authenticate, 403 and 404 as problems', async () => {
    const unauthenticated = await request(url)
      .get('/v1/alerts')
      .expect(401)
      .expect('content-type', PROBLEM_JSON);
    expect(unauthenticated.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(unauthenticated.body).toEqual(problemOf(401, expect.stringMatching(/bearer token/)));
    expect(unauthenticated.body.type).toBe('https://vigil.dev/problems/unauthenticated');

    const forbidden = await request(url).get('/v1/alerts').set(bearer('partner-a')).expect(403);
    expect(forbidden.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(forbidden.body).toEqual(problemOf(403, expect.stringMatching(/lacks permission alerts:read/)));

    const missing = await request(url).get('/v1/transactions/b-0').set(bearer('partner-a')).expect(404);
    expect(missing.body).toEqual(problemOf(404, 'transaction b-0 not found'));
    expect(missing.body.instance).toBe('/v1/transactions/b-0');
    const noRoute = await request(url).get('/v1/nothing-here').set(bearer('admin')).expect(404);
    expect(noRoute.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(noRoute.body.status).toBe(404);
  });

  it('answers 413 to an oversized sign-in body and batch', async () => {
    const res = await request(url)
      .post('/v1/auth/token')
      .send({ username: 'admin', password: 'x'.repeat(20_000) })
      .expect(413)
      .expect('content-type', PROBLEM_JSON);
    expect(res.body).toEqual(problemOf(413, expect.stringMatching(/sign-in routes take at most 16384/)));
    const batch = await request(url)
      .post('/v1/transactions')
      .set(bearer('partner-a'))
      .send(Array.from({ length: 1001 }, () => ({})))
      .expect(413);
    expect(batch.body).toEqual(problemOf(413, expect.stringMatching(/NDJSON/)));
  });

  it('answers a malformed JSON body with a 400 problem', async () => {
    const res = await request(url)
      .post('/v1/auth/token')
      .set('content-type', 'application/json')
      .send('{"username":')
      .expect(400)
      .expect('content-type', PROBLEM_JSON);
    expect(res.body.type).toBe('https://vigil.dev/problems/validation');
  });

  it('sets security headers, and no CORS grant by default', async () => {
    const res = await request(url).get('/health').set('Origin', 'https://evil.example').expect(200);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    // the dashboard page keeps its own policy
    const page = await request(url).get('/').expect(200);
    expect(page.headers['content-security-policy']).not.toBe(res.headers['content-security-policy']);
  });

  it('compresses large JSON answers for clients that accept it', async () => {
    const res = await request(url)
      .get('/v1/transactions?limit=500')
      .set(bearer('admin'))
      .set('Accept-Encoding', 'gzip')
      .expect(200);
    expect(res.headers['content-encoding']).toBe('gzip');
    expect(res.body.items).toHaveLength(500);
  });
});

describe('rate limits', () => {
  let limited: RunningService;
  beforeAll(async () => {
    limited = await startGateway({
      ...env,
      GATEWAY_RATE_LIMIT_PRINCIPAL_MAX: 3,
      GATEWAY_RATE_LIMIT_LOGIN_MAX: 2,
      GATEWAY_RATE_LIMIT_WINDOW_SECONDS: 60,
    });
  });
  afterAll(() => limited?.close());

  it('answers 429 with Retry-After once a principal exceeds its budget, and only to that principal', async () => {
    for (let i = 0; i < 3; i++)
      await request(limited.url!).get('/v1/alerts').set(bearer('analyst')).expect(200);
    const res = await request(limited.url!)
      .get('/v1/alerts')
      .set(bearer('analyst'))
      .expect(429)
      .expect('content-type', PROBLEM_JSON);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body).toEqual(
      problemOf(429, expect.stringMatching(/^user analyst made more than 3 requests/)),
    );
    expect(res.body).toMatchObject({
      type: 'https://vigil.dev/problems/rate-limited',
      retry_after: Number(res.headers['retry-after']),
    });
    await request(limited.url!).get('/v1/alerts').set(bearer('admin')).expect(200);
  });

  it('counts the dashboard summary, served outside the Nest pipeline, against the same budget', async () => {
    // the analyst spent its budget above: the summary is refused as any other route would be
    const res = await request(limited.url!).get('/v1/summary').set(bearer('analyst')).expect(429);
    expect(res.body).toEqual(
      problemOf(429, expect.stringMatching(/^user analyst made more than 3 requests/)),
    );
    expect(res.headers['retry-after']).toBeDefined();
    const other = await request(limited.url!).get('/v1/summary').set(bearer('partner-a')).expect(200);
    expect(other.headers['etag']).toBeDefined();
  });

  it('limits sign-in attempts per IP', async () => {
    const attempt = () =>
      request(limited.url!).post('/v1/auth/token').send({ username: 'admin', password: 'guess-1234' });
    expect((await attempt()).status).toBe(401);
    expect((await attempt()).status).toBe(401);
    const res = await attempt();
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.headers['content-type']).toMatch(PROBLEM_JSON);
    expect(res.body).toEqual(problemOf(429, expect.stringMatching(/too many sign-in attempts/)));
  });

  it('counts the OAuth2 token endpoint in the same sign-in budget, client secrets in HTTP Basic included', async () => {
    // the budget of this IP is spent by the test above: guessing a client secret is refused before it is checked
    const res = await request(limited.url!)
      .post('/oauth/token')
      .auth('some-client', 'guessed-secret')
      .type('form')
      .send({ grant_type: 'client_credentials' });
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBeDefined();
  });
});

describe('scoping cannot be widened through the query', () => {
  it('gives the summary the same refusals as every route: 401 audited, 403 for a foreign region, 400 for an unknown parameter', async () => {
    const anonymous = await request(url).get('/v1/summary').expect(401);
    expect(anonymous.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(anonymous.body).toEqual(problemOf(401, expect.stringMatching(/^missing bearer token/)));
    const audited = await waitFor(
      () =>
        db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM gateway.access_denials WHERE path = '/v1/summary' AND status = 401`,
        ),
      (rows) => rows[0]!.n > 0,
      { what: 'the audited refusal' },
    );
    expect(audited[0]!.n).toBeGreaterThan(0);
    const foreign = await request(url).get('/v1/summary?region=NG').set(bearer('ke-analyst')).expect(403);
    expect(foreign.body).toEqual(problemOf(403, 'region NG is outside the regions ke-analyst may read (KE)'));
    await request(url).get('/v1/summary?partner_id=partner-b').set(bearer('partner-a')).expect(400);
    const own = await request(url).get('/v1/summary?region=KE').set(bearer('ke-analyst')).expect(200);
    expect(own.headers['content-type']).toMatch(/^application\/json/);
  });

  const ids = (res: request.Response) =>
    (res.body.items as { transaction_id: string }[]).map((i) => i.transaction_id);

  it("refuses a region outside the caller's regions", async () => {
    const res = await request(url).get('/v1/transactions?region=NG').set(bearer('ke-analyst')).expect(403);
    expect(res.body).toEqual(problemOf(403, expect.stringMatching(/region NG is outside/)));
    await request(url).get('/v1/transactions/export?region=NG').set(bearer('ke-analyst')).expect(403);
    const own = await request(url).get('/v1/transactions?region=KE').set(bearer('ke-analyst')).expect(200);
    expect(ids(own).sort()).toEqual(['b-0', 'b-1', 'b-2', 'b-3']);
  });

  it('gives a partner only its own rows whatever cursor it forges', async () => {
    const forged = [
      encodeCursor('2030-01-01T00:00:00.000000Z', 'zzz'),
      encodeCursor('2025-03-01T12:00:03.000200Z', 'b-3'),
    ];
    for (const cursor of forged) {
      const res = await request(url)
        .get('/v1/transactions')
        .query({ cursor, limit: 500 })
        .set(bearer('partner-a'));
      expect(res.status).toBe(200);
      expect(new Set((res.body.items as { partner_id: string }[]).map((i) => i.partner_id))).toEqual(
        new Set(['partner-a']),
      );
    }
    const partnerRegion = await request(url)
      .get('/v1/transactions?region=KE')
      .set(bearer('partner-a'))
      .expect(200);
    expect(ids(partnerRegion)).toEqual([]);
  });
});

describe('CSV export', () => {
  const parse = (text: string) => text.trimEnd().split('\n');

  it('streams every scoped row with a header, across keyset pages', async () => {
    const res = await request(url)
      .get('/v1/transactions/export')
      .set(bearer('admin'))
      .buffer(true)
      .expect(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="transactions-.*\.csv"$/);
    // more than one page: streamed as the pages are read
    expect(res.headers['transfer-encoding']).toBe('chunked');
    const lines = parse(res.text);
    expect(lines[0]).toBe(
      'transaction_id,status,score,region,partner_id,received_at,amount,currency,type,reason_codes',
    );
    const rows = lines.slice(1);
    expect(rows).toHaveLength(8 + 2345);
    expect(new Set(rows.map((r) => r.split(',')[0])).size).toBe(rows.length);
    expect(rows[0]).toBe('b-3,accepted,,KE,partner-b,2025-03-01T12:00:03.000200Z,125.50,NGN,TRANSFER,');
    expect(rows.find((r) => r.startsWith('c-17,'))).toContain(',17.05,GHS,PAYMENT,');
  });

  it('gives a partner only its own rows, filtered like the list', async () => {
    const res = await request(url)
      .get('/v1/transactions/export')
      .set(bearer('partner-a'))
      .buffer(true)
      .expect(200);
    expect(
      parse(res.text)
        .slice(1)
        .map((r) => r.split(',')[0]),
    ).toEqual(['a-3', 'a-2', 'a-1', 'a-0']);
    // one page: one body with its length
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toMatch(/^attachment; filename="transactions-.*\.csv"$/);
    expect(res.headers['content-length']).toBe(String(Buffer.byteLength(res.text)));
    const filtered = await request(url)
      .get('/v1/transactions/export?from=2025-03-01T12:00:02Z')
      .set(bearer('partner-a'))
      .buffer(true)
      .expect(200);
    expect(parse(filtered.text)).toHaveLength(3);
    const bad = await request(url)
      .get('/v1/transactions/export?limit=5')
      .set(bearer('partner-a'))
      .expect(400);
    expect(bad.body.errors).toEqual([{ parameter: 'limit', detail: expect.any(String) }]);
    await request(url).get('/v1/transactions/export').set(bearer('ke-analyst')).expect(200);
  });
});

describe('alerts', () => {
  it('lists open alerts, and an acknowledged one leaves the list', async () => {
    const open = await request(url).get('/v1/alerts?status=open').set(bearer('analyst')).expect(200);
    const fingerprints = (res: request.Response) =>
      (res.body.items as { fingerprint: string }[]).map((a) => a.fingerprint);
    expect(fingerprints(open)).toEqual(['fp-0', 'fp-1', 'fp-2']);
    // what alerting's acknowledge does to the row
    await db.query(`UPDATE alerting.alerts SET status = 'acknowledged' WHERE fingerprint = 'fp-1'`);
    const after = await request(url).get('/v1/alerts?status=open').set(bearer('analyst')).expect(200);
    expect(fingerprints(after)).toEqual(['fp-0', 'fp-2']);
    const acknowledged = await request(url)
      .get('/v1/alerts?status=acknowledged')
      .set(bearer('analyst'))
      .expect(200);
    expect(fingerprints(acknowledged)).toEqual(['fp-1']);
  });
});

describe('OpenAPI', () => {
  it('serves a document that validates as OpenAPI 3.1', async () => {
    const doc = (await request(url).get('/docs-json').expect(200)).body as Record<string, unknown>;
    expect(doc.openapi).toBe('3.1.0');
    const result = await new Validator().validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(JSON.stringify(doc)).not.toContain('"nullable"');
    const paths = doc.paths as Record<
      string,
      Record<string, { description?: string; responses: Record<string, { content?: object }> }>
    >;
    expect(paths['/v1/transactions/export']!.get!.description).toMatch(/Permission: transactions:export/);
    expect(Object.keys(paths['/v1/transactions']!.get!.responses['400']!.content!)).toEqual([
      'application/problem+json',
    ]);
  });
});

/** A live feed connection, collecting what the server sends. */
interface FeedClient {
  text: () => string;
  close: () => void;
}
async function openFeed(path: string, headers: Record<string, string> = {}): Promise<FeedClient> {
  let received = '';
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    get(`${url}${path}`, { headers }, resolve).on('error', reject);
  });
  expect(response.statusCode).toBe(200);
  expect(response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
  response.setEncoding('utf8');
  response.on('data', (chunk: string) => (received += chunk));
  await until(() => received.includes(': connected'), 'the feed to connect');
  return { text: () => received, close: () => response.destroy() };
}

describe('live feed', () => {
  it('delivers a scored transaction to the partner that owns it and not to another partner', async () => {
    const a = await openFeed(`/v1/feed?access_token=${tokens['partner-a']}`);
    const b = await openFeed('/v1/feed', bearer('partner-b'));
    const ke = await openFeed('/v1/feed', bearer('ke-analyst'));
    try {
      const ofA = scoredEvent('partner-a', 'NG');
      const ofB = scoredEvent('partner-b', 'KE');
      await publishScored(ofA);
      await publishScored(ofB);
      // each partner's feed names its records by the ids it sent; an operator's by the pipeline key
      const idA = submittedTransactionId(ofA.transaction.transaction_id);
      const idB = submittedTransactionId(ofB.transaction.transaction_id);
      const keyB = ofB.transaction.transaction_id;
      await until(
        () => a.text().includes(idA) && b.text().includes(idB) && ke.text().includes(keyB),
        'the scored events on the feeds',
      );
      expect(a.text()).toContain(`event: transaction.scored\nid: ${idA}\ndata: {`);
      expect(b.text()).toContain(`event: transaction.scored\nid: ${idB}\ndata: {`);
      expect(ke.text()).toContain(`event: transaction.scored\nid: ${keyB}\ndata: {`);
      expect(a.text()).not.toContain(idB);
      expect(a.text()).not.toContain('~');
      expect(b.text()).not.toContain(idA);
      expect(ke.text()).not.toContain(idA);
      const data = JSON.parse(/data: (.*)\n/.exec(a.text().split(`id: ${idA}\n`)[1]!)![0].slice(6)) as object;
      expect(data).toMatchObject({
        transaction_id: idA,
        partner_id: 'partner-a',
        score: 0.93,
        decision: 'block',
      });
      await until(() => b.text().includes('\n: heartbeat\n\n'), 'a heartbeat comment', 3000);
    } finally {
      a.close();
      b.close();
      ke.close();
    }
  });

  it('refuses a feed without a token, and a token in the query on other routes', async () => {
    await request(url).get('/v1/feed').expect(401).expect('content-type', PROBLEM_JSON);
    await request(url).get(`/v1/transactions?access_token=${tokens['admin']}`).expect(401);
  });
});

describe('webhooks', () => {
  interface Received {
    body: string;
    signature: string;
    eventType: string;
  }
  let receiver: Server;
  let receiverUrl: string;
  const received: Received[] = [];
  let failuresToAnswer = 0;

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        if (failuresToAnswer > 0) {
          failuresToAnswer--;
          res.writeHead(503).end();
          return;
        }
        received.push({
          body,
          signature: String(req.headers['vigil-signature']),
          eventType: String(req.headers['vigil-event-type']),
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  it('validates registrations and keeps each partner to its own', async () => {
    const post = (user: string, body: object) =>
      request(url).post('/v1/webhooks').set(bearer(user)).send(body);
    const ftp = await post('partner-a', {
      url: 'ftp://partner.example.com/x',
      events: ['transaction.scored'],
    }).expect(400);
    expect(ftp.body).toMatchObject({ errors: [{ pointer: '/url', detail: expect.stringMatching(/https/) }] });
    await post('partner-a', { url: 'http://partner.example.com/x', events: ['transaction.scored'] }).expect(
      400,
    );
    const event = await post('partner-a', {
      url: 'https://partner.example.com/x',
      events: ['everything'],
    }).expect(400);
    expect(event.body.errors).toEqual([{ pointer: '/events/0', detail: expect.any(String) }]);
    await post('partner-a', {
      url: 'https://x.example',
      events: ['transaction.scored'],
      partner_id: 'partner-b',
    }).expect(403);
    await post('analyst', { url: 'https://x.example', events: ['transaction.scored'] }).expect(403);
    await post('admin', { url: 'https://x.example', events: ['transaction.scored'] }).expect(400);

    const created = await post('partner-b', {
      url: 'https://b.example/hooks',
      events: ['transaction.scored'],
    }).expect(201);
    const listA = await request(url).get('/v1/webhooks').set(bearer('partner-a')).expect(200);
    expect(listA.body.items).toEqual([]);
    await request(url).delete(`/v1/webhooks/${created.body.webhook_id}`).set(bearer('partner-a')).expect(404);
    await request(url).delete(`/v1/webhooks/${created.body.webhook_id}`).set(bearer('partner-b')).expect(204);
  });

  it("delivers a partner's scored transaction, signed, to its own webhook only, retrying a failure", async () => {
    const created = await request(url)
      .post('/v1/webhooks')
      .set(bearer('partner-a'))
      .send({ url: receiverUrl, events: ['transaction.scored'] })
      .expect(201);
    const { secret, webhook_id: webhookId } = created.body as { secret: string; webhook_id: string };
    expect(secret).toMatch(/^whsec_/);
    expect(created.body).toMatchObject({
      partner_id: 'partner-a',
      url: receiverUrl,
      events: ['transaction.scored'],
    });
    const listed = await request(url).get('/v1/webhooks').set(bearer('partner-a')).expect(200);
    expect(listed.body.items).toEqual([expect.objectContaining({ webhook_id: webhookId })]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    // at rest the secret is sealed, never in clear
    const [stored] = await db.query<{ secret_sealed: string }>(
      `SELECT secret_sealed FROM gateway.webhooks WHERE webhook_id = $1`,
      [webhookId],
    );
    expect(stored!.secret_sealed).not.toContain(secret.slice('whsec_'.length));
    expect(stored!.secret_sealed).toMatch(/^v1\./);

    failuresToAnswer = 1;
    const other = scoredEvent('partner-b', 'KE');
    const own = scoredEvent('partner-a', 'NG');
    await publishScored(other);
    await publishScored(own);
    await until(() => received.length >= 1, 'a webhook delivery', 10_000);
    expect(received).toHaveLength(1);
    const [delivery] = received as [Received];
    expect(delivery.eventType).toBe('transaction.scored');
    expect(verifySignature(secret, delivery.body, delivery.signature)).toBe(true);
    expect(verifySignature('whsec_wrong', delivery.body, delivery.signature)).toBe(false);
    expect(JSON.parse(delivery.body)).toMatchObject({
      type: 'transaction.scored',
      id: `transaction.scored:${submittedTransactionId(own.transaction.transaction_id)}`,
      data: {
        transaction_id: submittedTransactionId(own.transaction.transaction_id),
        partner_id: 'partner-a',
        score: 0.93,
      },
    });
    // the receiver has the body before the dispatcher has recorded the answer: wait for the outcome
    const [record] = await waitFor(
      () =>
        db.query<{ status: string; attempts: number; last_status_code: number }>(
          `SELECT status, attempts, last_status_code FROM gateway.webhook_deliveries WHERE webhook_id = $1`,
          [webhookId],
        ),
      (rows) => rows[0]?.status !== 'pending',
      { what: 'the delivery outcome recorded' },
    );
    expect(record).toEqual({ status: 'delivered', attempts: 2, last_status_code: 204 });
    const deliveries = await request(url)
      .get(`/v1/webhooks/${webhookId}/deliveries`)
      .set(bearer('partner-a'))
      .expect(200);
    expect(deliveries.body.items).toEqual([
      expect.objectContaining({
        event_type: 'transaction.scored',
        event_id: submittedTransactionId(own.transaction.transaction_id),
        status: 'delivered',
        attempts: 2,
        last_status_code: 204,
        next_attempt_at: null,
      }),
    ]);
    await request(url).get(`/v1/webhooks/${webhookId}/deliveries`).set(bearer('partner-b')).expect(404);
  });

  it('follows no redirect: a 3xx answer is a failed attempt, and the redirect target hears nothing', async () => {
    let targetHits = 0;
    const target = createServer((_req, res) => {
      targetHits++;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const targetUrl = `http://127.0.0.1:${(target.address() as AddressInfo).port}/hooks`;
    const redirecting = createServer((_req, res) => res.writeHead(307, { location: targetUrl }).end());
    await new Promise<void>((resolve) => redirecting.listen(0, '127.0.0.1', resolve));
    try {
      const created = await request(url)
        .post('/v1/webhooks')
        .set(bearer('partner-b'))
        .send({
          url: `http://127.0.0.1:${(redirecting.address() as AddressInfo).port}/hooks`,
          events: ['transaction.scored'],
        })
        .expect(201);
      const webhookId = (created.body as { webhook_id: string }).webhook_id;
      await publishScored(scoredEvent('partner-b', 'KE'));
      const [attempt] = await waitFor(
        () =>
          db.query<{ status: string; last_status_code: number | null; last_error: string | null }>(
            `SELECT status, last_status_code, last_error FROM gateway.webhook_deliveries WHERE webhook_id = $1`,
            [webhookId],
          ),
        (rows) => rows[0]?.last_status_code === 307,
        { what: 'the redirected attempt recorded' },
      );
      expect(attempt).toMatchObject({ last_error: 'receiver answered 307' });
      expect(attempt!.status).not.toBe('delivered');
      expect(targetHits).toBe(0);
      await request(url).delete(`/v1/webhooks/${webhookId}`).set(bearer('partner-b')).expect(204);
    } finally {
      await Promise.all(
        [target, redirecting].map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      );
    }
  });
});
