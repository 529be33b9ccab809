// A PaySim-format file imported as-is with the shipped command-line tools, through the whole suite.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor } from '@vigil/testing';
import { Suite } from '../support/suite.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const NODE = `${ROOT}node_modules/.bin/node`;
const CLI = `${ROOT}services/ingest/dist/cli`;
const ROWS = 1500;

describe('PaySim import: generate a PaySim CSV, then import it with import-paysim', () => {
  let suite: Suite;
  let dir: string;
  let csv: string;

  beforeAll(async () => {
    suite = await Suite.start();
    dir = mkdtempSync(join(tmpdir(), 'vigil-paysim-'));
    csv = join(dir, 'paysim.csv');
    await run(NODE, [
      `${CLI}/generate.js`,
      '--count',
      String(ROWS),
      '--seed',
      '7',
      '--fraud-rate',
      '0.05',
      '--out',
      csv,
    ]);
  });
  afterAll(async () => {
    await suite?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const count = async (sql: string) => (await suite.db.query<{ n: number }>(sql))[0]!.n;

  it('writes PaySim columns, and every row is imported, validated and scored exactly once with its label', async () => {
    const lines = readFileSync(csv, 'utf8').trim().split('\n');
    expect(lines[0]).toBe(
      'step,type,amount,nameOrig,oldbalanceOrg,newbalanceOrig,nameDest,oldbalanceDest,newbalanceDest,isFraud,isFlaggedFraud',
    );
    expect(lines).toHaveLength(ROWS + 1);
    const fraudRows = lines.slice(1).filter((line) => line.split(',')[9] === '1').length;
    expect(fraudRows).toBeGreaterThan(0);

    const { stderr } = await run(NODE, [
      `${CLI}/import-paysim.js`,
      csv,
      '--target',
      `${suite.ingestUrl}/v1/transactions`,
    ]);
    expect(stderr).toMatch(new RegExp(`${ROWS}`));

    await waitFor(
      () => count(`SELECT count(*)::int AS n FROM validator.results`),
      (n) => n === ROWS,
      {
        what: 'every row validated',
        timeoutMs: 60_000,
      },
    );
    expect(await count(`SELECT count(*)::int AS n FROM validator.results WHERE status = 'quarantined'`)).toBe(
      0,
    );
    await waitFor(
      () => count(`SELECT count(*)::int AS n FROM scorer.scores`),
      (n) => n === ROWS,
      {
        what: 'every row scored',
        timeoutMs: 60_000,
      },
    );
    expect(
      await count(
        `SELECT count(*)::int AS n FROM ingest.transactions WHERE (record->'labels'->>'is_fraud')::boolean`,
      ),
    ).toBe(fraudRows);
    // money arrives exactly as written in the file
    const [first] = await suite.db.query<{ amount: string }>(
      `SELECT record->>'amount' AS amount FROM ingest.transactions ORDER BY transaction_id LIMIT 1`,
    );
    expect(lines.slice(1).map((line) => line.split(',')[2])).toContain(first!.amount);
  });

  it('ranks labelled fraud above legitimate rows and alerts on the account-takeover cash-outs', async () => {
    const [ranking] = await suite.db.query<{ fraud: number; legit: number }>(
      `SELECT avg(s.score) FILTER (WHERE (t.record->'labels'->>'is_fraud')::boolean)::float8 AS fraud,
              avg(s.score) FILTER (WHERE NOT (t.record->'labels'->>'is_fraud')::boolean)::float8 AS legit
         FROM scorer.scores s JOIN ingest.transactions t USING (transaction_id)`,
    );
    expect(ranking!.fraud).toBeGreaterThan(ranking!.legit);
    await waitFor(
      () => count(`SELECT count(*)::int AS n FROM alerting.alerts`),
      (n) => n > 0,
      {
        what: 'alerts for the fraud rows',
      },
    );
  });

  it('treats a second import of the same file as duplicates, storing nothing twice', async () => {
    const { stderr } = await run(NODE, [
      `${CLI}/import-paysim.js`,
      csv,
      '--target',
      `${suite.ingestUrl}/v1/transactions`,
    ]);
    expect(stderr).toMatch(/duplicate/i);
    expect(await count(`SELECT count(*)::int AS n FROM ingest.transactions`)).toBe(ROWS);
    expect(await count(`SELECT count(*)::int AS n FROM scorer.scores`)).toBe(ROWS);
  });
});
