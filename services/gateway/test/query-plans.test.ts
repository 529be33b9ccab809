// @long-running: minutes on two cores, so a run without recorded durations starts it first (jest.sequencer.js)
// The statements of the transaction list and export at 1,000,000 stored transactions: for every filter
// combination the OpenAPI allows, in every kind of scope, EXPLAIN shows the landing table read through one of its
// indexes, the verdict and the score probed by primary key, and neither a sequential scan, a hash of a whole
// table nor a sort; both the plan made for the request's values and the generic plan a prepared statement may
// settle on. Row counts and statistics are real (one generate_series INSERT, then ANALYZE), so the planner
// decides as it would in production.
import { migrate } from '@vigil/db';
import { TestDatabase, seedStoredTransactions } from '@vigil/testing';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { ComposedQuery } from '@vigil/db';
import {
  exportStatement,
  listStatement,
  listWalkEndStatement,
  transactionWithHistoryStatement,
} from '../src/transactions/transactions.repository.js';
import { SCOPES, everyTransactionFilterSet, readPlan } from './plans.js';

const SERVICES_DIR = fileURLToPath(new URL('../..', import.meta.url));
const ROWS = 1_000_000;
const LANDING_INDEXES = [
  'transactions_received',
  'transactions_partner_received',
  'transactions_region_received',
  'transactions_partner_region_received',
];

let db: TestDatabase;
let client: pg.Client;

beforeAll(async () => {
  db = await TestDatabase.create();
  for (const schema of ['ingest', 'validator', 'scorer'])
    await migrate({ databaseUrl: db.url, schema, dir: `${SERVICES_DIR}/${schema}/migrations` });
  client = new pg.Client({ connectionString: db.url });
  await client.connect();
  await seedStoredTransactions(
    async (text, values) => (await client.query<Record<string, unknown>>(text, values)).rows,
    ROWS,
  );
}, 600_000);

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

async function explain({ query, values }: ComposedQuery) {
  const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
    `EXPLAIN (FORMAT JSON) ${query.text}`,
    values,
  );
  return { name: query.name, plan: readPlan(rows[0]!['QUERY PLAN']) };
}

/** The generic plan: the statement prepared, planned without its values (PostgreSQL 15 has no GENERIC_PLAN). */
async function explainGeneric({ query, values }: ComposedQuery) {
  const literal = (value: unknown): string => {
    if (value === null) return 'NULL';
    if (Array.isArray(value)) return client.escapeLiteral(`{${value.join(',')}}`);
    if (typeof value === 'number') return String(value);
    if (typeof value === 'string') return client.escapeLiteral(value);
    throw new Error(`no SQL literal for a ${typeof value}`);
  };
  await client.query(`PREPARE generic_plan AS ${query.text}`);
  try {
    const { rows } = await client.query<{ 'QUERY PLAN': unknown }>(
      `EXPLAIN (FORMAT JSON) EXECUTE generic_plan(${values.map(literal).join(', ')})`,
    );
    return { name: `${query.name} (generic)`, plan: readPlan(rows[0]!['QUERY PLAN']) };
  } finally {
    await client.query('DEALLOCATE generic_plan');
  }
}

/** What is wrong with a plan, if anything: one line naming the statement and the plan's nodes. */
function verdict({ name, plan }: Awaited<ReturnType<typeof explain>>, scope: string): string | undefined {
  const landing = plan.indexesOf('transactions');
  const problems = [
    ...plan.seqScans.map((relation) => `sequential scan of ${relation}`),
    ...(plan.sorts > 0 ? ['a sort'] : []),
    ...plan.nodes.filter((node) => node.startsWith('Hash')).map((node) => `a ${node}`),
    ...(landing.length === 0 || !landing.every((index) => LANDING_INDEXES.includes(index))
      ? [`landing table read by ${landing.join(', ') || 'no index'}`]
      : []),
    ...['results', 'scores'].flatMap((table) =>
      plan.nodes.some((node) => node.includes(` on ${table}`)) &&
      !plan.indexesOf(table).every((index) => index.endsWith('_pkey'))
        ? [`${table} read other than by primary key`]
        : [],
    ),
  ];
  return problems.length > 0
    ? `${scope} ${name}: ${problems.join('; ')} [${plan.nodes.join(' | ')}]`
    : undefined;
}

it('reads every filter combination of the list and the export through an index, at 1M rows', async () => {
  const filterSets = everyTransactionFilterSet(new Date());
  const failures: string[] = [];
  let plans = 0;
  for (const generic of [false, true]) {
    // a prepared statement may settle on its generic plan after five runs: that one must walk the index too
    await client.query(`SET plan_cache_mode = ${generic ? 'force_generic_plan' : 'auto'}`);
    for (const [scopeName, scope] of Object.entries(SCOPES))
      for (const filters of filterSets)
        for (const statement of [
          listStatement(filters, scope),
          exportStatement(filters, scope),
          listWalkEndStatement(filters, scope),
        ]) {
          const failure = verdict(
            await (generic ? explainGeneric(statement) : explain(statement)),
            scopeName,
          );
          if (failure) failures.push(failure);
          plans += 1;
        }
  }
  // 4 scopes x 5 status choices x 2^6 combinations of region, min_score, type, from, to and cursor; three
  // statements each (the list page, the export page, the end of their walk), custom and generic plans
  expect(plans).toBe(4 * 5 * 64 * 3 * 2);
  expect(failures.slice(0, 10)).toEqual([]);
}, 300_000);

// The detail route with history: the transaction by primary key, then each account's latest rows through its own
// account index (an index scan in order, or a bitmap scan of the account's rows when the planner expects few),
// verdicts and scores by primary key. No table of the pipeline is read whole; scorer.labels, a few hundred rows
// here, may be.
it("reads one transaction and its accounts' histories by primary keys and the account indexes, at 1M rows", async () => {
  const ACCOUNT_INDEXES = [
    'transactions_origin_account_received',
    'transactions_destination_account_received',
  ];
  const failures: string[] = [];
  for (const generic of [false, true]) {
    await client.query(`SET plan_cache_mode = ${generic ? 'force_generic_plan' : 'auto'}`);
    for (const [scopeName, scope] of Object.entries(SCOPES)) {
      const { name, plan } = await (generic ? explainGeneric : explain)(
        transactionWithHistoryStatement('seed-4', scope, 10),
      );
      const indexes = plan.nodes.flatMap((node) => node.match(/ using (\S+)$/)?.[1] ?? []);
      const problems = [
        ...plan.seqScans
          .filter((relation) => relation !== 'labels')
          .map((relation) => `sequential scan of ${relation}`),
        ...ACCOUNT_INDEXES.filter((index) => !indexes.includes(index)).map((index) => `${index} unused`),
        ...plan
          .indexesOf('transactions')
          .filter((index) => index !== 'transactions_pkey' && !ACCOUNT_INDEXES.includes(index))
          .map((index) => `landing table read by ${index}`),
        ...['results', 'scores'].flatMap((table) =>
          plan.indexesOf(table).every((index) => index.endsWith('_pkey'))
            ? []
            : [`${table} read other than by primary key`],
        ),
      ];
      if (problems.length > 0)
        failures.push(`${scopeName} ${name}: ${problems.join('; ')} [${plan.nodes.join(' | ')}]`);
    }
  }
  expect(failures).toEqual([]);
}, 60_000);

it('really holds a million transactions, spread over partners, regions and statuses', async () => {
  const { rows } = await client.query<{ n: number; partners: number; regions: number; quarantined: number }>(
    `SELECT count(*)::int AS n, count(DISTINCT partner_id)::int AS partners, count(DISTINCT region)::int AS regions,
            (SELECT count(*)::int FROM validator.results WHERE status = 'quarantined') AS quarantined
       FROM ingest.transactions`,
  );
  expect(rows[0]).toEqual({ n: ROWS, partners: 4, regions: 5, quarantined: expect.any(Number) as number });
  expect(rows[0]!.quarantined).toBeGreaterThan(ROWS / 50);
});
