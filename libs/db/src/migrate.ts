// Each service owns one Postgres schema and migrates it from its own folder of ordered .sql files.
import { runner } from 'node-pg-migrate';

export interface MigrateOptions {
  databaseUrl: string;
  /** The service's schema, e.g. "validator"; its migrations table lives there too. */
  schema: string;
  dir: string;
  log?: (message: string) => void;
}

export async function migrate(options: MigrateOptions): Promise<string[]> {
  const applied = await runner({
    databaseUrl: options.databaseUrl,
    dir: options.dir,
    direction: 'up',
    migrationsTable: 'migrations',
    schema: options.schema,
    createSchema: true,
    migrationsSchema: options.schema,
    createMigrationsSchema: true,
    checkOrder: true,
    // replicas and sibling services start together: wait for the lock instead of failing
    advisoryLockMode: 'wait',
    log: options.log ?? (() => undefined),
  });
  return applied.map((m) => m.name);
}
