import { compile, toScaled, transactionSchema } from '@vigil/contracts';
import {
  distanceKm,
  FRAUD_TYPOLOGIES,
  generateTransactions,
  isLuhnValid,
  type GeneratedRecord,
  type GeneratorOptions,
} from './index.js';

const MONEY = /^\d+(\.\d{1,4})?$/;
const generate = (options: GeneratorOptions) => [...generateTransactions(options)];

// One larger stream shared by the property checks below; generating it takes a fraction of a second.
const stream = generate({ seed: 7, count: 20_000, fraudRate: 0.05 });
const byTypology = (typology: string) => stream.filter((r) => r.labels.typology === typology);
const minutes = (a: GeneratedRecord, b: GeneratedRecord) =>
  Math.abs(Date.parse(b.timestamp) - Date.parse(a.timestamp)) / 60_000;

describe('generateTransactions', () => {
  it('yields identical records for the same seed and different ones for another seed', () => {
    const first = generate({ seed: 42, count: 3_000 });
    expect(generate({ seed: 42, count: 3_000 })).toEqual(first);
    const other = generate({ seed: 43, count: 3_000 });
    expect(other).toHaveLength(3_000);
    expect(JSON.stringify(other)).not.toEqual(JSON.stringify(first));
  });

  it('emits exactly count records with sequential ids and non-decreasing RFC 3339 timestamps from startTime', () => {
    const records = generate({ seed: 3, count: 1_500, startTime: '2024-06-01T08:00:00Z' });
    expect(records.map((r) => r.transaction_id)).toEqual(records.map((_, i) => `gen-3-${i + 1}`));
    expect(records[0]!.timestamp).toBe('2024-06-01T08:00:00.000Z');
    expect(records.filter((r, i) => i > 0 && r.timestamp < records[i - 1]!.timestamp)).toEqual([]);
    expect(generate({ seed: 3, count: 0 })).toEqual([]);
  });

  it('labels every typology, and fraud at roughly the requested rate', () => {
    const fraud = stream.filter((r) => r.labels.is_fraud);
    expect(fraud.length / stream.length).toBeGreaterThan(0.04);
    expect(fraud.length / stream.length).toBeLessThan(0.06);
    for (const typology of FRAUD_TYPOLOGIES) expect(byTypology(typology).length).toBeGreaterThan(0);
    // A typology is present exactly on fraud records.
    expect(stream.filter((r) => (r.labels.typology !== undefined) !== r.labels.is_fraud)).toEqual([]);

    const low = generate({ seed: 11, count: 20_000, fraudRate: 0.01 });
    const lowRate = low.filter((r) => r.labels.is_fraud).length / low.length;
    expect(lowRate).toBeGreaterThan(0.007);
    expect(lowRate).toBeLessThan(0.013);
    expect(generate({ seed: 11, count: 5_000, fraudRate: 0 }).some((r) => r.labels.is_fraud)).toBe(false);
  });

  it('pairs each account takeover TRANSFER that empties the victim with a CASH_OUT of the same amount by the mule', () => {
    const takeovers = byTypology('account_takeover');
    const transfers = takeovers.filter((r) => r.type === 'TRANSFER');
    expect(transfers.length).toBeGreaterThan(0);
    expect(takeovers.filter((r) => r.type === 'CASH_OUT')).toHaveLength(transfers.length);
    for (const transfer of transfers) {
      expect(transfer.origin.balance_before).toBe(transfer.amount);
      expect(toScaled(transfer.origin.balance_after!)).toBe(0n);
      const cashOut = takeovers.find(
        (r) =>
          r.type === 'CASH_OUT' &&
          r.origin.account === transfer.destination!.account &&
          r.timestamp >= transfer.timestamp,
      );
      expect(cashOut).toBeDefined();
      expect(cashOut!.amount).toBe(transfer.amount);
    }
  });

  it('shapes the other typologies as described', () => {
    // card_testing: bursts of tiny payments on one card across several online merchants.
    const probesByCard = Map.groupBy(byTypology('card_testing'), (r) => r.card!.number);
    for (const probes of probesByCard.values()) {
      expect(probes.length).toBeGreaterThanOrEqual(4);
      expect(new Set(probes.map((r) => r.merchant!.id)).size).toBeGreaterThan(1);
      expect(minutes(probes[0]!, probes.at(-1)!)).toBeLessThan(15);
      for (const probe of probes) expect(probe.type).toBe('CARD_PAYMENT');
    }
    // velocity_spike: many transfers from one wallet within minutes.
    for (const burst of Map.groupBy(byTypology('velocity_spike'), (r) => r.origin.account).values()) {
      expect(burst.length).toBeGreaterThanOrEqual(5);
      expect(minutes(burst[0]!, burst.at(-1)!)).toBeLessThan(15);
    }
    // mule_fan_in: distinct senders pay one account, which then cashes out what it received.
    // Mules are reused across episodes, so an episode is the inbound since that mule's last cash-out.
    const inboundByMule = new Map<string, GeneratedRecord[]>();
    let episodes = 0;
    for (const record of byTypology('mule_fan_in')) {
      if (record.type === 'TRANSFER') {
        const mule = record.destination!.account;
        inboundByMule.set(mule, [...(inboundByMule.get(mule) ?? []), record]);
        continue;
      }
      expect(record.type).toBe('CASH_OUT');
      const inbound = inboundByMule.get(record.origin.account) ?? [];
      inboundByMule.delete(record.origin.account);
      expect(inbound.length).toBeGreaterThanOrEqual(3);
      expect(new Set(inbound.map((r) => r.origin.account)).size).toBe(inbound.length);
      expect(toScaled(record.amount)).toBe(inbound.reduce((sum, r) => sum + toScaled(r.amount), 0n));
      episodes++;
    }
    expect(episodes).toBeGreaterThan(0);
    // dormant_reactivation: a wallet moves at least 80% of its balance.
    for (const record of byTypology('dormant_reactivation')) {
      expect(toScaled(record.amount) * 10n).toBeGreaterThanOrEqual(
        toScaled(record.origin.balance_before!) * 8n,
      );
    }
    // impossible_geography: the card was used at home minutes before, thousands of km away.
    for (const record of byTypology('impossible_geography')) {
      const earlier = stream
        .filter(
          (r) =>
            r.card?.number === record.card!.number && r.timestamp < record.timestamp && !r.labels.is_fraud,
        )
        .at(-1);
      expect(earlier).toBeDefined();
      expect(minutes(earlier!, record)).toBeLessThan(60);
      expect(distanceKm(earlier!.region, record.region)).toBeGreaterThan(2_000);
    }
  });

  // These walk 20,000 records, so they collect problems and assert once: an expect() per field is slow.
  it('writes money as decimal strings and keeps every wallet balance consistent', () => {
    const problems: string[] = [];
    const lastBalance = new Map<string, string>();
    for (const record of stream) {
      const id = record.transaction_id;
      const money = [
        record.amount,
        ...[record.origin, record.destination].flatMap((p) => [p?.balance_before, p?.balance_after]),
      ];
      for (const value of money)
        if (value !== undefined && !MONEY.test(value))
          problems.push(`${id}: ${value} is not a decimal string`);
      for (const party of [record.origin, record.destination]) {
        if (party?.balance_before === undefined) continue;
        // A wallet's balance_before is what its previous record left.
        const previous = lastBalance.get(party.account);
        if (previous !== undefined && previous !== party.balance_before)
          problems.push(`${id}: ${party.account} was ${previous}, now starts at ${party.balance_before}`);
        lastBalance.set(party.account, party.balance_after!);
      }
      if (record.channel !== 'mobile_money') continue;
      const amount = toScaled(record.amount);
      const originDelta = toScaled(record.origin.balance_after!) - toScaled(record.origin.balance_before!);
      if (originDelta !== (record.type === 'CASH_IN' ? amount : -amount))
        problems.push(`${id}: origin balance equation`);
      if (record.destination?.balance_before !== undefined) {
        const destinationDelta =
          toScaled(record.destination.balance_after!) - toScaled(record.destination.balance_before);
        if (destinationDelta !== (record.type === 'CASH_IN' ? -amount : amount))
          problems.push(`${id}: destination balance equation`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('gives card payments a Luhn-valid clear PAN, a merchant and no token', () => {
    const cards = stream.filter((r) => r.type === 'CARD_PAYMENT');
    expect(cards.length).toBeGreaterThan(1_000);
    const problems = cards
      .filter(
        (r) =>
          !/^\d{16}$/.test(r.card!.number) ||
          !isLuhnValid(r.card!.number) ||
          'token' in r.card! ||
          !/^\d{4}$/.test(r.merchant?.mcc ?? '') ||
          r.channel !== 'card',
      )
      .map((r) => r.transaction_id);
    expect(problems).toEqual([]);
    expect(new Set(stream.map((r) => `${r.region}/${r.currency}`))).toEqual(
      new Set(['NG/NGN', 'KE/KES', 'GH/GHS', 'ZA/ZAR', 'US/USD']),
    );
  });

  it('conforms to transactionSchema once the card number is tokenised', () => {
    const validate = compile(transactionSchema);
    for (const { card, ...record } of stream.slice(0, 3_000)) {
      const tokenised = card
        ? {
            ...record,
            card: {
              token: `tok_${'0'.repeat(32)}`,
              last4: card.number.slice(-4),
              holder: card.holder,
              network: card.network,
            },
          }
        : record;
      if (!validate(tokenised))
        throw new Error(`${record.transaction_id}: ${JSON.stringify(validate.reasons())}`);
    }
  });

  it('can restrict itself to mobile money, which is what a PaySim file can hold', () => {
    const records = generate({ seed: 5, count: 5_000, fraudRate: 0.05, channels: ['mobile_money'] });
    expect(records.every((r) => r.channel === 'mobile_money')).toBe(true);
    expect(new Set(records.map((r) => r.labels.typology).filter(Boolean))).toEqual(
      new Set(['account_takeover', 'velocity_spike', 'mule_fan_in', 'dormant_reactivation']),
    );
  });

  it('refuses options it cannot honour', () => {
    expect(() => generate({ fraudRate: 1.5 })).toThrow(/fraudRate/);
    expect(() => generate({ seed: -1 })).toThrow(/seed/);
    expect(() => generate({ startTime: 'yesterday' })).toThrow(/startTime/);
    expect(() => generate({ channels: [] })).toThrow(/channels/);
  });
});
