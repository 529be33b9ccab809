// The service's pool: named queries, transactions that are all or nothing and always give their client back, and
// a database that cannot take a statement in time raised as DatabaseBusyError.
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { TestDatabase } from '@vigil/testing';
import { Database, DatabaseBusyError, sql } from '../src/index.js';

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

  it('runs the statements of a session on one connection, and gives it back when the session fails', async () => {
    const backend = sql('test.backend', `SELECT pg_backend_pid() AS pid`);
    const wide = new Database({ url: testDb.url, service: 'db-test-session', maxConnections: 4 });
    try {
      // four sessions at once on a pool of four: each sees one backend for both of its statements
      const pids = await Promise.all(
        [1, 2, 3, 4].map(() =>
          wide.session(async (session) => {
            const [first] = await session.query<{ pid: number }>(backend);
            await new Promise((resolve) => setTimeout(resolve, 20));
            const [second] = await session.query<{ pid: number }>(backend);
            return [first!.pid, second!.pid];
          }),
        ),
      );
      for (const [first, second] of pids) expect(second).toBe(first);
      expect(new Set(pids.map(([first]) => first)).size).toBe(4);

      const failure = wide.session((session) =>
        session.query(sql('test.broken', 'SELECT * FROM missing_table')),
      );
      await expect(failure).rejects.toThrow(/missing_table/);
      // every connection is free again: four sessions that each hold one for a moment all complete
      await Promise.all([1, 2, 3, 4].map(() => wide.session((session) => session.query(backend))));
      expect(wide.pool.waitingCount).toBe(0);
    } finally {
      await wide.close();
    }
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

describe('Database busy', () => {
  /** A server that accepts the TCP connection and never answers the startup message: a database too loaded to open a connection. */
  async function silentServer() {
    const sockets: Socket[] = [];
    const server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `postgres://nobody@127.0.0.1:${port}/none`,
      close: async () => {
        for (const socket of sockets) socket.destroy();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }

  it('raises DatabaseBusyError when a connection cannot be opened within the connect deadline', async () => {
    const silent = await silentServer();
    const db = new Database({
      url: silent.url,
      service: 'db-test',
      acquireTimeoutMs: 100,
      connectTimeoutMs: 100,
    });
    try {
      const failure = await db.query(sql('test.one', 'SELECT 1')).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(DatabaseBusyError);
      expect(failure).toMatchObject({ reason: 'pool-exhausted' });
      await expect(db.transaction(() => Promise.resolve())).rejects.toBeInstanceOf(DatabaseBusyError);
    } finally {
      await db.close();
      await silent.close();
    }
  });

  it('waits for a slow connection to open past the acquire deadline while the pool has room', async () => {
    const silent = await silentServer();
    const db = new Database({
      url: silent.url,
      service: 'db-test',
      acquireTimeoutMs: 50,
      connectTimeoutMs: 800,
    });
    try {
      const started = performance.now();
      await expect(db.query(sql('test.one', 'SELECT 1'))).rejects.toBeInstanceOf(DatabaseBusyError);
      // turned away by the connect deadline, not the acquire deadline: nobody was queueing for capacity
      expect(performance.now() - started).toBeGreaterThanOrEqual(750);
    } finally {
      await db.close();
      await silent.close();
    }
  });

  it('turns a statement away within the acquire deadline while every connection is checked out, and loses no connection', async () => {
    const testDb = await TestDatabase.create();
    const db = new Database({
      url: testDb.url,
      service: 'db-test',
      maxConnections: 1,
      acquireTimeoutMs: 100,
    });
    try {
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      const holder = db.session(() => held);
      await new Promise((resolve) => setTimeout(resolve, 50)); // the one connection is now checked out
      const failure = await db.query(sql('test.one', 'SELECT 1')).catch((error: unknown) => error);
      // by this name a consumer's message boundary knows the database is busy, not the message wrong
      expect(failure).toMatchObject({ name: 'DatabaseBusyError', reason: 'pool-exhausted' });
      release();
      await holder;
      // the connection the refused statement would have had went back to the pool: the pool of one still serves
      expect(await db.query<{ n: number }>(sql('test.one', 'SELECT 1 AS n'))).toEqual([{ n: 1 }]);
      expect(await db.query<{ n: number }>(sql('test.one', 'SELECT 2 AS n'))).toEqual([{ n: 2 }]);
      expect(db.pool.totalCount).toBe(1);
    } finally {
      await db.close();
      await testDb.drop();
    }
  });
});
