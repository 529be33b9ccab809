// Reads what a label event needs about each labelled transaction from the pipeline's tables (read only), in scope.
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql } from '@vigil/db';
import type { ReadScope } from '../auth/principal.js';

export interface LabelledTransactionRow {
  transaction_id: string;
  partner_id: string | null;
  region: string | null;
  occurred_at: string | null;
  origin_account: string | null;
  destination_account: string | null;
  merchant_id: string | null;
  card_token: string | null;
}

// the score holds the validated values; the landing record adds the merchant and card token. A transaction
// outside the caller's scope is not returned, so it reads as not found
const findLabelled = sql(
  'gateway.find_labelled_transactions',
  `SELECT w.transaction_id,
          coalesce(s.partner_id, t.partner_id, v.partner_id) AS partner_id,
          coalesce(s.region, t.region, v.region) AS region,
          coalesce(to_char(s.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
                   t.record->>'timestamp') AS occurred_at,
          coalesce(s.origin_account, t.record->'origin'->>'account') AS origin_account,
          coalesce(s.destination_account, t.record->'destination'->>'account') AS destination_account,
          t.record->'merchant'->>'id' AS merchant_id,
          t.record->'card'->>'token' AS card_token
     FROM unnest($1::text[]) AS w(transaction_id)
     LEFT JOIN ingest.transactions t ON t.transaction_id = w.transaction_id
     LEFT JOIN validator.results v ON v.transaction_id = w.transaction_id
     LEFT JOIN scorer.scores s ON s.transaction_id = w.transaction_id
    WHERE coalesce(t.transaction_id, v.transaction_id, s.transaction_id) IS NOT NULL
      AND ($2::text IS NULL OR coalesce(t.partner_id, v.partner_id, s.partner_id) = $2)
      AND ($3::text[] IS NULL OR coalesce(t.region, v.region, s.region) = ANY($3))`,
);

@Injectable()
export class LabelsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  /** The transactions among `keys` the scope lets the caller see. */
  findTransactions(keys: string[], scope: ReadScope): Promise<LabelledTransactionRow[]> {
    if (keys.length === 0) return Promise.resolve([]);
    return this.db.query<LabelledTransactionRow>(findLabelled, [keys, scope.partnerId, scope.regions]);
  }
}
