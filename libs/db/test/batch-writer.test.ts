// BatchWriter against a real Postgres: rows are grouped into one statement per batch, each add() resolves once its
// row is committed, a batch the database refuses for one row's data commits the others and rejects that row alone,
// a transient failure fails the rows not committed, and batches commit one after another in add order.
import { setTimeout as sleep } from 'node:timers/promises';
import { TestDatabase } from '@vigil/testing';
import {
  BatchWriter,
  DataRefusedError,
  Database,
  commitIsolating,
  dataRefusal,
  sql,
  type BatchWriterOptions,
} from '../src/index.js';

interface Entry {
  id: number;
  amount: string;
}

const insertEntries = sql(
  'test.insert_entries',
  `INSERT INTO entries (id, amount)
   SELECT * FROM unnest($1::int[], $2::numeric[])
   ON CONFLICT (id) DO NOTHING`,
);

const entry = (id: number, amount = '10.00'): Entry => ({ id, amount });

/** A row with the kinds of values outsiders send: text, a JSON document and a timestamp as given. */
interface Note {
  id: number;
  text: string;
  doc: unknown;
  at: string;
}

const insertNotes = sql(
  'test.insert_notes',
  `INSERT INTO notes (id, text, doc, at)
   SELECT * FROM unnest($1::int[], $2::text[], $3::jsonb[], $4::timestamptz[])
   ON CONFLICT (id) DO NOTHING`,
);

const note = (id: number, overrides: Partial<Note> = {}): Note => ({
  id,
  text: `note ${id}`,
  doc: { partner: `p-${id % 3}` },
  at: '2026-01-01T00:00:00Z',
  ...overrides,
});

async function waitUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !done(); i++) await sleep(10);
  expect(done()).toBe(true);
}

describe('BatchWriter', () => {
  let testDb: TestDatabase;
  let db: Database;

  beforeAll(async () => {
    testDb = await TestDatabase.create();
    // committed_seq numbers rows in the order their batches committed
    await testDb.query(`CREATE TABLE entries (
      id int PRIMARY KEY,
      amount numeric NOT NULL CHECK (amount >= 0),
      committed_seq bigserial
    )`);
    await testDb.query(
      `CREATE TABLE notes (id int PRIMARY KEY, text text NOT NULL, doc jsonb NOT NULL, at timestamptz NOT NULL)`,
    );
    db = new Database({ url: testDb.url, service: 'db-test' });
  });
  afterEach(async () => {
    await testDb.query(`TRUNCATE entries, notes RESTART IDENTITY`);
  });
  afterAll(async () => {
    await db?.close();
    await testDb?.drop();
  });

  /** A writer that inserts each batch in one statement and remembers the batches it wrote. */
  function newWriter(options: Partial<BatchWriterOptions<Entry>> = {}) {
    const batches: number[][] = [];
    const writer = new BatchWriter<Entry>(db, {
      write: async (rows) => {
        batches.push(rows.map((r) => r.id));
        await db.query(insertEntries, [rows.map((r) => r.id), rows.map((r) => r.amount)]);
      },
      ...options,
    });
    return { writer, batches };
  }

  const storedIds = async () =>
    (await testDb.query<{ id: number }>(`SELECT id FROM entries ORDER BY committed_seq`)).map((r) => r.id);

  it('commits as a group by default: a burst is written at once, rows arriving during a write form the next batch', async () => {
    let release!: () => void;
    const firstWriteHeld = new Promise<void>((resolve) => (release = resolve));
    const batches: number[][] = [];
    const writer = new BatchWriter<Entry>(db, {
      write: async (rows) => {
        batches.push(rows.map((r) => r.id));
        if (batches.length === 1) await firstWriteHeld;
        await db.query(insertEntries, [rows.map((r) => r.id), rows.map((r) => r.amount)]);
      },
    });
    const burst = [writer.add(entry(1)), writer.add(entry(2))];
    await waitUntil(() => batches.length === 1);
    expect(batches).toEqual([[1, 2]]); // written without waiting for more rows

    const during = [writer.add(entry(3)), writer.add(entry(4)), writer.add(entry(5))];
    await sleep(50);
    expect(batches).toHaveLength(1); // they wait for the write in flight, not for a timer
    release();
    await Promise.all([...burst, ...during]);
    expect(batches).toEqual([
      [1, 2],
      [3, 4, 5],
    ]);
    expect(await storedIds()).toEqual([1, 2, 3, 4, 5]);
  });

  it('flushes as soon as maxRows rows are queued, without waiting for maxDelayMs', async () => {
    const { writer, batches } = newWriter({ maxRows: 3, maxDelayMs: 60_000 });
    const started = performance.now();

    await Promise.all([1, 2, 3].map((id) => writer.add(entry(id))));

    expect(performance.now() - started).toBeLessThan(1_000);
    expect(batches).toEqual([[1, 2, 3]]);
    expect(await storedIds()).toEqual([1, 2, 3]);
    await writer.close();
  });

  it('flushes a partial batch maxDelayMs after its first row', async () => {
    const { writer, batches } = newWriter({ maxRows: 100, maxDelayMs: 200 });
    const started = performance.now();

    const first = writer.add(entry(1));
    await sleep(50);
    await Promise.all([first, writer.add(entry(2))]);

    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(2_000);
    expect(batches).toEqual([[1, 2]]);
    expect(await storedIds()).toEqual([1, 2]);
    await writer.close();
  });

  it('resolves each add() only after its batch is committed and visible to other connections', async () => {
    let committed = false;
    const writer = new BatchWriter<Entry>(db, {
      maxRows: 2,
      maxDelayMs: 5,
      write: (rows) =>
        db
          .transaction(async (client) => {
            await client.query(insertEntries.text, [rows.map((r) => r.id), rows.map((r) => r.amount)]);
            await client.query(`SELECT pg_sleep(0.2)`); // a slow commit: resolving early would show here
          })
          .then(() => {
            committed = true;
          }),
    });

    const seenAtResolve = await Promise.all(
      [1, 2].map((id) =>
        writer.add(entry(id)).then(async () => ({
          committed,
          visible: (await testDb.query(`SELECT 1 FROM entries WHERE id = $1`, [id])).length === 1,
        })),
      ),
    );

    expect(seenAtResolve).toEqual([
      { committed: true, visible: true },
      { committed: true, visible: true },
    ]);
    await writer.close();
  });

  it('commits the rows of a refused batch that the database accepts, and rejects only the refused row, for good', async () => {
    const { writer, batches } = newWriter({ maxRows: 6, maxDelayMs: 60_000 });

    const outcomes = await Promise.allSettled([
      writer.add(entry(1)),
      writer.add(entry(2)),
      writer.add(entry(3, '-5.00')), // breaks the CHECK: the whole statement fails
      writer.add(entry(4)),
      writer.add(entry(5)),
      writer.add(entry(6)),
    ]);
    const adding = [7, 8].map((id) => writer.add(entry(id)));
    await writer.flush();
    const later = await Promise.allSettled(adding);

    expect(outcomes.map((o) => o.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    const refusal = (outcomes[2] as PromiseRejectedResult).reason as DataRefusedError;
    expect(refusal).toBeInstanceOf(DataRefusedError);
    expect(refusal).toMatchObject({ kind: 'permanent', sqlState: '23514' });
    expect(refusal.message).toMatch(/check constraint/);
    expect(later.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled']);
    expect((await storedIds()).sort((a, b) => a - b)).toEqual([1, 2, 4, 5, 6, 7, 8]);
    // halved down to the refused row: [1..6] -> [1,2,3] -> [1,2] + [3] -> then [4,5,6] in one
    expect(batches.slice(0, 5)).toEqual([[1, 2, 3, 4, 5, 6], [1, 2, 3], [1, 2], [3], [4, 5, 6]]);
    await writer.close();
  });

  it.each([
    ['a NUL character in text', { text: 'before\u0000after' }, '22021', /invalid byte sequence|0x00/],
    ['a NUL character in a JSON document', { doc: { note: 'a\u0000b' } }, '22P05', /Unicode escape/],
    ['a lone surrogate in a JSON value', { doc: { note: 'x\ud800y' } }, '22P02', /surrogate/],
    ['a lone surrogate in a JSON key', { doc: { ['k\udc00']: 1 } }, '22P02', /surrogate/],
    ['a time zone offset of -23:59', { at: '2026-01-01T00:00:00-23:59' }, '22009', /time zone displacement/],
    ['year 0', { at: '0000-01-01T00:00:00Z' }, '22008', /out of range/],
  ])("isolates %s among other partners' rows", async (_, hostile, sqlState, message) => {
    const writer = new BatchWriter<Note>(db, {
      maxRows: 9,
      maxDelayMs: 60_000,
      write: async (rows) => {
        await db.query(insertNotes, [
          rows.map((r) => r.id),
          rows.map((r) => r.text),
          rows.map((r) => JSON.stringify(r.doc)),
          rows.map((r) => r.at),
        ]);
      },
    });

    const outcomes = await Promise.allSettled(
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((id) => writer.add(note(id, id === 6 ? hostile : {}))),
    );

    expect(outcomes.map((o) => o.status)).toEqual([
      ...Array(5).fill('fulfilled'),
      'rejected',
      'fulfilled',
      'fulfilled',
      'fulfilled',
    ]);
    const refusal = (outcomes[5] as PromiseRejectedResult).reason as DataRefusedError;
    expect(refusal).toMatchObject({ kind: 'permanent', sqlState });
    expect(refusal.message).toMatch(message);
    const stored = await testDb.query<{ id: number }>(`SELECT id FROM notes ORDER BY id`);
    expect(stored.map((r) => r.id)).toEqual([1, 2, 3, 4, 5, 7, 8, 9]);
    await writer.close();
  });

  it('does not split on a transient failure: the rows not committed reject with it, and later batches write', async () => {
    let failNext = true;
    const batches: number[][] = [];
    const writer = new BatchWriter<Entry>(db, {
      maxRows: 3,
      maxDelayMs: 60_000,
      write: async (rows) => {
        batches.push(rows.map((r) => r.id));
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('Connection terminated unexpectedly'), {});
        }
        await db.query(insertEntries, [rows.map((r) => r.id), rows.map((r) => r.amount)]);
      },
    });

    const outcomes = await Promise.allSettled([1, 2, 3].map((id) => writer.add(entry(id))));
    const later = await Promise.allSettled([4, 5, 6].map((id) => writer.add(entry(id))));

    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect((outcomes[0] as PromiseRejectedResult).reason).not.toBeInstanceOf(DataRefusedError);
    expect(dataRefusal((outcomes[0] as PromiseRejectedResult).reason)).toBeUndefined();
    expect(batches).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(later.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
    expect(await storedIds()).toEqual([4, 5, 6]);
    await writer.close();
  });

  it('commitIsolating commits in order around two refused items and hands each to its callback', async () => {
    const committed: number[] = [];
    const refused: number[] = [];
    await commitIsolating(
      [1, 2, 3, 4, 5, 6, 7, 8],
      (items) => {
        if (items.includes(3) || items.includes(7))
          return Promise.reject(Object.assign(new Error('value out of range'), { code: '22003' }));
        committed.push(...items);
        return Promise.resolve();
      },
      (item, error) => {
        expect(error).toBeInstanceOf(DataRefusedError);
        refused.push(item);
      },
    );
    expect(committed).toEqual([1, 2, 4, 5, 6, 8]);
    expect(refused).toEqual([3, 7]);
  });

  it('writes batches one at a time in add order, even when an earlier batch is slower', async () => {
    let writing = 0;
    let mostAtOnce = 0;
    const batches: number[][] = [];
    const writer = new BatchWriter<Entry>(db, {
      maxRows: 2,
      maxDelayMs: 60_000,
      write: async (rows) => {
        writing++;
        mostAtOnce = Math.max(mostAtOnce, writing);
        if (batches.length === 0) await sleep(300);
        batches.push(rows.map((r) => r.id));
        await db.query(insertEntries, [rows.map((r) => r.id), rows.map((r) => r.amount)]);
        writing--;
      },
    });

    await Promise.all([1, 2, 3, 4, 5, 6].map((id) => writer.add(entry(id))));

    expect(batches).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
    expect(mostAtOnce).toBe(1);
    expect(await storedIds()).toEqual([1, 2, 3, 4, 5, 6]);
    await writer.close();
  });

  it('close() writes what is still queued before it returns, and refuses rows after it', async () => {
    const { writer, batches } = newWriter({ maxRows: 100, maxDelayMs: 60_000 });
    const queued = [writer.add(entry(1)), writer.add(entry(2))];

    await writer.close();

    expect(batches).toEqual([[1, 2]]);
    expect(await storedIds()).toEqual([1, 2]);
    await expect(Promise.all(queued)).resolves.toEqual([undefined, undefined]);
    await expect(writer.add(entry(3))).rejects.toThrow('batch writer is closed');
  });

  it('Database.close() flushes its batch writers before ending the pool', async () => {
    const ownDb = new Database({ url: testDb.url, service: 'db-test-closing' });
    const writer = new BatchWriter<Entry>(ownDb, {
      maxRows: 100,
      maxDelayMs: 60_000,
      write: (rows) =>
        ownDb.query(insertEntries, [rows.map((r) => r.id), rows.map((r) => r.amount)]).then(() => undefined),
    });
    const queued = [writer.add(entry(7)), writer.add(entry(8))];

    await ownDb.close();

    await expect(Promise.all(queued)).resolves.toEqual([undefined, undefined]);
    expect(await storedIds()).toEqual([7, 8]);
  });
});
