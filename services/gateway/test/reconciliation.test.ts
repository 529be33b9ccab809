// Reconciliation against real Postgres: transactions in every state (scored, quarantined, in flight, stuck before
// the validator, stuck before the scorer, outside the range) are counted per stage by the admin route and by the
// `reconcile` command alike, the stuck ones named; partners and analysts are refused, bad parameters are 400s.
import type { RunningService } from '@vigil/runtime';
import type { TestDatabase, TestNatsServer } from '@vigil/testing';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { runReconcile } from '../src/cli/reconcile.command.js';
import { TEST_PASSWORD, startBackends, testGatewayEnv } from './support.js';

let nats: TestNatsServer;
let db: TestDatabase;
let gateway: RunningService;
let url: string;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

async function accepted(id: string, receivedAt: string) {
  await db.query(
    `INSERT INTO ingest.transactions (transaction_id, source, partner_id, region, received_at, record)
     VALUES ($1, 'api', 'partner-a', 'NG', $2, $3)`,
    [id, receivedAt, JSON.stringify({ transaction_id: id })],
  );
}
async function judged(id: string, status: 'valid' | 'quarantined') {
  await db.query(
    `INSERT INTO validator.results (transaction_id, status, reasons, rule_set_version, source, partner_id, region, validated_at)
     VALUES ($1, $2, '[]', 'builtin-1', 'api', 'partner-a', 'NG', now())`,
    [id, status],
  );
}
async function scored(id: string) {
  await db.query(
    `INSERT INTO scorer.scores (transaction_id, score, reasons, model_version, type, amount, currency, region, partner_id,
                                origin_account, occurred_at, scored_at, decision, policy_version)
     VALUES ($1, 0.1, '[]', 'gbdt-test', 'TRANSFER', 125.50, 'NGN', 'NG', 'partner-a', 'acc', now(), now(), 'approve', 1)`,
    [id],
  );
}

async function reconcile(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await runReconcile(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: { DATABASE_URL: db.url },
  });
  return { code, stdout, stderr };
}

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  gateway = await startGateway(testGatewayEnv(nats, db));
  url = gateway.url!;
  for (const user of ['admin', 'sre', 'analyst', 'partner-a']) {
    const res = await request(url)
      .post('/v1/auth/token')
      .send({ username: user, password: TEST_PASSWORD })
      .expect(200);
    tokens[user] = (res.body as { access_token: string }).access_token;
  }
  for (let i = 0; i < 3; i++) {
    await accepted(`scored-${i}`, ago(20 + i));
    await judged(`scored-${i}`, 'valid');
    await scored(`scored-${i}`);
  }
  await accepted('quarantined-1', ago(15));
  await judged('quarantined-1', 'quarantined');
  await accepted('in-flight-1', ago(1));
  await accepted('no-verdict-1', ago(30));
  await accepted('no-verdict-2', ago(12));
  await accepted('not-scored-1', ago(10));
  await judged('not-scored-1', 'valid');
  await accepted('long-ago-1', ago(180));
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

const expectedStages = { accepted: 8, validated: 5, valid: 4, quarantined: 1, scored: 3 };

describe('GET /v1/admin/reconciliation', () => {
  it('counts each stage of the last hour and names the ids neither scored nor quarantined after 5 minutes', async () => {
    const res = await request(url).get('/v1/admin/reconciliation').set(bearer('admin')).expect(200);
    expect(res.body).toMatchObject({
      grace_seconds: 300,
      stages: expectedStages,
      in_flight: 1,
      missing: 3,
      missing_by_stage: { validator: 2, scorer: 1 },
      missing_ids_truncated: false,
    });
    expect(res.body.missing_ids).toEqual([
      expect.objectContaining({ transaction_id: 'no-verdict-1', stuck_at: 'validator', source: 'api' }),
      expect.objectContaining({ transaction_id: 'no-verdict-2', stuck_at: 'validator' }),
      expect.objectContaining({ transaction_id: 'not-scored-1', stuck_at: 'scorer', region: 'NG' }),
    ]);
  });

  it('takes a range, a grace period and a limit on the ids named', async () => {
    const res = await request(url)
      .get('/v1/admin/reconciliation')
      .query({ from: ago(240), to: new Date().toISOString(), grace_seconds: '0', limit: '2' })
      .set(bearer('sre'))
      .expect(200);
    expect(res.body).toMatchObject({
      stages: { ...expectedStages, accepted: 9 },
      in_flight: 0,
      missing: 5,
      missing_by_stage: { validator: 4, scorer: 1 },
      missing_ids_truncated: true,
    });
    const named = (res.body as { missing_ids: { transaction_id: string }[] }).missing_ids;
    expect(named.map((m) => m.transaction_id)).toEqual(['long-ago-1', 'no-verdict-1']);
  });

  it('refuses analysts and partners (403), and names a bad parameter (400)', async () => {
    await request(url).get('/v1/admin/reconciliation').expect(401);
    await request(url).get('/v1/admin/reconciliation').set(bearer('analyst')).expect(403);
    await request(url).get('/v1/admin/reconciliation').set(bearer('partner-a')).expect(403);
    const tooLong = await request(url)
      .get('/v1/admin/reconciliation')
      .query({ from: '2026-01-01T00:00:00Z', to: '2026-01-03T00:00:00Z' })
      .set(bearer('admin'))
      .expect(400);
    expect(tooLong.body.detail).toBe('from and to may be at most 24 hours apart');
    const grace = await request(url)
      .get('/v1/admin/reconciliation?grace_seconds=soon')
      .set(bearer('admin'))
      .expect(400);
    expect(grace.body.detail).toBe('grace_seconds must be an integer from 0 to 86400');
    await request(url).get('/v1/admin/reconciliation?stage=scorer').set(bearer('admin')).expect(400);
  });

  it('is documented in OpenAPI', async () => {
    const doc = (await request(url).get('/docs-json').expect(200)).body as {
      paths: Record<string, { get?: { description?: string } }>;
    };
    expect(doc.paths['/v1/admin/reconciliation']!.get!.description).toMatch(
      /Permission: reconciliation:read/,
    );
  });
});

describe('npm run reconcile', () => {
  it('prints the same counts and names the missing ids, exiting 1', async () => {
    const json = await reconcile('--json');
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({ stages: expectedStages, in_flight: 1, missing: 3 });

    const text = await reconcile('--grace', '300');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(
      'accepted 8  validated 5 (valid 4, quarantined 1)  scored 3\nin flight 1  missing 3 (no verdict 2, valid but not scored 1)',
    );
    expect(text.stdout).toMatch(/missing\tno-verdict-1\tstuck at validator\treceived /);
    expect(text.stdout).toMatch(/missing\tnot-scored-1\tstuck at scorer\treceived /);
  });

  it('exits 0 once every id is scored or quarantined', async () => {
    await judged('no-verdict-1', 'quarantined');
    await judged('no-verdict-2', 'valid');
    await scored('no-verdict-2');
    await scored('not-scored-1');
    const done = await reconcile();
    expect(done.code).toBe(0);
    expect(done.stdout).toContain('missing 0 (no verdict 0, valid but not scored 0)');
  });

  it('refuses bad options with the usage and exit code 2', async () => {
    const bad = await reconcile('--limit', '0');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('reconcile: limit must be an integer from 1 to 1000');
    expect((await reconcile('--grace', 'x')).stderr).toContain(
      'reconcile: --grace must be an integer from 0 to 86400',
    );
    expect((await reconcile('--stage')).code).toBe(2);
  });
});
