import { readFileSync } from 'node:fs';
import { compile, toScaled, transactionSchema } from '@vigil/contracts';
import { parse } from 'yaml';
import { normalize } from '../../submission/normalize.js';
import { CardTokenizer } from '../../tokenization/card-tokenizer.js';
import { isLuhnValid } from '../luhn.js';
import { MARKETS } from '../markets.js';
import {
  CARD_FRAUD_TYPOLOGIES,
  CardTransactionSimulator,
  generateCardTransactions,
  type CardGeneratorOptions,
  type CardTransactionRecord,
} from './index.js';

const DAY_MS = 86_400_000;
const generate = (options: CardGeneratorOptions) => [...generateCardTransactions(options)];

/** Runs a simulation to the end, keeping the simulator for its population and compromise log. */
function simulate(options: CardGeneratorOptions) {
  const simulator = new CardTransactionSimulator(options);
  const records = [...simulator.records()];
  const dayOf = (record: CardTransactionRecord) =>
    Math.floor((Date.parse(record.timestamp) - simulator.options.startMs) / DAY_MS);
  return { simulator, records, dayOf };
}

const fraudShare = (records: readonly CardTransactionRecord[], typology?: string) =>
  records.filter((r) => r.labels.is_fraud && (typology === undefined || r.labels.typology === typology))
    .length / records.length;

/** What ingest does before publishing: the card number becomes a token and last4, then the record is normalised. */
const tokenizer = new CardTokenizer('card-generator-spec-key');
function ingested(record: CardTransactionRecord): unknown {
  const normalized = normalize(tokenizer.scrub({ ...record }), {
    source: 'api',
    paysimCurrency: 'USD',
    paysimRegion: 'US',
    paysimEpochMs: 0,
  });
  if (!normalized.ok) throw new Error(`${record.transaction_id}: ${JSON.stringify(normalized.reasons)}`);
  return normalized.record;
}

const defaultRules = parse(
  readFileSync(new URL('../../../../validator/rules/default.yaml', import.meta.url), 'utf8'),
) as { reference_sets: { currencies_by_region: Record<string, string[]> } };

// A fifth of the Handbook's population over six weeks: past the 28-day ramp-up of compromised terminals.
const SMALL = { customers: 1_000, terminals: 2_000 } as const;
const handbookMix = simulate({
  ...SMALL,
  seed: 3,
  days: 42,
  cardTestingBurstsPerDay: 0,
  crossBorderFraudPerDay: 0,
  travelShare: 0,
});
// Three weeks with every typology, several times their default rates so each shows up often.
const allTypologies = simulate({
  ...SMALL,
  seed: 5,
  days: 21,
  cardTestingBurstsPerDay: 1,
  crossBorderFraudPerDay: 2,
  travelShare: 0.01,
});

describe('generateCardTransactions', () => {
  it('yields identical records for the same seed and different ones for another seed', () => {
    const options = { customers: 300, terminals: 600, days: 5 };
    const first = generate({ ...options, seed: 42 });
    expect(first.length).toBeGreaterThan(1_000);
    expect(generate({ ...options, seed: 42 })).toEqual(first);
    expect(JSON.stringify(generate({ ...options, seed: 43 }))).not.toEqual(JSON.stringify(first));
  });

  it('emits sequential ids and non-decreasing RFC 3339 timestamps inside the simulated days', () => {
    const { records, dayOf } = allTypologies;
    expect(records.map((r) => r.transaction_id)).toEqual(records.map((_, i) => `card-5-${i + 1}`));
    expect(records[0]!.timestamp).toMatch(/^2018-04-01T\d\d:\d\d:\d\d\.000Z$/);
    expect(records.filter((r, i) => i > 0 && r.timestamp < records[i - 1]!.timestamp)).toEqual([]);
    expect(new Set(records.map(dayOf))).toEqual(new Set(Array.from({ length: 21 }, (_, day) => day)));
    expect(generate({ days: 0 })).toEqual([]);
    expect(generate({ ...SMALL, days: 3, maxRecords: 100 })).toHaveLength(100);
  });

  it('follows the Handbook profiles: about 10,000 transactions a day per 5,000 customers, times around noon', () => {
    const { records, simulator } = handbookMix;
    const perDayPer5000 = (records.length / 42) * (5_000 / SMALL.customers);
    expect(perDayPer5000).toBeGreaterThan(9_000);
    expect(perDayPer5000).toBeLessThan(10_500);
    const hours = records.map(
      (r) => new Date(r.timestamp).getUTCHours() + new Date(r.timestamp).getUTCMinutes() / 60,
    );
    const meanHour = hours.reduce((sum, h) => sum + h, 0) / hours.length;
    expect(Math.abs(meanHour - 12)).toBeLessThan(0.2);
    // Every ordinary payment is at a terminal within the customer's reach.
    const customers = new Map(simulator.population.customers.map((c) => [c.accountId, c]));
    const terminals = new Map(simulator.population.terminals.map((t) => [t.id, t]));
    const strays = records.filter((r) => {
      const customer = customers.get(r.origin.account)!;
      const terminal = terminals.get(r.merchant.id)!;
      return Math.hypot(customer.x - terminal.x!, customer.y - terminal.y!) >= simulator.options.radius;
    });
    expect(strays).toEqual([]);
  });

  it('produces valid card payments: Luhn-valid PAN, currency allowed in the region, schema-conforming once ingest has tokenised and normalised them', () => {
    const validate = compile(transactionSchema);
    const allowed = defaultRules.reference_sets.currencies_by_region;
    const problems: string[] = [];
    for (const record of allTypologies.records) {
      const id = record.transaction_id;
      if (!/^\d{16}$/.test(record.card.number) || !isLuhnValid(record.card.number))
        problems.push(`${id}: PAN`);
      if (!allowed[record.region]?.includes(record.currency))
        problems.push(`${id}: ${record.region}/${record.currency}`);
      if (record.merchant.country !== record.region) problems.push(`${id}: merchant country`);
      if (!(toScaled(record.amount) > 0n)) problems.push(`${id}: amount ${record.amount}`);
      if (record.origin.account === record.destination.account) problems.push(`${id}: same parties`);
      if ((record.labels.typology !== undefined) !== record.labels.is_fraud) problems.push(`${id}: labels`);
      if (!validate(ingested(record))) problems.push(`${id}: ${JSON.stringify(validate.reasons())}`);
    }
    expect(problems).toEqual([]);
    expect(new Set(allTypologies.records.map((r) => r.labels.typology).filter(Boolean))).toEqual(
      new Set(CARD_FRAUD_TYPOLOGIES),
    );
  });

  it('reaches the Handbook fraud share (0.8%) once compromised terminals have ramped up, scenario by scenario', () => {
    const { records, dayOf } = handbookMix;
    const steady = records.filter((r) => dayOf(r) >= 28);
    // Handbook at steady state: 2 of 10,000 terminals a day for 28 days, 3 of 5,000 cards a day for 14
    // days with a third of their payments, and the few amounts above 220 (978 of 1.75 million).
    expect(fraudShare(steady)).toBeGreaterThan(0.006);
    expect(fraudShare(steady)).toBeLessThan(0.012);
    expect(fraudShare(steady, 'compromised_terminal')).toBeGreaterThan(0.0035);
    expect(fraudShare(steady, 'compromised_terminal')).toBeLessThan(0.008);
    expect(fraudShare(steady, 'compromised_card')).toBeGreaterThan(0.0015);
    expect(fraudShare(steady, 'compromised_card')).toBeLessThan(0.004);
    expect(fraudShare(records, 'amount_outlier')).toBeGreaterThan(0.0003);
    expect(fraudShare(records, 'amount_outlier')).toBeLessThan(0.001);
    // During the first three weeks fraud is still ramping up, as the Handbook notes for its first month.
    const firstWeeks = records.filter((r) => dayOf(r) < 21);
    expect(fraudShare(firstWeeks)).toBeLessThan(fraudShare(steady));
    expect(fraudShare(firstWeeks)).toBeGreaterThan(0.003);
  });

  it('makes every transaction at a compromised terminal fraud for its 28 days, and none outside them', () => {
    const { records, simulator, dayOf } = handbookMix;
    const windows = Map.groupBy(
      simulator.compromises.filter((c) => c.kind === 'terminal'),
      (c) => c.id,
    );
    expect(windows.size).toBeGreaterThan(10);
    const inWindow = (record: CardTransactionRecord) =>
      (windows.get(record.merchant.id) ?? []).some(
        (w) => dayOf(record) >= w.fromDay && dayOf(record) < w.untilDay,
      );
    for (const w of windows.values()) for (const c of w) expect(c.untilDay - c.fromDay).toBe(28);
    const covered = records.filter(inWindow);
    expect(covered.length).toBeGreaterThan(200);
    expect(covered.filter((r) => !r.labels.is_fraud)).toEqual([]);
    expect(records.filter((r) => r.labels.typology === 'compromised_terminal' && !inWindow(r))).toEqual([]);
  });

  it("has the fraudster make a third of a compromised card's payments for 14 days, at five times the amount", () => {
    const { records, simulator, dayOf } = handbookMix;
    const windows = Map.groupBy(
      simulator.compromises.filter((c) => c.kind === 'card'),
      (c) => c.id,
    );
    const inWindow = (record: CardTransactionRecord) =>
      (windows.get(record.origin.account) ?? []).some(
        (w) => dayOf(record) >= w.fromDay && dayOf(record) < w.untilDay,
      );
    const covered = records.filter(inWindow);
    const taken = covered.filter((r) => r.labels.typology === 'compromised_card');
    expect(taken.length / covered.length).toBeGreaterThan(0.28);
    expect(taken.length / covered.length).toBeLessThan(0.39);
    expect(records.filter((r) => r.labels.typology === 'compromised_card' && !inWindow(r))).toEqual([]);
    // Five times a draw around the customer's mean: well above what the same cards usually spend.
    const customers = new Map(simulator.population.customers.map((c) => [c.accountId, c]));
    const ratio = (r: CardTransactionRecord) =>
      Number(r.amount) / customers.get(r.origin.account)!.meanAmount;
    const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    expect(median(taken.map(ratio))).toBeGreaterThan(3.5);
    expect(median(covered.filter((r) => !r.labels.is_fraud).map(ratio))).toBeLessThan(1.3);
  });

  it('shapes card testing as bursts of tiny payments on one card at one terminal, and cross-border fraud abroad', () => {
    const { records, simulator } = allTypologies;
    const home = simulator.options.country;
    const bursts = Map.groupBy(
      records.filter((r) => r.labels.typology === 'card_testing'),
      (r) => `${r.card.number}/${r.merchant.id}/${r.timestamp.slice(0, 10)}`,
    );
    expect(bursts.size).toBeGreaterThan(10);
    for (const probes of bursts.values()) {
      expect(probes.length).toBeGreaterThanOrEqual(5);
      const minutes = (Date.parse(probes.at(-1)!.timestamp) - Date.parse(probes[0]!.timestamp)) / 60_000;
      expect(minutes).toBeLessThan(25);
      for (const probe of probes) expect(Number(probe.amount)).toBeLessThanOrEqual(2);
    }
    const crossBorder = records.filter((r) => r.labels.typology === 'cross_border');
    expect(crossBorder.length).toBeGreaterThan(20);
    expect(crossBorder.filter((r) => r.region === home)).toEqual([]);
    for (const r of crossBorder) expect(r.currency).toBe(MARKETS[r.region].currency);
    // Customers travel too, so a foreign terminal alone does not mean fraud.
    expect(records.filter((r) => r.region !== home && !r.labels.is_fraud).length).toBeGreaterThan(100);
  });

  it("prices amounts in the grid country's currency and scales the 220 threshold with it", () => {
    const records = generate({ customers: 500, terminals: 1_000, days: 14, country: 'NG', seed: 9 });
    const home = records.filter((r) => r.region === 'NG');
    expect(home.length / records.length).toBeGreaterThan(0.99);
    expect(new Set(home.map((r) => r.currency))).toEqual(new Set(['NGN']));
    const outliers = home.filter((r) => r.labels.typology === 'amount_outlier');
    expect(outliers.every((r) => toScaled(r.amount) > toScaled('330000'))).toBe(true);
    expect(home.filter((r) => !r.labels.is_fraud && toScaled(r.amount) > toScaled('330000'))).toEqual([]);
  });

  it('turns the Handbook scenarios off with zero rates and an infinite threshold', () => {
    const records = generate({
      ...SMALL,
      days: 10,
      amountThreshold: Infinity,
      compromisedTerminalsPerDay: 0,
      compromisedCardsPerDay: 0,
      cardTestingBurstsPerDay: 0,
      crossBorderFraudPerDay: 0,
    });
    expect(records.length).toBeGreaterThan(10_000);
    expect(records.some((r) => r.labels.is_fraud)).toBe(false);
  });

  it('refuses options it cannot honour, naming them', () => {
    expect(() => generate({ customers: 0 })).toThrow(/customers/);
    expect(() => generate({ radius: -1 })).toThrow(/radius/);
    expect(() => generate({ days: 1.5 })).toThrow(/days/);
    expect(() => generate({ compromisedCardShare: 2 })).toThrow(/compromisedCardShare/);
    expect(() => generate({ startTime: 'yesterday' })).toThrow(/startTime/);
    expect(() => generate({ country: 'FR' as never })).toThrow(/country/);
  });
});
