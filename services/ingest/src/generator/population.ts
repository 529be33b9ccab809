// The bounded cast of the simulation: wallets, cards and merchants per region. Reusing them is
// what gives every account a history that per-account features (velocity, new payee) can see.
import { sampleAmount } from './amounts.js';
import { luhnCheckDigit } from './luhn.js';
import {
  MARKET_REGIONS,
  MARKETS,
  type CardNetwork,
  type GeneratedChannel,
  type MarketRegion,
} from './markets.js';
import type { Rng } from './rng.js';

const DAY_MS = 86_400_000;

/**
 * customer: ordinary user; agent: cash-in/cash-out point holding e-money float; bank: DEBIT
 * destination; mule: account fraudsters route money through (never in legitimate traffic);
 * dormant: long-unused account whose reactivation is a typology.
 */
export type WalletRole = 'customer' | 'agent' | 'bank' | 'mule' | 'dormant';

export interface Wallet {
  readonly id: string;
  readonly region: MarketRegion;
  readonly role: WalletRole;
  /** Minor units of the region's currency. */
  balance: bigint;
  /** Held by a fraud episode in progress, so legitimate traffic cannot disturb its balances. */
  busy: boolean;
  lastActiveMs: number;
}

export interface Card {
  /** Clear PAN: ingest tokenises it, the generator never sees a token. */
  readonly number: string;
  readonly holder: string;
  readonly network: CardNetwork;
  readonly region: MarketRegion;
  /** The card holder's account at the issuer, used as the transaction origin. */
  readonly accountId: string;
  busy: boolean;
}

export interface Merchant {
  readonly id: string;
  readonly name: string;
  readonly mcc: string;
  readonly region: MarketRegion;
  /** Card-not-present merchants are where stolen cards get tested. */
  readonly online: boolean;
}

export interface PopulationOptions {
  /** Mobile-money customer wallets across all regions. */
  customers: number;
  /** Cards across all regions. */
  cards: number;
  startMs: number;
  channels: readonly GeneratedChannel[];
}

interface RegionCast {
  customers: Wallet[];
  agents: Wallet[];
  banks: Wallet[];
  mules: Wallet[];
  cards: Card[];
  physicalMerchants: Merchant[];
  onlineMerchants: Merchant[];
}

type MerchantKind = readonly [mcc: string, kind: string];
const PHYSICAL_MERCHANT_KINDS: readonly MerchantKind[] = [
  ['5411', 'Supermarket'],
  ['5812', 'Restaurant'],
  ['5541', 'Fuel Station'],
  ['5912', 'Pharmacy'],
  ['5732', 'Electronics'],
  ['5651', 'Fashion'],
  ['4121', 'Taxi'],
  ['5311', 'Department Store'],
  ['5499', 'Mini Mart'],
  ['7011', 'Hotel'],
];
const ONLINE_MERCHANT_KINDS: readonly MerchantKind[] = [
  ['5815', 'Digital Media'],
  ['5816', 'Games'],
  ['4816', 'Cloud Services'],
  ['5968', 'Subscriptions'],
  ['5734', 'Software Store'],
  ['4899', 'Streaming'],
];
const MERCHANT_STEMS = [
  'Baraka',
  'Sunrise',
  'Jamii',
  'Unity',
  'Golden',
  'Savannah',
  'Harbor',
  'Summit',
  'Zenith',
  'Palm',
];

const PHYSICAL_MERCHANTS_PER_REGION = 40;
const ONLINE_MERCHANTS_PER_REGION = 12;
const AGENTS_PER_REGION = 25;
const BANKS_PER_REGION = 4;
const MULES_PER_REGION = 15;

/** PaySim-style identifiers ("C1231006815", "M1979787155"), unique within one stream. */
class IdAllocator {
  private readonly used = new Set<string>();
  constructor(private readonly rng: Rng) {}

  next(prefix: 'C' | 'M'): string {
    for (;;) {
      const id = `${prefix}${this.rng.int(1_000_000_000, 1_999_999_999)}`;
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
  }
}

const PAN_PREFIXES: Record<CardNetwork, (rng: Rng) => string> = {
  visa: () => '4',
  mastercard: (rng) => `5${rng.int(1, 5)}`,
  verve: (rng) => `50610${rng.int(0, 1)}`, // Verve BINs 506099-506198; stay inside the range
};

/** Shares by which to spread `total` over regions, proportional to `weight`. */
function apportion(total: number, weight: (region: MarketRegion) => number): Map<MarketRegion, number> {
  const weights = MARKET_REGIONS.map((region) => [region, weight(region)] as const);
  const sum = weights.reduce((acc, [, w]) => acc + w, 0);
  const counts = new Map<MarketRegion, number>();
  let assigned = 0;
  for (const [region, w] of weights) {
    const count = sum > 0 ? Math.floor((total * w) / sum) : 0;
    counts.set(region, count);
    assigned += count;
  }
  // Hand rounding leftovers to the heaviest region keeps the total exact.
  const heaviest = weights.reduce((best, entry) => (entry[1] > best[1] ? entry : best));
  if (heaviest[1] > 0) counts.set(heaviest[0], (counts.get(heaviest[0]) ?? 0) + total - assigned);
  return counts;
}

export class Population {
  private readonly ids: IdAllocator;
  private readonly pans = new Set<string>();
  private readonly regions = new Map<MarketRegion, RegionCast>();

  constructor(
    private readonly rng: Rng,
    options: PopulationOptions,
  ) {
    this.ids = new IdAllocator(rng);
    const mobile = options.channels.includes('mobile_money');
    const card = options.channels.includes('card');
    const customerCounts = apportion(
      mobile ? options.customers : 0,
      (r) => MARKETS[r].trafficShare * MARKETS[r].mobileMoneyShare,
    );
    const cardCounts = apportion(
      card ? options.cards : 0,
      (r) => MARKETS[r].trafficShare * (1 - MARKETS[r].mobileMoneyShare),
    );

    for (const region of MARKET_REGIONS) {
      const market = MARKETS[region];
      const hasWallets = mobile && market.mobileMoneyShare > 0;
      const wallets = (role: WalletRole, count: number, median: number, sigma: number): Wallet[] =>
        Array.from({ length: hasWallets ? count : 0 }, () =>
          this.newWallet(
            region,
            role,
            sampleAmount(rng, market.currency, median, sigma, 1e6),
            options.startMs - rng.int(0, 2 * DAY_MS),
          ),
        );
      this.regions.set(region, {
        customers: wallets('customer', customerCounts.get(region) ?? 0, market.medianMobileMoney * 4, 1),
        agents: wallets('agent', AGENTS_PER_REGION, market.medianMobileMoney * 500, 0.5),
        banks: wallets('bank', BANKS_PER_REGION, market.medianMobileMoney * 100_000, 0.3),
        mules: wallets('mule', MULES_PER_REGION, market.medianMobileMoney * 0.3, 1),
        cards: Array.from({ length: cardCounts.get(region) ?? 0 }, () => this.newCard(region)),
        physicalMerchants: Array.from({ length: PHYSICAL_MERCHANTS_PER_REGION }, () =>
          this.newMerchant(region, false),
        ),
        onlineMerchants: Array.from({ length: ONLINE_MERCHANTS_PER_REGION }, () =>
          this.newMerchant(region, true),
        ),
      });
    }
  }

  cast(region: MarketRegion): Readonly<RegionCast> {
    const cast = this.regions.get(region);
    if (!cast) throw new Error(`no population for region ${region}`);
    return cast;
  }

  /**
   * A long-unused account with savings. Its last activity predates the stream (90 days to two
   * years before `nowMs`), which no record can express, so each reactivation gets a fresh one.
   */
  newDormantWallet(region: MarketRegion, nowMs: number): Wallet {
    const market = MARKETS[region];
    const balance = sampleAmount(this.rng, market.currency, market.medianMobileMoney * 20, 0.8, 1e6);
    return this.newWallet(region, 'dormant', balance, nowMs - this.rng.int(90, 730) * DAY_MS);
  }

  private newWallet(region: MarketRegion, role: WalletRole, balance: bigint, lastActiveMs: number): Wallet {
    return { id: this.ids.next('C'), region, role, balance, busy: false, lastActiveMs };
  }

  private newCard(region: MarketRegion): Card {
    const market = MARKETS[region];
    const network = this.rng.weighted(market.cardNetworks);
    let number: string;
    do {
      let payload = PAN_PREFIXES[network](this.rng);
      while (payload.length < 15) payload += String(this.rng.int(0, 9));
      number = `${payload}${luhnCheckDigit(payload)}`;
    } while (this.pans.has(number));
    this.pans.add(number);
    const holder = `${this.rng.pick(market.firstNames)} ${this.rng.pick(market.lastNames)}`;
    return { number, holder, network, region, accountId: this.ids.next('C'), busy: false };
  }

  private newMerchant(region: MarketRegion, online: boolean): Merchant {
    const [mcc, kind] = this.rng.pick(online ? ONLINE_MERCHANT_KINDS : PHYSICAL_MERCHANT_KINDS);
    const name = `${this.rng.pick(MERCHANT_STEMS)} ${kind}${online ? ' Online' : ''}`;
    return { id: this.ids.next('M'), name, mcc, region, online };
  }
}

/**
 * A random member that is not held by a fraud episode and passes `accept`; a few random draws,
 * then a scan, so a crowded pool still finds its last free member.
 */
export function pickFree<T extends { busy: boolean }>(
  rng: Rng,
  members: readonly T[],
  accept: (member: T) => boolean = () => true,
): T | undefined {
  if (members.length === 0) return undefined;
  for (let attempt = 0; attempt < 8; attempt++) {
    const member = rng.pick(members);
    if (!member.busy && accept(member)) return member;
  }
  const offset = rng.int(0, members.length - 1);
  for (let i = 0; i < members.length; i++) {
    const member = members[(offset + i) % members.length]!;
    if (!member.busy && accept(member)) return member;
  }
  return undefined;
}
