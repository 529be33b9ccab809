// Reads a service must make before it serves (the gateway's signing keys and revocation list): retried while the
// database is busy or not yet answering, with the one backoff policy, so a start on a loaded machine or next to a
// restarting Postgres waits instead of exiting; any other failure, or one that outlasts the deadline, still ends
// the start.
import { databaseBusy } from '@vigil/db';
import { backoffMs, type BackoffPolicy } from '@vigil/messaging';
import type { Logger } from '@vigil/observability';
import { setTimeout as sleep } from 'node:timers/promises';

/** 250 ms, doubling, at most 5 s, with up to half again at random: replicas started together spread out. */
export const STARTUP_RETRY: BackoffPolicy = { baseMs: 250, capMs: 5_000, jitter: 0.5 };

// refused or reset connections, and PostgreSQL's 57P03 (cannot_connect_now: starting up, shutting down, recovering)
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P03']);

/** Whether a later attempt at the same database read may pass. */
export function transientDatabaseError(error: unknown): boolean {
  if (databaseBusy(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && UNREACHABLE.has(code);
}

export interface StartupRetryOptions {
  /** How long to go on retrying, from the first attempt (default 60 s). */
  deadlineMs?: number;
  policy?: BackoffPolicy;
  /** The wait between attempts; replaceable so a test does not sleep. */
  wait?: (ms: number) => Promise<unknown>;
  now?: () => number;
}

/** `read()`, attempted again after a transient database failure until `deadlineMs` has passed; logs each retry. */
export async function retryAtStartup<T>(
  what: string,
  read: () => Promise<T>,
  logger: Logger,
  options: StartupRetryOptions = {},
): Promise<T> {
  const { deadlineMs = 60_000, policy = STARTUP_RETRY, wait = sleep, now = Date.now } = options;
  const deadline = now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await read();
    } catch (error) {
      const delay = backoffMs(attempt, policy);
      if (!transientDatabaseError(error) || now() + delay > deadline) throw error;
      logger.warn(
        { err: error, attempt, retry_in_ms: Math.round(delay) },
        `${what} failed at start-up; retrying`,
      );
      await wait(delay);
    }
  }
}
