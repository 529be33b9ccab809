// Writes generated mobile-money records as PaySim CSV rows, so the generator can produce files
// that tools built for PaySim (and our own importer) read unchanged.
import type { GeneratedRecord } from '../generator/index.js';
import { PAYSIM_TYPES, type PaysimRow, type PaysimType } from './paysim-row.js';

const HOUR_MS = 3_600_000;
const PAYSIM_TYPE_SET: ReadonlySet<string> = new Set(PAYSIM_TYPES);
/** PaySim's text for an untracked balance (merchants, for instance). */
const UNTRACKED_BALANCE = '0.0';

/** PaySim's step is the simulated hour, counted from 1. */
export function paysimStep(timestamp: string, startMs: number): number {
  return Math.floor((Date.parse(timestamp) - startMs) / HOUR_MS) + 1;
}

/**
 * The PaySim row for a generated record, or undefined when PaySim has no column for it (card
 * payments and REFUNDs). isFlaggedFraud is always 0: it was PaySim's own rule-based flag.
 */
export function toPaysimRow(record: GeneratedRecord, startMs: number): PaysimRow | undefined {
  if (record.channel !== 'mobile_money' || !PAYSIM_TYPE_SET.has(record.type)) return undefined;
  return {
    step: paysimStep(record.timestamp, startMs),
    type: record.type as PaysimType,
    amount: record.amount,
    nameOrig: record.origin.account,
    oldbalanceOrg: record.origin.balance_before ?? UNTRACKED_BALANCE,
    newbalanceOrig: record.origin.balance_after ?? UNTRACKED_BALANCE,
    nameDest: record.destination?.account ?? '',
    oldbalanceDest: record.destination?.balance_before ?? UNTRACKED_BALANCE,
    newbalanceDest: record.destination?.balance_after ?? UNTRACKED_BALANCE,
    isFraud: record.labels.is_fraud ? 1 : 0,
    isFlaggedFraud: 0,
  };
}

/** One CSV line (no line break) in PaySim's column order. */
export function formatPaysimCsvRow(row: PaysimRow): string {
  for (const name of [row.nameOrig, row.nameDest]) {
    if (/[,\r\n]/.test(name))
      throw new RangeError(`account name ${JSON.stringify(name)} cannot be written unquoted`);
  }
  return [
    row.step,
    row.type,
    row.amount,
    row.nameOrig,
    row.oldbalanceOrg,
    row.newbalanceOrig,
    row.nameDest,
    row.oldbalanceDest,
    row.newbalanceDest,
    row.isFraud,
    row.isFlaggedFraud,
  ].join(',');
}
