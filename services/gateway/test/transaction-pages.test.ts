// Keyset pages of GET /v1/transactions over a stored history larger than one page's walk: a filter that few rows
// pass (quarantined, a high min_score) gives short pages, even empty ones, that still carry next_cursor, and
// following it to the end returns every match exactly once, newest first, as the CSV export does in one go.
import type { RunningService } from '@vigil/runtime';
import { TestDatabase, TestNatsServer, seedStoredTransactions } from '@vigil/testing';
import { startGateway } from '../src/app.js';
import { TEST_PASSWORD, startBackends, testGatewayEnv } from './support.js';

const ROWS = 12_000;
let nats: TestNatsServer;
let db: TestDatabase;
let gateway: RunningService;
let token = '';

beforeAll(async () => {
  ({ nats, db } = await startBackends());
  await seedStoredTransactions((text, values) => db.query(text, values), ROWS);
  gateway = await startGateway(testGatewayEnv(nats, db, { GATEWAY_RATE_LIMIT_PRINCIPAL_MAX: 0 }));
  const response = await fetch(`${gateway.url}/v1/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: 'partner-a', password: TEST_PASSWORD }),
  });
  token = ((await response.json()) as { access_token: string }).access_token;
}, 120_000);

afterAll(async () => {
  await gateway?.close();
  await nats?.stop();
  await db?.drop();
});

interface Page {
  items: { transaction_id: string; status: string; score: number | null; received_at: string }[];
  next_cursor: string | null;
}

async function everyPage(query: string): Promise<Page[]> {
  const pages: Page[] = [];
  let cursor: string | null = null;
  do {
    const url = `${gateway.url}/v1/transactions?${query}${cursor ? `&cursor=${cursor}` : ''}`;
    const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    const page = (await response.json()) as Page;
    pages.push(page);
    cursor = page.next_cursor;
  } while (cursor !== null && pages.length < 1_000);
  return pages;
}

it.each([
  ['status=quarantined&limit=100', `s.transaction_id IS NULL AND v.status = 'quarantined'`],
  ['min_score=0.995&limit=50', 's.score >= 0.995'],
])(
  'pages through every match of %s, short pages included',
  async (query, match) => {
    const pages = await everyPage(query);
    const shown = pages.flatMap((page) => page.items.map((item) => item.transaction_id));
    const expected = await db.query<{ id: string }>(
      `SELECT substr(t.transaction_id, length('partner-a~') + 1) AS id
       FROM ingest.transactions t
       LEFT JOIN validator.results v ON v.transaction_id = t.transaction_id
       LEFT JOIN scorer.scores s ON s.transaction_id = t.transaction_id
      WHERE t.partner_id = 'partner-a' AND ${match}
      ORDER BY t.received_at DESC, t.transaction_id DESC`,
    );
    expect(expected.length).toBeGreaterThan(5);
    expect(shown).toEqual(expected.map((row) => row.id));
    // the walk is bounded, so some page ends short of its limit while more matches follow
    const limit = Number(/limit=(\d+)/.exec(query)![1]);
    expect(pages.slice(0, -1).some((page) => page.items.length < limit)).toBe(true);
  },
  60_000,
);
