// Labelled transactions for training and evaluation, in event order: the generator's NDJSON
// (`npm run generate -- --out file.ndjson`) or a PaySim CSV with its isFraud column.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { paysimRecordSchema, type Transaction } from '@vigil/contracts';

export interface LabelledTransaction {
  transaction: Transaction;
  isFraud: boolean;
  /** The generator's typology name, or `fraud` for PaySim rows, or undefined when legitimate. */
  typology?: string;
}

/** The columns a PaySim export must have to be evaluated: the contract's required ones plus the label. */
const PAYSIM_COLUMNS = [...paysimRecordSchema.required, 'isFraud'] as const;
const PAYSIM_EPOCH_MS = Date.parse('2025-01-01T00:00:00Z');
const HOUR_MS = 3_600_000;

/** Reads a whole file: `.csv` as PaySim, anything else as NDJSON of labelled transaction records. */
export async function readLabelled(path: string): Promise<LabelledTransaction[]> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  const out: LabelledTransaction[] = [];
  if (path.endsWith('.csv')) {
    let header: string[] | undefined;
    let lineNumber = 0;
    for await (const line of lines) {
      lineNumber++;
      if (!line.trim()) continue;
      const cells = line.split(',').map((c) => c.trim().replace(/^"|"$/g, ''));
      if (!header) {
        header = cells;
        const missing = PAYSIM_COLUMNS.filter((c) => !header!.includes(c));
        if (missing.length > 0)
          throw new Error(`${path}: not a PaySim CSV, missing columns ${missing.join(', ')}`);
        continue;
      }
      const row = Object.fromEntries(header.map((name, i) => [name, cells[i] ?? '']));
      out.push(paysimRow(row, `${path}:${lineNumber}`));
    }
    return out;
  }
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (!line.trim()) continue;
    let record: Transaction & { labels?: { is_fraud?: boolean; typology?: string } };
    try {
      record = JSON.parse(line) as typeof record;
    } catch (error) {
      throw new Error(`${path}:${lineNumber}: not JSON (${(error as Error).message})`, { cause: error });
    }
    if (typeof record.labels?.is_fraud !== 'boolean') {
      throw new Error(`${path}:${lineNumber}: labels.is_fraud is required to train or evaluate`);
    }
    const isFraud = record.labels.is_fraud;
    out.push({
      transaction: record,
      isFraud,
      ...(isFraud ? { typology: record.labels.typology ?? 'fraud' } : {}),
    });
  }
  return out;
}

function paysimRow(row: Record<string, string>, where: string): LabelledTransaction {
  const step = Number(row.step);
  if (!Number.isInteger(step) || step < 0) throw new Error(`${where}: step must be a whole number of hours`);
  const isFraud = row.isFraud === '1';
  const transaction = {
    transaction_id: `ps-${where}`,
    type: row.type as Transaction['type'],
    amount: row.amount!,
    currency: 'USD',
    timestamp: new Date(PAYSIM_EPOCH_MS + step * HOUR_MS).toISOString(),
    region: 'US',
    origin: {
      account: row.nameOrig!,
      balance_before: row.oldbalanceOrg!,
      balance_after: row.newbalanceOrig!,
    },
    destination: {
      account: row.nameDest!,
      balance_before: row.oldbalanceDest!,
      balance_after: row.newbalanceDest!,
    },
  } as Transaction;
  return { transaction, isFraud, ...(isFraud ? { typology: 'fraud' } : {}) };
}
