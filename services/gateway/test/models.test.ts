// The shadow-model comparison against real Postgres: scores seeded with both models' opinions and with labels give
// exact figures per (active, shadow) pair; scores without a shadow opinion or scored outside the window are left
// out; an analyst confined to NG compares on NG's scores only; partners and SREs are refused; bad parameters are
// 400s naming the parameter.
import type { RunningService } from '@vigil/runtime';
import type { TestDatabase, TestNatsServer } from '@vigil/testing';
import request from 'supertest';
import { startGateway } from '../src/app.js';
import { problemOf } from './problem.js';
import { TEST_PASSWORD, startBackends, testGatewayEnv } from './support.js';

let nats: TestNatsServer;
let db: TestDatabase;
let gateway: RunningService;
let url: string;
const tokens: Record<string, string> = {};
const bearer = (user: string) => ({ Authorization: `Bearer ${tokens[user]}` });

const ago = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();
const ACTIVE = 'gbdt-active';
const CANDIDATE = 'gbdt-candidate';
const OTHER = 'gbdt-other';

type Decision = 'approve' | 'review' | 'block';
interface SeededScore {
  id: string;
  region?: string;
  active: [number, Decision];
  /** The shadow model's score and decision; null when the policy had no shadow model. */
  shadow?: [number, Decision] | null;
  shadowModel?: string;
  label?: 'fraud' | 'legitimate';
  scoredAt?: string;
}

/** One score row as the scorer writes it, and its current label when given. */
async function seed(score: SeededScore) {
  const region = score.region ?? 'NG';
  const scoredAt = score.scoredAt ?? ago(30);
  const shadow =
    score.shadow === null
      ? null
      : JSON.stringify({
          model_version: score.shadowModel ?? CANDIDATE,
          score: score.shadow![0],
          decision: score.shadow![1],
        });
  await db.query(
    `INSERT INTO scorer.scores (transaction_id, score, reasons, model_version, type, amount, currency, region, partner_id,
                                origin_account, occurred_at, scored_at, decision, policy_version, shadow)
     VALUES ($1, $2, '[]', $3, 'TRANSFER', 125.50, 'NGN', $4, 'partner-a', 'acc', $5, $5, $6, 2, $7)`,
    [score.id, score.active[0], ACTIVE, region, scoredAt, score.active[1], shadow],
  );
  if (score.label) {
    await db.query(
      `INSERT INTO scorer.labels (transaction_id, label, source, labelled_at, labelled_by, labelled_by_kind,
                                  labelled_by_role, partner_id, region, occurred_at, origin_account)
       VALUES ($1, $2, 'analyst', now(), 'fraud-ops', 'user', 'fraud_ops', 'partner-a', $3, $4, 'acc')`,
      [score.id, score.label, region, scoredAt],
    );
  }
}

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  gateway = await startGateway(testGatewayEnv(nats, db));
  url = gateway.url!;
  for (const user of ['admin', 'analyst-ng', 'fraud-ops', 'auditor', 'sre', 'partner-a']) {
    const res = await request(url)
      .post('/v1/auth/token')
      .send({ username: user, password: TEST_PASSWORD })
      .expect(200);
    tokens[user] = (res.body as { access_token: string }).access_token;
  }
  // the candidate against the active model (thresholds review 0.5, block 0.9)
  await seed({ id: 'tx-1', active: [0.95, 'block'], shadow: [0.92, 'block'], label: 'fraud' });
  await seed({ id: 'tx-2', active: [0.7, 'review'], shadow: [0.95, 'block'], label: 'fraud' });
  await seed({ id: 'tx-3', active: [0.6, 'review'], shadow: [0.1, 'approve'], label: 'legitimate' });
  await seed({ id: 'tx-4', active: [0.1, 'approve'], shadow: [0.6, 'review'], label: 'fraud' });
  await seed({
    id: 'tx-5',
    region: 'KE',
    active: [0.2, 'approve'],
    shadow: [0.2, 'approve'],
    label: 'legitimate',
  });
  await seed({ id: 'tx-6', region: 'KE', active: [0.05, 'approve'], shadow: [0.05, 'approve'] });
  await seed({ id: 'tx-7', region: 'KE', active: [0.55, 'review'], shadow: [0.3, 'approve'] });
  // another shadow model, tried earlier in the hour
  await seed({
    id: 'tx-8',
    active: [0.3, 'approve'],
    shadow: [0.8, 'review'],
    shadowModel: OTHER,
    label: 'legitimate',
  });
  // not compared: no shadow model in the policy, or scored before the window
  await seed({ id: 'tx-9', active: [0.99, 'block'], shadow: null, label: 'fraud' });
  await seed({
    id: 'tx-10',
    active: [0.99, 'block'],
    shadow: [0.99, 'block'],
    label: 'fraud',
    scoredAt: ago(180),
  });
}, 60_000);

afterAll(async () => {
  await gateway?.close();
  await Promise.all([nats?.dispose(), db?.drop()]);
});

const lastHour = () => ({ from: ago(60), to: new Date().toISOString() });

describe('GET /v1/models/comparison', () => {
  it("compares the shadow model's decisions and ranking with the active policy's on the same scores", async () => {
    const res = await request(url)
      .get('/v1/models/comparison')
      .query({ ...lastHour(), budget: '3' })
      .set(bearer('admin'))
      .expect(200);
    const body = res.body as { budget: number; comparisons: Record<string, unknown>[] };
    expect(body.budget).toBe(3);
    expect(body.comparisons).toHaveLength(2);
    const [candidate, other] = body.comparisons;
    expect(candidate).toEqual({
      scores: 7,
      agreement_rate: expect.closeTo(3 / 7, 10),
      decisions: {
        approve: { approve: 2, review: 1, block: 0 },
        review: { approve: 2, review: 0, block: 1 },
        block: { approve: 0, review: 0, block: 1 },
      },
      labels: { scores: 5, fraud: 3 },
      active: {
        model_version: ACTIVE,
        review: 3,
        block: 1,
        mean_score: expect.closeTo(3.15 / 7, 10),
        labelled: {
          // flagged tx-1, tx-2, tx-3: two of them fraud, of three fraud in all
          precision: expect.closeTo(2 / 3, 10),
          recall: expect.closeTo(2 / 3, 10),
          // its top three labelled: tx-1, tx-2 (fraud), tx-3 (legitimate)
          precision_at_budget: expect.closeTo(2 / 3, 10),
          // fraud at ranks 1, 2 and 5
          average_precision: expect.closeTo((1 + 1 + 3 / 5) / 3, 10),
        },
      },
      shadow: {
        model_version: CANDIDATE,
        review: 1,
        block: 2,
        mean_score: expect.closeTo(3.12 / 7, 10),
        labelled: { precision: 1, recall: 1, precision_at_budget: 1, average_precision: 1 },
      },
    });
    expect(other).toMatchObject({
      scores: 1,
      agreement_rate: 0,
      decisions: { approve: { approve: 0, review: 1, block: 0 } },
      labels: { scores: 1, fraud: 0 },
      active: {
        model_version: ACTIVE,
        labelled: { precision: null, recall: null, precision_at_budget: 0, average_precision: null },
      },
      shadow: {
        model_version: OTHER,
        review: 1,
        labelled: { precision: 0, recall: null, precision_at_budget: 0, average_precision: null },
      },
    });
  });

  it('takes an alert budget of 100 by default, and all labelled scores when fewer', async () => {
    const res = await request(url)
      .get('/v1/models/comparison')
      .query(lastHour())
      .set(bearer('fraud-ops'))
      .expect(200);
    const [candidate] = (res.body as { comparisons: { active: { labelled: object } }[] }).comparisons;
    expect(res.body).toMatchObject({ budget: 100 });
    expect(candidate!.active.labelled).toMatchObject({ precision_at_budget: 3 / 5 });
  });

  it("gives an analyst confined to NG the comparison on NG's scores only", async () => {
    const res = await request(url)
      .get('/v1/models/comparison')
      .query(lastHour())
      .set(bearer('analyst-ng'))
      .expect(200);
    const comparisons = (res.body as { comparisons: Record<string, unknown>[] }).comparisons;
    expect(comparisons.map((c) => [c.scores, c.labels])).toEqual([
      [4, { scores: 4, fraud: 3 }],
      [1, { scores: 1, fraud: 0 }],
    ]);
    expect(comparisons[0]).toMatchObject({
      agreement_rate: 0.25,
      active: { review: 2, block: 1, labelled: { precision: 2 / 3, recall: 2 / 3 } },
    });
  });

  it('answers an empty list for a window with no shadow opinion', async () => {
    const res = await request(url)
      .get('/v1/models/comparison')
      .query({ from: ago(60 * 24 * 3), to: ago(60 * 24 * 2) })
      .set(bearer('auditor'))
      .expect(200);
    expect(res.body).toMatchObject({ comparisons: [] });
  });

  it('refuses partners and SREs', async () => {
    for (const user of ['partner-a', 'sre']) {
      const res = await request(url)
        .get('/v1/models/comparison')
        .query(lastHour())
        .set(bearer(user))
        .expect(403);
      expect(res.body).toEqual(problemOf(403, expect.stringContaining('models:read')));
    }
    await request(url).get('/v1/models/comparison').query(lastHour()).expect(401);
  });

  it.each([
    ['from', { to: ago(0) }, 'from is required'],
    ['to', { from: ago(60) }, 'to is required'],
    ['from', { from: 'yesterday', to: ago(0) }, 'from must be an RFC 3339 timestamp'],
    ['from', { from: ago(0), to: ago(60) }, 'from must be before to'],
    ['to', { from: ago(60 * 24 * 32), to: ago(0) }, 'from and to may be at most 31 days apart'],
    ['budget', { ...lastHour(), budget: '0' }, 'budget must be an integer from 1 to 10000'],
    ['budget', { ...lastHour(), budget: '1e3' }, 'budget must be an integer from 1 to 10000'],
    ['region', { ...lastHour(), region: 'NG' }, 'unknown query parameter region'],
  ])('answers 400 naming %s for %j', async (parameter, query, detail) => {
    const res = await request(url).get('/v1/models/comparison').query(query).set(bearer('admin')).expect(400);
    expect(res.body).toEqual(problemOf(400, expect.stringContaining(detail)));
    expect(res.body.errors).toEqual([expect.objectContaining({ parameter })]);
  });

  it('is documented in the OpenAPI document with its permission and an example', async () => {
    const doc = (await request(url).get('/docs-json').expect(200)).body as {
      paths: Record<string, { get: { description: string; responses: Record<string, { content: object }> } }>;
    };
    const route = doc.paths['/v1/models/comparison']!.get;
    expect(route.description).toMatch(/Permission: models:read/);
    expect(JSON.stringify(route.responses['200']!.content)).toContain('"agreement_rate":0.9871');
  });
});
