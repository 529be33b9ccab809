// The Fraud Detection Handbook's 15 card features (chapter 3, "Baseline feature transformation"),
// computed point in time from a stream of card payments in time order: what a scorer could have known
// when each payment arrived, with a terminal's fraud counted only once its label is known (the delay).
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

export const CARD_FEATURE_NAMES = [
  'amount',
  'during_weekend',
  'during_night',
  'customer_count_1d',
  'customer_mean_amount_1d',
  'customer_count_7d',
  'customer_mean_amount_7d',
  'customer_count_30d',
  'customer_mean_amount_30d',
  'terminal_count_1d_delayed',
  'terminal_risk_1d_delayed',
  'terminal_count_7d_delayed',
  'terminal_risk_7d_delayed',
  'terminal_count_30d_delayed',
  'terminal_risk_30d_delayed',
] as const;

/** One labelled card payment, reduced to what the features and the card metrics need. */
export interface CardPayment {
  id: string;
  atMs: number;
  /** Major units in the record's currency, as the Handbook's TX_AMOUNT. */
  amount: number;
  /** The card (the Handbook's CUSTOMER_ID): token, else number, else the paying account. */
  card: string;
  terminal: string;
  isFraud: boolean;
  typology?: string;
}

const DAY_MS = 86_400_000;
const WINDOW_DAYS = [1, 7, 30] as const;

interface CardRecordShape {
  transaction_id?: string;
  timestamp?: string;
  amount?: string | number;
  origin?: { account?: string };
  destination?: { account?: string };
  merchant?: { id?: string };
  card?: { token?: string; number?: string };
  labels?: { is_fraud?: boolean; typology?: string };
}

/** A card payment from a labelled transaction record (the card generator's, or one after ingest). */
export function cardPaymentOf(record: CardRecordShape, where = 'record'): CardPayment {
  const atMs = Date.parse(record.timestamp ?? '');
  const amount = Number(record.amount);
  const card = record.card?.token ?? record.card?.number ?? record.origin?.account;
  const terminal = record.merchant?.id ?? record.destination?.account;
  if (!Number.isFinite(atMs)) throw new Error(`${where}: timestamp is missing or not a time`);
  if (!Number.isFinite(amount) || amount < 0)
    throw new Error(`${where}: amount is not a non-negative number`);
  if (!card) throw new Error(`${where}: no card token, card number or origin account`);
  if (!terminal) throw new Error(`${where}: no merchant id or destination account`);
  if (typeof record.labels?.is_fraud !== 'boolean') {
    throw new Error(`${where}: labels.is_fraud is required to evaluate`);
  }
  return {
    id: record.transaction_id ?? where,
    atMs,
    amount,
    card,
    terminal,
    isFraud: record.labels.is_fraud,
    ...(record.labels.typology ? { typology: record.labels.typology } : {}),
  };
}

/** Reads an NDJSON file of labelled card records without keeping the records themselves. */
export async function readCardPayments(path: string): Promise<CardPayment[]> {
  const lines = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  const out: CardPayment[] = [];
  let lineNumber = 0;
  for await (const line of lines) {
    lineNumber++;
    if (!line.trim()) continue;
    let record: CardRecordShape;
    try {
      record = JSON.parse(line) as CardRecordShape;
    } catch (error) {
      throw new Error(`${path}:${lineNumber}: not JSON (${(error as Error).message})`, { cause: error });
    }
    out.push(cardPaymentOf(record, `${path}:${lineNumber}`));
  }
  return out;
}

/** One entity's past payments, oldest first, with running sums for window arithmetic. */
class History {
  readonly times: number[] = [];
  readonly amountsUpTo: number[] = [0];
  readonly fraudUpTo: number[] = [0];
  /** Per window, the index of the oldest payment still inside it. */
  readonly starts: number[] = [0, 0, 0];
  /** The first payment not yet older than the label delay. */
  unlabelled = 0;

  add(atMs: number, amount: number, isFraud: boolean): void {
    this.times.push(atMs);
    this.amountsUpTo.push(this.amountsUpTo[this.amountsUpTo.length - 1]! + amount);
    this.fraudUpTo.push(this.fraudUpTo[this.fraudUpTo.length - 1]! + (isFraud ? 1 : 0));
  }

  /** Moves window w's start past payments at or before `boundaryMs` (windows are left-open). */
  advance(w: number, boundaryMs: number): number {
    let start = this.starts[w]!;
    while (start < this.times.length && this.times[start]! <= boundaryMs) start++;
    this.starts[w] = start;
    return start;
  }
}

export interface CardFeatureOptions {
  /** Days after which a payment's label is known and counts in a terminal's risk. Handbook: 7. */
  delayDays: number;
}

/**
 * The 15 features of each payment, in the payments' order, which must be by time. A customer's windows
 * (t - w, t] include the payment itself, as the Handbook's rolling windows do; a terminal's cover
 * (t - delay - w, t - delay], so only payments whose labels are known by t count, and its risk is the
 * share of those that were fraud (0 when there were none).
 */
export function cardFeatures(payments: readonly CardPayment[], options: CardFeatureOptions): Float64Array[] {
  const delayMs = options.delayDays * DAY_MS;
  const customers = new Map<string, History>();
  const terminals = new Map<string, History>();
  const out: Float64Array[] = [];
  let previousMs = -Infinity;
  payments.forEach((payment, index) => {
    if (payment.atMs < previousMs) {
      throw new Error(`payment ${index} (${payment.id}) is earlier than the one before: sort by time first`);
    }
    previousMs = payment.atMs;
    const x = new Float64Array(CARD_FEATURE_NAMES.length);
    const when = new Date(payment.atMs);
    const weekday = when.getUTCDay();
    x[0] = payment.amount;
    x[1] = weekday === 0 || weekday === 6 ? 1 : 0;
    x[2] = when.getUTCHours() <= 6 ? 1 : 0;

    let customer = customers.get(payment.card);
    if (!customer) customers.set(payment.card, (customer = new History()));
    customer.add(payment.atMs, payment.amount, payment.isFraud);
    const end = customer.times.length;
    WINDOW_DAYS.forEach((days, w) => {
      const start = customer.advance(w, payment.atMs - days * DAY_MS);
      const count = end - start;
      x[3 + 2 * w] = count;
      x[4 + 2 * w] = (customer.amountsUpTo[end]! - customer.amountsUpTo[start]!) / count;
    });

    let terminal = terminals.get(payment.terminal);
    if (!terminal) terminals.set(payment.terminal, (terminal = new History()));
    const knownBy = payment.atMs - delayMs;
    while (terminal.unlabelled < terminal.times.length && terminal.times[terminal.unlabelled]! <= knownBy) {
      terminal.unlabelled++;
    }
    const known = terminal.unlabelled;
    WINDOW_DAYS.forEach((days, w) => {
      const start = Math.min(terminal.advance(w, knownBy - days * DAY_MS), known);
      const count = known - start;
      x[9 + 2 * w] = count;
      x[10 + 2 * w] = count > 0 ? (terminal.fraudUpTo[known]! - terminal.fraudUpTo[start]!) / count : 0;
    });
    terminal.add(payment.atMs, payment.amount, payment.isFraud);
    out.push(x);
  });
  return out;
}
