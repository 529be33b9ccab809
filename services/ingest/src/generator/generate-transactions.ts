// The synthetic transaction stream: ordinary traffic with labelled fraud episodes woven in,
// reproducible from a seed (same options, same records, byte for byte).
import { EventQueue } from './event-queue.js';
import { TypologyDeck } from './fraud-typologies.js';
import { LegitimateTraffic } from './legitimate-traffic.js';
import { CHANNELS, type GeneratedChannel } from './markets.js';
import { Population } from './population.js';
import type { GeneratedRecord } from './records.js';
import { Rng } from './rng.js';

export interface GeneratorOptions {
  /** Same seed and options give identical records. Non-negative safe integer; default 42. */
  seed?: number;
  /** Records to emit; omit (or pass Infinity) for an endless stream. */
  count?: number;
  /** Approximate fraction of records that are fraud, 0 to 1; default 0.02. */
  fraudRate?: number;
  /** Simulated time of the first record: Date, RFC 3339 text or epoch ms; default 2025-01-01T00:00:00Z. */
  startTime?: Date | string | number;
  /** Mean simulated gap between arrivals, in ms; default 5000. */
  meanIntervalMs?: number;
  /** Mobile-money wallets in the pool (at least 100); cards number half as many. Default 3000. */
  accounts?: number;
  /** Channels to simulate; default both. `['mobile_money']` yields only PaySim-representable records. */
  channels?: readonly GeneratedChannel[];
}

export interface ResolvedGeneratorOptions {
  seed: number;
  count: number;
  fraudRate: number;
  startMs: number;
  meanIntervalMs: number;
  accounts: number;
  channels: readonly GeneratedChannel[];
}

export const GENERATOR_DEFAULTS = {
  seed: 42,
  fraudRate: 0.02,
  startTime: '2025-01-01T00:00:00Z',
  meanIntervalMs: 5_000,
  accounts: 3_000,
} as const;

/** Checks and fills in options; throws RangeError naming the bad option. */
export function resolveGeneratorOptions(options: GeneratorOptions = {}): ResolvedGeneratorOptions {
  const seed = options.seed ?? GENERATOR_DEFAULTS.seed;
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new RangeError(`seed must be a non-negative integer, got ${seed}`);
  const count = options.count ?? Infinity;
  if (!(count === Infinity || (Number.isSafeInteger(count) && count >= 0))) {
    throw new RangeError(`count must be a non-negative integer, got ${count}`);
  }
  const fraudRate = options.fraudRate ?? GENERATOR_DEFAULTS.fraudRate;
  if (!(fraudRate >= 0 && fraudRate <= 1))
    throw new RangeError(`fraudRate must be between 0 and 1, got ${fraudRate}`);
  const start = options.startTime ?? GENERATOR_DEFAULTS.startTime;
  const startMs =
    start instanceof Date ? start.getTime() : typeof start === 'number' ? start : Date.parse(start);
  if (!Number.isFinite(startMs)) throw new RangeError(`startTime is not a valid time: ${String(start)}`);
  const meanIntervalMs = options.meanIntervalMs ?? GENERATOR_DEFAULTS.meanIntervalMs;
  if (!(meanIntervalMs > 0 && Number.isFinite(meanIntervalMs))) {
    throw new RangeError(`meanIntervalMs must be a positive number, got ${meanIntervalMs}`);
  }
  const accounts = options.accounts ?? GENERATOR_DEFAULTS.accounts;
  if (!Number.isSafeInteger(accounts) || accounts < 100)
    throw new RangeError(`accounts must be an integer >= 100, got ${accounts}`);
  const channels = CHANNELS.filter((channel) => (options.channels ?? CHANNELS).includes(channel));
  if (channels.length === 0) throw new RangeError(`channels must include one of ${CHANNELS.join(', ')}`);
  return { seed, count, fraudRate, startMs, meanIntervalMs, accounts, channels };
}

/** Deterministic transaction id of the n-th record (1-based) of a seed's stream. */
export function generatedTransactionId(seed: number, n: number): string {
  return `gen-${seed}-${n}`;
}

/**
 * Yields `count` records in timestamp order. Arrivals are a Poisson process on a simulated
 * clock; at each arrival either ordinary traffic or, while fraud is below `fraudRate`, the next
 * fraud episode starts. Episodes schedule later steps, which interleave with later arrivals.
 */
export function* generateTransactions(
  options: GeneratorOptions = {},
): Generator<GeneratedRecord, void, undefined> {
  const config = resolveGeneratorOptions(options);
  const root = new Rng(config.seed);
  // Separate streams: the cast does not change when traffic logic draws more or fewer numbers.
  const population = new Population(root.fork(1), {
    customers: config.accounts,
    cards: Math.floor(config.accounts / 2),
    startMs: config.startMs,
    channels: config.channels,
  });
  const rng = root.fork(2);
  const simulation = { rng, population, channels: config.channels };
  const legitimate = new LegitimateTraffic(simulation);
  const typologies = new TypologyDeck(simulation);
  const queue = new EventQueue();

  let clockMs = config.startMs;
  let scheduled = 0;
  let scheduledFraud = 0;
  let emitted = 0;
  // A random slack before each episode keeps episodes from starting on a fixed beat.
  let fraudSlack = rng.next() * 3;

  for (;;) {
    const arrivalsOpen = scheduled < config.count;
    if (arrivalsOpen) {
      if (emitted > 0 || scheduled > 0) clockMs += Math.round(rng.exponential(config.meanIntervalMs));
      const owed = config.fraudRate * (scheduled + 1) - scheduledFraud;
      const episode = owed > fraudSlack ? typologies.plan(clockMs, config.count - scheduled) : undefined;
      if (episode) fraudSlack = rng.next() * 3;
      for (const step of episode ?? [legitimate.schedule(clockMs)]) {
        queue.push(step);
        scheduled++;
        if (step.fraud) scheduledFraud++;
      }
    } else if (queue.size === 0) {
      return;
    }
    // Later arrivals happen at or after clockMs, so everything due by then is final.
    const horizon = arrivalsOpen ? clockMs : Infinity;
    for (let next = queue.peek(); next && next.atMs <= horizon; next = queue.peek()) {
      queue.pop();
      emitted++;
      yield next.build({ transaction_id: generatedTransactionId(config.seed, emitted), atMs: next.atMs });
    }
  }
}
