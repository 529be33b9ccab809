// Which transaction id a caller uses. Ids are unique per partner: the pipeline stores a partner's record under
// `<partner_id>~<transaction_id>` (libs/contracts transaction-key.ts). A partner names and reads its records by
// its own ids, and the gateway adds and strips its scope; an operator (admin, analyst, ...) sees across partners,
// so it names and reads the pipeline key, the one id that cannot mean two records.
import { isTransactionId, isTransactionKey, submittedTransactionId, transactionKey } from '@vigil/contracts';
import type { ReadScope } from '../auth/principal.js';

export interface TransactionIds {
  /** The stored key the caller means by `id`; undefined when the id cannot name a record the caller may read. */
  keyOf(id: string): string | undefined;
  /** The id the caller knows a stored record by (the record is in the caller's scope: SQL applied it). */
  shown(key: string): string;
  /** A stored record (held, scored, delivered) as the caller knows it: its transaction_id is the shown id. */
  recordShown<T extends Record<string, unknown>>(record: T): T;
}

export function transactionIdsOf(scope: Pick<ReadScope, 'partnerId'>): TransactionIds {
  const { partnerId } = scope;
  if (partnerId === null) {
    return {
      keyOf: (id) => (isTransactionKey(id) ? id : undefined),
      shown: (key) => key,
      recordShown: (record) => record,
    };
  }
  const shown = (key: string): string => submittedTransactionId(key);
  return {
    keyOf: (id) => (isTransactionId(id) ? transactionKey(partnerId, id) : undefined),
    shown,
    recordShown: (record) =>
      typeof record.transaction_id === 'string'
        ? { ...record, transaction_id: shown(record.transaction_id) }
        : record,
  };
}
