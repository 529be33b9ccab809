import { compile, toScaled, transactionSchema } from '@vigil/contracts';
import fc from 'fast-check';
import { MARKET_REGIONS, MARKETS } from '../markets.js';
import {
  CardTransactionSimulator,
  resolveCardGeneratorOptions,
  type CardGeneratorOptions,
  type CardTransactionRecord,
} from './index.js';

const DAY_MS = 86_400_000;
const validate = compile(transactionSchema);

/** Small populations over a few days, anywhere in the accepted ranges. */
const smallOptions: fc.Arbitrary<CardGeneratorOptions> = fc.record({
  seed: fc.nat(),
  days: fc.integer({ min: 0, max: 3 }),
  customers: fc.integer({ min: 1, max: 60 }),
  terminals: fc.integer({ min: 1, max: 120 }),
  radius: fc.double({ min: 0.5, max: 150, noNaN: true }),
  country: fc.constantFrom(...MARKET_REGIONS),
  amountThreshold: fc.oneof(fc.double({ min: 1, max: 400, noNaN: true }), fc.constant(Infinity)),
  compromisedTerminalsPerDay: fc.double({ min: 0, max: 5, noNaN: true }),
  terminalCompromiseDays: fc.integer({ min: 1, max: 40 }),
  compromisedCardsPerDay: fc.double({ min: 0, max: 5, noNaN: true }),
  cardCompromiseDays: fc.integer({ min: 1, max: 20 }),
  compromisedCardShare: fc.double({ min: 0, max: 1, noNaN: true }),
  compromisedCardAmountFactor: fc.double({ min: 0.5, max: 10, noNaN: true }),
  cardTestingBurstsPerDay: fc.double({ min: 0, max: 3, noNaN: true }),
  crossBorderFraudPerDay: fc.double({ min: 0, max: 3, noNaN: true }),
  travelShare: fc.double({ min: 0, max: 1, noNaN: true }),
});

function tokenised({ card, ...record }: CardTransactionRecord) {
  return { ...record, card: { token: `tok_${'f'.repeat(32)}`, last4: card.number.slice(-4) } };
}

describe('card generator options', () => {
  it('give valid, in-range, consistently labelled records for any accepted options', () => {
    fc.assert(
      fc.property(smallOptions, (options) => {
        const simulator = new CardTransactionSimulator(options);
        const { startMs, days, radius, country } = simulator.options;
        const customers = new Map(simulator.population.customers.map((c) => [c.accountId, c]));
        const terminals = new Map(simulator.population.terminals.map((t) => [t.id, t]));
        for (const record of simulator.records()) {
          const atMs = Date.parse(record.timestamp);
          expect(atMs).toBeGreaterThanOrEqual(startMs);
          expect(atMs).toBeLessThan(startMs + days * DAY_MS);
          expect(record.currency).toBe(MARKETS[record.region].currency);
          expect(toScaled(record.amount) > 0n).toBe(true);
          expect(record.labels.is_fraud).toBe(record.labels.typology !== undefined);
          if (!validate(tokenised(record))) throw new Error(JSON.stringify(validate.reasons()));
          // At home, everything but a card-testing probe happens within the customer's reach.
          const terminal = terminals.get(record.merchant.id)!;
          if (record.region === country && record.labels.typology !== 'card_testing') {
            const customer = customers.get(record.origin.account)!;
            expect(Math.hypot(customer.x - terminal.x!, customer.y - terminal.y!)).toBeLessThan(radius);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('find exactly the terminals within the radius, as a scan of every terminal would', () => {
    fc.assert(
      fc.property(smallOptions, (options) => {
        const { population, options: resolved } = new CardTransactionSimulator({ ...options, days: 0 });
        const home = population.terminals.slice(0, population.homeTerminalCount);
        for (const customer of population.customers) {
          const scanned = home
            .filter((t) => Math.hypot(t.x! - customer.x, t.y! - customer.y) < resolved.radius)
            .map((t) => t.index);
          expect(customer.nearbyTerminals).toEqual(scanned);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('are deterministic: the same options give the same records', () => {
    fc.assert(
      fc.property(smallOptions, (options) => {
        const first = [...new CardTransactionSimulator(options).records()];
        expect([...new CardTransactionSimulator(options).records()]).toEqual(first);
      }),
      { numRuns: 30 },
    );
  });

  it('are refused outside their ranges with a RangeError naming the option', () => {
    const invalid = fc.oneof(
      fc.record({
        name: fc.constant('customers'),
        value: fc.oneof(fc.integer({ max: 0 }), fc.double({ min: 1.1, max: 9.9, noInteger: true })),
      }),
      fc.record({ name: fc.constant('terminals'), value: fc.integer({ max: 0 }) }),
      fc.record({ name: fc.constant('days'), value: fc.oneof(fc.integer({ max: -1 }), fc.constant(NaN)) }),
      fc.record({
        name: fc.constant('radius'),
        value: fc.oneof(fc.double({ max: 0 }), fc.constant(Infinity)),
      }),
      fc.record({ name: fc.constant('compromisedTerminalsPerDay'), value: fc.double({ max: -0.001 }) }),
      fc.record({ name: fc.constant('compromisedCardShare'), value: fc.double({ min: 1.001, max: 1e6 }) }),
      fc.record({ name: fc.constant('terminalCompromiseDays'), value: fc.integer({ max: 0 }) }),
      fc.record({ name: fc.constant('travelShare'), value: fc.double({ max: -0.001 }) }),
      fc.record({ name: fc.constant('seed'), value: fc.integer({ max: -1 }) }),
    );
    fc.assert(
      fc.property(invalid, ({ name, value }) => {
        expect(() => resolveCardGeneratorOptions({ [name]: value })).toThrow(RangeError);
        expect(() => resolveCardGeneratorOptions({ [name]: value })).toThrow(new RegExp(`^${name} `));
      }),
    );
  });

  it('default to the Handbook, with compromise counts scaled to the population', () => {
    const handbook = resolveCardGeneratorOptions();
    expect(handbook).toMatchObject({
      customers: 5_000,
      terminals: 10_000,
      days: 183,
      radius: 5,
      amountThreshold: 220,
      compromisedTerminalsPerDay: 2,
      terminalCompromiseDays: 28,
      compromisedCardsPerDay: 3,
      cardCompromiseDays: 14,
      compromisedCardShare: 1 / 3,
      compromisedCardAmountFactor: 5,
      startMs: Date.parse('2018-04-01T00:00:00Z'),
    });
    expect(resolveCardGeneratorOptions({ customers: 1_000, terminals: 2_000 })).toMatchObject({
      compromisedTerminalsPerDay: 0.4,
      compromisedCardsPerDay: 0.6,
    });
  });
});
