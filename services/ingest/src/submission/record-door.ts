// Ingest's door: refuses what no later stage could carry, then tokenises card numbers, before a record is read further.
import { Inject, Injectable } from '@nestjs/common';
import {
  MAX_RECORD_BYTES,
  RECORD_REFUSAL_CODES,
  containsCardNumber,
  inspectRecord,
  refusalReason,
  tooLarge,
  type Reason,
} from '@vigil/contracts';
import { CardTokenizer } from '../tokenization/card-tokenizer.js';

/** Fields that identify a record and must stay exactly as sent: a card number there is refused, not masked. */
const IDENTIFIERS = ['transaction_id', 'source'] as const;

export type Admission = { ok: true; record: unknown } | { ok: false; reason: Reason };

const utf8 = new TextEncoder();

export const reasonOf = refusalReason;

@Injectable()
export class RecordDoor {
  constructor(@Inject(CardTokenizer) private readonly tokenizer: CardTokenizer) {}

  /** The record with its card numbers tokenised, or why it is refused. A non-object passes on for normalisation to refuse. */
  admit(raw: unknown): Admission {
    const refusal = inspectRecord(raw);
    if (refusal) return { ok: false, reason: reasonOf(refusal) };
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return { ok: true, record: raw };
    const record = raw as Record<string, unknown>;
    for (const field of IDENTIFIERS) {
      const value = record[field];
      if (typeof value === 'string' && containsCardNumber(value)) {
        return { ok: false, reason: cardNumberIn(`/${field}`, field) };
      }
    }
    const scrubbed = this.tokenizer.scrub(record);
    // a token is longer than the number it replaces: the limit holds for what is published and stored
    const bytes = utf8.encode(JSON.stringify(scrubbed)).length;
    if (bytes > MAX_RECORD_BYTES) return { ok: false, reason: reasonOf(tooLarge(bytes)) };
    return { ok: true, record: scrubbed };
  }
}

const cardNumberIn = (field: string, name: string): Reason => ({
  code: RECORD_REFUSAL_CODES.cardNumberInIdentifier,
  field,
  message: `${name} contains a card number; send the card in card.number, where it is tokenised`,
  severity: 'error',
});

/** Request-level values that are stored or echoed as sent: a card number in them refuses the request. */
export function cardNumberInRequest(values: {
  idempotencyKey?: string;
  source?: string;
}): string | undefined {
  if (values.idempotencyKey !== undefined && containsCardNumber(values.idempotencyKey))
    return 'Idempotency-Key contains a card number; use an opaque key';
  if (values.source !== undefined && containsCardNumber(values.source))
    return 'source contains a card number';
  return undefined;
}
