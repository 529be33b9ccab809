// The backtest evaluates a rule as the running scorer does: transactions scored by a real scorer (real NATS and
// Postgres) under a policy with rules over `tx`, then backtested with the same rules, give each rule the same
// number of alerts as the scorer's stored reasons show.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Events,
  ScoringPolicyDocument,
  scoringRoutes,
  type ScoringPolicy,
  type Transaction,
  type TransactionValidated,
} from '@vigil/contracts';
import { DocumentStore, JetStreamPublisher, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import type { RunningService } from '@vigil/runtime';
import {
  TestDatabase,
  TestNatsServer,
  freePort,
  newTransaction,
  waitFor,
  type TransactionInput,
} from '@vigil/testing';
import { stringify } from 'yaml';
import { startScorer } from '../src/app.js';
import type { BacktestReport } from '../src/backtest/backtest.service.js';
import { runBacktestCommand } from '../src/cli/backtest.command.js';
import { scorerEnv } from '../src/config.js';
import { DEFAULT_POLICY_FILE } from '../src/policy/policy.service.js';

const logger = createLogger('backtest-agreement-test', 'silent');

// rules over every field a score keeps: amount as text and as a number, type, region, timestamp, partner, accounts
const CANDIDATES: ScoringPolicy['rules'] = [
  { id: 'EXACT_AMOUNT', expression: "tx.amount == '777.70'", score: 0.2, message: 'amount on a watch list' },
  {
    id: 'BIG_TRANSFER',
    expression: "tx.type == 'TRANSFER' && double(tx.amount) >= 1000.0",
    score: 0.2,
    message: 'large transfer',
  },
  {
    id: 'PARTNER_A_OR_KENYA',
    expression:
      "(has(tx.partner_id) && tx.partner_id == 'partner-a') || (tx.region == 'KE' && timestamp(tx.timestamp) > timestamp('2020-01-01T00:00:00Z'))",
    score: 0.2,
    message: 'partner A, or Kenya',
  },
  {
    id: 'WATCHED_ACCOUNTS',
    expression: "tx.origin.account.startsWith('CBT') && has(tx.destination) && tx.destination.account != ''",
    score: 0.2,
    message: 'an account on a watch list',
  },
];

describe('rules backtest against the running scorer', () => {
  let server: TestNatsServer;
  let db: TestDatabase;
  let scorer: RunningService;
  let nats: NatsClient;
  let dir: string;

  beforeAll(async () => {
    server = await TestNatsServer.start();
    db = await TestDatabase.create();
    scorer = await startScorer(
      scorerEnv({
        NATS_URL: server.url,
        DATABASE_URL: db.url,
        LOG_LEVEL: 'silent',
        METRICS_PORT: String(await freePort()),
        SCORER_LEASE_TTL_MS: '1500',
      }),
    );
    nats = await NatsClient.connect({ url: server.url, name: 'backtest-agreement-test', logger });
    dir = await mkdtemp(join(tmpdir(), 'vigil-backtest-agreement-'));
  }, 60_000);

  afterAll(async () => {
    await scorer?.close();
    await nats?.drain();
    await server?.dispose();
    await db?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('gives each rule the alerts the scorer raised with it', async () => {
    const publisher = new JetStreamPublisher(nats);
    const send = async (input: TransactionInput) => {
      const transaction = input as Transaction;
      const event: TransactionValidated = {
        transaction,
        validated_at: new Date().toISOString(),
        rule_set_version: 'test',
        warnings: [],
      };
      for (const route of scoringRoutes(transaction)) {
        await publisher.publish(Events.transactionValidated, route.partition, event, {
          msgId: `${transaction.transaction_id}${route.msgIdSuffix}`,
        });
      }
      return transaction.transaction_id;
    };
    const policyOf = (id: string) =>
      waitFor(
        () =>
          db.query<{ policy_version: number }>(
            'SELECT policy_version FROM scorer.scores WHERE transaction_id = $1',
            [id],
          ),
        (rows) => rows.length === 1,
        { what: `score of ${id}`, timeoutMs: 10_000 },
      ).then((rows) => rows[0]!.policy_version);

    const policies = await DocumentStore.open(nats, ScoringPolicyDocument, logger);
    const defaults = JSON.parse(await readFile(DEFAULT_POLICY_FILE, 'utf8')) as ScoringPolicy;
    const stored = await waitFor(
      () => policies.current(),
      (current) => current !== undefined && current !== null,
      { what: 'the default policy stored', timeoutMs: 10_000 },
    );
    const applied = await policies.apply(
      { ...defaults, rules: [...defaults.rules, ...CANDIDATES] },
      'fraud-ops',
      stored!.version,
    );
    // probes that no candidate fires on, until the scorer scores with the new policy
    await waitFor(
      async () => policyOf(await send(newTransaction({ amount: '1.00' }))),
      (version) => version === applied.version,
      { what: `policy version ${applied.version} in force`, timeoutMs: 10_000 },
    );

    const watched = (n: number) => ({ account: `CBT-${n}` });
    const sent = await Promise.all(
      [
        newTransaction({ amount: '777.70', origin: watched(1) }),
        newTransaction({ type: 'TRANSFER', amount: '1500.00', origin: watched(2) }),
        newTransaction({ type: 'TRANSFER', amount: '20.00', origin: watched(3) }),
        newTransaction({ amount: '125.50' }),
        newTransaction({ type: 'TRANSFER', amount: '777.70', currency: 'KES', region: 'KE' }),
        newTransaction({ type: 'TRANSFER', amount: '2500.00', currency: 'KES', region: 'KE' }),
        newTransaction({ transaction_id: 'partner-a~bt-1', partner_id: 'partner-a', amount: '60.00' }),
        newTransaction({ transaction_id: 'partner-b~bt-1', partner_id: 'partner-b', amount: '60.00' }),
      ].map(send),
    );
    for (const id of sent) expect(await policyOf(id)).toBe(applied.version);

    const firedByScorer = Object.fromEntries(
      (
        await db.query<{ code: string; alerts: number }>(
          `SELECT reason->>'code' AS code, count(*)::int AS alerts
             FROM scorer.scores, jsonb_array_elements(reasons) AS reason
            GROUP BY 1`,
        )
      ).map((row) => [row.code, row.alerts]),
    );
    const file = join(dir, 'candidates.yaml');
    await writeFile(file, stringify({ rules: CANDIDATES }));
    let stdout = '';
    const code = await runBacktestCommand(
      [
        '-f',
        file,
        '--from',
        new Date(Date.now() - 3_600_000).toISOString(),
        '--to',
        new Date(Date.now() + 3_600_000).toISOString(),
        '--json',
      ],
      {
        stdout: { write: (text: string) => (stdout += text) },
        stderr: { write: () => true },
        env: { DATABASE_URL: db.url },
      },
    );

    expect(code).toBe(0);
    const report = JSON.parse(stdout) as BacktestReport;
    const firedByBacktest = Object.fromEntries(report.rules.map((rule) => [rule.id, rule.alerts]));
    expect(firedByBacktest).toEqual({
      EXACT_AMOUNT: 2,
      BIG_TRANSFER: 2,
      PARTNER_A_OR_KENYA: 3,
      WATCHED_ACCOUNTS: 3,
    });
    for (const rule of CANDIDATES) expect(firedByBacktest[rule.id]).toBe(firedByScorer[rule.id]);
  });
});
