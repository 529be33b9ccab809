// The pg pool of one service, with a span per query and an orderly close (writers first, then the pool).
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import pg from 'pg';
import type { QueryResultRow } from 'pg';

export interface DatabaseOptions {
  url: string;
  /** The service, for spans and the application_name Postgres shows in pg_stat_activity. */
  service: string;
  maxConnections?: number;
  /**
   * How long a statement waits for a connection while every pooled one is checked out, before it fails with
   * DatabaseBusyError (default 5 s): the back-pressure deadline.
   */
  acquireTimeoutMs?: number;
  /**
   * How long opening a new connection may take when the pool has room (default 10 s, never below the acquire
   * deadline). Kept apart from the acquire deadline: a loaded server can take more than a short acquire deadline
   * to start a backend while no request is waiting for capacity, and that is not a reason to turn a caller away.
   */
  connectTimeoutMs?: number;
  /** Server-side statement_timeout of every connection, in ms; unset leaves the server's (none by default). */
  statementTimeoutMs?: number;
}

/**
 * The database cannot take the statement now: no connection came free within the acquire deadline, or the
 * statement ran past its timeout. A retry later may pass, so HTTP callers answer 503 with Retry-After.
 */
export class DatabaseBusyError extends Error {
  constructor(
    readonly reason: 'pool-exhausted' | 'statement-timeout' | 'too-many-connections',
    message: string,
    cause?: unknown,
  ) {
    super(message, { cause });
    this.name = 'DatabaseBusyError';
  }
}

/** The busy error `error` stands for (pg-pool's acquire timeout, SQLSTATE 57014 or 53300), else undefined. */
export function databaseBusy(error: unknown): DatabaseBusyError | undefined {
  if (error instanceof DatabaseBusyError) return error;
  if (!(error instanceof Error)) return undefined;
  const code = (error as { code?: unknown }).code;
  if (code === '57014' && /statement timeout/.test(error.message))
    return new DatabaseBusyError('statement-timeout', 'the query ran past its statement timeout', error);
  if (code === '53300')
    return new DatabaseBusyError('too-many-connections', 'the database has no free connection', error);
  // pg-pool's own words when connectionTimeoutMillis passes with every client checked out, or while a new
  // connection is still being opened (a loaded server, a pool refilling after its connections were dropped)
  if (
    code === undefined &&
    /timeout exceeded when trying to connect|Connection terminated due to connection timeout/.test(
      error.message,
    )
  )
    return new DatabaseBusyError('pool-exhausted', 'no database connection came free in time', error);
  return undefined;
}

/** A named SQL statement: the name shows in traces, the text stays reviewable in one place. */
export interface NamedQuery {
  name: string;
  text: string;
  /**
   * Set for statements whose every variant has its own text (composeQuery): the server prepares it once per
   * connection under this name, and a generic plan is as good as a custom one since no condition is a
   * catch-all. Catch-all statements (`$1 IS NULL OR ...`) must stay unnamed, planned with their values each time.
   */
  prepareAs?: string;
}

export const sql = (name: string, text: string): NamedQuery => ({ name, text });

/** Statements on the one connection of `Database.session`. */
export interface Session {
  query<R extends QueryResultRow>(query: NamedQuery, values?: unknown[]): Promise<R[]>;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

interface Closable {
  close(): Promise<void>;
}

export class Database {
  readonly pool: pg.Pool;
  private readonly tracer;
  private readonly acquireTimeoutMs: number;
  private readonly closables = new Set<Closable>();

  constructor(private readonly options: DatabaseOptions) {
    this.acquireTimeoutMs = options.acquireTimeoutMs ?? 5_000;
    this.pool = new pg.Pool({
      connectionString: options.url,
      max: options.maxConnections ?? 10,
      application_name: options.service,
      // pg-pool applies this both to opening a connection and to queueing for a busy pool; acquire() bounds the
      // queueing by the (shorter) acquire deadline
      connectionTimeoutMillis: Math.max(options.connectTimeoutMs ?? 10_000, this.acquireTimeoutMs),
      ...(options.statementTimeoutMs === undefined ? {} : { statement_timeout: options.statementTimeoutMs }),
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
    return this.session((session) => session.query<R>(query, values));
  }

  /**
   * A pooled connection: an idle one, a new one while the pool has room (bounded by the connect deadline), or,
   * when every connection is checked out, the next one released within the acquire deadline, else
   * DatabaseBusyError.
   */
  private async acquire(): Promise<pg.PoolClient> {
    const pool = this.pool;
    const queues = pool.idleCount === 0 && pool.totalCount >= (pool.options.max ?? 10);
    const pending = pool.connect();
    if (!queues)
      return pending.catch((error: unknown) => {
        throw databaseBusy(error) ?? error;
      });
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DatabaseBusyError('pool-exhausted', 'no database connection came free in time')),
        this.acquireTimeoutMs,
      );
    });
    try {
      return await Promise.race([pending, deadline]);
    } catch (error) {
      // given up on: the connection that comes later goes straight back to the pool
      if (error instanceof DatabaseBusyError) pending.then((client) => client.release(), () => undefined);
      throw databaseBusy(error) ?? error;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs `fn` with one pooled connection for the statements it issues, outside any transaction: a read of
   * several statements waits for the pool once, not once a statement, which under load is the wait that counts.
   */
  async session<T>(fn: (session: Session) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    let failure: Error | undefined;
    try {
      return await fn({ query: (query, values = []) => this.traced(client, query, values) });
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      throw error;
    } finally {
      // as pg-pool does for a failed pool.query: a connection a statement failed on is not pooled again
      client.release(failure);
    }
  }

  private async traced<R extends QueryResultRow>(
    on: Queryable,
    query: NamedQuery,
    values: unknown[],
  ): Promise<R[]> {
    // A query outside any trace (a poller's or a lease's idle tick) gets no span: it would be a root trace of
    // its own on every tick and bury the traces of real work. Within a trace, every statement is a span.
    if (!trace.getActiveSpan()?.isRecording()) return this.run<R>(on, query, values);
    return this.tracer.startActiveSpan(
      query.name,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'postgresql',
          'db.operation.name': query.name,
          'db.namespace': this.options.service,
        },
      },
      async (span) => {
        try {
          return await this.run<R>(on, query, values);
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  /** One statement on a pooled connection: prepared when composed, a busy database raised as DatabaseBusyError. */
  private async run<R extends QueryResultRow>(
    on: Queryable,
    query: NamedQuery,
    values: unknown[],
  ): Promise<R[]> {
    try {
      const result =
        query.prepareAs === undefined
          ? await on.query<R>(query.text, values)
          : await on.query<R>({ name: query.prepareAs, text: query.text, values });
      return result.rows;
    } catch (error) {
      throw databaseBusy(error) ?? error;
    }
  }

  /** Runs `fn` in one transaction on one client; within a trace, one span covers the whole transaction. */
  async transaction<T>(fn: (client: pg.PoolClient) => Promise<T>, name = 'transaction'): Promise<T> {
    if (!trace.getActiveSpan()?.isRecording()) return this.runTransaction(fn);
    return this.tracer.startActiveSpan(
      name,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'db.system.name': 'postgresql',
          'db.operation.name': name,
          'db.namespace': this.options.service,
        },
      },
      async (span) => {
        try {
          return await this.runTransaction(fn);
        } catch (error) {
          span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) });
          throw error;
        } finally {
          span.end();
        }
      },
    );
  }

  private async runTransaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.acquire();
    let failure: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error instanceof Error ? error : new Error(String(error));
      await client.query('ROLLBACK').catch(() => undefined);
      throw databaseBusy(error) ?? error;
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
