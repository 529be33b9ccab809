// The regions the generator simulates: currency, traffic mix, typical amounts, a home city for
// distances, and names for card holders.
import type { CurrencyCode } from '@vigil/contracts';

export const MARKET_REGIONS = ['NG', 'KE', 'GH', 'ZA', 'US'] as const;
export type MarketRegion = (typeof MARKET_REGIONS)[number];

export const CHANNELS = ['mobile_money', 'card'] as const;
export type GeneratedChannel = (typeof CHANNELS)[number];

export interface Market {
  region: MarketRegion;
  currency: CurrencyCode;
  /** Relative share of legitimate traffic. */
  trafficShare: number;
  /** Fraction of this market's traffic that is mobile money; the rest is card. */
  mobileMoneyShare: number;
  /** Median amounts in major units; real payment amounts are roughly log-normal around these. */
  medianMobileMoney: number;
  medianCard: number;
  /** Card-testing probes are tiny: [min, max] in major units. */
  probeRange: readonly [number, number];
  /** A main city, so "far apart" can be measured rather than asserted. */
  city: { name: string; lat: number; lon: number };
  cardNetworks: readonly (readonly [CardNetwork, number])[];
  firstNames: readonly string[];
  lastNames: readonly string[];
}

export type CardNetwork = 'visa' | 'mastercard' | 'verve';

export const MARKETS: Readonly<Record<MarketRegion, Market>> = {
  NG: {
    region: 'NG',
    currency: 'NGN',
    trafficShare: 0.38,
    mobileMoneyShare: 0.85,
    medianMobileMoney: 12_000,
    medianCard: 25_000,
    probeRange: [50, 500],
    city: { name: 'Lagos', lat: 6.52, lon: 3.38 },
    cardNetworks: [
      ['verve', 0.3],
      ['visa', 0.4],
      ['mastercard', 0.3],
    ],
    firstNames: [
      'Adaeze',
      'Chinedu',
      'Funmilayo',
      'Ibrahim',
      'Ngozi',
      'Oluwaseun',
      'Tunde',
      'Yetunde',
      'Emeka',
      'Aisha',
    ],
    lastNames: [
      'Okafor',
      'Adeyemi',
      'Bello',
      'Eze',
      'Ogunleye',
      'Abubakar',
      'Nwosu',
      'Balogun',
      'Okonkwo',
      'Danjuma',
    ],
  },
  KE: {
    region: 'KE',
    currency: 'KES',
    trafficShare: 0.38,
    mobileMoneyShare: 0.88,
    medianMobileMoney: 1_200,
    medianCard: 3_000,
    probeRange: [5, 50],
    city: { name: 'Nairobi', lat: -1.29, lon: 36.82 },
    cardNetworks: [
      ['visa', 0.55],
      ['mastercard', 0.45],
    ],
    firstNames: [
      'Wanjiru',
      'Otieno',
      'Akinyi',
      'Kamau',
      'Njeri',
      'Mwangi',
      'Chebet',
      'Kiprono',
      'Atieno',
      'Mutua',
    ],
    lastNames: [
      'Kariuki',
      'Odhiambo',
      'Wambui',
      'Kipchoge',
      'Mutiso',
      'Njoroge',
      'Ochieng',
      'Kimani',
      'Wekesa',
      'Cheruiyot',
    ],
  },
  GH: {
    region: 'GH',
    currency: 'GHS',
    trafficShare: 0.12,
    mobileMoneyShare: 0.8,
    medianMobileMoney: 120,
    medianCard: 250,
    probeRange: [0.5, 5],
    city: { name: 'Accra', lat: 5.6, lon: -0.19 },
    cardNetworks: [
      ['visa', 0.6],
      ['mastercard', 0.4],
    ],
    firstNames: ['Kwame', 'Ama', 'Kofi', 'Akosua', 'Yaw', 'Efua', 'Kwabena', 'Abena', 'Kojo', 'Adwoa'],
    lastNames: [
      'Mensah',
      'Owusu',
      'Boateng',
      'Asante',
      'Osei',
      'Appiah',
      'Agyeman',
      'Darko',
      'Ofori',
      'Annan',
    ],
  },
  ZA: {
    region: 'ZA',
    currency: 'ZAR',
    trafficShare: 0.06,
    mobileMoneyShare: 0,
    medianMobileMoney: 0,
    medianCard: 450,
    probeRange: [1, 10],
    city: { name: 'Johannesburg', lat: -26.2, lon: 28.05 },
    cardNetworks: [
      ['visa', 0.55],
      ['mastercard', 0.45],
    ],
    firstNames: [
      'Thabo',
      'Lerato',
      'Sipho',
      'Naledi',
      'Johan',
      'Zanele',
      'Pieter',
      'Ayanda',
      'Lindiwe',
      'Musa',
    ],
    lastNames: [
      'Nkosi',
      'Dlamini',
      'van der Merwe',
      'Botha',
      'Mokoena',
      'Naidoo',
      'Khumalo',
      'Pillay',
      'Zulu',
      'Smit',
    ],
  },
  US: {
    region: 'US',
    currency: 'USD',
    trafficShare: 0.06,
    mobileMoneyShare: 0,
    medianMobileMoney: 0,
    medianCard: 45,
    probeRange: [0.1, 1],
    city: { name: 'New York', lat: 40.71, lon: -74.01 },
    cardNetworks: [
      ['visa', 0.6],
      ['mastercard', 0.4],
    ],
    firstNames: [
      'James',
      'Maria',
      'Michael',
      'Jennifer',
      'David',
      'Linda',
      'Robert',
      'Patricia',
      'Daniel',
      'Emily',
    ],
    lastNames: [
      'Smith',
      'Johnson',
      'Williams',
      'Brown',
      'Garcia',
      'Miller',
      'Davis',
      'Martinez',
      'Lopez',
      'Wilson',
    ],
  },
};

export const MOBILE_MONEY_REGIONS = MARKET_REGIONS.filter((region) => MARKETS[region].mobileMoneyShare > 0);

const EARTH_RADIUS_KM = 6371;

/** Great-circle distance between two markets' main cities. */
export function distanceKm(from: MarketRegion, to: MarketRegion): number {
  const a = MARKETS[from].city;
  const b = MARKETS[to].city;
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.sqrt(h));
}
