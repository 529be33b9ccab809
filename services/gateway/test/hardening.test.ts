// The gateway's defences against a real nats-server and Postgres: rate limits on the route the router
// resolves, refused credentials spending the anonymous budget, a bounded denial audit, revocation of access
// tokens within a minute, webhook destinations that cannot reach private networks, and region and permission
// scoping of the live feed, the export, forged cursors and the summary.
import { createServer, get, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { jetstream } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Events, type AlertRaised, type TransactionScored } from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, newTransaction, waitFor } from '@vigil/testing';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import type { GatewayEnv } from '../src/config.js';
import { encodeCursor } from '../src/http/query.js';
import { TEST_PASSWORD, startBackends, testGatewayEnv } from './support.js';

let nats: TestNatsServer;
let db: TestDatabase;
let nc: NatsConnection;
let env: GatewayEnv;
let gateway: RunningService;
let url: string;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

async function signIn(user: string) {
  const res = await request(url)
    .post('/v1/auth/token')
    .send({ username: user, password: TEST_PASSWORD })
    .expect(200);
  return res.body as { access_token: string; refresh_token: string };
}

async function insertTransaction(id: string, partner: string, region: string, receivedAt: string) {
  const record = { transaction_id: id, type: 'TRANSFER', amount: '10.00', currency: 'NGN', region };
  await db.query(
    `INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record)
     VALUES ($1, 'api', $2, $3, $4, $5)`,
    [id, partner, region, receivedAt, JSON.stringify(record)],
  );
}

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  env = testGatewayEnv(nats, db, {
    // a flood of refusals below must reach the audit, not the per-IP limit
    GATEWAY_RATE_LIMIT_ANONYMOUS_MAX: 0,
    GATEWAY_REVOCATION_REFRESH_MS: 200,
    GATEWAY_FEED_HEARTBEAT_SECONDS: 1,
  });
  gateway = await startGateway(env);
  url = gateway.url!;
  nc = await connect({ servers: nats.url });
  for (let i = 0; i < 3; i++) {
    await insertTransaction(`ng-${i}`, 'partner-a', 'NG', `2025-04-01T10:00:0${i}.000100Z`);
    await insertTransaction(`ke-${i}`, 'partner-b', 'KE', `2025-04-01T10:00:0${i}.000200Z`);
  }
  for (const user of ['admin', 'analyst', 'analyst-ng', 'sre', 'auditor', 'partner-a']) {
    tokens[user] = (await signIn(user)).access_token;
  }
}, 60_000);

afterAll(async () => {
  await nc?.close();
  await gateway?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

describe('rate limits on the route as the router resolves it', () => {
  let limited: RunningService;
  beforeAll(async () => {
    limited = await startGateway({
      ...env,
      GATEWAY_RATE_LIMIT_LOGIN_MAX: 2,
      GATEWAY_RATE_LIMIT_ANONYMOUS_MAX: 4,
      GATEWAY_RATE_LIMIT_WINDOW_SECONDS: 60,
    });
  });
  afterAll(() => limited?.close());

  it('counts a sign-in path spelt another way in the sign-in budget: it never reaches the password check', async () => {
    const attempt = (path: string) =>
      request(limited.url!).post(path).send({ username: 'admin', password: 'guess-1234' });
    expect((await attempt('/v1/auth/token')).status).toBe(401);
    expect((await attempt('/v1/auth/token')).status).toBe(401);
    // the percent-encoded path is routed to sign-in: it must be refused by the spent sign-in budget
    const encoded = await attempt('/v1/%61uth/token');
    expect(encoded.status).toBe(429);
    expect(encoded.body).toMatchObject({ detail: expect.stringMatching(/too many sign-in attempts/) });
    const variants = [
      '/v1/auth/%74oken',
      '/v1/%61%75%74%68/token',
      '/v1/auth/token?x=1',
      '/v1/auth/token/',
      '//v1/auth/token',
      '/v1//auth/token',
      '/V1/AUTH/TOKEN',
      '/v1/Auth/Token',
      '/oauth/%74oken',
    ];
    for (const path of variants) {
      const res = await attempt(path);
      // a spelling the router does not resolve to sign-in is a 404; none gets to check a password
      expect({ path, refused: [429, 404].includes(res.status) }).toEqual({ path, refused: true });
    }
  });

  it('counts requests with an invalid bearer token or API key against the anonymous per-IP budget', async () => {
    const garbage = () =>
      request(limited.url!).get('/v1/transactions').set('Authorization', 'Bearer garbage');
    const badKey = () => request(limited.url!).get('/v1/transactions').set('X-API-Key', 'vgk_nope_nope');
    expect((await garbage()).status).toBe(401);
    expect((await badKey()).status).toBe(401);
    expect((await garbage()).status).toBe(401);
    // a public route checks no credentials: a made-up token there is anonymous as well
    expect(
      (await request(limited.url!).get('/.well-known/jwks.json').set('Authorization', 'Bearer x')).status,
    ).toBe(200);
    const spent = await garbage();
    expect(spent.status).toBe(429);
    expect(spent.headers['retry-after']).toBeDefined();
    expect((await badKey()).status).toBe(429);
    expect((await request(limited.url!).get('/health')).status).toBe(429);
    // a valid token is counted per principal, not per IP (a token of the other replica: same keys)
    await request(limited.url!).get('/v1/transactions').set(bearer('admin')).expect(200);
  });
});

describe('the access denial audit', () => {
  it('writes a bounded number of rows for 10,000 refused requests, keeping count, first and last seen', async () => {
    const before = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM gateway.access_denials`);
    const total = 10_000;
    const concurrency = 32;
    let sent = 0;
    const statuses = new Map<number, number>();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (sent < total) {
          const i = sent++;
          // different raw paths of one route: the audit groups them by the route
          const res = await fetch(`${url}/v1/transactions/flood-${i}`, {
            headers: { authorization: 'Bearer garbage', 'x-request-id': `flood-${i}` },
          });
          await res.arrayBuffer();
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        }
      }),
    );
    expect(Object.fromEntries(statuses)).toEqual({ 401: total });
    const rows = await waitFor(
      () =>
        db.query<{ count: string; first_seen: Date; last_seen: Date; path: string }>(
          `SELECT count, first_seen, last_seen, path FROM gateway.access_denials
            WHERE reason = 'access token is invalid' AND path = '/v1/transactions/:id'`,
        ),
      (found) => found.reduce((sum, row) => sum + Number(row.count), 0) === total,
      { what: 'every refusal counted', timeoutMs: 15_000 },
    );
    // one row per minute the flood spanned
    expect(rows.length).toBeLessThanOrEqual(3);
    for (const row of rows) expect(row.first_seen.getTime()).toBeLessThanOrEqual(row.last_seen.getTime());
    const after = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM gateway.access_denials`);
    expect(after[0]!.n - before[0]!.n).toBeLessThanOrEqual(3);

    const page = await request(url)
      .get('/v1/admin/access-denials?limit=10')
      .set(bearer('auditor'))
      .expect(200);
    const listed = (page.body.items as Record<string, unknown>[]).filter(
      (item) => item.path === '/v1/transactions/:id' && item.reason === 'access token is invalid',
    );
    expect(listed.length).toBeGreaterThan(0);
    expect(listed[0]).toMatchObject({
      status: 401,
      method: 'GET',
      subject: null,
      permission: 'transactions:read',
      remote_address: expect.any(String),
      count: expect.any(Number),
      first_seen: expect.any(String),
      last_seen: expect.any(String),
      window_start: expect.stringMatching(/:00\.000Z$/),
      request_id: expect.stringMatching(/^flood-/),
    });
    expect(listed.reduce((sum, item) => sum + (item.count as number), 0)).toBe(total);
  }, 120_000);
});

describe('revocation', () => {
  async function clientToken(): Promise<{ clientId: string; token: string }> {
    const created = await request(url)
      .post('/v1/admin/oauth-clients')
      .set(bearer('admin'))
      .send({ name: 'revocation probe', role: 'analyst', scopes: ['alerts:read'] })
      .expect(201);
    const { client_id: clientId, client_secret: secret } = created.body as {
      client_id: string;
      client_secret: string;
    };
    const issued = await request(url)
      .post('/oauth/token')
      .auth(clientId, secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    return { clientId, token: (issued.body as { access_token: string }).access_token };
  }
  const alertsWith = (token: string) =>
    request(url).get('/v1/alerts').set('Authorization', `Bearer ${token}`);

  it("refuses a deleted client's access token at once on the replica that deleted it", async () => {
    const { clientId, token } = await clientToken();
    await alertsWith(token).expect(200);
    await request(url).delete(`/v1/admin/oauth-clients/${clientId}`).set(bearer('admin')).expect(200);
    const res = await alertsWith(token).expect(401);
    expect(res.body).toMatchObject({
      detail: `access token is revoked: OAuth client ${clientId} has been revoked`,
    });
  });

  it('refuses it within the refresh interval when another replica deleted the client', async () => {
    const { clientId, token } = await clientToken();
    await alertsWith(token).expect(200);
    // what another replica's DELETE writes
    await db.query(`UPDATE gateway.oauth_clients SET revoked_at = now() WHERE client_id = $1`, [clientId]);
    const started = Date.now();
    await waitFor(
      async () => (await alertsWith(token)).status,
      (status) => status === 401,
      { what: 'the token refused', timeoutMs: 60_000, intervalMs: 50 },
    );
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('ends an open live feed of a revoked client within a heartbeat', async () => {
    const created = await request(url)
      .post('/v1/admin/oauth-clients')
      .set(bearer('admin'))
      .send({ name: 'feed probe', role: 'analyst', scopes: ['feed:read'] })
      .expect(201);
    const { client_id: clientId, client_secret: secret } = created.body as {
      client_id: string;
      client_secret: string;
    };
    const issued = await request(url)
      .post('/oauth/token')
      .auth(clientId, secret)
      .type('form')
      .send({ grant_type: 'client_credentials' })
      .expect(200);
    const token = (issued.body as { access_token: string }).access_token;
    let received = '';
    let ended = false;
    await new Promise<void>((resolve, reject) => {
      get(`${url}/v1/feed`, { headers: { authorization: `Bearer ${token}` } }, (response) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          received += chunk;
          if (received.includes(': connected')) resolve();
        });
        response.on('end', () => (ended = true));
      }).on('error', reject);
    });
    await db.query(`UPDATE gateway.oauth_clients SET revoked_at = now() WHERE client_id = $1`, [clientId]);
    await waitFor(() => Promise.resolve(ended), Boolean, {
      what: 'the feed to end',
      timeoutMs: 10_000,
      intervalMs: 50,
    });
    expect(received).toMatch(
      /: credentials refused: access token is revoked: OAuth client .* has been revoked/,
    );
  });

  it('refuses a deleted API key at once (keys are looked up on every request; they issue no tokens)', async () => {
    const created = await request(url)
      .post('/v1/api-keys')
      .set(bearer('partner-a'))
      .send({ name: 'revocation probe', scopes: ['transactions:read'] })
      .expect(201);
    const { api_key: apiKey, key_id: keyId } = created.body as { api_key: string; key_id: string };
    await request(url).get('/v1/transactions').set('X-API-Key', apiKey).expect(200);
    await request(url).delete(`/v1/api-keys/${keyId}`).set(bearer('partner-a')).expect(200);
    await request(url).get('/v1/transactions').set('X-API-Key', apiKey).expect(401);
    await request(url).get('/v1/transactions').set('Authorization', `Bearer ${apiKey}`).expect(401);
  });

  it('refuses the access tokens of a session whose refresh token family was revoked', async () => {
    const first = await signIn('fraud-ops');
    const rotated = await request(url)
      .post('/oauth/token')
      .send({ grant_type: 'refresh_token', refresh_token: first.refresh_token })
      .expect(200);
    const second = rotated.body as { access_token: string };
    const other = await signIn('fraud-ops');
    for (const token of [first.access_token, second.access_token, other.access_token])
      await alertsWith(token).expect(200);
    // the first refresh token presented again: someone holds a copy, the family is revoked
    await request(url)
      .post('/oauth/token')
      .send({ grant_type: 'refresh_token', refresh_token: first.refresh_token })
      .expect(401);
    for (const token of [first.access_token, second.access_token]) {
      const res = await alertsWith(token).expect(401);
      expect(res.body).toMatchObject({
        detail: expect.stringMatching(/session of this access token has been revoked/),
      });
    }
    // another sign-in of the same user is another session
    await alertsWith(other.access_token).expect(200);
    // a family revoked by another replica
    await db.query(
      `UPDATE gateway.refresh_tokens SET revoked_at = now()
        WHERE family_id = (SELECT family_id FROM gateway.refresh_tokens WHERE token_hash = sha256($1::bytea))`,
      [Buffer.from(other.refresh_token)],
    );
    await waitFor(
      async () => (await alertsWith(other.access_token)).status,
      (status) => status === 401,
      { what: 'the other session refused', timeoutMs: 60_000, intervalMs: 50 },
    );
  });
});

describe('webhook destinations', () => {
  let receiver: Server;
  let receiverUrl: string;
  let hits = 0;
  beforeAll(async () => {
    receiver = createServer((_req, res) => {
      hits++;
      res.writeHead(204).end();
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
  });
  afterAll(() => new Promise<void>((resolve) => receiver.close(() => resolve())));

  const register = (target: string) =>
    request(url)
      .post('/v1/webhooks')
      .set(bearer('partner-a'))
      .send({ url: target, events: ['transaction.scored'] });

  it.each([
    ['https://127.0.0.1/x', 'loopback'],
    ['https://0x7f000001/x', 'loopback'],
    ['https://2130706433/x', 'loopback'],
    ['https://127.1/x', 'loopback'],
    ['https://0177.0.0.1/x', 'loopback'],
    ['https://[::1]/x', 'loopback'],
    ['https://[::ffff:127.0.0.1]/x', 'loopback'],
    ['https://localhost/x', 'loopback'],
    ['https://0.0.0.0/x', 'unspecified'],
    ['https://[::]/x', 'unspecified'],
    ['https://10.0.0.8/x', 'private'],
    ['https://172.20.1.1/x', 'private'],
    ['https://192.168.1.1/x', 'private'],
    ['https://100.64.3.4/x', 'shared \\(CGNAT\\)'],
    ['https://169.254.169.254/latest/meta-data', 'link-local'],
    ['https://[fe80::1]/x', 'link-local'],
    ['https://[fd00:ec2::254]/x', 'unique-local'],
    ['https://224.0.0.1/x', 'multicast'],
    ['https://[ff02::1]/x', 'multicast'],
  ])('refuses %s at registration with 400 naming url (%s)', async (target, range) => {
    const res = await register(target).expect(400);
    expect(res.body).toMatchObject({
      detail: expect.stringMatching(new RegExp(`^url is refused: .*a ${range} address`)),
      errors: [{ pointer: '/url', detail: expect.stringMatching(new RegExp(`a ${range} address`)) }],
    });
  });

  it('refuses the local receiver with the setting off, and checks again at delivery (DNS rebinding)', async () => {
    await register(receiverUrl).expect(400);
    // a name that does not resolve now is accepted: it reaches nothing, and delivery checks it again
    const created = await register('https://rebinding.invalid/hooks').expect(201);
    const webhookId = (created.body as { webhook_id: string }).webhook_id;
    // later the name points at this host: what a rebinding DNS answer amounts to at delivery
    await db.query(`UPDATE gateway.webhooks SET url = $1 WHERE webhook_id = $2`, [receiverUrl, webhookId]);
    const scored: TransactionScored = {
      transaction: newTransaction({
        partner_id: 'partner-a',
        region: 'NG',
      }) as TransactionScored['transaction'],
      score: 0.91,
      reasons: [],
      scored_at: new Date().toISOString(),
      model_version: 'gbdt-test',
      decision: 'block',
      policy_version: 1,
    };
    await jetstream(nc).publish(Events.transactionScored.subject('NG'), JSON.stringify(scored), {
      msgID: scored.transaction.transaction_id,
    });
    const [delivery] = await waitFor(
      () =>
        db.query<{ attempts: number; last_error: string | null }>(
          `SELECT attempts, last_error FROM gateway.webhook_deliveries WHERE webhook_id = $1`,
          [webhookId],
        ),
      (rows) => (rows[0]?.attempts ?? 0) >= 1 && rows[0]?.last_error !== null,
      { what: 'the delivery attempt', timeoutMs: 15_000 },
    );
    expect(delivery!.last_error).toMatch(/127\.0\.0\.1, a loopback address/);
    expect(hits).toBe(0);
  });
});

describe('scoping of the live feed, the export, cursors and the summary', () => {
  function openFeed(user: string): Promise<{ text: () => string; close: () => void }> {
    return new Promise((resolve, reject) => {
      let received = '';
      const req = get(`${url}/v1/feed`, { headers: bearer(user) }, (response: IncomingMessage) => {
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (received += chunk));
        const connected = setInterval(() => {
          if (received.includes(': connected')) {
            clearInterval(connected);
            resolve({ text: () => received, close: () => response.destroy() });
          }
        }, 10);
      });
      req.on('error', reject);
    });
  }

  const scoredIn = (region: string): TransactionScored => ({
    transaction: newTransaction({ partner_id: 'partner-a', region }) as TransactionScored['transaction'],
    score: 0.5,
    reasons: [],
    scored_at: new Date().toISOString(),
    model_version: 'gbdt-test',
    decision: 'review',
    policy_version: 1,
  });

  it('sends sre alerts and no transactions, and analyst-ng only NG', async () => {
    const feeds = {
      sre: await openFeed('sre'),
      ng: await openFeed('analyst-ng'),
      all: await openFeed('analyst'),
    };
    try {
      const ng = scoredIn('NG');
      const ke = scoredIn('KE');
      for (const event of [ng, ke])
        await jetstream(nc).publish(
          Events.transactionScored.subject(event.transaction.region),
          JSON.stringify(event),
          {
            msgID: event.transaction.transaction_id,
          },
        );
      const alert: AlertRaised = {
        alert_id: `alert-${Date.now()}`,
        fingerprint: 'fp-feed',
        name: 'HighFraudScore',
        severity: 'critical',
        summary: 'score above 0.9',
        labels: { region: 'NG' },
        occurrences: 1,
        raised_at: new Date().toISOString(),
      };
      nc.publish(Events.alertRaised.subject('critical'), JSON.stringify(alert));
      const ids = [ng.transaction.transaction_id, ke.transaction.transaction_id, alert.alert_id];
      await waitFor(
        () =>
          Promise.resolve(
            ids.every((id) => feeds.all.text().includes(id)) &&
              feeds.sre.text().includes(alert.alert_id) &&
              feeds.ng.text().includes(alert.alert_id),
          ),
        Boolean,
        { what: 'the events on the feeds', timeoutMs: 5000, intervalMs: 20 },
      );
      expect(feeds.sre.text()).not.toContain('event: transaction.scored');
      expect(feeds.ng.text()).toContain(ng.transaction.transaction_id);
      expect(feeds.ng.text()).not.toContain(ke.transaction.transaction_id);
    } finally {
      for (const feed of Object.values(feeds)) feed.close();
    }
  });

  it('gives analyst-ng only NG rows in the export and whatever cursor it forges', async () => {
    const csv = await request(url).get('/v1/transactions/export').set(bearer('analyst-ng')).expect(200);
    const rows = csv.text.trimEnd().split('\n').slice(1);
    expect(rows.map((r) => r.split(',')[0]).sort()).toEqual(['ng-0', 'ng-1', 'ng-2']);
    const forged = [
      encodeCursor('2030-01-01T00:00:00.000000Z', 'zzz'),
      encodeCursor('2025-04-01T10:00:02.000200Z', 'ke-2'),
      encodeCursor('2025-04-01T10:00:01.000150Z', 'ke-1'),
    ];
    for (const cursor of forged) {
      const res = await request(url)
        .get('/v1/transactions')
        .query({ cursor, limit: 500 })
        .set(bearer('analyst-ng'))
        .expect(200);
      const regions = new Set((res.body.items as { region: string }[]).map((i) => i.region));
      expect([...regions].filter((r) => r !== 'NG')).toEqual([]);
      // the cursor decodes to what was forged, and only moves the page: it never widens the scope
      expect(JSON.parse(Buffer.from(cursor, 'base64url').toString())).toHaveLength(2);
    }
  });

  it('parses region one way on the summary and the lists: any case, 403 outside the scope, 400 unknown', async () => {
    const foreign = await request(url).get('/v1/summary?region=KE').set(bearer('analyst-ng')).expect(403);
    expect(foreign.body).toMatchObject({
      status: 403,
      detail: 'region KE is outside the regions analyst-ng may read (NG)',
    });
    await request(url).get('/v1/summary?region=ke').set(bearer('analyst-ng')).expect(403);
    await request(url).get('/v1/transactions?region=ke').set(bearer('analyst-ng')).expect(403);
    await request(url).get('/v1/summary?region=ng').set(bearer('analyst-ng')).expect(200);
    const list = await request(url).get('/v1/transactions?region=ng').set(bearer('analyst-ng')).expect(200);
    expect((list.body.items as unknown[]).length).toBe(3);
    for (const path of [
      '/v1/summary?region=zz',
      '/v1/transactions?region=zz',
      '/v1/summary?region=nigeria',
    ]) {
      const res = await request(url).get(path).set(bearer('analyst-ng')).expect(400);
      expect(res.body).toMatchObject({
        errors: [{ parameter: 'region', detail: expect.stringMatching(/^region must be/) }],
      });
    }
  });
});
