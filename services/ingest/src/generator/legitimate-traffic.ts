// Ordinary traffic: PaySim's mix of mobile-money types plus card payments at home, with amounts
// bounded by real balances so every balance equation holds.
import { portionOf, sampleAmount } from './amounts.js';
import type { ScheduledRecord } from './event-queue.js';
import { MARKET_REGIONS, MARKETS, type GeneratedChannel, type MarketRegion } from './markets.js';
import { pickFree, type Wallet } from './population.js';
import {
  cardPayment,
  legitimate,
  walletPayment,
  walletTransfer,
  type GeneratedRecord,
  type RecordStamp,
} from './records.js';
import { PopulationExhaustedError, type Simulation } from './simulation.js';

/** Type shares of PaySim's mobile-money log. */
const MOBILE_MONEY_TYPE_MIX = [
  ['CASH_OUT', 0.352],
  ['PAYMENT', 0.338],
  ['CASH_IN', 0.22],
  ['TRANSFER', 0.084],
  ['DEBIT', 0.0065],
] as const;
type MobileMoneyType = (typeof MOBILE_MONEY_TYPE_MIX)[number][0];

const ONLINE_CARD_SHARE = 0.15;
const ONLINE_WALLET_PAYMENT_SHARE = 0.1;

type Route = readonly [MarketRegion, GeneratedChannel];

export class LegitimateTraffic {
  private readonly routes: (readonly [Route, number])[];

  constructor(private readonly simulation: Simulation) {
    const { population, channels } = simulation;
    this.routes = MARKET_REGIONS.flatMap((region) => {
      const market = MARKETS[region];
      const cast = population.cast(region);
      const routes: (readonly [Route, number])[] = [];
      if (channels.includes('mobile_money') && cast.customers.length > 0) {
        routes.push([[region, 'mobile_money'], market.trafficShare * market.mobileMoneyShare]);
      }
      if (channels.includes('card') && cast.cards.length > 0) {
        routes.push([[region, 'card'], market.trafficShare * (1 - market.mobileMoneyShare)]);
      }
      return routes;
    });
    if (this.routes.length === 0) throw new RangeError('no region has accounts for the requested channels');
  }

  schedule(atMs: number): ScheduledRecord {
    const [region, channel] = this.simulation.rng.weighted(this.routes);
    return {
      atMs,
      fraud: false,
      build: (stamp) =>
        channel === 'card' ? this.cardPurchase(stamp, region) : this.mobileMoney(stamp, region),
    };
  }

  private cardPurchase(stamp: RecordStamp, region: MarketRegion): GeneratedRecord {
    const { rng, population } = this.simulation;
    const cast = population.cast(region);
    const card = pickFree(rng, cast.cards);
    if (!card) throw new PopulationExhaustedError(`${region} card`);
    const merchants = rng.chance(ONLINE_CARD_SHARE) ? cast.onlineMerchants : cast.physicalMerchants;
    const merchant = rng.pick(merchants);
    const amount = sampleAmount(rng, MARKETS[region].currency, MARKETS[region].medianCard);
    return cardPayment(stamp, card, merchant, amount, legitimate());
  }

  private mobileMoney(stamp: RecordStamp, region: MarketRegion): GeneratedRecord {
    const { rng, population } = this.simulation;
    const cast = population.cast(region);
    const market = MARKETS[region];
    const customer = pickFree(rng, cast.customers);
    if (!customer) throw new PopulationExhaustedError(`${region} customer wallet`);

    let type: MobileMoneyType = rng.weighted(MOBILE_MONEY_TYPE_MIX);
    const median =
      type === 'CASH_IN'
        ? market.medianMobileMoney * 1.5
        : type === 'DEBIT'
          ? market.medianMobileMoney * 2
          : market.medianMobileMoney;
    let amount = sampleAmount(rng, market.currency, median);

    if (type !== 'CASH_IN' && amount > customer.balance) {
      // People spend what they have: a smaller payment, or a top-up when the wallet is nearly empty.
      const affordable = portionOf(customer.balance, 0.3 + rng.next() * 0.65);
      if (affordable >= 100n) amount = affordable;
      else {
        type = 'CASH_IN';
        amount = sampleAmount(rng, market.currency, market.medianMobileMoney * 1.5);
      }
    }

    const labels = legitimate();
    switch (type) {
      case 'CASH_IN':
        return this.cashIn(stamp, customer, amount);
      case 'CASH_OUT':
        return walletTransfer(stamp, 'CASH_OUT', customer, rng.pick(cast.agents), amount, labels);
      case 'DEBIT':
        return walletTransfer(stamp, 'DEBIT', customer, rng.pick(cast.banks), amount, labels);
      case 'TRANSFER': {
        const payee = pickFree(rng, cast.customers, (candidate) => candidate !== customer);
        if (payee) return walletTransfer(stamp, 'TRANSFER', customer, payee, amount, labels);
        return walletTransfer(stamp, 'CASH_OUT', customer, rng.pick(cast.agents), amount, labels);
      }
      case 'PAYMENT': {
        const merchants = rng.chance(ONLINE_WALLET_PAYMENT_SHARE)
          ? cast.onlineMerchants
          : cast.physicalMerchants;
        return walletPayment(stamp, customer, rng.pick(merchants), amount, labels);
      }
    }
  }

  /** An agent pays out e-money float; when no agent holds enough, the wallet is paid from a bank instead. */
  private cashIn(stamp: RecordStamp, customer: Wallet, amount: bigint): GeneratedRecord {
    const { rng, population } = this.simulation;
    const cast = population.cast(customer.region);
    const agent = pickFree(rng, cast.agents, (candidate) => candidate.balance >= amount);
    if (agent) return walletTransfer(stamp, 'CASH_IN', customer, agent, amount, legitimate());
    const bank = cast.banks.reduce((richest, candidate) =>
      candidate.balance > richest.balance ? candidate : richest,
    );
    return walletTransfer(
      stamp,
      'TRANSFER',
      bank,
      customer,
      amount < bank.balance ? amount : bank.balance,
      legitimate(),
    );
  }
}
