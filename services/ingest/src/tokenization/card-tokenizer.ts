// PCI DSS: a card number is replaced by a keyed token plus its last four digits before anything leaves ingest.
import { createHmac } from 'node:crypto';
import { findCardNumbers, maskCardNumbers } from '@vigil/contracts';

const TOP_LEVEL_ALIASES = ['card_number', 'cardNumber', 'pan'] as const;

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
        : this.cardFromText(card);
    for (const alias of TOP_LEVEL_ALIASES) {
      const pan = rest[alias];
      if (typeof pan !== 'string' && typeof pan !== 'number') continue;
      delete out[alias];
      const base = cardOut !== null && typeof cardOut === 'object' && !Array.isArray(cardOut) ? cardOut : {};
      cardOut = { ...base, ...this.token(String(pan)) };
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

  /** `card` sent as one card number (text or JSON number) becomes the token; anything else is scrubbed as a value. */
  private cardFromText(card: unknown): unknown {
    if (typeof card === 'string' || typeof card === 'number') {
      const text = String(card);
      const [only] = findCardNumbers(text);
      if (only && text.replace(/\D/g, '') === only.digits) return this.token(only.digits);
    }
    return this.scrubValue(card);
  }

  /** Walks values and keys; the record's depth was bounded at the door, so recursion is safe here. */
  private scrubValue(value: unknown): unknown {
    if (typeof value === 'string') return this.maskText(value);
    if (typeof value === 'number' && Number.isInteger(value)) {
      const text = String(value);
      return findCardNumbers(text).length > 0 ? this.maskText(text) : value;
    }
    if (Array.isArray(value)) return value.map((item) => this.scrubValue(item));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(
        Object.entries(value).map(([key, child]) => [this.maskText(key), this.scrubValue(child)]),
      );
    }
    return value;
  }

  /** A card number anywhere in a text (or a key) becomes `[card tok_...]`. */
  maskText(text: string): string {
    return maskCardNumbers(text, (digits) => `[card ${this.token(digits).token}]`);
  }
}
