// The quarantine and data-quality routes against a real nats-server and Postgres: who may call them, what
// each caller sees, and the 400s that name the bad part. Rows are inserted as the validator would write them.
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import {
  Requests,
  submittedTransactionId,
  transactionKey,
  type IngestReplayReply,
  type IngestReplayRequest,
} from '@vigil/contracts';
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer } from '@vigil/testing';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { TEST_PASSWORD, startBackends, testGatewayEnv } from './support.js';

const PASSWORD = TEST_PASSWORD;

let nats: TestNatsServer;
let db: TestDatabase;
let gateway: RunningService;
let url: string;
let ingest: NatsConnection;
let stand: Subscription;
const replayRequests: IngestReplayRequest[] = [];
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

// a partner's held record is stored under its pipeline key <partner_id>~<transaction_id>, as the validator writes it
async function hold(id: string, partner: string, region: string, reasons: object[]): Promise<void> {
  const key = transactionKey(partner, id);
  await db.query(
    `INSERT INTO validator.quarantine (transaction_id, record, reasons, source, partner_id, quarantined_at, region, rule_set_version)
     VALUES ($1, $2, $3, 'api', $4, now(), $5, '1')`,
    [
      key,
      JSON.stringify({ transaction_id: key, region, amount: '1.00' }),
      JSON.stringify(reasons),
      partner,
      region,
    ],
  );
}

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  gateway = await startGateway(testGatewayEnv(nats, db));
  url = gateway.url!;
  // a stand-in for ingest's replay endpoint: records what it is asked and replays everything
  ingest = await connect({ servers: nats.url });
  stand = ingest.subscribe(Requests.ingestReplay.subject, {
    callback: (_error, msg) => {
      const body = msg.json<IngestReplayRequest>();
      replayRequests.push(body);
      msg.respond(
        JSON.stringify({
          results: body.items.map((i) => ({
            transaction_id: i.transaction_id,
            status: 'replayed',
            attempt: 1,
          })),
        } satisfies IngestReplayReply),
      );
    },
  });
  await hold('a-held', 'partner-a', 'NG', [
    {
      code: 'region.currency',
      field: 'currency',
      message: 'no',
      severity: 'error',
      expected: 'NGN',
      actual: 'KES',
    },
  ]);
  await hold('a-fee', 'partner-a', 'NG', [
    { code: 'range.fee', field: 'fee', message: 'no', severity: 'error' },
  ]);
  await hold('b-held', 'partner-b', 'KE', [
    { code: 'region.currency', field: 'currency', message: 'no', severity: 'error' },
  ]);
  await hold('a-released', 'partner-a', 'NG', []);
  await db.query(
    `UPDATE validator.quarantine SET released_at = now() WHERE transaction_id = 'partner-a~a-released'`,
  );
  await db.query(
    `INSERT INTO validator.dq_windows (window_start, source, region, records, passed, warned, quarantined)
     VALUES ('2026-01-01T10:00:00Z', 'api', 'NG', 10, 8, 1, 2), ('2026-01-01T10:00:00Z', 'api', 'KE', 4, 4, 0, 0)`,
  );
  await db.query(
    `INSERT INTO validator.dq_rule_failures (window_start, source, region, rule_id, failures) VALUES ('2026-01-01T10:00:00Z', 'api', 'NG', 'region.currency', 2)`,
  );
  await db.query(
    `INSERT INTO gateway.users (username, password_hash, role, regions)
     SELECT 'ke-analyst', password_hash, 'analyst', '{KE}' FROM gateway.users WHERE username = 'analyst'`,
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
  stand?.unsubscribe();
  await ingest?.close();
  await gateway?.close();
  await nats?.dispose();
  await db?.drop();
});

const ids = (body: { items: { transaction_id: string }[] }) => body.items.map((i) => i.transaction_id).sort();
// operators read across partners by the pipeline key; a partner reads its own ids
const publicIds = (body: { items: { transaction_id: string }[] }) =>
  body.items.map((i) => submittedTransactionId(i.transaction_id)).sort();

describe('GET /v1/quarantine', () => {
  it('shows each caller the held records in its scope, never released ones', async () => {
    expect(ids((await request(url).get('/v1/quarantine').set(bearer('analyst')).expect(200)).body)).toEqual([
      'partner-a~a-fee',
      'partner-a~a-held',
      'partner-b~b-held',
    ]);
    const own = (await request(url).get('/v1/quarantine').set(bearer('partner-a')).expect(200)).body as {
      items: { transaction_id: string; record: { transaction_id: string } }[];
    };
    expect(ids(own)).toEqual(['a-fee', 'a-held']);
    // the held record too reads with the partner's own id
    expect(own.items.map((i) => i.record.transaction_id).sort()).toEqual(['a-fee', 'a-held']);
    expect(
      ids((await request(url).get('/v1/quarantine').set(bearer('ke-analyst')).expect(200)).body),
    ).toEqual(['partner-b~b-held']);
  });

  it('filters by rule and pages with a cursor', async () => {
    expect(
      publicIds(
        (await request(url).get('/v1/quarantine?rule=range.fee').set(bearer('admin')).expect(200)).body,
      ),
    ).toEqual(['a-fee']);
    const first = await request(url).get('/v1/quarantine?limit=2').set(bearer('admin')).expect(200);
    const second = await request(url)
      .get(`/v1/quarantine?limit=2&cursor=${(first.body as { next_cursor: string }).next_cursor}`)
      .set(bearer('admin'))
      .expect(200);
    expect([...publicIds(first.body), ...publicIds(second.body)].sort()).toEqual([
      'a-fee',
      'a-held',
      'b-held',
    ]);
  });

  it('names a bad filter and refuses an anonymous caller', async () => {
    expect(
      (await request(url).get('/v1/quarantine?limit=0').set(bearer('admin')).expect(400)).body.detail,
    ).toMatch(/^limit /);
    await request(url).get('/v1/quarantine').expect(401);
  });
});

describe('POST /v1/quarantine/replay', () => {
  it('sends in-scope held records to ingest with their source and partner, and reports the rest', async () => {
    replayRequests.length = 0;
    const res = await request(url)
      .post('/v1/quarantine/replay')
      .set(bearer('partner-a'))
      .send({
        items: [
          { transaction_id: 'a-held', record: { region: 'NG', currency: 'NGN', amount: '1.00' } },
          { transaction_id: 'b-held' },
          { transaction_id: 'a-released' },
        ],
      })
      .expect(202);
    expect(res.body).toEqual({
      replayed: 1,
      refused: 2,
      results: [
        { transaction_id: 'a-held', status: 'replayed', attempt: 1 },
        { transaction_id: 'b-held', status: 'not_found' },
        { transaction_id: 'a-released', status: 'not_quarantined' },
      ],
    });
    expect(replayRequests).toEqual([
      {
        items: [
          {
            // ingest gets the stored key, and the correction as the partner knows it
            transaction_id: 'partner-a~a-held',
            record: { region: 'NG', currency: 'NGN', amount: '1.00', transaction_id: 'a-held' },
            source: 'api',
            partner_id: 'partner-a',
          },
        ],
        requested_by: 'partner-a',
      },
    ]);
  });

  it('replays the held record as it is when no correction is given', async () => {
    replayRequests.length = 0;
    await request(url)
      .post('/v1/quarantine/replay')
      .set(bearer('analyst'))
      .send({ items: [{ transaction_id: 'partner-b~b-held' }] })
      .expect(202);
    expect(replayRequests[0]!.items[0]!.record).toEqual({
      transaction_id: 'partner-b~b-held',
      region: 'KE',
      amount: '1.00',
    });
  });

  it('names what is wrong with a body', async () => {
    const res = await request(url)
      .post('/v1/quarantine/replay')
      .set(bearer('analyst'))
      .send({ items: [{ transaction_id: 'a-held', record: 'x' }] })
      .expect(400);
    expect(res.body.detail).toBe('items[0].record must be a JSON object');
  });
});

describe('GET /v1/data-quality', () => {
  it("serves windows with pass rates and failures, scoped to the analyst's regions", async () => {
    const all = await request(url).get('/v1/data-quality').set(bearer('analyst')).expect(200);
    expect(all.body).toEqual({
      windows: [
        expect.objectContaining({
          window_start: '2026-01-01T10:00:00Z',
          window_end: '2026-01-01T10:01:00Z',
          region: 'KE',
          pass_rate: 1,
          failures: {},
        }),
        expect.objectContaining({
          region: 'NG',
          records: 10,
          passed: 8,
          warned: 1,
          quarantined: 2,
          pass_rate: 0.8,
          failures: { 'region.currency': 2 },
        }),
      ],
      totals: { records: 14, passed: 12, pass_rate: 12 / 14 },
    });
    const ke = await request(url).get('/v1/data-quality').set(bearer('ke-analyst')).expect(200);
    expect((ke.body as { windows: { region: string }[] }).windows.map((w) => w.region)).toEqual(['KE']);
  });

  it('refuses partners', async () => {
    await request(url).get('/v1/data-quality').set(bearer('partner-a')).expect(403);
    await request(url).get('/v1/data-quality/drift').set(bearer('partner-a')).expect(403);
  });
});
