// Decimal strings as exact scaled integers (1/10_000 units, the scale of libs/contracts money), parsed
// without a regular expression: rule evaluation parses several amounts per record.

const SCALE_FACTORS = [10_000, 1_000, 100, 10, 1];

/** Up to this many integer digits the scaled value fits a double exactly (below 2^53). */
const EXACT_DIGITS = 11;

/** `-?digits(.1-4 digits)?` as a bigint count of 1/10_000 units, or undefined when the text is not one. */
export function parseScaled(text: string): bigint | undefined {
  const length = text.length;
  let i = 0;
  let negative = false;
  if (length > 0 && text.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  const wholeStart = i;
  let whole = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) break;
    if (c < 48 || c > 57) return undefined;
    whole = whole * 10 + (c - 48);
  }
  const wholeDigits = i - wholeStart;
  if (wholeDigits === 0 || wholeDigits > 18) return undefined;
  let fraction = 0;
  if (i < length) {
    const fractionStart = ++i;
    for (; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
      fraction = fraction * 10 + (c - 48);
    }
    const fractionDigits = i - fractionStart;
    if (fractionDigits === 0 || fractionDigits > 4) return undefined;
    fraction *= SCALE_FACTORS[fractionDigits]!;
  }
  const scaled =
    wholeDigits <= EXACT_DIGITS
      ? BigInt(whole * 10_000 + fraction)
      : BigInt(text.slice(wholeStart, wholeStart + wholeDigits)) * 10_000n + BigInt(fraction);
  return negative ? -scaled : scaled;
}

/**
 * The same value as a number when it is a safe integer, else a bigint: one representation per value, so
 * === and < compare decimals exactly, and most amounts cost no bigint at all.
 */
export type FastDecimal = number | bigint;

export function toFastDecimal(scaled: bigint): FastDecimal {
  return scaled <= MAX_SAFE && scaled >= -MAX_SAFE ? Number(scaled) : scaled;
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function parseFastDecimal(text: string): FastDecimal | undefined {
  const length = text.length;
  let i = 0;
  let negative = false;
  if (length > 0 && text.charCodeAt(0) === 45) {
    negative = true;
    i = 1;
  }
  const wholeStart = i;
  let whole = 0;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 46) break;
    if (c < 48 || c > 57) return undefined;
    whole = whole * 10 + (c - 48);
  }
  const wholeDigits = i - wholeStart;
  if (wholeDigits === 0 || wholeDigits > 18) return undefined;
  if (wholeDigits > EXACT_DIGITS) {
    const scaled = parseScaled(text);
    return scaled === undefined ? undefined : toFastDecimal(scaled);
  }
  let fraction = 0;
  if (i < length) {
    const fractionStart = ++i;
    for (; i < length; i++) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) return undefined;
      fraction = fraction * 10 + (c - 48);
    }
    const fractionDigits = i - fractionStart;
    if (fractionDigits === 0 || fractionDigits > 4) return undefined;
    fraction *= SCALE_FACTORS[fractionDigits]!;
  }
  const scaled = whole * 10_000 + fraction;
  return negative ? -scaled : scaled;
}

/** a + b (or a - b) exactly, in the same one-representation-per-value form. */
export function addFastDecimals(a: FastDecimal, b: FastDecimal): FastDecimal {
  if (typeof a === 'number' && typeof b === 'number') {
    const sum = a + b;
    if (sum <= Number.MAX_SAFE_INTEGER && sum >= -Number.MAX_SAFE_INTEGER) return sum;
  }
  return toFastDecimal(BigInt(a) + BigInt(b));
}
