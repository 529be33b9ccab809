// Reads the transaction, its verdict and its score from the tables ingest, validator and scorer own (read only).
import { Inject, Injectable } from '@nestjs/common';
import { Database, sql, type NamedQuery } from '@vigil/db';
import type { ReadScope } from '../auth/principal.js';
import type { TransactionFilters, TransactionStatus } from './transactions.dto.js';

export interface TransactionRow {
  transaction_id: string;
  status: TransactionStatus;
  score: number | null;
  score_reasons: unknown;
  validation_status: 'valid' | 'quarantined' | null;
  validation_reasons: unknown;
  region: string | null;
  partner_id: string | null;
  /** RFC 3339 text with microseconds: exact enough to be a keyset cursor. */
  received_at: string | null;
  amount: string | null;
  currency: string | null;
  type: string | null;
  /** The scorer's decision (approve, review, block); null until scored. */
  decision: string | null;
  /** The current label (scorer.labels): read for one transaction, not in lists. */
  label?: string | null;
  label_source?: string | null;
  labelled_at?: string | null;
  labelled_by?: string | null;
  labelled_by_role?: string | null;
  /** The accounts the transaction moves money between, as the record names them: for one transaction only. */
  origin_account?: string | null;
  destination_account?: string | null;
  /** The feature vector the score was computed from and its feature set's names; null for older scores. */
  features?: number[] | null;
  feature_names?: string[] | null;
}

/** A transaction of an account's or a payee's recent history. */
export interface HistoryRow {
  transaction_id: string;
  status: TransactionStatus;
  score: number | null;
  decision: string | null;
  received_at: string | null;
  amount: string | null;
  currency: string | null;
  type: string | null;
  label: string | null;
}

/** Whose history: the payer (origin account) or the payee, merchant or terminal (destination account). */
export type HistorySide = 'origin' | 'destination';

// The three rows of one transaction may land in any order (ingest's ledger is a consumer too), so one id
// is looked up in all three tables; the scope applies to whichever of them knows the partner and region.
const findTransaction = sql(
  'gateway.find_transaction',
  `SELECT coalesce(t.transaction_id, v.transaction_id, s.transaction_id) AS transaction_id,
          CASE WHEN s.transaction_id IS NOT NULL THEN 'scored' ELSE coalesce(v.status, 'accepted') END AS status,
          s.score::float8 AS score,
          s.reasons AS score_reasons,
          v.status AS validation_status,
          v.reasons AS validation_reasons,
          coalesce(t.region, v.region, s.region) AS region,
          coalesce(t.partner_id, v.partner_id, s.partner_id) AS partner_id,
          to_char(t.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          coalesce(t.record->>'amount', s.amount::text) AS amount,
          coalesce(t.record->>'currency', s.currency) AS currency,
          coalesce(t.record->>'type', s.type) AS type,
          s.decision,
          coalesce(s.origin_account, t.record->'origin'->>'account') AS origin_account,
          coalesce(s.destination_account, t.record->'destination'->>'account') AS destination_account,
          s.features,
          fs.names AS feature_names,
          l.label,
          l.source AS label_source,
          to_char(l.labelled_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS labelled_at,
          l.labelled_by,
          l.labelled_by_role
     FROM (SELECT $1::text AS transaction_id) wanted
     LEFT JOIN ingest.transactions t ON t.transaction_id = wanted.transaction_id
     LEFT JOIN validator.results v ON v.transaction_id = wanted.transaction_id
     LEFT JOIN scorer.scores s ON s.transaction_id = wanted.transaction_id
     LEFT JOIN scorer.feature_sets fs ON fs.feature_set = s.feature_set
     LEFT JOIN scorer.labels l ON l.transaction_id = wanted.transaction_id
    WHERE coalesce(t.transaction_id, v.transaction_id, s.transaction_id) IS NOT NULL
      AND ($2::text IS NULL OR coalesce(t.partner_id, v.partner_id, s.partner_id) = $2)
      AND ($3::text[] IS NULL OR coalesce(t.region, v.region, s.region) = ANY($3))`,
);

// Lists walk ingest's landing table on its (partner_id,) received_at, transaction_id indexes, newest first;
// the keyset condition continues strictly after the last row of the previous page.
const listTransactions = sql(
  'gateway.list_transactions',
  `SELECT transaction_id, status, score, score_reasons, validation_status, validation_reasons,
          region, partner_id, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          amount, currency, type, decision
     FROM (SELECT t.transaction_id,
                  CASE WHEN s.transaction_id IS NOT NULL THEN 'scored' ELSE coalesce(v.status, 'accepted') END AS status,
                  s.score::float8 AS score,
                  s.decision,
                  s.score AS score_exact,
                  s.reasons AS score_reasons,
                  v.status AS validation_status,
                  v.reasons AS validation_reasons,
                  t.region,
                  t.partner_id,
                  t.received_at,
                  coalesce(t.record->>'amount', s.amount::text) AS amount,
                  coalesce(t.record->>'currency', s.currency) AS currency,
                  coalesce(t.record->>'type', s.type) AS type
             FROM ingest.transactions t
             LEFT JOIN validator.results v ON v.transaction_id = t.transaction_id
             LEFT JOIN scorer.scores s ON s.transaction_id = t.transaction_id) x
    WHERE ($1::text IS NULL OR partner_id = $1)
      AND ($2::text[] IS NULL OR region = ANY($2))
      AND ($3::text IS NULL OR status = $3)
      AND ($4::text IS NULL OR region = $4)
      AND ($5::numeric IS NULL OR score_exact >= $5)
      AND ($6::text IS NULL OR type = $6)
      AND ($7::timestamptz IS NULL OR received_at >= $7)
      AND ($8::timestamptz IS NULL OR received_at < $8)
      AND ($9::timestamptz IS NULL OR (received_at, transaction_id) < ($9::timestamptz, $10::text))
    ORDER BY received_at DESC, transaction_id DESC
    LIMIT $11`,
);

// The recent transactions of one account as payer (origin) or as payee (destination), the viewed one excluded,
// in the caller's scope. An account name is its partner's own, so a history stays within the viewed
// transaction's partner ($2, null for records without one). Ingest's account indexes serve both (migration 004).
const originHistory = sql(
  'gateway.origin_account_history',
  `SELECT t.transaction_id,
          CASE WHEN s.transaction_id IS NOT NULL THEN 'scored' ELSE coalesce(v.status, 'accepted') END AS status,
          s.score::float8 AS score,
          s.decision,
          to_char(t.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          coalesce(t.record->>'amount', s.amount::text) AS amount,
          coalesce(t.record->>'currency', s.currency) AS currency,
          coalesce(t.record->>'type', s.type) AS type,
          l.label
     FROM ingest.transactions t
     LEFT JOIN validator.results v ON v.transaction_id = t.transaction_id
     LEFT JOIN scorer.scores s ON s.transaction_id = t.transaction_id
     LEFT JOIN scorer.labels l ON l.transaction_id = t.transaction_id
    WHERE t.record->'origin'->>'account' = $1
      AND t.partner_id IS NOT DISTINCT FROM $2
      AND t.transaction_id <> $3
      AND ($4::text IS NULL OR t.partner_id = $4)
      AND ($5::text[] IS NULL OR t.region = ANY($5))
    ORDER BY t.received_at DESC, t.transaction_id DESC
    LIMIT $6`,
);
const destinationHistory = sql(
  'gateway.destination_account_history',
  `SELECT t.transaction_id,
          CASE WHEN s.transaction_id IS NOT NULL THEN 'scored' ELSE coalesce(v.status, 'accepted') END AS status,
          s.score::float8 AS score,
          s.decision,
          to_char(t.received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS received_at,
          coalesce(t.record->>'amount', s.amount::text) AS amount,
          coalesce(t.record->>'currency', s.currency) AS currency,
          coalesce(t.record->>'type', s.type) AS type,
          l.label
     FROM ingest.transactions t
     LEFT JOIN validator.results v ON v.transaction_id = t.transaction_id
     LEFT JOIN scorer.scores s ON s.transaction_id = t.transaction_id
     LEFT JOIN scorer.labels l ON l.transaction_id = t.transaction_id
    WHERE t.record->'destination'->>'account' = $1
      AND t.partner_id IS NOT DISTINCT FROM $2
      AND t.transaction_id <> $3
      AND ($4::text IS NULL OR t.partner_id = $4)
      AND ($5::text[] IS NULL OR t.region = ANY($5))
    ORDER BY t.received_at DESC, t.transaction_id DESC
    LIMIT $6`,
);
const accountHistory: Record<HistorySide, NamedQuery> = {
  origin: originHistory,
  destination: destinationHistory,
};

@Injectable()
export class TransactionsRepository {
  constructor(@Inject(Database) private readonly db: Database) {}

  async find(id: string, scope: ReadScope): Promise<TransactionRow | undefined> {
    const [row] = await this.db.query<TransactionRow>(findTransaction, [id, scope.partnerId, scope.regions]);
    return row;
  }

  /** The latest `limit` transactions of `account` on `side` at `partnerId`, other than `exceptId`, in scope. */
  history(
    side: HistorySide,
    account: string,
    partnerId: string | null,
    exceptId: string,
    limit: number,
    scope: ReadScope,
  ): Promise<HistoryRow[]> {
    return this.db.query<HistoryRow>(accountHistory[side], [
      account,
      partnerId,
      exceptId,
      scope.partnerId,
      scope.regions,
      limit,
    ]);
  }

  list(filters: TransactionFilters, scope: ReadScope): Promise<TransactionRow[]> {
    return this.db.query<TransactionRow>(listTransactions, [
      scope.partnerId,
      scope.regions,
      filters.status ?? null,
      filters.region ?? null,
      filters.minScore ?? null,
      filters.type ?? null,
      filters.from ?? null,
      filters.to ?? null,
      filters.cursor?.at ?? null,
      filters.cursor?.id ?? null,
      filters.limit,
    ]);
  }
}
