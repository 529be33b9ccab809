// How a handler tells the transport what to do with a message that failed.
import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { RpcException } from '@nestjs/microservices';
import { throwError, type Observable } from 'rxjs';

export interface HandlerFailure {
  kind: 'permanent' | 'transient';
  message: string;
  /** For a request: the status its caller sees (400 by default for permanent, 503 for transient). */
  status?: number;
}

/**
 * The message can never succeed (bad shape, broken invariant): a consumer dead-letters it with the
 * reason; a request is answered with `status` (a 4xx, 400 by default).
 */
export class PermanentError extends RpcException {
  constructor(message: string, status = 400) {
    super({ kind: 'permanent', message, status } satisfies HandlerFailure);
  }
}

/** A dependency is briefly unavailable: redeliver later with backoff. */
export class TransientError extends RpcException {
  constructor(message: string) {
    super({ kind: 'transient', message } satisfies HandlerFailure);
  }
}

/** The stream (or the server's JetStream storage) is full: the caller should slow down and retry later. */
export class StreamFullError extends Error {
  readonly retryAfterSeconds = 5;
}

/** The message can never be stored as it is (e.g. larger than the server's max_payload). */
export class PublishRefusedError extends Error {}

// PostgreSQL unavailable or busy rather than the message wrong: connection exceptions (08), insufficient
// resources (53), shutdown and start-up (57P01-57P03), a statement or lock timeout of a stalled database
// (57014, 55P03), serialisation failures and deadlocks (40001, 40P01)
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3]$|57014$|55P03$|40001$|40P01$)/;
const UNAVAILABLE_ERRNO = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'EAI_AGAIN',
]);
const UNAVAILABLE_MESSAGE =
  /connection terminated|timeout exceeded when trying to connect|terminating connection|database system is (starting up|shutting down|in recovery)|connection (is )?closed|encountered a connection error and is not queryable/i;
const UNAVAILABLE_NAMES = new Set([
  // @vigil/db's pool with no connection free within its acquire deadline, a statement past its timeout,
  // or a server out of connections: the database is busy, the message is not at fault
  'DatabaseBusyError',
  'TimeoutError',
  'NoRespondersError',
  'ClosedConnectionError',
  'ConnectionError',
]);

/**
 * The failure says a dependency (PostgreSQL, NATS, a full stream) is unavailable, not that the message is wrong:
 * retrying later will succeed once it is back, however long that takes, so such a failure never exhausts a
 * message's deliveries.
 */
export function isDependencyUnavailable(error: unknown, depth = 0): boolean {
  if (depth > 4 || typeof error !== 'object' || error === null) return false;
  if (error instanceof StreamFullError) return true;
  const { code, name, message, cause } = error as {
    code?: unknown;
    name?: unknown;
    message?: unknown;
    cause?: unknown;
  };
  if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_ERRNO.has(code)))
    return true;
  if (typeof name === 'string' && UNAVAILABLE_NAMES.has(name)) return true;
  if (typeof message === 'string' && UNAVAILABLE_MESSAGE.test(message)) return true;
  return isDependencyUnavailable(cause, depth + 1);
}

/**
 * Nest turns handler errors into plain objects; this recovers what kind of failure it was. Besides errors that
 * say `kind: 'permanent'` (PermanentError, @vigil/db's DataRefusedError), a Postgres data exception (SQLSTATE
 * class 22: a value out of range, a NUL byte, invalid JSON) is permanent: that value is refused every time.
 */
export function describeFailure(error: unknown): HandlerFailure {
  if (error instanceof RpcException) return describeFailure(error.getError());
  if (typeof error === 'object' && error !== null && 'message' in error) {
    if ('code' in error && typeof error.code === 'string' && /^22[0-9A-Z]{3}$/.test(error.code))
      return {
        kind: 'permanent',
        message: `database refused a value: ${String(error.message)} [SQLSTATE ${error.code}]`,
      };
    const kind = 'kind' in error && error.kind === 'permanent' ? 'permanent' : 'transient';
    const status = 'status' in error && typeof error.status === 'number' ? error.status : undefined;
    return { kind, message: String(error.message), ...(status ? { status } : {}) };
  }
  return { kind: 'transient', message: String(error) };
}

/**
 * Nest's default RPC filter turns every unknown error into "Internal server error"; this one hands
 * the original error to the transport so it can log it and decide between retry and dead letter.
 */
@Catch()
export class RpcErrorPassthroughFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}

/** The remote handler answered a request with an error: its status says whether a retry can help. */
export class RemoteRequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The envelope JetStreamServer answers with when a request handler fails. */
export const isErrorReply = (body: unknown): body is { error: { status: number; message: string } } =>
  typeof body === 'object' &&
  body !== null &&
  'error' in body &&
  typeof body.error === 'object' &&
  body.error !== null &&
  'status' in body.error &&
  typeof body.error.status === 'number' &&
  'message' in body.error &&
  typeof body.error.message === 'string';
