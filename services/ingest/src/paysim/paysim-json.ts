// The JSON record the importer posts for a PaySim row: PaySim's columns untouched (money still the
// file's text) plus the currency and region PaySim leaves implicit. Ingest does the normalising.
import type { PaysimRecord } from '@vigil/contracts';
import type { PaysimRow } from './paysim-row.js';

export interface PaysimJsonRecord extends PaysimRow {
  currency: string;
  region: string;
  /** Stable per file line, so a batch retried after a lost response is deduplicated, not doubled. */
  transaction_id?: string;
}

export interface PaysimJsonContext {
  currency: string;
  region: string;
  transactionId?: string;
}

export function toPaysimJsonRecord(row: PaysimRow, context: PaysimJsonContext): PaysimJsonRecord {
  return {
    ...(context.transactionId ? { transaction_id: context.transactionId } : {}),
    ...row,
    currency: context.currency,
    region: context.region,
  } satisfies PaysimRecord;
}
