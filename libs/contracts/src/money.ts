// Money is never a float: amounts travel as decimal strings and are compared as scaled bigints.

/** ISO 4217 codes with their minor-unit exponent. */
export const CURRENCY_MINOR_UNITS = {
  AED: 2,
  ARS: 2,
  AUD: 2,
  BDT: 2,
  BHD: 3,
  BRL: 2,
  BWP: 2,
  CAD: 2,
  CHF: 2,
  CLP: 0,
  CNY: 2,
  COP: 2,
  CZK: 2,
  DKK: 2,
  EGP: 2,
  ETB: 2,
  EUR: 2,
  GBP: 2,
  GHS: 2,
  HKD: 2,
  HUF: 2,
  IDR: 2,
  ILS: 2,
  INR: 2,
  JOD: 3,
  JPY: 0,
  KES: 2,
  KRW: 0,
  KWD: 3,
  MAD: 2,
  MWK: 2,
  MXN: 2,
  MYR: 2,
  MZN: 2,
  NGN: 2,
  NOK: 2,
  NZD: 2,
  OMR: 3,
  PEN: 2,
  PHP: 2,
  PKR: 2,
  PLN: 2,
  QAR: 2,
  RON: 2,
  RWF: 0,
  SAR: 2,
  SEK: 2,
  SGD: 2,
  THB: 2,
  TND: 3,
  TRY: 2,
  TZS: 2,
  UGX: 0,
  USD: 2,
  VND: 0,
  XAF: 0,
  XOF: 0,
  ZAR: 2,
  ZMW: 2,
} as const;
export type CurrencyCode = keyof typeof CURRENCY_MINOR_UNITS;
export const CURRENCY_CODES = Object.keys(CURRENCY_MINOR_UNITS) as CurrencyCode[];

/** Non-negative decimal amount: up to 18 integer digits and 4 fraction digits. */
export const AMOUNT_PATTERN = '^(0|[1-9][0-9]{0,17})(\\.[0-9]{1,4})?$';
/** Signed decimal, for balances. */
export const SIGNED_DECIMAL_PATTERN = '^-?(0|[1-9][0-9]{0,17})(\\.[0-9]{1,4})?$';

const SCALE = 4;
const SCALE_FACTOR = 10n ** BigInt(SCALE);
const DECIMAL = /^(-?)(\d+)(?:\.(\d{1,4}))?$/;

/** Parses a decimal string into an integer count of 1/10_000 units. Throws on anything else. */
export function toScaled(value: string): bigint {
  const match = DECIMAL.exec(value);
  if (!match) throw new RangeError(`not a decimal amount: ${JSON.stringify(value)}`);
  const [, sign, whole, fraction = ''] = match;
  const scaled = BigInt(whole!) * SCALE_FACTOR + BigInt(fraction.padEnd(SCALE, '0'));
  return sign === '-' ? -scaled : scaled;
}

/** Formats a scaled bigint back to a canonical decimal string (no trailing zeros). */
export function fromScaled(scaled: bigint): string {
  const negative = scaled < 0n;
  const abs = negative ? -scaled : scaled;
  const whole = abs / SCALE_FACTOR;
  const fraction = (abs % SCALE_FACTOR).toString().padStart(SCALE, '0').replace(/0+$/, '');
  return `${negative ? '-' : ''}${whole}${fraction ? `.${fraction}` : ''}`;
}

/**
 * Converts a JSON number from a PaySim-style export to a decimal string. JavaScript prints the
 * shortest string that round-trips, which is the text the exporter wrote for values with up to
 * 15 significant digits; more precision than 4 fraction digits is refused, not rounded.
 */
export function decimalFromNumber(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite amount: ${value}`);
  const text = Math.abs(value) < 1e21 ? String(value) : '';
  if (!/^-?\d+(\.\d{1,4})?$/.test(text))
    throw new RangeError(`amount ${value} has more than 4 decimal places`);
  return fromScaled(toScaled(text));
}

/** Converts a decimal string to integer minor units of the currency (e.g. cents), refusing sub-unit amounts. */
export function toMinorUnits(amount: string, currency: CurrencyCode): bigint {
  const exponent = CURRENCY_MINOR_UNITS[currency];
  const scaled = toScaled(amount);
  const divisor = 10n ** BigInt(SCALE - exponent);
  if (scaled % divisor !== 0n) throw new RangeError(`${amount} has more precision than ${currency} allows`);
  return scaled / divisor;
}
