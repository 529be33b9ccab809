// A scoring policy changed in KV applies to the running scorer within 2 s, without a restart; a
// policy that does not compile is refused and the previous one keeps scoring; a shadow model is
// recorded beside the acting one without changing the decision.
import { readFile } from 'node:fs/promises';
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
import { TestDatabase, TestNatsServer, freePort, newTransaction, waitFor } from '@vigil/testing';
import { startScorer } from '../src/app.js';
import { scorerEnv } from '../src/config.js';
import { DEFAULT_POLICY_FILE } from '../src/policy/policy.service.js';

const logger = createLogger('scoring-policy-test', 'silent');

interface Row {
  policy_version: number;
  decision: string;
  reasons: { code: string }[];
  shadow: { model_version: string; score: number } | null;
}

describe('scoring policy', () => {
  let server: TestNatsServer;
  let db: TestDatabase;
  let scorer: RunningService;
  let nats: NatsClient;
  let publisher: JetStreamPublisher;
  let policies: DocumentStore<ScoringPolicy>;
  let defaults: ScoringPolicy;
  let sequence = 0;

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
    nats = await NatsClient.connect({ url: server.url, name: 'policy-test', logger });
    publisher = new JetStreamPublisher(nats);
    policies = await DocumentStore.open(nats, ScoringPolicyDocument, logger);
    defaults = JSON.parse(await readFile(DEFAULT_POLICY_FILE, 'utf8')) as ScoringPolicy;
  });

  afterAll(async () => {
    await scorer?.close();
    await nats?.drain();
    await server?.dispose();
    await db?.drop();
  });

  /** Publishes one ordinary payment of `amount` and returns its id. */
  async function send(amount: string): Promise<string> {
    const transaction = newTransaction({ transaction_id: `policy-${++sequence}`, amount }) as Transaction;
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
  }

  async function scored(id: string): Promise<Row> {
    const [row] = await waitFor(
      () =>
        db.query<Row>(
          'SELECT policy_version, decision, reasons, shadow FROM scorer.scores WHERE transaction_id = $1',
          [id],
        ),
      (rows) => rows.length === 1,
      { what: `score of ${id}`, timeoutMs: 10_000 },
    );
    return row!;
  }

  it('scores with the default policy, version 1, when none was stored', async () => {
    const row = await scored(await send('12.00'));
    expect(row.policy_version).toBe(1);
    expect(row.decision).toBe('approve');
    expect(row.shadow).toBeNull();
  });

  it('applies a changed policy within 2 s without a restart; later records carry its version', async () => {
    const changed: ScoringPolicy = {
      ...defaults,
      shadow_model: defaults.model,
      rules: [
        ...defaults.rules,
        {
          id: 'BLOCKED_AMOUNT',
          expression: "tx.amount == '777.77'",
          score: 0.99,
          message: 'amount on the block list',
        },
      ],
    };
    const applied = await policies.apply(changed, 'fraud-ops', 1);
    const started = Date.now();

    let row: Row | undefined;
    while (Date.now() - started < 2_000) {
      const candidate = await scored(await send('777.77'));
      if (candidate.policy_version === applied.version) {
        row = candidate;
        break;
      }
    }

    expect(row).toBeDefined();
    expect(Date.now() - started).toBeLessThanOrEqual(2_000);
    expect(row!.decision).toBe('block');
    expect(row!.reasons.map((r) => r.code)).toContain('BLOCKED_AMOUNT');
    expect(row!.shadow?.model_version).toBe(defaults.model);
  });

  it('refuses a policy whose rule does not compile and keeps scoring with the previous one', async () => {
    const current = await policies.current();
    await policies.apply(
      { ...defaults, rules: [{ id: 'BROKEN', expression: 'tx.amount >', score: 0.5, message: 'x' }] },
      'fraud-ops',
      current!.version,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));

    const row = await scored(await send('777.77'));

    expect(row.policy_version).toBe(current!.version);
    expect(row.decision).toBe('block');
  });
});
