// The same validated stream scored by one scorer replica and by three (one SIGKILLed midway and
// restarted) must give every transaction the same score: per-account state is partitioned, each
// partition is owned by one replica at a time, and a new owner resumes from committed state.
import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Events, scoringRoutes, type Transaction, type TransactionValidated } from '@vigil/contracts';
import { JetStreamPublisher, NatsClient } from '@vigil/messaging';
import { createLogger } from '@vigil/observability';
import { TestDatabase, TestNatsServer, freePort, waitFor } from '@vigil/testing';
import { generateTransactions } from '../../services/ingest/src/generator/index.js';
import { ServiceProcess } from '../support/suite.js';

const RECORDS = 6_000;
const logger = createLogger('scorer-scaling-test', 'silent');

interface ScoreRow {
  transaction_id: string;
  score: string;
  decision: string;
  reasons: unknown;
}

/** Generated records as the validator would pass them on (card numbers replaced by a token). */
function validatedEvents(): TransactionValidated[] {
  return [...generateTransactions({ seed: 5, count: RECORDS, fraudRate: 0.05 })].map((record) => {
    const { card, ...rest } = record;
    const transaction = {
      ...rest,
      ...(card
        ? {
            card: {
              token: `tok_${createHash('sha256').update(card.number).digest('hex').slice(0, 32)}`,
              last4: card.number.slice(-4),
            },
          }
        : {}),
    } as Transaction;
    return { transaction, validated_at: transaction.timestamp, rule_set_version: 'test', warnings: [] };
  });
}

describe('scorer replicas', () => {
  const servers: TestNatsServer[] = [];
  const connections: NatsClient[] = [];
  const databases: TestDatabase[] = [];
  const processes: ServiceProcess[] = [];
  const events = validatedEvents();
  const half = RECORDS / 2;

  afterAll(async () => {
    for (const p of processes) await p.kill().catch(() => undefined);
    for (const c of connections) await c.drain().catch(() => undefined);
    for (const s of servers) await s.dispose();
    for (const db of databases) await db.drop();
  });

  /** A private NATS server and database per run; both runs publish exactly the same sequence. */
  async function environment(): Promise<{
    server: TestNatsServer;
    db: TestDatabase;
    publish(from: number, to: number): Promise<void>;
  }> {
    const server = await TestNatsServer.start();
    servers.push(server);
    const db = await TestDatabase.create();
    databases.push(db);
    const nats = await NatsClient.connect({ url: server.url, name: 'scaling-test', logger });
    connections.push(nats);
    await nats.ensureStream(Events.transactionValidated.stream);
    const publisher = new JetStreamPublisher(nats);
    const publish = async (from: number, to: number) => {
      for (const event of events.slice(from, to)) {
        for (const route of scoringRoutes(event.transaction)) {
          await publisher.publish(Events.transactionValidated, route.partition, event, {
            msgId: `${event.transaction.transaction_id}${route.msgIdSuffix}`,
          });
        }
      }
    };
    return { server, db, publish };
  }

  async function replica(server: TestNatsServer, db: TestDatabase, member: string): Promise<ServiceProcess> {
    const process = new ServiceProcess('scorer', {
      NATS_URL: server.url,
      DATABASE_URL: db.url,
      VIGIL_ENV: 'development',
      LOG_LEVEL: 'warn',
      METRICS_PORT: String(await freePort()),
      SCORER_LEASE_TTL_MS: '1500',
      SCORER_MEMBER_ID: member,
    });
    await process.start();
    processes.push(process);
    return process;
  }

  const countScores = async (db: TestDatabase): Promise<number> =>
    (await db.query<{ n: number }>('SELECT count(*)::int AS n FROM scorer.scores'))[0]!.n;

  async function scoresOf(db: TestDatabase): Promise<Map<string, ScoreRow>> {
    const rows = await db.query<ScoreRow>(
      'SELECT transaction_id, score::text, decision, reasons FROM scorer.scores ORDER BY transaction_id',
    );
    return new Map(rows.map((r) => [r.transaction_id, r]));
  }

  it('gives every transaction the same score with 1 replica and with 3 replicas, one killed mid-stream and restarted', async () => {
    const single = await environment();
    await single.publish(0, RECORDS);
    const alone = await replica(single.server, single.db, 'solo');
    await waitFor(
      () => countScores(single.db),
      (n) => n >= RECORDS,
      {
        what: 'all records scored by one replica',
        timeoutMs: 90_000,
      },
    );
    await alone.stop();

    const shared = await environment();
    await shared.publish(0, half);
    const [first, second] = [
      await replica(shared.server, shared.db, 'replica-a'),
      await replica(shared.server, shared.db, 'replica-b'),
    ];
    const third = await replica(shared.server, shared.db, 'replica-c');
    await waitFor(
      () => countScores(shared.db),
      (n) => n >= half,
      {
        what: 'the first half scored by three replicas',
        timeoutMs: 60_000,
      },
    );
    // the second half flows while one replica is killed
    const publishing = shared.publish(half, RECORDS);
    await waitFor(
      () => countScores(shared.db),
      (n) => n >= half + 100,
      {
        what: 'the second half under way',
        timeoutMs: 60_000,
        intervalMs: 10,
      },
    );
    await third.kill();
    expect(await countScores(shared.db)).toBeLessThan(RECORDS);
    await publishing;
    await sleep(2_000); // its leases expire and the survivors take its partitions over
    const restarted = await replica(shared.server, shared.db, 'replica-c');
    await waitFor(
      () => countScores(shared.db),
      (n) => n >= RECORDS,
      {
        what: 'all records scored by the replicas',
        timeoutMs: 90_000,
      },
    );
    await Promise.all([first.stop(), second.stop(), restarted.stop()]);

    const one = await scoresOf(single.db);
    const three = await scoresOf(shared.db);
    expect(one.size).toBe(RECORDS);
    expect(three.size).toBe(RECORDS);
    const differing = [...one.values()].filter((row) => {
      const other = three.get(row.transaction_id);
      return (
        !other ||
        other.score !== row.score ||
        other.decision !== row.decision ||
        JSON.stringify(other.reasons) !== JSON.stringify(row.reasons)
      );
    });
    expect(differing).toEqual([]);
    // the stream held fraud worth flagging, so "the same" is not "all zero"
    expect([...one.values()].filter((r) => r.decision !== 'approve').length).toBeGreaterThan(50);
    // no feature half is left waiting: every cross-partition transaction was joined and scored
    expect(await shared.db.query('SELECT transaction_id FROM scorer.feature_halves')).toEqual([]);
  }, 300_000);
});
