// The pg pool of one service, with a span per query and an orderly close (writers first, then the pool).
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import pg from 'pg';
import type { QueryResultRow } from 'pg';

export interface DatabaseOptions {
  url: string;
  /** The service, for spans and the application_name Postgres shows in pg_stat_activity. */
  service: string;
  maxConnections?: number;
}

/** A named SQL statement: the name shows in traces, the text stays reviewable in one place. */
export interface NamedQuery {
  name: string;
  text: string;
}

export const sql = (name: string, text: string): NamedQuery => ({ name, text });

interface Closable {
  close(): Promise<void>;
}

export class Database {
  readonly pool: pg.Pool;
  private readonly tracer;
  private readonly closables = new Set<Closable>();

  constructor(private readonly options: DatabaseOptions) {
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      application_name: options.service,
      connectionTimeoutMillis: 5_000,
    });
    // an idle client losing its server must not crash the process; the next query reconnects
    this.pool.on('error', () => undefined);
    // Nor may a checked-out one: the server's "terminating connection" can arrive between two statements, or
    // after the pool has dropped a failed client, when no query is there to take it and pg would emit it as
    // an 'error' event nobody listens to. The statement that next uses the client reports the loss instead.
    this.pool.on('connect', (client) => client.on('error', () => undefined));
    this.tracer = trace.getTracer(options.service);
  }

  async query<R extends QueryResultRow>(query: NamedQuery, values: unknown[] = []): Promise<R[]> {
    return this.tracer.startActiveSpan(
      query.name,
      {
        kind: SpanKind.CLIENT,
        attributes: { 'db.system.name': 'postgresql', 'db.operation.name': query.name },
      },
      async (span) => {
        try {
          const result = await this.pool.query<R>(query.text, values);
          return result.rows;
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /** Runs `fn` in one transaction on one client. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      // a client whose transaction failed may hold a broken connection: destroy it rather than pool it
      client.release(failure);
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Registers something (e.g. a batch writer) to be flushed and closed before the pool. */
  onClose(closable: Closable): void {
    this.closables.add(closable);
  }

  async close(): Promise<void> {
    for (const closable of this.closables) await closable.close();
    this.closables.clear();
    await this.pool.end();
  }
}
