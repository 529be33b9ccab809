// Labelled fraud episodes. Each planner reserves the accounts it needs (so ordinary traffic cannot
// disturb their balances), schedules its steps over simulated minutes, and releases them at the end.
import { majorToMinor, portionOf, sampleAmount, uniformAmount } from './amounts.js';
import type { ScheduledRecord } from './event-queue.js';
import { distanceKm, MARKET_REGIONS, MARKETS, type GeneratedChannel, type MarketRegion } from './markets.js';
import { pickFree, type Wallet } from './population.js';
import { cardPayment, fraud, legitimate, walletTransfer, type FraudTypology } from './records.js';
import type { Rng } from './rng.js';
import type { Simulation } from './simulation.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
/** Far enough that no traveller covers it in the minutes between two card uses. */
const IMPOSSIBLE_DISTANCE_KM = 2_000;

/**
 * Plans one episode starting at `startMs` with at most `budget` records, or returns undefined when
 * the population cannot host it right now (no free account, too few records left).
 */
type Planner = (simulation: Simulation, startMs: number, budget: number) => ScheduledRecord[] | undefined;

interface TypologySpec {
  channel: GeneratedChannel;
  plan: Planner;
}

function jitter(rng: Rng, minMs: number, maxMs: number): number {
  return rng.int(minMs, maxMs);
}

function mobileMoneyRegion(simulation: Simulation): MarketRegion | undefined {
  const regions = MARKET_REGIONS.filter((region) => simulation.population.cast(region).customers.length > 0);
  if (regions.length === 0) return undefined;
  return simulation.rng.weighted(
    regions.map((r) => [r, MARKETS[r].trafficShare * MARKETS[r].mobileMoneyShare] as const),
  );
}

function cardRegion(simulation: Simulation): MarketRegion | undefined {
  const regions = MARKET_REGIONS.filter((region) => simulation.population.cast(region).cards.length > 0);
  if (regions.length === 0) return undefined;
  return simulation.rng.weighted(
    regions.map((r) => [r, MARKETS[r].trafficShare * (1 - MARKETS[r].mobileMoneyShare)] as const),
  );
}

/** Ordinary traffic must always find a free wallet or card, so episodes hold at most half of a pool. */
function leavesHeadroom(pool: readonly { busy: boolean }[], reserving: number): boolean {
  const free = pool.reduce((count, member) => count + (member.busy ? 0 : 1), 0);
  return free - reserving >= pool.length / 2;
}

/** A victim's wallet is emptied to a mule, who cashes the same amount out at an agent minutes later. */
const accountTakeover: Planner = (simulation, startMs, budget) => {
  const { rng, population } = simulation;
  const region = budget >= 2 ? mobileMoneyRegion(simulation) : undefined;
  if (!region) return undefined;
  const cast = population.cast(region);
  const market = MARKETS[region];
  const worthStealing = majorToMinor(market.medianMobileMoney * 3, market.currency);
  const victim = pickFree(rng, cast.customers, (wallet) => wallet.balance >= worthStealing);
  const mule = pickFree(rng, cast.mules);
  if (!victim || !mule || !leavesHeadroom(cast.customers, 1)) return undefined;
  victim.busy = mule.busy = true;
  let stolen = 0n;
  const cashOutAt = startMs + jitter(rng, 1 * MINUTE, 30 * MINUTE);
  return [
    {
      atMs: startMs,
      fraud: true,
      build: (stamp) => {
        stolen = victim.balance;
        victim.busy = false;
        return walletTransfer(stamp, 'TRANSFER', victim, mule, stolen, fraud('account_takeover'));
      },
    },
    {
      atMs: cashOutAt,
      fraud: true,
      build: (stamp) => {
        mule.busy = false;
        return walletTransfer(
          stamp,
          'CASH_OUT',
          mule,
          rng.pick(cast.agents),
          stolen,
          fraud('account_takeover'),
        );
      },
    },
  ];
};

/** A stolen card probed with tiny card-not-present payments across online merchants, seconds apart. */
const cardTesting: Planner = (simulation, startMs, budget) => {
  const { rng, population } = simulation;
  const probes = Math.min(rng.int(6, 16), budget);
  const region = probes >= 4 ? cardRegion(simulation) : undefined;
  if (!region) return undefined;
  const cast = population.cast(region);
  const card = pickFree(rng, cast.cards);
  if (!card || !leavesHeadroom(cast.cards, 1)) return undefined;
  card.busy = true;
  const merchants = rng.shuffle(cast.onlineMerchants);
  let atMs = startMs;
  return Array.from({ length: probes }, (_, i) => {
    if (i > 0) atMs += jitter(rng, 3 * SECOND, 45 * SECOND);
    const merchant = merchants[i % merchants.length]!;
    return {
      atMs,
      fraud: true,
      build: (stamp) => {
        if (i === probes - 1) card.busy = false;
        const amount = uniformAmount(rng, MARKETS[region].currency, MARKETS[region].probeRange);
        return cardPayment(stamp, card, merchant, amount, fraud('card_testing'));
      },
    };
  });
};

/** One wallet fires many transfers to different payees within a few minutes. */
const velocitySpike: Planner = (simulation, startMs, budget) => {
  const { rng, population } = simulation;
  const transfers = Math.min(rng.int(8, 20), budget);
  const region = transfers >= 5 ? mobileMoneyRegion(simulation) : undefined;
  if (!region) return undefined;
  const cast = population.cast(region);
  const market = MARKETS[region];
  const minimum = majorToMinor(market.medianMobileMoney * 10, market.currency);
  const origin = pickFree(rng, cast.customers, (wallet) => wallet.balance >= minimum);
  if (!origin || !leavesHeadroom(cast.customers, 1)) return undefined;
  origin.busy = true;
  let atMs = startMs;
  return Array.from({ length: transfers }, (_, i) => {
    if (i > 0) atMs += jitter(rng, 5 * SECOND, 40 * SECOND);
    return {
      atMs,
      fraud: true,
      build: (stamp) => {
        if (i === transfers - 1) origin.busy = false;
        const payees = rng.chance(0.3) ? cast.mules : cast.customers;
        const payee = pickFree(rng, payees, (wallet) => wallet !== origin) ?? rng.pick(cast.agents);
        // Small slices of what is left: at most 12% each, so twenty of them never empty the wallet.
        const amount = portionOf(origin.balance, 0.04 + rng.next() * 0.08);
        return walletTransfer(stamp, 'TRANSFER', origin, payee, amount, fraud('velocity_spike'));
      },
    };
  });
};

/** Many wallets pay one mule over an hour or two; the mule then cashes out everything it received. */
const muleFanIn: Planner = (simulation, startMs, budget) => {
  const { rng, population } = simulation;
  const senderCount = Math.min(rng.int(5, 12), budget - 1);
  const region = senderCount >= 3 ? mobileMoneyRegion(simulation) : undefined;
  if (!region) return undefined;
  const cast = population.cast(region);
  const market = MARKETS[region];
  const minimum = majorToMinor(market.medianMobileMoney, market.currency);
  const mule = pickFree(rng, cast.mules);
  if (!mule || !leavesHeadroom(cast.customers, senderCount)) return undefined;
  const senders = new Set<Wallet>();
  while (senders.size < senderCount) {
    const sender = pickFree(
      rng,
      cast.customers,
      (wallet) => wallet.balance >= minimum && !senders.has(wallet),
    );
    if (!sender) return undefined; // nothing reserved yet, so giving up is free
    senders.add(sender);
  }
  mule.busy = true;
  for (const sender of senders) sender.busy = true;

  let received = 0n;
  let atMs = startMs;
  const steps: ScheduledRecord[] = [...senders].map((sender, i) => {
    if (i > 0) atMs += jitter(rng, 1 * MINUTE, 15 * MINUTE);
    return {
      atMs,
      fraud: true,
      build: (stamp) => {
        sender.busy = false;
        const amount = portionOf(sender.balance, 0.3 + rng.next() * 0.6);
        received += amount;
        return walletTransfer(stamp, 'TRANSFER', sender, mule, amount, fraud('mule_fan_in'));
      },
    };
  });
  steps.push({
    atMs: atMs + jitter(rng, 5 * MINUTE, 30 * MINUTE),
    fraud: true,
    build: (stamp) => {
      mule.busy = false;
      return walletTransfer(stamp, 'CASH_OUT', mule, rng.pick(cast.agents), received, fraud('mule_fan_in'));
    },
  });
  return steps;
};

/** A wallet untouched for months suddenly moves most of its savings out. */
const dormantReactivation: Planner = (simulation, startMs, budget) => {
  const { rng, population } = simulation;
  const region = budget >= 1 ? mobileMoneyRegion(simulation) : undefined;
  if (!region) return undefined;
  const cast = population.cast(region);
  // Fresh, and in no pool: nothing else can touch it, and its last activity predates the stream.
  const dormant = population.newDormantWallet(region, startMs);
  return [
    {
      atMs: startMs,
      fraud: true,
      build: (stamp) => {
        const amount = portionOf(dormant.balance, 0.8 + rng.next() * 0.2);
        const labels = fraud('dormant_reactivation');
        if (rng.chance(0.3))
          return walletTransfer(stamp, 'CASH_OUT', dormant, rng.pick(cast.agents), amount, labels);
        const payee = pickFree(rng, rng.chance(0.6) ? cast.mules : cast.customers) ?? rng.pick(cast.agents);
        return walletTransfer(stamp, 'TRANSFER', dormant, payee, amount, labels);
      },
    },
  ];
};

/**
 * The holder pays at home, then the same card pays in a region thousands of kilometres away
 * minutes later. The home purchase is genuine and labelled so; only the far ones are fraud.
 */
const impossibleGeography: Planner = (simulation, startMs, budget) => {
  const { rng, population } = simulation;
  const farUses = Math.min(rng.int(1, 3), budget - 1);
  const home = farUses >= 1 ? cardRegion(simulation) : undefined;
  if (!home) return undefined;
  const farRegions = MARKET_REGIONS.filter((region) => distanceKm(home, region) >= IMPOSSIBLE_DISTANCE_KM);
  const cards = population.cast(home).cards;
  const card = pickFree(rng, cards);
  if (!card || farRegions.length === 0 || !leavesHeadroom(cards, 1)) return undefined;
  card.busy = true;
  const far = rng.pick(farRegions);

  const homeMerchant = rng.pick(population.cast(home).physicalMerchants);
  const steps: ScheduledRecord[] = [
    {
      atMs: startMs,
      fraud: false,
      build: (stamp) =>
        cardPayment(
          stamp,
          card,
          homeMerchant,
          sampleAmount(rng, MARKETS[home].currency, MARKETS[home].medianCard),
          legitimate(),
        ),
    },
  ];
  let atMs = startMs + jitter(rng, 3 * MINUTE, 40 * MINUTE);
  for (let i = 0; i < farUses; i++) {
    if (i > 0) atMs += jitter(rng, 1 * MINUTE, 10 * MINUTE);
    const merchant = rng.pick(population.cast(far).physicalMerchants);
    const last = i === farUses - 1;
    steps.push({
      atMs,
      fraud: true,
      build: (stamp) => {
        if (last) card.busy = false;
        const amount = sampleAmount(rng, MARKETS[far].currency, MARKETS[far].medianCard * 1.5);
        return cardPayment(stamp, card, merchant, amount, fraud('impossible_geography'));
      },
    });
  }
  return steps;
};

const TYPOLOGIES: Readonly<Record<FraudTypology, TypologySpec>> = {
  account_takeover: { channel: 'mobile_money', plan: accountTakeover },
  card_testing: { channel: 'card', plan: cardTesting },
  velocity_spike: { channel: 'mobile_money', plan: velocitySpike },
  mule_fan_in: { channel: 'mobile_money', plan: muleFanIn },
  dormant_reactivation: { channel: 'mobile_money', plan: dormantReactivation },
  impossible_geography: { channel: 'card', plan: impossibleGeography },
};

/**
 * Deals typologies like cards from a shuffled deck, so every typology appears once per round
 * rather than at the mercy of a weighted draw.
 */
export class TypologyDeck {
  private readonly typologies: FraudTypology[];
  private deck: FraudTypology[] = [];

  constructor(private readonly simulation: Simulation) {
    this.typologies = (Object.keys(TYPOLOGIES) as FraudTypology[]).filter((typology) =>
      simulation.channels.includes(TYPOLOGIES[typology].channel),
    );
  }

  get available(): readonly FraudTypology[] {
    return this.typologies;
  }

  /** The next episode that fits, or undefined when none can be hosted right now. */
  plan(startMs: number, budget: number): ScheduledRecord[] | undefined {
    for (let attempt = 0; attempt < this.typologies.length; attempt++) {
      if (this.deck.length === 0) this.deck = this.simulation.rng.shuffle(this.typologies);
      const typology = this.deck.shift()!;
      const steps = TYPOLOGIES[typology].plan(this.simulation, startMs, budget);
      if (steps) return steps;
    }
    return undefined;
  }
}
