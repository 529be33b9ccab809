// Seeded pseudo-random numbers: the same seed reproduces the same synthetic stream on every machine.
// Math.random cannot be seeded, so the generator owns its PRNG (sfc32, seeded through splitmix32).

const TWO_POW_32 = 2 ** 32;

/** splitmix32 step: spreads a small or low-entropy seed over all bits, which sfc32 needs. */
function splitmix32(state: number): { state: number; value: number } {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return { state: next, value: (z ^ (z >>> 16)) >>> 0 };
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /** Accepts any non-negative safe integer; seeds above 2^32 keep their high bits. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be a non-negative safe integer, got ${seed}`);
    }
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_POW_32), 0x27d4eb2d);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      const step = splitmix32(state);
      state = step.state;
      words.push(step.value);
    }
    [this.a, this.b, this.c, this.d] = words as [number, number, number, number];
    // sfc32's first outputs are still correlated with the seed; discard them.
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** An independent stream for one concern, so adding draws elsewhere does not shift it. */
  fork(stream: number): Rng {
    return new Rng(this.nextUint32() * 0x10000 + (stream & 0xffff));
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** Uniform integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
      throw new RangeError(`invalid integer range [${min}, ${max}]`);
    }
    return min + Math.floor(this.next() * (max - min + 1));
  }

  chance(probability: number): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('cannot pick from an empty list');
    return items[Math.floor(this.next() * items.length)] as T;
  }

  /** Picks by relative weight; weights need not sum to 1. */
  weighted<T>(entries: readonly (readonly [T, number])[]): T {
    const total = entries.reduce((sum, [, weight]) => sum + weight, 0);
    if (!(total > 0)) throw new RangeError('weights must sum to a positive number');
    let remaining = this.next() * total;
    for (const [item, weight] of entries) {
      remaining -= weight;
      if (remaining < 0) return item;
    }
    return entries[entries.length - 1]![0];
  }

  /** Fisher-Yates, returning a new array. */
  shuffle<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(this.next() * (i + 1));
      [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
    }
    return copy;
  }

  /** Standard normal via Box-Muller. */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]: log(0) would be -Infinity
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** Log-normal with the given median; payment amounts are heavy-tailed like this. */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }

  /** Exponential with the given mean: gaps between independent arrivals. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }
}
