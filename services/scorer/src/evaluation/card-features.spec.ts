import { cardFeatures, CARD_FEATURE_NAMES, type CardPayment } from './card-features.js';
import { splitByDays } from './card-evaluation.js';
import { cardPrecisionAtK } from './metrics.js';

const DAY = 86_400_000;
const START = Date.parse('2018-04-02T00:00:00Z'); // a Monday

/** A payment factory with sensible defaults. */
function newPayment(overrides: Partial<CardPayment> & { day?: number; hour?: number } = {}): CardPayment {
  const { day = 0, hour = 12, ...rest } = overrides;
  return {
    id: 'p',
    atMs: START + day * DAY + hour * 3_600_000,
    amount: 10,
    card: 'C1',
    terminal: 'T1',
    isFraud: false,
    ...rest,
  };
}

const feature = (x: Float64Array, name: (typeof CARD_FEATURE_NAMES)[number]) =>
  x[CARD_FEATURE_NAMES.indexOf(name)];

describe('card features', () => {
  it("counts a customer's payments and mean amount over windows that include the payment itself", () => {
    const xs = cardFeatures(
      [
        newPayment({ day: 0, amount: 10 }),
        newPayment({ day: 5, amount: 20 }),
        newPayment({ day: 5, hour: 13, amount: 60 }),
        newPayment({ day: 5, hour: 14, amount: 1, card: 'C2' }),
      ],
      { delayDays: 7 },
    );
    expect(feature(xs[2]!, 'customer_count_1d')).toBe(2);
    expect(feature(xs[2]!, 'customer_mean_amount_1d')).toBe(40);
    expect(feature(xs[2]!, 'customer_count_7d')).toBe(3);
    expect(feature(xs[2]!, 'customer_mean_amount_30d')).toBe(30);
    expect(feature(xs[3]!, 'customer_count_30d')).toBe(1);
  });

  it("counts a terminal's fraud only once its label is known, after the delay", () => {
    const payments = [
      newPayment({ day: 0, isFraud: true, card: 'A' }),
      newPayment({ day: 1, card: 'B' }),
      newPayment({ day: 6, card: 'C' }), // the fraud on day 0 is not yet known
      newPayment({ day: 7, hour: 13, card: 'D' }), // now day 0 is known, day 1 not yet
      newPayment({ day: 8, hour: 13, card: 'E' }),
    ];
    const xs = cardFeatures(payments, { delayDays: 7 });
    expect(feature(xs[2]!, 'terminal_count_30d_delayed')).toBe(0);
    expect(feature(xs[2]!, 'terminal_risk_30d_delayed')).toBe(0);
    expect(feature(xs[3]!, 'terminal_count_30d_delayed')).toBe(1);
    expect(feature(xs[3]!, 'terminal_risk_30d_delayed')).toBe(1);
    expect(feature(xs[4]!, 'terminal_count_30d_delayed')).toBe(2);
    expect(feature(xs[4]!, 'terminal_risk_30d_delayed')).toBe(0.5);
    // the 1-day window (t - 8 d, t - 7 d] at day 8 13:00 holds only day 1's payment
    expect(feature(xs[4]!, 'terminal_count_1d_delayed')).toBe(1);
    expect(feature(xs[4]!, 'terminal_risk_1d_delayed')).toBe(0);
  });

  it('marks weekend and night (up to 06:59) payments and refuses a stream out of time order', () => {
    const xs = cardFeatures([newPayment({ day: 5, hour: 6 }), newPayment({ day: 5, hour: 7 })], {
      delayDays: 7,
    });
    expect([feature(xs[0]!, 'during_weekend'), feature(xs[0]!, 'during_night')]).toEqual([1, 1]);
    expect(feature(xs[1]!, 'during_night')).toBe(0);
    expect(() => cardFeatures([newPayment({ day: 1 }), newPayment({ day: 0 })], { delayDays: 7 })).toThrow(
      /earlier/,
    );
  });
});

describe('card protocol and card precision', () => {
  it('splits train, delay and test days and leaves out cards whose fraud is known by each test day', () => {
    const payments = [
      newPayment({ day: 0, card: 'A', isFraud: true }),
      newPayment({ day: 1, card: 'B' }),
      newPayment({ day: 2, card: 'B', isFraud: true }), // delay day: known from test day 2 + 1 + 1 = 4
      newPayment({ day: 3, card: 'A' }), // known compromised since training: removed
      newPayment({ day: 3, card: 'B' }), // not yet known on day 3: kept
      newPayment({ day: 4, card: 'B' }), // known by day 4: removed
      newPayment({ day: 4, card: 'C' }),
    ];
    const split = splitByDays(payments, { trainDays: 2, delayDays: 1, testDays: 2, topK: 1, startDay: 0 });
    expect(split.train).toEqual([0, 1]);
    expect(split.test).toEqual([4, 6]);
    expect(split.removedKnownCards).toBe(2);
  });

  it("takes each card's highest score a day, and leaves out of later days the fraudulent cards already caught", () => {
    const scored = [
      { day: 0, card: 'A', score: 0.9, isFraud: true },
      { day: 0, card: 'B', score: 0.2, isFraud: false },
      { day: 0, card: 'B', score: 0.95, isFraud: false },
      { day: 1, card: 'A', score: 0.99, isFraud: true },
      { day: 1, card: 'C', score: 0.5, isFraud: true },
    ];
    const cp = cardPrecisionAtK(scored, 1);
    // day 0: B (0.95) outranks A; day 1: A was not caught, so it counts and is caught
    expect(cp.perDay.map((d) => d.precision)).toEqual([0, 1]);
    expect(cardPrecisionAtK(scored, 2).perDay.map((d) => d.precision)).toEqual([0.5, 0.5]);
    // with k = 2, A is caught on day 0, so on day 1 only C is left to find
    expect(cardPrecisionAtK(scored, 2).perDay[1]!.fraudCards).toBe(1);
    expect(cp.mean).toBe(0.5);
  });
});
