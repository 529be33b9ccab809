// Stores labels: every one in scorer.label_history, the latest by labelled_at in scorer.labels.
import { Inject, Injectable } from '@nestjs/common';
import type pg from 'pg';
import { Database, sql } from '@vigil/db';

/** One label as stored: the event's fields, flattened, and where in the stream it came from. */
export interface LabelRow {
  transactionId: string;
  labelledAt: string;
  labelledBy: string;
  labelledByKind: string;
  labelledByRole: string;
  label: string;
  source: string;
  note: string | null;
  partnerId: string | null;
  region: string;
  occurredAt: string;
  originAccount: string;
  destinationAccount: string | null;
  merchantId: string | null;
  cardToken: string | null;
  streamSeq: number;
}

// labels of one transaction are stored one at a time, whichever replica or in-flight slot holds them, so the
// current label is computed from a history that includes every label committed before (two-key form: apart
// from the partition owners' transaction locks)
const lockTransaction = sql(
  'scorer.lock_labelled_transaction',
  `SELECT pg_advisory_xact_lock(hashtext('scorer.labels'), hashtext($1::text))`,
);

// the primary key is the event's identity (transaction, instant, principal): a redelivery inserts nothing
const insertHistory = sql(
  'scorer.insert_label_history',
  `INSERT INTO scorer.label_history (transaction_id, labelled_at, labelled_by, labelled_by_kind, labelled_by_role,
                                     label, source, note, partner_id, region, occurred_at, origin_account,
                                     destination_account, merchant_id, card_token, stream_seq)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
   ON CONFLICT (transaction_id, labelled_at, labelled_by) DO NOTHING`,
);

// the current label is the latest by labelled_at (then principal, so equal instants still have one answer),
// whatever order the labels arrived in
const refreshCurrent = sql(
  'scorer.refresh_current_label',
  `INSERT INTO scorer.labels (transaction_id, label, source, note, labelled_at, labelled_by, labelled_by_kind,
                              labelled_by_role, partner_id, region, occurred_at, origin_account,
                              destination_account, merchant_id, card_token, versions)
   SELECT transaction_id, label, source, note, labelled_at, labelled_by, labelled_by_kind, labelled_by_role,
          partner_id, region, occurred_at, origin_account, destination_account, merchant_id, card_token, versions
     FROM (SELECT h.*, count(*) OVER () AS versions
             FROM scorer.label_history h
            WHERE h.transaction_id = $1) all_labels
    ORDER BY labelled_at DESC, labelled_by DESC
    LIMIT 1
   ON CONFLICT (transaction_id) DO UPDATE
      SET label = EXCLUDED.label, source = EXCLUDED.source, note = EXCLUDED.note,
          labelled_at = EXCLUDED.labelled_at, labelled_by = EXCLUDED.labelled_by,
          labelled_by_kind = EXCLUDED.labelled_by_kind, labelled_by_role = EXCLUDED.labelled_by_role,
          partner_id = EXCLUDED.partner_id, region = EXCLUDED.region, occurred_at = EXCLUDED.occurred_at,
          origin_account = EXCLUDED.origin_account, destination_account = EXCLUDED.destination_account,
          merchant_id = EXCLUDED.merchant_id, card_token = EXCLUDED.card_token, versions = EXCLUDED.versions`,
);

const run = (client: pg.PoolClient, query: { name: string; text: string }, values: unknown[]) =>
  client.query({ name: query.name, text: query.text, values });

@Injectable()
export class LabelsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** Stores the label and makes the latest label of its transaction current; false when it was stored before. */
  record(row: LabelRow): Promise<boolean> {
    return this.db.transaction(async (client) => {
      await run(client, lockTransaction, [row.transactionId]);
      const inserted = await run(client, insertHistory, [
        row.transactionId,
        row.labelledAt,
        row.labelledBy,
        row.labelledByKind,
        row.labelledByRole,
        row.label,
        row.source,
        row.note,
        row.partnerId,
        row.region,
        row.occurredAt,
        row.originAccount,
        row.destinationAccount,
        row.merchantId,
        row.cardToken,
        row.streamSeq,
      ]);
      if (inserted.rowCount === 0) return false;
      await run(client, refreshCurrent, [row.transactionId]);
      return true;
    });
  }
}
