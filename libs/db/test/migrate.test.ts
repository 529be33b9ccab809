// Each service migrates its own schema at start-up, and replicas start together: migrate() must be repeatable
// and must wait for a concurrent run instead of failing or applying anything twice.
import { fileURLToPath } from 'node:url';
import { TestDatabase } from '@vigil/testing';
import { migrate } from '../src/index.js';

const MIGRATIONS_DIR = fileURLToPath(new URL('./migrations', import.meta.url));

describe('migrate', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await TestDatabase.create();
  });
  afterAll(async () => {
    await db?.drop();
  });

  const run = (schema: string) => migrate({ databaseUrl: db.url, schema, dir: MIGRATIONS_DIR });
  const tablesIn = async (schema: string) =>
    (
      await db.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name`,
        [schema],
      )
    ).map((r) => r.table_name);
  const recorded = async (schema: string) =>
    (await db.query<{ name: string }>(`SELECT name FROM "${schema}".migrations ORDER BY id`)).map(
      (r) => r.name,
    );

  it('creates the schema, applies the migrations in order and records them there', async () => {
    const applied = await run('ledger');

    expect(applied).toEqual(['001_accounts', '002_entries']);
    expect(await tablesIn('ledger')).toEqual(['accounts', 'entries', 'migrations']);
    expect(await recorded('ledger')).toEqual(['001_accounts', '002_entries']);
    expect(await tablesIn('public')).toEqual([]);
  });

  it('applies nothing and changes nothing the second time', async () => {
    await run('repeat');
    await db.query(`INSERT INTO repeat.accounts (account_id) VALUES ('acc-1')`);

    expect(await run('repeat')).toEqual([]);
    expect(await recorded('repeat')).toEqual(['001_accounts', '002_entries']);
    expect(await db.query(`SELECT account_id FROM repeat.accounts`)).toEqual([{ account_id: 'acc-1' }]);
  });

  it('lets two replicas migrate the same schema at once: both succeed, the migrations are applied once', async () => {
    const results = await Promise.all([run('together'), run('together'), run('together')]);

    expect(results.map((applied) => applied.length).sort()).toEqual([0, 0, 2]);
    expect(await recorded('together')).toEqual(['001_accounts', '002_entries']);
  });
});
