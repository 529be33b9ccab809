// One PaySim CSV row, with PaySim's own column names. Money stays the decimal text of the file:
// parsing "9839.64" into a float could silently change it.

export const PAYSIM_COLUMNS = [
  'step',
  'type',
  'amount',
  'nameOrig',
  'oldbalanceOrg',
  'newbalanceOrig',
  'nameDest',
  'oldbalanceDest',
  'newbalanceDest',
  'isFraud',
  'isFlaggedFraud',
] as const;
export type PaysimColumn = (typeof PAYSIM_COLUMNS)[number];

export const PAYSIM_CSV_HEADER = PAYSIM_COLUMNS.join(',');

export const PAYSIM_TYPES = ['PAYMENT', 'TRANSFER', 'CASH_OUT', 'CASH_IN', 'DEBIT'] as const;
export type PaysimType = (typeof PAYSIM_TYPES)[number];

export const PAYSIM_MONEY_COLUMNS = [
  'amount',
  'oldbalanceOrg',
  'newbalanceOrig',
  'oldbalanceDest',
  'newbalanceDest',
] as const satisfies readonly PaysimColumn[];

export interface PaysimRow {
  /** Simulated hour, 1-based in PaySim's own data. */
  step: number;
  type: PaysimType;
  amount: string;
  nameOrig: string;
  oldbalanceOrg: string;
  newbalanceOrig: string;
  nameDest: string;
  oldbalanceDest: string;
  newbalanceDest: string;
  isFraud: 0 | 1;
  isFlaggedFraud: 0 | 1;
}
