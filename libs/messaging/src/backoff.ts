// The one backoff policy: every wait between two attempts at the same thing (a redelivery, a publish while
// NATS is away, a partition's commit, a webhook POST) is computed here.

export interface BackoffPolicy {
  /** The wait after the first failed attempt. */
  baseMs: number;
  /** The longest wait, however many attempts failed. */
  capMs: number;
}

/** Redelivery of a consumed message: 250 ms, doubling, at most 30 s. */
export const REDELIVERY_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 30_000 };

/**
 * The wait after the `attempt`-th failed attempt (1 = the first): `baseMs` doubling with each attempt, capped
 * at `capMs`. A missing or zero attempt counts as the first.
 */
export function backoffMs(attempt: number, policy: BackoffPolicy = REDELIVERY_BACKOFF): number {
  const doublings = Math.min(Math.max(0, attempt - 1), 30);
  return Math.min(policy.baseMs * 2 ** doublings, policy.capMs);
}
