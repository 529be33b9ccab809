// A fresh Postgres database per test file on the real server, dropped afterwards.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export class TestDatabase {
  private constructor(
    readonly url: string,
    private readonly adminUrl: string,
    readonly name: string,
  ) {}

  static async create(
    adminUrl = process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  ): Promise<TestDatabase> {
    const name = `vigil_test_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name}`);
    } finally {
      await admin.end();
    }
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    return new TestDatabase(url.toString(), adminUrl, name);
  }

  /** Runs one query against the test database and returns its rows. */
  async query<R extends pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<R[]> {
    const client = new pg.Client({ connectionString: this.url });
    // a test that cuts every connection (pg_terminate_backend) may cut this one between statements: the
    // query reports it; without a listener the client's 'error' event would crash the test process
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query<R>(text, values)).rows;
    } finally {
      await client.end();
    }
  }

  async drop(): Promise<void> {
    const admin = new pg.Client({ connectionString: this.adminUrl });
    admin.on('error', () => undefined);
    await admin.connect();
    try {
      await admin.query(`DROP DATABASE IF EXISTS ${this.name} WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
}
