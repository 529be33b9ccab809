// Turns what a client sent (native or PaySim-shaped) into the native record ingest publishes; refuses only what cannot be carried.
import { createHash } from 'node:crypto';
import {
  decimalFromNumber,
  fromScaled,
  isTransactionId,
  toScaled,
  type PaysimRecord,
  type Reason,
} from '@vigil/contracts';

export interface NormalizeContext {
  source: string;
  partnerId?: string;
  paysimCurrency: string;
  paysimRegion: string;
  /** Simulation hour 0 of PaySim's `step`. */
  paysimEpochMs: number;
}

export type Normalized =
  | { ok: true; transactionId: string; record: Record<string, unknown> }
  | { ok: false; transactionId?: string; reasons: Reason[] };

const PAYSIM_MONEY = [
  'amount',
  'oldbalanceOrg',
  'newbalanceOrig',
  'oldbalanceDest',
  'newbalanceDest',
] as const;

const reject = (
  code: string,
  field: string | undefined,
  message: string,
  transactionId?: string,
): Normalized => ({
  ok: false,
  ...(transactionId ? { transactionId } : {}),
  reasons: [{ code, ...(field ? { field } : {}), message, severity: 'error' }],
});

const isPaysim = (record: Record<string, unknown>): boolean => 'nameOrig' in record && 'step' in record;

export function normalize(input: unknown, ctx: NormalizeContext): Normalized {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    return reject('ingest.not_an_object', undefined, 'each record must be a JSON object');
  }
  const record = input as Record<string, unknown>;
  const normalized = isPaysim(record) ? fromPaysim(record as PaysimRecord, ctx) : fromNative(record);
  if (!normalized.ok) return normalized;
  // the envelope's identity wins over anything the client claims
  const source = typeof record.source === 'string' && record.source ? record.source : ctx.source;
  normalized.record.source = source;
  if (ctx.partnerId) normalized.record.partner_id = ctx.partnerId;
  else delete normalized.record.partner_id;
  return normalized;
}

function fromNative(record: Record<string, unknown>): Normalized {
  const id = record.transaction_id;
  if (id === undefined)
    return reject('ingest.transaction_id', 'transaction_id', 'transaction_id is required');
  if (typeof id !== 'string' || !isTransactionId(id)) {
    return reject(
      'ingest.transaction_id',
      'transaction_id',
      'transaction_id must be 1-128 letters, digits, or . _ : -',
    );
  }
  return { ok: true, transactionId: id, record: { ...record } };
}

/** Money from a PaySim export: decimal text stays as is, a JSON number is converted without rounding. */
function paysimMoney(value: unknown): string {
  if (typeof value === 'number') return decimalFromNumber(value);
  if (typeof value === 'string') return fromScaled(toScaled(value.trim()));
  throw new RangeError('must be a decimal number');
}

const flag = (value: unknown): boolean => value === 1 || value === true || value === '1' || value === 'true';

function fromPaysim(row: PaysimRecord, ctx: NormalizeContext): Normalized {
  const explicitId = typeof row.transaction_id === 'string' ? row.transaction_id : undefined;
  const money: Partial<Record<(typeof PAYSIM_MONEY)[number], string>> = {};
  for (const field of PAYSIM_MONEY) {
    if (row[field] === undefined) return reject('paysim.required', field, `${field} is required`, explicitId);
    try {
      money[field] = paysimMoney(row[field]);
    } catch (error) {
      return reject('paysim.decimal', field, `${field} ${(error as Error).message}`, explicitId);
    }
  }
  // Number('') and Number(null) are 0: only a number or digit text is a step, or the row lands at the epoch
  const rawStep: unknown = row.step;
  const step =
    typeof rawStep === 'number' || (typeof rawStep === 'string' && /^\d+$/.test(rawStep.trim()))
      ? Number(rawStep)
      : Number.NaN;
  if (!Number.isInteger(step) || step < 0)
    return reject('paysim.step', 'step', 'step must be a non-negative integer', explicitId);
  // a PaySim export has no ids: derive one from the row so that re-importing the same file deduplicates
  const transactionId =
    explicitId ??
    `ps-${createHash('sha256')
      .update(
        [
          row.step,
          row.type,
          row.nameOrig,
          row.nameDest,
          ...PAYSIM_MONEY.map((field) => money[field]),
          flag(row.isFraud),
          flag(row.isFlaggedFraud),
        ].join('|'),
      )
      .digest('hex')
      .slice(0, 24)}`;
  if (!isTransactionId(transactionId))
    return reject('ingest.transaction_id', 'transaction_id', 'invalid transaction_id');
  return {
    ok: true,
    transactionId,
    record: {
      transaction_id: transactionId,
      type: row.type,
      amount: money.amount,
      currency: row.currency ?? ctx.paysimCurrency,
      region: row.region ?? ctx.paysimRegion,
      timestamp: row.timestamp ?? new Date(ctx.paysimEpochMs + step * 3_600_000).toISOString(),
      channel: 'mobile_money',
      origin: {
        account: row.nameOrig,
        balance_before: money.oldbalanceOrg,
        balance_after: money.newbalanceOrig,
      },
      destination: {
        account: row.nameDest,
        balance_before: money.oldbalanceDest,
        balance_after: money.newbalanceDest,
      },
      labels: { is_fraud: flag(row.isFraud), is_flagged_fraud: flag(row.isFlaggedFraud), step },
    },
  };
}
