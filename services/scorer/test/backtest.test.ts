// `rules backtest` against a real Postgres: scores with feature vectors and labels are replayed through two
// candidate rules, and the alerts, precision, recall and fraud the stored decisions missed come out exactly;
// a rule that does not compile, a rule that breaks the contract and impossible dates are refused.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Database, migrate } from '@vigil/db';
import { TestDatabase } from '@vigil/testing';
import { MIGRATIONS_DIR } from '../src/app.js';
import { readBacktestRules } from '../src/backtest/backtest.file.js';
import { BacktestRepository } from '../src/backtest/backtest.repository.js';
import { BacktestService, type BacktestReport } from '../src/backtest/backtest.service.js';
import { runBacktestCommand } from '../src/cli/backtest.command.js';

const FEATURE_SET = 'backtest-test-v1';
const FEATURE_NAMES = ['amount_z', 'velocity_1h'];

interface SeededScore {
  transactionId: string;
  occurredAt: string;
  type?: string;
  amount?: string;
  /** [amount_z, velocity_1h]; null for a score stored before the feature store. */
  features: [number, number] | null;
  decision?: 'approve' | 'review' | 'block';
  label?: 'fraud' | 'legitimate';
}

const CANDIDATE_RULES = `rules:
  - id: BIG_AMOUNT
    expression: f.amount_z > 3.0
    score: 0.6
    message: amount far above the account's usual
  - id: TRANSFER_BURST
    expression: f.velocity_1h >= 5.0 && tx.type == "TRANSFER"
    score: 0.5
    message: a burst of transfers
`;

// Eight scores in the window (two UTC days, 2026-03-01 and 02) and two just outside it.
const SCORES: SeededScore[] = [
  { transactionId: 't1', occurredAt: '2026-03-01T00:00:00Z', features: [4, 1], label: 'fraud' },
  {
    transactionId: 't2',
    occurredAt: '2026-03-01T08:00:00Z',
    type: 'TRANSFER',
    features: [5, 6],
    decision: 'block',
    label: 'fraud',
  },
  { transactionId: 't3', occurredAt: '2026-03-01T23:00:00Z', features: [3.5, 0], label: 'legitimate' },
  // t4 and t5 share an instant, so keyset pages must order by id as well
  {
    transactionId: 't4',
    occurredAt: '2026-03-02T06:00:00Z',
    type: 'TRANSFER',
    features: [0.5, 7],
    label: 'fraud',
  },
  { transactionId: 't5', occurredAt: '2026-03-02T06:00:00Z', features: [0.1, 9] },
  {
    transactionId: 't6',
    occurredAt: '2026-03-02T07:00:00Z',
    type: 'CASH_OUT',
    features: [0.2, 0],
    decision: 'review',
    label: 'fraud',
  },
  { transactionId: 't7', occurredAt: '2026-03-02T12:00:00Z', type: 'TRANSFER', features: [4.5, 5] },
  { transactionId: 't8', occurredAt: '2026-03-02T23:59:59.999Z', type: 'TRANSFER', features: null },
  { transactionId: 't9', occurredAt: '2026-03-03T00:00:00Z', features: [10, 10], label: 'fraud' },
  { transactionId: 't10', occurredAt: '2026-02-28T23:59:59.999Z', features: [10, 10], label: 'fraud' },
];

async function seed(db: TestDatabase): Promise<void> {
  await db.query(`INSERT INTO scorer.feature_sets (feature_set, names) VALUES ($1, $2)`, [
    FEATURE_SET,
    FEATURE_NAMES,
  ]);
  for (const score of SCORES) {
    await db.query(
      `INSERT INTO scorer.scores (transaction_id, score, reasons, model_version, type, amount, currency, region,
                                  origin_account, destination_account, occurred_at, scored_at, decision,
                                  policy_version, features, feature_set)
       VALUES ($1, 0.1, '[]', 'gbdt-test', $2, $3, 'KES', 'KE', 'C1', 'C2', $4, $4, $5, 1, $6, $7)`,
      [
        score.transactionId,
        score.type ?? 'PAYMENT',
        score.amount ?? '100.00',
        score.occurredAt,
        score.decision ?? 'approve',
        score.features,
        score.features ? FEATURE_SET : null,
      ],
    );
    if (score.label) {
      await db.query(
        `INSERT INTO scorer.labels (transaction_id, label, source, labelled_at, labelled_by, labelled_by_kind,
                                    labelled_by_role, region, occurred_at, origin_account)
         VALUES ($1, $2, 'analyst', now(), 'fraud-ops', 'user', 'fraud_ops', 'KE', $3, 'C1')`,
        [score.transactionId, score.label, score.occurredAt],
      );
    }
  }
}

describe('rules backtest', () => {
  let db: TestDatabase;
  let dir: string;

  beforeAll(async () => {
    db = await TestDatabase.create();
    await migrate({ databaseUrl: db.url, schema: 'scorer', dir: MIGRATIONS_DIR });
    await seed(db);
    dir = await mkdtemp(join(tmpdir(), 'vigil-backtest-'));
  }, 60_000);

  afterAll(async () => {
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function backtest(rulesYaml: string, ...flags: string[]) {
    const file = join(dir, `rules-${Math.random().toString(36).slice(2)}.yaml`);
    await writeFile(file, rulesYaml);
    let stdout = '';
    let stderr = '';
    const code = await runBacktestCommand(['-f', file, ...flags], {
      stdout: { write: (text: string) => (stdout += text) },
      stderr: { write: (text: string) => (stderr += text) },
      env: { DATABASE_URL: db.url },
    });
    return { code, stdout, stderr };
  }

  it('reports alerts, precision, recall and the fraud the policy missed, per rule and for the set', async () => {
    const { code, stdout, stderr } = await backtest(
      CANDIDATE_RULES,
      '--from',
      '2026-03-01',
      '--to',
      '2026-03-02',
      '--json',
    );

    expect(stderr).toContain('8 of 8 transactions replayed');
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as BacktestReport;
    expect(report).toEqual({
      window: { from: '2026-03-01T00:00:00.000Z', to: '2026-03-03T00:00:00.000Z', days: 2 },
      transactions: 8,
      withoutFeatures: 1,
      labelledFraud: 4,
      labelledLegitimate: 1,
      fraudFlaggedByPolicy: 2,
      rules: [
        {
          id: 'BIG_AMOUNT',
          alerts: 4,
          alertsPerDay: 2,
          alertsByDay: { '2026-03-01': 3, '2026-03-02': 1 },
          fraudFound: 2,
          precision: 0.5,
          recall: 0.5,
          fraudPolicyMissed: 1,
        },
        {
          id: 'TRANSFER_BURST',
          alerts: 3,
          alertsPerDay: 1.5,
          alertsByDay: { '2026-03-01': 1, '2026-03-02': 2 },
          fraudFound: 2,
          precision: 2 / 3,
          recall: 0.5,
          fraudPolicyMissed: 1,
        },
      ],
      set: {
        id: 'all rules',
        alerts: 5,
        alertsPerDay: 2.5,
        alertsByDay: { '2026-03-01': 3, '2026-03-02': 2 },
        fraudFound: 3,
        precision: 0.6,
        recall: 0.75,
        fraudPolicyMissed: 2,
      },
    });
  });

  it('prints the same figures as a table', async () => {
    const { code, stdout } = await backtest(CANDIDATE_RULES, '--from', '2026-03-01', '--to', '2026-03-02');

    expect(code).toBe(0);
    expect(stdout).toContain('8 transactions, 4 labelled fraud (2 flagged by the policy in force)');
    const row = (id: string) =>
      stdout
        .split('\n')
        .find((line) => line.startsWith(id))
        ?.split(/\s{2,}/);
    expect(row('BIG_AMOUNT')).toEqual(['BIG_AMOUNT', '4', '2.00', '2', '0.5000', '0.5000', '1']);
    expect(row('TRANSFER_BURST')).toEqual(['TRANSFER_BURST', '3', '1.50', '2', '0.6667', '0.5000', '1']);
    expect(row('all rules')).toEqual(['all rules', '5', '2.50', '3', '0.6000', '0.7500', '2']);
  });

  it('reads the window in keyset pages without losing or repeating a row', async () => {
    const file = join(dir, 'paged.yaml');
    await writeFile(file, CANDIDATE_RULES);
    const { rules } = await readBacktestRules(file);
    const database = new Database({ url: db.url, service: 'backtest-test' });
    try {
      const window = { from: new Date('2026-03-01T00:00:00Z'), to: new Date('2026-03-03T00:00:00Z') };
      const repository = new BacktestRepository(database);
      const whole = await new BacktestService(repository).run(rules, window);
      // pages of 2 and of 4 split t4 and t5, which share an instant
      for (const pageSize of [2, 4]) {
        expect(await new BacktestService(repository, pageSize).run(rules, window)).toEqual(whole);
      }
    } finally {
      await database.close();
    }
  });

  it('refuses a rule that does not compile, naming it, and reads nothing', async () => {
    const { code, stderr, stdout } = await backtest(
      `${CANDIDATE_RULES}  - id: BROKEN
    expression: f.amount_z >
    score: 0.5
    message: unfinished
`,
      '--from',
      '2026-03-01',
      '--to',
      '2026-03-02',
    );

    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toMatch(/refused:\n {2}rule BROKEN: /);
    expect(stderr).not.toContain('replayed');
  });

  it('refuses a rule that breaks the scoring-policy contract, naming it and the field', async () => {
    const { code, stderr } = await backtest(
      `rules:
  - id: TOO_SURE
    expression: f.amount_z > 1.0
    score: 2
    message: certain
`,
      '--from',
      '2026-03-01',
      '--to',
      '2026-03-02',
    );

    expect(code).toBe(1);
    expect(stderr).toContain('rule TOO_SURE: score must be <= 1');
  });

  it('warns when a rule reads a transaction field that scores do not keep', async () => {
    const { code, stderr } = await backtest(
      `rules:
  - id: FOREIGN_MERCHANT
    expression: tx.merchant.country != tx.region
    score: 0.3
    message: merchant abroad
`,
      '--from',
      '2026-03-01',
      '--to',
      '2026-03-02',
    );

    expect(code).toBe(0);
    expect(stderr).toContain('rule FOREIGN_MERCHANT reads tx.merchant, which scores do not keep');
  });

  it.each([
    [['--from', '2026-02-30', '--to', '2026-03-02'], '--from "2026-02-30" is not a calendar day'],
    [['--from', 'yesterday', '--to', '2026-03-02'], '--from "yesterday" must be a day'],
    [['--from', '2026-03-02', '--to', '2026-03-01'], 'must be before --to'],
    [['--to', '2026-03-02'], '--from is required'],
  ])('refuses bad dates %j before reading anything', async (flags, message) => {
    const { code, stderr } = await backtest(CANDIDATE_RULES, ...flags);

    expect(code).toBe(2);
    expect(stderr).toContain(message);
  });
});
