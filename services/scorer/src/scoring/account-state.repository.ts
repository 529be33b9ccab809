// Per-account memory of recent inbound transfers: in process for order within a batch, in Postgres across restarts.
import { Inject, Injectable } from '@nestjs/common';
import { toScaled, type Transaction } from '@vigil/contracts';
import { BatchWriter, Database, sql } from '@vigil/db';

const WINDOW_MS = 24 * 3_600_000;
const MAX_REMEMBERED = 200_000;

interface InboundTransfer {
  account: string;
  transactionId: string;
  amount: string;
  occurredAt: string;
}

const insertTransfers = sql(
  'scorer.insert_inbound_transfers',
  `INSERT INTO scorer.inbound_transfers (account, transaction_id, amount, occurred_at)
   SELECT * FROM unnest($1::text[], $2::text[], $3::numeric[], $4::timestamptz[])
   ON CONFLICT DO NOTHING`,
);
const findTransfer = sql(
  'scorer.find_inbound_transfer',
  `SELECT transaction_id FROM scorer.inbound_transfers
   WHERE account = $1 AND amount = $2::numeric AND occurred_at BETWEEN $3::timestamptz - interval '24 hours' AND $3::timestamptz
     AND transaction_id <> $4
   LIMIT 1`,
);

@Injectable()
export class AccountStateRepository {
  private readonly recent = new Map<string, InboundTransfer[]>();
  private readonly writer: BatchWriter<InboundTransfer>;

  constructor(@Inject(Database) private readonly db: Database) {
    this.writer = new BatchWriter(db, { write: (rows) => this.write(rows) });
  }

  /**
   * Remembers a transfer synchronously (before any await), so a CASH_OUT delivered right after it
   * in the same batch already sees it; the returned promise resolves once it is durable.
   */
  rememberTransfer(transaction: Transaction): Promise<void> | undefined {
    if (transaction.type !== 'TRANSFER' || !transaction.destination) return undefined;
    const entry: InboundTransfer = {
      account: transaction.destination.account,
      transactionId: transaction.transaction_id,
      amount: transaction.amount,
      occurredAt: transaction.timestamp,
    };
    const list = this.recent.get(entry.account) ?? [];
    if (!list.some((t) => t.transactionId === entry.transactionId)) list.push(entry);
    this.recent.set(entry.account, list);
    if (this.recent.size > MAX_REMEMBERED) this.recent.delete(this.recent.keys().next().value!);
    return this.writer.add(entry);
  }

  async findMatchingTransfer(transaction: Transaction): Promise<{ transactionId: string } | undefined> {
    if (transaction.type !== 'CASH_OUT') return undefined;
    const at = Date.parse(transaction.timestamp);
    const amount = toScaled(transaction.amount);
    const local = this.recent.get(transaction.origin.account)?.find((t) => {
      const gap = at - Date.parse(t.occurredAt);
      return (
        toScaled(t.amount) === amount &&
        gap >= 0 &&
        gap <= WINDOW_MS &&
        t.transactionId !== transaction.transaction_id
      );
    });
    if (local) return { transactionId: local.transactionId };
    const [row] = await this.db.query<{ transaction_id: string }>(findTransfer, [
      transaction.origin.account,
      transaction.amount,
      transaction.timestamp,
      transaction.transaction_id,
    ]);
    return row ? { transactionId: row.transaction_id } : undefined;
  }

  private async write(rows: InboundTransfer[]): Promise<void> {
    await this.db.query(insertTransfers, [
      rows.map((r) => r.account),
      rows.map((r) => r.transactionId),
      rows.map((r) => r.amount),
      rows.map((r) => r.occurredAt),
    ]);
  }
}
