// The Handbook's customer and terminal profiles: locations on a 100 x 100 grid, per-customer amount
// and frequency profiles, and the terminals each customer can reach. Foreign terminals, off the grid,
// are where travel and cross-border fraud happen.
import { luhnCheckDigit } from '../luhn.js';
import { MARKET_REGIONS, MARKETS, type CardNetwork, type MarketRegion } from '../markets.js';
import type { Rng } from '../rng.js';
import { HANDBOOK, type ResolvedCardGeneratorOptions } from './card-options.js';

/**
 * Handbook amounts have no currency; they are read as US dollars and priced in a country's currency
 * at these fixed, illustrative rates, so a record's amount is plausible where it is paid.
 */
export const UNITS_PER_HANDBOOK_UNIT: Readonly<Record<MarketRegion, number>> = {
  US: 1,
  NG: 1_500,
  KE: 130,
  GH: 15,
  ZA: 18,
};

export interface CardCustomer {
  readonly index: number;
  /** Account at the issuer: the transaction's origin. */
  readonly accountId: string;
  readonly x: number;
  readonly y: number;
  /** Handbook units. */
  readonly meanAmount: number;
  readonly stdAmount: number;
  readonly meanTransactionsPerDay: number;
  readonly card: { readonly number: string; readonly holder: string; readonly network: CardNetwork };
  /** Indexes into the population's terminals. */
  readonly nearbyTerminals: readonly number[];
  /** First day on which the card is no longer compromised (scenario 3); 0 when never compromised. */
  compromisedUntilDay: number;
}

export interface CardTerminal {
  readonly index: number;
  /** Merchant id and the transaction's destination account. */
  readonly id: string;
  readonly mcc: string;
  readonly country: MarketRegion;
  /** Grid location; foreign terminals have none. */
  readonly x?: number;
  readonly y?: number;
  /** First day on which the terminal is no longer compromised (scenario 2); 0 when never compromised. */
  compromisedUntilDay: number;
}

/** Merchant category codes of the places people pay with a card in person. */
const TERMINAL_MCCS = ['5411', '5812', '5541', '5912', '5732', '5651', '4121', '5311', '5499', '7011'];
const FOREIGN_TERMINALS_PER_COUNTRY = 50;

const PAN_PREFIXES: Record<CardNetwork, (rng: Rng) => string> = {
  visa: () => '4',
  mastercard: (rng) => `5${rng.int(1, 5)}`,
  verve: (rng) => `50610${rng.int(0, 1)}`,
};

export class CardPopulation {
  readonly customers: CardCustomer[];
  /** Grid terminals of the home country, then foreign ones. */
  readonly terminals: CardTerminal[];
  readonly homeTerminalCount: number;
  readonly foreignTerminals: ReadonlyMap<MarketRegion, readonly CardTerminal[]>;

  constructor(rng: Rng, options: ResolvedCardGeneratorOptions) {
    const grid = HANDBOOK.gridSize;
    this.homeTerminalCount = options.terminals;
    this.terminals = Array.from({ length: options.terminals }, (_, index) => ({
      index,
      id: terminalId(index),
      mcc: rng.pick(TERMINAL_MCCS),
      country: options.country,
      x: rng.next() * grid,
      y: rng.next() * grid,
      compromisedUntilDay: 0,
    }));
    const foreign = new Map<MarketRegion, CardTerminal[]>();
    for (const country of MARKET_REGIONS.filter((region) => region !== options.country)) {
      const abroad = Array.from({ length: FOREIGN_TERMINALS_PER_COUNTRY }, () => {
        const index = this.terminals.length;
        const terminal: CardTerminal = {
          index,
          id: terminalId(index),
          mcc: rng.pick(TERMINAL_MCCS),
          country,
          compromisedUntilDay: 0,
        };
        this.terminals.push(terminal);
        return terminal;
      });
      foreign.set(country, abroad);
    }
    this.foreignTerminals = foreign;

    const nearby = new TerminalIndex(this.terminals.slice(0, options.terminals), options.radius);
    const market = MARKETS[options.country];
    const pans = new Set<string>();
    this.customers = Array.from({ length: options.customers }, (_, index) => {
      const x = rng.next() * grid;
      const y = rng.next() * grid;
      const [minMean, maxMean] = HANDBOOK.meanAmountRange;
      const meanAmount = minMean + rng.next() * (maxMean - minMean);
      const [minRate, maxRate] = HANDBOOK.meanTransactionsPerDayRange;
      const network = rng.weighted(market.cardNetworks);
      let number: string;
      do number = newPan(rng, network);
      while (pans.has(number));
      pans.add(number);
      return {
        index,
        accountId: customerAccountId(index),
        x,
        y,
        meanAmount,
        stdAmount: meanAmount / 2,
        meanTransactionsPerDay: minRate + rng.next() * (maxRate - minRate),
        card: { number, holder: `${rng.pick(market.firstNames)} ${rng.pick(market.lastNames)}`, network },
        nearbyTerminals: nearby.within(x, y),
        compromisedUntilDay: 0,
      };
    });
  }
}

export const customerAccountId = (index: number) => `CC${String(index).padStart(8, '0')}`;
export const terminalId = (index: number) => `T${String(index).padStart(8, '0')}`;

function newPan(rng: Rng, network: CardNetwork): string {
  let payload = PAN_PREFIXES[network](rng);
  while (payload.length < 15) payload += String(rng.int(0, 9));
  return `${payload}${luhnCheckDigit(payload)}`;
}

/** Buckets terminals into cells one radius wide, so a lookup reads nine cells instead of every terminal. */
class TerminalIndex {
  private readonly cells = new Map<string, CardTerminal[]>();

  constructor(
    terminals: readonly CardTerminal[],
    private readonly radius: number,
  ) {
    for (const terminal of terminals) {
      const key = this.key(this.cell(terminal.x!), this.cell(terminal.y!));
      const cell = this.cells.get(key);
      if (cell) cell.push(terminal);
      else this.cells.set(key, [terminal]);
    }
  }

  /** Indexes of the terminals strictly closer than the radius, in index order. */
  within(x: number, y: number): number[] {
    const found: number[] = [];
    const cx = this.cell(x);
    const cy = this.cell(y);
    // Cells are one radius wide, so every terminal in reach lies in the 3 x 3 cells around (x, y).
    for (let dx = -1; dx <= 1; dx++) {
      for (let dy = -1; dy <= 1; dy++) {
        for (const terminal of this.cells.get(this.key(cx + dx, cy + dy)) ?? []) {
          if (Math.hypot(terminal.x! - x, terminal.y! - y) < this.radius) found.push(terminal.index);
        }
      }
    }
    return found.sort((a, b) => a - b);
  }

  private cell(coordinate: number): number {
    return Math.floor(coordinate / this.radius);
  }

  private key(cx: number, cy: number): string {
    return `${cx}:${cy}`;
  }
}
