// PCI DSS: a card number is replaced by a keyed token plus its last four digits before anything leaves ingest.
import { createHmac } from 'node:crypto';

const TOP_LEVEL_ALIASES = ['card_number', 'cardNumber', 'pan'] as const;
// 13-19 digits, optionally grouped by spaces or dashes, as a card number appears in free text
const PAN_IN_TEXT = /\b\d(?:[ -]?\d){12,18}\b/g;

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
