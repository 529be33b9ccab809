// Draws the card simulator needs beyond the shared Rng: Poisson counts and sampling without replacement.
import type { Rng } from '../rng.js';

/** Poisson-distributed count with the given mean (Knuth's product of uniforms; means here are small). */
export function poisson(rng: Rng, mean: number): number {
  if (!(mean > 0)) return 0;
  if (mean > 30) {
    // Knuth's loop grows with the mean; past 30 a rounded normal is indistinguishable for our use.
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * rng.normal()));
  }
  const limit = Math.exp(-mean);
  let count = 0;
  for (let product = rng.next(); product > limit; product *= rng.next()) count++;
  return count;
}

/** A whole count whose expectation is `rate`: the fraction becomes the chance of one more. */
export function stochasticCount(rng: Rng, rate: number): number {
  const whole = Math.floor(rate);
  return whole + (rng.chance(rate - whole) ? 1 : 0);
}

/** `count` distinct indexes in [0, size), in the order drawn; all of them when count >= size. */
export function sampleDistinct(rng: Rng, size: number, count: number): number[] {
  if (count >= size) return rng.shuffle(Array.from({ length: size }, (_, i) => i));
  const chosen = new Set<number>();
  while (chosen.size < count) chosen.add(rng.int(0, size - 1));
  return [...chosen];
}
