// Transaction ids are unique per partner: the pipeline carries one key per record, derived once at ingest.
//
// A partner's submission travels as `<partner_id>~<transaction_id>`; a record without a partner (admin, PaySim
// import, generator) keeps its id as it is. `~` is outside the public id pattern, so the two kinds never collide
// and a key splits unambiguously at its last `~` (a partner id may contain anything, a public id no `~`).

/** What a client may send as `transaction_id`: 1-128 letters, digits, `.`, `_`, `:` or `-`, not starting with a sign. */
export const TRANSACTION_ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

/** Joins a partner id and the partner's own transaction id in a pipeline key. */
export const TRANSACTION_KEY_SEPARATOR = '~';

/** The pipeline key: a public id, or a partner id and `~` in front of one. */
export const TRANSACTION_KEY_PATTERN = '^(?:.{1,64}~)?[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$';

const publicId = new RegExp(TRANSACTION_ID_PATTERN);
const pipelineKey = new RegExp(TRANSACTION_KEY_PATTERN);

export const isTransactionId = (id: string): boolean => publicId.test(id);
export const isTransactionKey = (key: string): boolean => pipelineKey.test(key);

/** The key a record travels under: the partner's own id scoped to the partner, or the id itself without one. */
export function transactionKey(partnerId: string | null | undefined, transactionId: string): string {
  return partnerId ? `${partnerId}${TRANSACTION_KEY_SEPARATOR}${transactionId}` : transactionId;
}

export interface ParsedTransactionKey {
  /** null for a record submitted without a partner. */
  partnerId: string | null;
  /** The id as its submitter knows it. */
  transactionId: string;
}

export function parseTransactionKey(key: string): ParsedTransactionKey {
  const at = key.lastIndexOf(TRANSACTION_KEY_SEPARATOR);
  return at < 0
    ? { partnerId: null, transactionId: key }
    : { partnerId: key.slice(0, at), transactionId: key.slice(at + 1) };
}

/** The id as the record's submitter knows it: what a partner sees in every answer about its own record. */
export const submittedTransactionId = (key: string): string => parseTransactionKey(key).transactionId;

/**
 * Any text scoped to a partner the same way (a content fingerprint, an account): records of two partners never
 * meet under one key, records without a partner keep the text as it is.
 */
export const partnerScoped = transactionKey;
