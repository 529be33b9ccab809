// `npm start`'s demo traffic mixes both generators: the mobile-money generator's transfers and cash-outs and,
// at a tenth of the rate, the card generator's CARD_PAYMENTs, both from the seed DEMO_SEED names.
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { TestDatabase, TestNatsServer, freePort, waitFor } from '@vigil/testing';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SEED = 4321;

interface KindCount {
  generator: string;
  type: string;
  records: number;
}

describe('npm start demo traffic', () => {
  it('sends mobile money and card payments from both generators, seeded by DEMO_SEED', async () => {
    const nats = await TestNatsServer.start();
    const db = await TestDatabase.create();
    const output: string[] = [];
    const runner = spawn(`${ROOT}node_modules/.bin/node`, ['scripts/dev.ts', '--only', 'ingest'], {
      cwd: ROOT,
      env: {
        ...process.env,
        NATS_URL: nats.url,
        DATABASE_URL: db.url,
        METRICS_PORT_BASE: String(await freePort()),
        INGEST_PORT: String(await freePort()),
        DEMO_SEED: String(SEED),
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => runner.once('exit', (code) => resolve(code)));
    runner.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    runner.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    // what ingest's ledger holds, by generator (the id's prefix) and type
    const kinds = () =>
      db
        .query<KindCount>(
          `SELECT split_part(transaction_id, '-', 1) || '-' || split_part(transaction_id, '-', 2) AS generator,
                  record->>'type' AS type, count(*)::int AS records
             FROM ingest.transactions GROUP BY 1, 2`,
        )
        .catch(() => [] as KindCount[]);
    const total = (rows: KindCount[], generator: string, types?: string[]) =>
      rows
        .filter((r) => r.generator === generator && (!types || types.includes(r.type)))
        .reduce((sum, r) => sum + r.records, 0);
    let code: number | null | string;
    let rows: KindCount[];
    try {
      rows = await waitFor(
        kinds,
        (r) =>
          // enough of both for the share to mean something: about 10 s of the card generator's 2 a second
          total(r, `card-${SEED}`) >= 20 &&
          total(r, `gen-${SEED}`, ['TRANSFER']) > 0 &&
          total(r, `gen-${SEED}`, ['CASH_OUT']) > 0,
        {
          what: 'card payments and mobile-money transfers and cash-outs in the ingest ledger',
          timeoutMs: 180_000,
          intervalMs: 500,
        },
      );
    } finally {
      runner.kill('SIGINT');
      code = await Promise.race([exited, sleep(45_000, 'still running', { ref: false })]);
      if (code === 'still running') runner.kill('SIGKILL');
      await nats.dispose();
      await db.drop();
    }
    expect(code).toBe(0);
    const log = output.join('');
    expect(log).toContain(`seed ${SEED}`);
    expect(log).toContain('~20 records/s');
    // the card generator sends nothing but card payments, the mobile-money one the rest of the mix
    expect(rows.filter((r) => r.generator === `card-${SEED}`).map((r) => r.type)).toEqual(['CARD_PAYMENT']);
    expect(rows.map((r) => r.generator).sort()).toEqual(
      expect.arrayContaining([`card-${SEED}`, `gen-${SEED}`]),
    );
    expect(rows.every((r) => [`card-${SEED}`, `gen-${SEED}`].includes(r.generator))).toBe(true);
    // a modest share: 2 of the 20 records a second
    const cards = total(rows, `card-${SEED}`);
    const all = cards + total(rows, `gen-${SEED}`);
    expect(cards / all).toBeLessThan(0.3);
  }, 300_000);
});
