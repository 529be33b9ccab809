// Money in the generator is integer minor units (bigint) and leaves it as a decimal string;
// floats appear only while drawing a random size, never in a balance.
import { CURRENCY_MINOR_UNITS, type CurrencyCode } from '@vigil/contracts';
import type { Rng } from './rng.js';

/** Formats minor units with the currency's exponent: 12550n KES -> "125.50". */
export function formatMinorUnits(minor: bigint, currency: CurrencyCode): string {
  if (minor < 0n) throw new RangeError(`negative amount ${minor} ${currency}`);
  const exponent = CURRENCY_MINOR_UNITS[currency];
  if (exponent === 0) return minor.toString();
  const divisor = 10n ** BigInt(exponent);
  return `${minor / divisor}.${(minor % divisor).toString().padStart(exponent, '0')}`;
}

export function majorToMinor(major: number, currency: CurrencyCode): bigint {
  return BigInt(Math.round(major * 10 ** CURRENCY_MINOR_UNITS[currency]));
}

/**
 * A heavy-tailed amount around `median` major units, clamped to at least one major unit and at
 * most `maxFactor` times the median so a single draw cannot dwarf a whole population's money.
 */
export function sampleAmount(
  rng: Rng,
  currency: CurrencyCode,
  median: number,
  sigma = 0.9,
  maxFactor = 60,
): bigint {
  const major = Math.min(Math.max(rng.logNormal(median, sigma), 1), median * maxFactor);
  return majorToMinor(major, currency);
}

/** Uniform amount in [min, max] major units, e.g. a card-testing probe. */
export function uniformAmount(
  rng: Rng,
  currency: CurrencyCode,
  [min, max]: readonly [number, number],
): bigint {
  return majorToMinor(min + rng.next() * (max - min), currency);
}

/** `fraction` of an amount, rounded down, without leaving integer arithmetic for the balance. */
export function portionOf(amount: bigint, fraction: number): bigint {
  return (amount * BigInt(Math.round(fraction * 10_000))) / 10_000n;
}
