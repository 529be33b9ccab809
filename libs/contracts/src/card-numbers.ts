// The one card-number (PAN) detector: ingest tokenises what it finds, the gateway refuses it where a value must stay as sent.

/** The digit that makes `payload + digit` Luhn-valid (mod 10). */
export function luhnCheckDigit(payload: string): number {
  if (!/^\d+$/.test(payload)) throw new RangeError('Luhn payload must be digits');
  let sum = 0;
  // Walking from the right, the digit next to the check digit is doubled first.
  for (let i = payload.length - 1, double = true; i >= 0; i--, double = !double) {
    let digit = payload.charCodeAt(i) - 48;
    if (double) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return (10 - (sum % 10)) % 10;
}

export function isLuhnValid(number: string): boolean {
  if (!/^\d{2,}$/.test(number)) return false;
  return luhnCheckDigit(number.slice(0, -1)) === Number(number.slice(-1));
}

export const PAN_MIN_DIGITS = 13;
export const PAN_MAX_DIGITS = 19;
/** Characters people put between the digits of a card number, and how many of them in a row. */
const SEPARATORS = new Set([' ', '\t', '-', '.', '_', '/']);
const MAX_SEPARATOR_RUN = 3;
/** Zeros pass the Luhn check but no issuer numbers a card so: `0/0/0/…` is an array path, not a card. */
const ALL_ZEROS = /^0+$/;

export interface CardNumberMatch {
  /** UTF-16 offsets in the text: the first digit and one past the last. */
  start: number;
  end: number;
  digits: string;
}

interface DigitGroup {
  start: number;
  end: number;
  digits: string;
}

const isDigit = (code: number): boolean => code >= 48 && code <= 57;

/**
 * Every card number in a text: 13 to 19 digits that pass the Luhn check, written contiguously or split
 * by separators (space, tab, `-`, `.`, `_`, `/`, up to three in a row, mixed), whatever the characters
 * around them (`ref4111111111111111`, `4111111111111111_x`). A candidate starts and ends on the edge of a
 * digit group, so digits glued to more digits are a longer number, not a card. Overlapping candidates
 * are merged, so every digit that belongs to some card-like run is covered. A run of zeros is not a card.
 */
export function findCardNumbers(text: string): CardNumberMatch[] {
  const found: { start: number; end: number }[] = [];
  let run: DigitGroup[] = [];
  const scanRun = () => {
    for (let i = 0; i < run.length; i++) {
      let digits = '';
      for (let j = i; j < run.length; j++) {
        digits += run[j]!.digits;
        if (digits.length > PAN_MAX_DIGITS) break;
        if (digits.length >= PAN_MIN_DIGITS && isLuhnValid(digits) && !ALL_ZEROS.test(digits)) {
          found.push({ start: run[i]!.start, end: run[j]!.end });
        }
      }
    }
    run = [];
  };
  let i = 0;
  while (i < text.length) {
    if (!isDigit(text.charCodeAt(i))) {
      i++;
      continue;
    }
    const start = i;
    while (i < text.length && isDigit(text.charCodeAt(i))) i++;
    const group = { start, end: i, digits: text.slice(start, i) };
    const previous = run.at(-1);
    if (previous && !joins(text, previous.end, start)) scanRun();
    run.push(group);
  }
  scanRun();
  return merge(found).map(({ start, end }) => ({
    start,
    end,
    digits: text.slice(start, end).replace(/\D/g, ''),
  }));
}

/** Two digit groups belong to one number when only a few separators stand between them. */
function joins(text: string, from: number, to: number): boolean {
  if (to - from > MAX_SEPARATOR_RUN) return false;
  for (let k = from; k < to; k++) if (!SEPARATORS.has(text[k]!)) return false;
  return true;
}

function merge(spans: { start: number; end: number }[]): { start: number; end: number }[] {
  spans.sort((a, b) => a.start - b.start || b.end - a.end);
  const merged: { start: number; end: number }[] = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span.start < last.end) last.end = Math.max(last.end, span.end);
    else merged.push({ ...span });
  }
  return merged;
}

export const containsCardNumber = (text: string): boolean => findCardNumbers(text).length > 0;

/** The text with each card number replaced by what `replacement` makes of its digits. */
export function maskCardNumbers(text: string, replacement: (digits: string) => string): string {
  const matches = findCardNumbers(text);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const match of matches) {
    out += text.slice(at, match.start) + replacement(match.digits);
    at = match.end;
  }
  return out + text.slice(at);
}

/** For texts that are only reported (error messages, field paths): the number becomes `[card number]`. */
export const redactCardNumbers = (text: string): string => maskCardNumbers(text, () => '[card number]');
