// Options of the card-transaction generator, with the Fraud Detection Handbook's values as defaults
// (Le Borgne et al., "Reproducible Machine Learning for Credit Card Fraud Detection - Practical
// Handbook", chapter 3, "Simulated dataset"). Rates of the two typologies the Handbook does not have
// (card testing, cross-border) are ours.
import { MARKET_REGIONS, type MarketRegion } from '../markets.js';

export interface CardGeneratorOptions {
  /** Same seed and options give identical records. Non-negative safe integer; default 42. */
  seed?: number;
  /** Simulated days; Infinity for an endless stream. Handbook: 183. */
  days?: number;
  /** Handbook: 5,000 customers on a 100 x 100 grid. */
  customers?: number;
  /** Handbook: 10,000 terminals on the same grid. */
  terminals?: number;
  /** A customer pays at the terminals within this distance of home. Handbook: 5 (about 80 terminals each). */
  radius?: number;
  /** Start of day 0 (times of day count from it): Date, RFC 3339 text or epoch ms. Handbook: 2018-04-01. */
  startTime?: Date | string | number;
  /** Stop after this many records (the last day is cut short); default no limit. */
  maxRecords?: number;
  /** Country of the grid: its currency prices every home transaction. Default US (the Handbook has none). */
  country?: MarketRegion;

  /** Scenario 1: an amount above this, in Handbook units, is fraud. Handbook: 220; Infinity turns it off. */
  amountThreshold?: number;
  /** Scenario 2: terminals compromised each day (fractions carry over as a chance). Handbook: 2 per 10,000 terminals. */
  compromisedTerminalsPerDay?: number;
  /** Scenario 2: days a compromised terminal stays fraudulent, the day it is drawn included. Handbook: 28. */
  terminalCompromiseDays?: number;
  /** Scenario 3: cards (customers) compromised each day. Handbook: 3 per 5,000 customers. */
  compromisedCardsPerDay?: number;
  /** Scenario 3: days a card stays compromised. Handbook: 14. */
  cardCompromiseDays?: number;
  /** Scenario 3: share of a compromised card's transactions the fraudster makes. Handbook: 1/3. */
  compromisedCardShare?: number;
  /** Scenario 3: the fraudster's amount is the customer's draw times this. Handbook: 5. */
  compromisedCardAmountFactor?: number;

  /** Card-testing bursts a day: tiny payments on one card at one terminal. Default 0.5 per 5,000 customers. */
  cardTestingBurstsPerDay?: number;
  /** Cards used abroad by a fraudster each day. Default 1 per 5,000 customers. */
  crossBorderFraudPerDay?: number;
  /** Share of ordinary payments made abroad by the customers themselves (travel). Default 0.002. */
  travelShare?: number;
}

export type ResolvedCardGeneratorOptions = Required<
  Omit<CardGeneratorOptions, 'startTime' | 'maxRecords'>
> & { startMs: number; maxRecords: number };

/** Where the default rates come from: the Handbook's counts at its own population size. */
export const HANDBOOK = {
  customers: 5_000,
  terminals: 10_000,
  days: 183,
  radius: 5,
  startTime: '2018-04-01T00:00:00Z',
  amountThreshold: 220,
  compromisedTerminalsPerDay: 2,
  terminalCompromiseDays: 28,
  compromisedCardsPerDay: 3,
  cardCompromiseDays: 14,
  compromisedCardShare: 1 / 3,
  compromisedCardAmountFactor: 5,
  /** Customer profile draws. */
  meanAmountRange: [5, 100],
  meanTransactionsPerDayRange: [0, 4],
  /** Time of day: normal around noon with this standard deviation in seconds; draws outside the day are dropped. */
  timeOfDayStdSeconds: 20_000,
  gridSize: 100,
} as const;

export const CARD_GENERATOR_DEFAULTS = {
  seed: 42,
  country: 'US' as MarketRegion,
  cardTestingBurstsPerCustomer: 0.5 / HANDBOOK.customers,
  crossBorderFraudPerCustomer: 1 / HANDBOOK.customers,
  travelShare: 0.002,
} as const;

function check(name: string, value: number, ok: boolean, expected: string): number {
  if (!ok) throw new RangeError(`${name} must be ${expected}, got ${value}`);
  return value;
}

const isCount = (value: number, min: number) => Number.isSafeInteger(value) && value >= min;
const isRate = (value: number) => Number.isFinite(value) && value >= 0;
const positive = (name: string, value: number) =>
  check(name, value, Number.isFinite(value) && value > 0, 'a positive number');

/** Checks and fills in options; throws RangeError naming the bad option. */
export function resolveCardGeneratorOptions(
  options: CardGeneratorOptions = {},
): ResolvedCardGeneratorOptions {
  const seed = options.seed ?? CARD_GENERATOR_DEFAULTS.seed;
  check('seed', seed, isCount(seed, 0), 'a non-negative integer');
  const days = options.days ?? HANDBOOK.days;
  check('days', days, days === Infinity || isCount(days, 0), 'a non-negative integer');
  const customers = options.customers ?? HANDBOOK.customers;
  check(
    'customers',
    customers,
    isCount(customers, 1) && customers <= 1_000_000,
    'an integer from 1 to 1000000',
  );
  const terminals = options.terminals ?? HANDBOOK.terminals;
  check(
    'terminals',
    terminals,
    isCount(terminals, 1) && terminals <= 1_000_000,
    'an integer from 1 to 1000000',
  );
  const radius = positive('radius', options.radius ?? HANDBOOK.radius);
  const start = options.startTime ?? HANDBOOK.startTime;
  const startMs =
    start instanceof Date ? start.getTime() : typeof start === 'number' ? start : Date.parse(start);
  if (!Number.isFinite(startMs)) throw new RangeError(`startTime is not a valid time: ${String(start)}`);
  const maxRecords = options.maxRecords ?? Infinity;
  check(
    'maxRecords',
    maxRecords,
    maxRecords === Infinity || isCount(maxRecords, 0),
    'a non-negative integer',
  );
  const country = options.country ?? CARD_GENERATOR_DEFAULTS.country;
  if (!MARKET_REGIONS.includes(country))
    throw new RangeError(`country must be one of ${MARKET_REGIONS.join(', ')}, got ${String(country)}`);

  const amountThreshold = options.amountThreshold ?? HANDBOOK.amountThreshold;
  check('amountThreshold', amountThreshold, amountThreshold > 0, 'a positive number (Infinity turns it off)');
  const rate = (name: keyof CardGeneratorOptions, value: number | undefined, fallback: number) => {
    const resolved = value ?? fallback;
    return check(name, resolved, isRate(resolved), 'a non-negative number');
  };
  const span = (name: keyof CardGeneratorOptions, value: number | undefined, fallback: number) => {
    const resolved = value ?? fallback;
    return check(name, resolved, isCount(resolved, 1), 'a positive integer');
  };
  const share = (name: keyof CardGeneratorOptions, value: number | undefined, fallback: number) => {
    const resolved = value ?? fallback;
    return check(name, resolved, resolved >= 0 && resolved <= 1, 'between 0 and 1');
  };
  return {
    seed,
    days,
    customers,
    terminals,
    radius,
    startMs,
    maxRecords,
    country,
    amountThreshold,
    compromisedTerminalsPerDay: rate(
      'compromisedTerminalsPerDay',
      options.compromisedTerminalsPerDay,
      (HANDBOOK.compromisedTerminalsPerDay * terminals) / HANDBOOK.terminals,
    ),
    terminalCompromiseDays: span(
      'terminalCompromiseDays',
      options.terminalCompromiseDays,
      HANDBOOK.terminalCompromiseDays,
    ),
    compromisedCardsPerDay: rate(
      'compromisedCardsPerDay',
      options.compromisedCardsPerDay,
      (HANDBOOK.compromisedCardsPerDay * customers) / HANDBOOK.customers,
    ),
    cardCompromiseDays: span('cardCompromiseDays', options.cardCompromiseDays, HANDBOOK.cardCompromiseDays),
    compromisedCardShare: share(
      'compromisedCardShare',
      options.compromisedCardShare,
      HANDBOOK.compromisedCardShare,
    ),
    compromisedCardAmountFactor: positive(
      'compromisedCardAmountFactor',
      options.compromisedCardAmountFactor ?? HANDBOOK.compromisedCardAmountFactor,
    ),
    cardTestingBurstsPerDay: rate(
      'cardTestingBurstsPerDay',
      options.cardTestingBurstsPerDay,
      CARD_GENERATOR_DEFAULTS.cardTestingBurstsPerCustomer * customers,
    ),
    crossBorderFraudPerDay: rate(
      'crossBorderFraudPerDay',
      options.crossBorderFraudPerDay,
      CARD_GENERATOR_DEFAULTS.crossBorderFraudPerCustomer * customers,
    ),
    travelShare: share('travelShare', options.travelShare, CARD_GENERATOR_DEFAULTS.travelShare),
  };
}
