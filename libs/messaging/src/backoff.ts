// The one backoff policy: every wait between two attempts at the same thing (a redelivery, a publish while
// NATS is away, a partition's commit, a webhook POST) is computed here.

export interface BackoffPolicy {
  /** The wait after the first failed attempt. */
  baseMs: number;
  /** The longest wait before jitter, however many attempts failed. */
  capMs: number;
  /**
   * Up to this fraction of the wait is added at random, so that clients that failed together do not retry in
   * lockstep (1: between the wait and twice the wait). None by default: a consumer's redeliveries are already
   * spread by when each message failed.
   */
  jitter?: number;
}

/** Redelivery of a consumed message: 250 ms, doubling, at most 30 s. */
export const REDELIVERY_BACKOFF: BackoffPolicy = { baseMs: 250, capMs: 30_000 };

/**
 * The wait after the `attempt`-th failed attempt (1 = the first): `baseMs` doubling with each attempt, capped
 * at `capMs`, plus the policy's jitter. A missing or zero attempt counts as the first.
 */
export function backoffMs(
  attempt: number,
  policy: BackoffPolicy = REDELIVERY_BACKOFF,
  random: () => number = Math.random,
): number {
  const doublings = Math.min(Math.max(0, attempt - 1), 30);
  const wait = Math.min(policy.baseMs * 2 ** doublings, policy.capMs);
  return policy.jitter ? wait * (1 + policy.jitter * random()) : wait;
}
