// The gateway's edge mode in front of a real gateway API (real NATS and Postgres behind it): everything a
// client does passes through unchanged and streamed, the edge itself never touches NATS or Postgres, and it
// answers for an upstream that is too slow, gone, or sent too large a body.
import { get, type IncomingMessage } from 'node:http';
import { gunzipSync } from 'node:zlib';
import type { RunningProcess, RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, waitFor } from '@vigil/testing';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { gatewayEnv, type GatewayEnv } from '../src/config.js';
import { startEdge } from '../src/edge/edge.js';
import { TEST_PASSWORD, startBackends, testGatewayEnv } from './support.js';
import { problemOf } from './problem.js';

const PASSWORD = TEST_PASSWORD;
// the edge is given addresses where nothing listens: a request it served could not have used them
const NOWHERE = { NATS_URL: 'nats://127.0.0.1:1', DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' };

let nats: TestNatsServer;
let db: TestDatabase;
let api: RunningService;
let edge: RunningProcess;
let edgeUrl: string;
let edgeOpsPort: number;
let token: string;

function edgeEnv(
  upstream: string,
  extra: Partial<GatewayEnv> = {},
): GatewayEnv & { GATEWAY_UPSTREAM_URL: string } {
  return {
    ...gatewayEnv({}),
    ...NOWHERE,
    GATEWAY_PORT: 0,
    GATEWAY_HOST: '127.0.0.1',
    METRICS_PORT: edgeOpsPort,
    LOG_LEVEL: 'silent',
    ...extra,
    GATEWAY_UPSTREAM_URL: upstream,
  };
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const opsGet = (path: string) => request(`http://127.0.0.1:${edgeOpsPort}`).get(path);

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  api = await startGateway(
    testGatewayEnv(nats, db, { GATEWAY_FEED_HEARTBEAT_SECONDS: 1, GATEWAY_TRUST_PROXY_HOPS: 1 }),
  );
  edgeOpsPort = await freePort();
  edge = await startEdge(edgeEnv(api.url!, { GATEWAY_EDGE_BODY_LIMIT_BYTES: 64 * 1024 }));
  edgeUrl = edge.url!;
  const res = await request(edgeUrl)
    .post('/v1/auth/token')
    .send({ username: 'analyst', password: PASSWORD })
    .expect(200);
  token = (res.body as { access_token: string }).access_token;
}, 60_000);

afterAll(async () => {
  await edge?.close();
  await api?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

describe('the gateway edge in front of the gateway API', () => {
  it('passes sign-in, authenticated reads and their answers through unchanged', async () => {
    const me = await request(edgeUrl).get('/v1/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body).toMatchObject({ subject: 'analyst', role: 'analyst' });
    const direct = await request(api.url!).get('/v1/me').set('Authorization', `Bearer ${token}`).expect(200);
    expect(me.body).toEqual(direct.body);
    // headers the API sets arrive as they were sent
    expect(me.headers['x-content-type-options']).toBe('nosniff');
  });

  it('passes problem details and WWW-Authenticate through for a refused request', async () => {
    const res = await request(edgeUrl)
      .get('/v1/transactions')
      .set('Authorization', 'Bearer forged')
      .expect(401);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(res.body).toEqual(problemOf(401, 'access token is invalid'));
  });

  it('keeps a compressed answer compressed, byte for byte', async () => {
    const raw = await new Promise<{ res: IncomingMessage; body: Buffer }>((resolve, reject) => {
      get(`${edgeUrl}/docs-json`, { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        const chunks: Buffer[] = [];
        res
          .on('data', (c: Buffer) => chunks.push(c))
          .on('end', () => resolve({ res, body: Buffer.concat(chunks) }));
      }).on('error', reject);
    });
    expect(raw.res.headers['content-encoding']).toBe('gzip');
    const doc = JSON.parse(gunzipSync(raw.body).toString()) as { openapi: string };
    expect(doc.openapi).toBe('3.1.0');
  });

  it('streams the live feed as it is written, not when it ends', async () => {
    const first = await new Promise<string>((resolve, reject) => {
      const req = get(`${edgeUrl}/v1/feed?access_token=${token}`, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
        res.setEncoding('utf8');
        let seen = '';
        res.on('data', (chunk: string) => {
          seen += chunk;
          if (seen.includes(':')) {
            req.destroy();
            resolve(seen);
          }
        });
      });
      req.on('error', (error) => (error.message === 'socket hang up' ? undefined : reject(error)));
    });
    expect(first).toMatch(/^:/m); // a heartbeat comment line, while the stream stays open
  });

  it('names the client it saw to the API, so a client cannot pass off another address', async () => {
    const res = await request(edgeUrl)
      .get('/v1/transactions')
      .set('Authorization', 'Bearer forged')
      .set('X-Forwarded-For', '203.0.113.9')
      .set('x-request-id', 'edge-spoof-1')
      .expect(401);
    expect(res.headers['x-request-id']).toBe('edge-spoof-1');
    // the API trusts one hop: the address the edge appended, not the one the client claimed
    const [denial] = await waitFor(
      () =>
        db.query<{ remote_address: string }>(
          `SELECT remote_address FROM gateway.access_denials WHERE request_id = 'edge-spoof-1'`,
        ),
      (rows) => rows.length > 0,
      { what: 'the audited denial' },
    );
    expect(denial!.remote_address).toBe('127.0.0.1');
  });

  it('refuses a body over its limit with 413 before the API sees it', async () => {
    const res = await request(edgeUrl)
      .post('/v1/transactions')
      .set('Authorization', `Bearer ${token}`)
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ padding: 'x'.repeat(70 * 1024) }))
      .expect(413);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(res.body).toEqual(
      problemOf(413, expect.stringMatching(/exceeds the gateway's limit of 65536 bytes/)),
    );
  });

  it('is ready while the API is, and reports it on its ops port with its metrics', async () => {
    await opsGet('/health/ready').expect(200);
    const metrics = await opsGet('/metrics').expect(200);
    expect(metrics.text).toMatch(
      /vigil_edge_request_duration_seconds_count\{[^}]*status_class="2xx"[^}]*\} [1-9]/,
    );
    expect(metrics.text).toMatch(/vigil_edge_refused_total\{[^}]*reason="body"[^}]*\} 1/);
  });
});

describe('the gateway edge without its API', () => {
  let orphan: RunningProcess;
  let savedOpsPort: number;
  beforeAll(async () => {
    savedOpsPort = edgeOpsPort;
    edgeOpsPort = await freePort();
    // a port where nothing listens
    orphan = await startEdge(edgeEnv(`http://127.0.0.1:${await freePort()}`));
  });
  afterAll(async () => {
    await orphan?.close();
    edgeOpsPort = savedOpsPort;
  });

  it('answers 502 with problem details and Retry-After, and is not ready', async () => {
    const res = await request(orphan.url!).get('/v1/summary').expect(502);
    expect(res.headers['retry-after']).toBe('1');
    expect(res.body).toEqual(problemOf(502, 'the gateway API is unreachable; retry later'));
    const ready = await waitFor(
      () => opsGet('/health/ready').then((r) => r),
      (r) => r.status === 503,
      { what: 'the edge reporting not ready' },
    );
    expect(ready.body.checks['gateway-api']).toMatch(/unreachable/);
  });
});
