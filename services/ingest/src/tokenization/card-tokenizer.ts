// PCI DSS: a card number is replaced by a keyed token plus its last four digits before anything leaves ingest.
import { createHmac } from 'node:crypto';

const TOP_LEVEL_ALIASES = ['card_number', 'cardNumber', 'pan'] as const;
// How card numbers are written in text: 13-19 contiguous digits, or the printed groupings 4-4-4-4(-3)
// and Amex 4-6-5 with one consistent separator. Card networks' numbers start with 2-6, which keeps
// millisecond timestamps and arbitrary digit runs in identifiers from being taken for card numbers.
const PAN_IN_TEXT = new RegExp(
  [
    String.raw`\b[2-6]\d{12,18}\b`,
    String.raw`\b[2-6]\d{3}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{1,3})?\b`,
    String.raw`\b3\d{3}([ -])\d{6}\2\d{5}\b`,
  ].join('|'),
  'g',
);

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return digits.length >= 13 && sum % 10 === 0;
}

export class CardTokenizer {
  constructor(private readonly key: string) {}

  /** Same card, same key, same token: lets the scorer follow a card without ever seeing its number. */
  token(pan: string): { token: string; last4: string } {
    const digits = pan.replace(/\D/g, '');
    const token = `tok_${createHmac('sha256', this.key).update(digits).digest('hex').slice(0, 32)}`;
    return { token, last4: digits.slice(-4) };
  }

  /**
   * Returns a copy of the record with every card number replaced: `card.number` (or a top-level
   * `card_number` / `pan`) becomes `card.token` + `card.last4`; a card number anywhere else in a
   * string is masked with its token.
   */
  scrub(record: Record<string, unknown>): Record<string, unknown> {
    const { card, ...rest } = record;
    const out = this.scrubValue(rest) as Record<string, unknown>;
    let cardOut =
      card !== null && typeof card === 'object' && !Array.isArray(card)
        ? this.scrubCard(card as Record<string, unknown>)
        : card;
    for (const alias of TOP_LEVEL_ALIASES) {
      const pan = rest[alias];
      if (typeof pan !== 'string' && typeof pan !== 'number') continue;
      delete out[alias];
      cardOut = { ...(cardOut as object | undefined), ...this.token(String(pan)) };
    }
    if (cardOut !== undefined) out.card = cardOut;
    return out;
  }

  private scrubCard(card: Record<string, unknown>): Record<string, unknown> {
    const { number, pan, ...rest } = card;
    const out = this.scrubValue(rest) as Record<string, unknown>;
    const clear = number ?? pan;
    if (typeof clear === 'string' || typeof clear === 'number') Object.assign(out, this.token(String(clear)));
    return out;
  }

  private scrubValue(value: unknown): unknown {
    if (typeof value === 'string') return this.maskText(value);
    if (typeof value === 'number' && Number.isInteger(value) && luhnValid(String(value)))
      return this.maskText(String(value));
    if (Array.isArray(value)) return value.map((item) => this.scrubValue(item));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([key, child]) => [key, this.scrubValue(child)]));
    }
    return value;
  }

  private maskText(text: string): string {
    return text.replace(PAN_IN_TEXT, (match) => {
      const digits = match.replace(/\D/g, '');
      return luhnValid(digits) ? `[card ${this.token(digits).token}]` : match;
    });
  }
}
