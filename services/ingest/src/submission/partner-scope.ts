// Where a partner's record gets its pipeline key: transaction ids are unique per partner, so a partner's record
// travels as `<partner_id>~<transaction_id>` (libs/contracts transaction-key.ts) in the stream, under its
// Nats-Msg-Id and in every table; a record without a partner keeps its id. Submissions and replays both pass here.
import { parseTransactionKey, transactionKey } from '@vigil/contracts';

/** Puts the pipeline key into the normalised record and returns it. */
export function scopeToPartner(
  record: Record<string, unknown>,
  transactionId: string,
  partnerId: string | undefined,
): string {
  const key = transactionKey(partnerId, transactionId);
  record.transaction_id = key;
  return key;
}

/**
 * A record sent back for replay, as its submitter knows it: a held record carries its pipeline key, which
 * normalising would refuse; the partner's own id goes back in, so the id check compares like with like.
 */
export function asSubmitted(record: Record<string, unknown>, key: string): Record<string, unknown> {
  return record.transaction_id === key
    ? { ...record, transaction_id: parseTransactionKey(key).transactionId }
    : record;
}
