// What every planner of records shares: the random stream, the population and the channels on.
import type { GeneratedChannel } from './markets.js';
import type { Population } from './population.js';
import type { Rng } from './rng.js';

export interface Simulation {
  readonly rng: Rng;
  readonly population: Population;
  readonly channels: readonly GeneratedChannel[];
}

export class PopulationExhaustedError extends Error {
  constructor(what: string) {
    super(
      `every ${what} is held by a fraud episode in progress; raise the account pool or lower the fraud rate`,
    );
    this.name = 'PopulationExhaustedError';
  }
}
