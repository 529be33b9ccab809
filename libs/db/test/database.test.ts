// The service's pool: named queries, and transactions that are all or nothing and always give their client back.
import { TestDatabase } from '@vigil/testing';
import { Database, sql } from '../src/index.js';

const insertAccount = sql('test.insert_account', `INSERT INTO accounts (account_id) VALUES ($1)`);
const accountIds = sql('test.account_ids', `SELECT account_id FROM accounts ORDER BY account_id`);

describe('Database', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await TestDatabase.create();
    await testDb.query(`CREATE TABLE accounts (account_id text PRIMARY KEY)`);
    db = new Database({ url: testDb.url, service: 'db-test', maxConnections: 1 });
  });
  afterEach(async () => {
    await testDb.query(`TRUNCATE accounts`);
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  const storedIds = async () =>
    (await testDb.query<{ account_id: string }>(`SELECT account_id FROM accounts`)).map((r) => r.account_id);

  it('runs a named query with parameters and returns its rows', async () => {
    await db.query(insertAccount, ['acc-b']);
    await db.query(insertAccount, ['acc-a']);

    expect(await db.query<{ account_id: string }>(accountIds)).toEqual([
      { account_id: 'acc-a' },
      { account_id: 'acc-b' },
    ]);
  });

  it('commits every statement of a transaction whose function resolves, and returns its result', async () => {
    const result = await db.transaction(async (client) => {
      await client.query(insertAccount.text, ['acc-1']);
      await client.query(insertAccount.text, ['acc-2']);
      return 'done';
    });

    expect(result).toBe('done');
    expect((await storedIds()).sort()).toEqual(['acc-1', 'acc-2']);
  });

  it('rolls back every statement of a transaction whose function throws, and rethrows that error', async () => {
    const failure = new Error('scoring failed half-way');

    await expect(
      db.transaction(async (client) => {
        await client.query(insertAccount.text, ['acc-1']);
        throw failure;
      }),
    ).rejects.toBe(failure);
    expect(await storedIds()).toEqual([]);
  });

  it('rolls back the earlier statements when a later statement fails', async () => {
    await expect(
      db.transaction(async (client) => {
        await client.query(insertAccount.text, ['acc-1']);
        await client.query(insertAccount.text, ['acc-1']); // duplicate key
      }),
    ).rejects.toThrow(/duplicate key/);
    expect(await storedIds()).toEqual([]);
  });

  it('gives the client back after a failed transaction, so a pool of one keeps working', async () => {
    for (let i = 0; i < 3; i++)
      await expect(db.transaction(() => Promise.reject(new Error(`attempt ${i}`)))).rejects.toThrow();

    await db.transaction((client) => client.query(insertAccount.text, ['acc-after']));
    expect(await storedIds()).toEqual(['acc-after']);
  });
});
